// Drift: pure judgement of how labels, record and tasks disagree with the routes.
import { findDrift, routeSlots, shortDigest } from '../../../lambdas/core/drift';
import { liveLabels, TAG_SLOT } from '../../../lambdas/core/labels';
import { ResourceTags } from '../../../lambdas/core/ports';
import { SlotName } from '../../../lambdas/core/config';
import { config, D1, D2, routes, stateRecord } from './fixtures';

/** The four labelled resources as a swap to `live` leaves them. */
function labelsFor(live: SlotName, digest: string | null = D1): Record<string, ResourceTags> {
  const tags: Record<string, ResourceTags> = {};
  for (const slot of ['a', 'b'] as const) {
    for (const arn of [config.slots[slot].serviceArn, config.slots[slot].targetGroupArn]) {
      tags[arn] = { [TAG_SLOT]: slot, ...liveLabels(live, digest, 'exec-1') };
    }
  }
  return tags;
}
const unlabelled = (): Record<string, ResourceTags> =>
  Object.fromEntries((['a', 'b'] as const).flatMap((s) => [config.slots[s].serviceArn, config.slots[s].targetGroupArn].map((arn) => [arn, { [TAG_SLOT]: s }])));

describe('routeSlots', () => {
  test('names the slot each route forwards to', () => {
    expect(routeSlots(config, routes('b', 'a'))).toEqual({ production: 'b', test: 'a', shift: null, problems: [] });
  });

  test('names no slot, with one reason each, for a split or foreign route', () => {
    const r = routeSlots(config, routes([config.slots.a.targetGroupArn, config.slots.b.targetGroupArn], ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/9']));
    expect(r.production).toBeNull();
    expect(r.test).toBeNull();
    expect(r.problems).toEqual([
      `the production rule ${config.productionRuleArn} splits traffic across 2 target groups instead of forwarding to one slot`,
      `the test rule ${config.testRuleArn} forwards to arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/9, which is neither slot's target group`,
    ]);
  });
});

describe('findDrift', () => {
  const input = (over: Partial<Parameters<typeof findDrift>[0]> = {}) => ({
    config,
    routes: routeSlots(config, routes('a', 'b')),
    state: stateRecord({ liveSlot: 'a', liveDigest: D1 }),
    labels: labelsFor('a'),
    liveDigest: D1,
    ...over,
  });

  test('GIVEN routes, record, labels and tasks that agree THEN there is no drift', () => {
    expect(findDrift(input())).toEqual([]);
  });

  test('GIVEN nothing released yet (no record, no live labels) THEN that is not drift', () => {
    expect(findDrift(input({ state: null, labels: unlabelled(), liveDigest: null }))).toEqual([]);
  });

  test('GIVEN production moved by hand THEN the test route, the record and every label are named', () => {
    const drift = findDrift(input({ routes: routeSlots(config, routes('b', 'b')), liveDigest: D2 }));
    expect(drift).toEqual([
      'the test route forwards to slot b, the live slot, instead of slot a',
      'the state record says slot a is live, but production forwards to slot b',
      `${config.slots.a.serviceArn} is labelled bluegreen:live-slot=a but the production route serves slot b`,
      `${config.slots.a.targetGroupArn} is labelled bluegreen:live-slot=a but the production route serves slot b`,
      `${config.slots.b.serviceArn} is labelled bluegreen:live-slot=a but the production route serves slot b`,
      `${config.slots.b.targetGroupArn} is labelled bluegreen:live-slot=a but the production route serves slot b`,
    ]);
  });

  test('GIVEN the live slot runs another digest than the record says THEN both digests are named, short', () => {
    expect(findDrift(input({ liveDigest: D2 }))).toEqual([`live slot a runs ${D2.slice(0, 19)}, but the state record says ${D1.slice(0, 19)}`]);
  });

  test('GIVEN mixed or unknown digests on the live slot THEN no digest drift is claimed', () => {
    expect(findDrift(input({ liveDigest: null }))).toEqual([]);
  });

  test('GIVEN labels but no record (record lost) THEN only the label disagreements count', () => {
    expect(findDrift(input({ state: null, labels: labelsFor('b') }))).toHaveLength(4);
    expect(findDrift(input({ state: null }))).toEqual([]);
  });

  test('GIVEN a production route that names no slot THEN its problem is reported and nothing is judged against it', () => {
    const drift = findDrift(input({ routes: routeSlots(config, routes([], 'b')) }));
    expect(drift).toEqual([`the production rule ${config.productionRuleArn} does not forward to any target group`]);
  });
});

describe('shortDigest', () => {
  test('keeps sha256: and 12 hex digits, and leaves anything else alone', () => {
    expect(shortDigest(D1)).toBe(`sha256:${'1'.repeat(12)}`);
    expect(shortDigest('latest')).toBe('latest');
  });
});
