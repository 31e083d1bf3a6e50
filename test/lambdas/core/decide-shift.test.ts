// Traffic shifting decisions: pure functions over plain data, no mocks.
import { TrafficShiftConfig, parseReleaseConfig } from '../../../lambdas/core/config';
import {
  ShiftToken,
  decideAbort,
  decideAfterShiftTransientError,
  decidePromote,
  decideShiftStart,
  decideShiftStep,
  decideShiftWatch,
  parseShiftToken,
  resumeToken,
  shiftAbortRequest,
  shiftSteps,
  shiftableFrom,
} from '../../../lambdas/core/decide-shift';
import { findDrift, routeSlots } from '../../../lambdas/core/drift';
import { SwapParameters } from '../../../lambdas/core/events';
import { TAG_LIVE_SLOT, TAG_SLOT, TAG_TRAFFIC, labelDrift, liveLabels } from '../../../lambdas/core/labels';
import { ResourceTags } from '../../../lambdas/core/ports';
import { productionWrite, resolveRoutes, ruleMatchesWrite, splitOf, weightedTargetGroups } from '../../../lambdas/core/routes';
import { ShiftRecord, StateRecord, parseStateRecord, serialiseStateRecord } from '../../../lambdas/core/state';
import { D1, D2, NOW, config, readySlot, routes, splitRoutes, stateRecord, targets, tg } from './fixtures';

const shift: TrafficShiftConfig = { percents: [20, 40, 60, 80], holdSeconds: 300, stickinessSeconds: 0, alarms: { a: ['shop-bake-slot-a'], b: ['shop-bake-slot-b'] }, sharedAlarms: ['shop-bake-shared'] };
const shifting = { ...config, trafficShift: shift };
const request: SwapParameters = { greenSlot: 'b', imageDigest: D2, commit: 'c2', executionId: 'exec-2' };
const live = stateRecord({ liveSlot: 'a', liveDigest: D1, liveReleaseId: 'exec-1' });
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

function shiftRecord(over: Partial<ShiftRecord> = {}): ShiftRecord {
  return { executionId: 'exec-2', toSlot: 'b', digest: D2, commit: 'c2', percent: 20, fromPercent: 0, step: 1, steps: 5, since: NOW.toISOString(), at: NOW.toISOString(), ...over };
}
const during = (over: Partial<ShiftRecord> = {}): StateRecord => ({ ...live, shift: shiftRecord(over) });
const token = (over: Partial<ShiftToken> = {}): ShiftToken => ({ phase: 'shift', step: 1, percent: 20, dueAt: at(5).toISOString(), since: NOW.toISOString(), ...over });
const quiet = { kind: 'quiet' } as const;

describe('routes during a shift', () => {
  test('a split of the two slots is refused unless shifts are resolved; then the test rule names the candidate', () => {
    expect(resolveRoutes(config, splitRoutes('b', 20))).toEqual({ ok: false, reason: `the production rule ${config.productionRuleArn} splits traffic (a=80 b=20): a traffic shift is in progress; promote or abort it first` });
    expect(resolveRoutes(config, splitRoutes('b', 20), { shifting: true })).toEqual({
      ok: true,
      view: { liveSlot: 'a', idleSlot: 'b', testSlot: 'b', testRouteStale: false, shift: { toSlot: 'b', percent: 20 } },
    });
  });

  test('a split whose candidate the test rule does not name, or with a foreign target group, is not resolved', () => {
    const noTest = { ...splitRoutes('b', 20), test: { ruleArn: config.testRuleArn, forwardTargetGroupArns: [] } };
    expect(resolveRoutes(config, noTest, { shifting: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/splits traffic \(a=80 b=20\) and the test rule .* does not forward to any target group, so the shift's candidate slot is unknown/) });
    const foreign = routes([tg('a'), 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/9'], 'b');
    expect(resolveRoutes(config, { ...foreign, production: { ...foreign.production, weights: [50, 50] } }, { shifting: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/target groups that are not the two slots/) });
  });

  test('any ALB weights read as whole percents within 1..99', () => {
    const weighted = (w: number[]) => ({ ruleArn: 'r', forwardTargetGroupArns: [tg('a'), tg('b')], weights: w });
    expect(splitOf(config, weighted([999, 1]))).toEqual({ percents: { a: 99, b: 1 } });
    expect(splitOf(config, weighted([1, 3]))).toEqual({ percents: { a: 25, b: 75 } });
    expect(splitOf(config, { ruleArn: 'r', forwardTargetGroupArns: [tg('a')], weights: [1] })).toBeNull();
  });

  test('a weighted write is both target groups, as percents; 0 and 100 are plain forwards; a read confirms it by weights', () => {
    const write = productionWrite(config, 'b', 40, 3600);
    expect(write).toEqual({ rule: 'production', ruleArn: config.productionRuleArn, slot: 'a', targetGroupArn: tg('a'), split: { toSlot: 'b', percent: 40, stickinessSeconds: 3600 } });
    expect(weightedTargetGroups(config, write)).toEqual([{ targetGroupArn: tg('a'), weight: 60 }, { targetGroupArn: tg('b'), weight: 40 }]);
    expect(productionWrite(config, 'b', 0, 0)).toEqual({ rule: 'production', ruleArn: config.productionRuleArn, slot: 'a', targetGroupArn: tg('a') });
    expect(productionWrite(config, 'b', 100, 0)).toMatchObject({ slot: 'b', targetGroupArn: tg('b') });
    expect(ruleMatchesWrite(config, splitRoutes('b', 40).production, write)).toBe(true);
    expect(ruleMatchesWrite(config, splitRoutes('b', 20).production, write)).toBe(false);
  });
});

describe('the plan', () => {
  test('steps are the configured percents, then 100', () => {
    expect(shiftSteps(shift)).toEqual([20, 40, 60, 80, 100]);
  });

  test('the config section is strict: increasing whole percents, a hold, stickiness within 7 days, alarms on both slots, inside the action window', () => {
    const base = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    const parse = (trafficShift: unknown) => () => parseReleaseConfig(JSON.stringify({ ...base, trafficShift }));
    expect(parseReleaseConfig(JSON.stringify({ ...base, trafficShift: shift })).trafficShift).toEqual(shift);
    expect(parse({ ...shift, percents: [40, 20] })).toThrow(/trafficShift.percents must be 1 to 99 strictly increasing whole percents from 1 to 99 \(got \[40,20\]\)/);
    expect(parse({ ...shift, percents: [0, 100] })).toThrow(/trafficShift.percents/);
    expect(parse({ ...shift, stickinessSeconds: 604_801 })).toThrow(/trafficShift.stickinessSeconds must be an integer from 0 to 604800/);
    expect(parse({ ...shift, alarms: { a: [], b: ['x'] }, sharedAlarms: [] })).toThrow(/trafficShift would watch no alarm on slot a/);
    expect(parse({ ...shift, percents: [10, 20], holdSeconds: 50_000 })).toThrow(/takes 2 step\(s\) of 50000 s, longer than the 82800 s a Swap action may run/);
    expect(parse({ ...shift, steps: 3 })).toThrow(/trafficShift.steps is not a known field/);
  });

  test('tokens are parsed strictly', () => {
    expect(parseShiftToken(JSON.stringify(token()))).toEqual(token());
    expect(() => parseShiftToken(JSON.stringify({ ...token(), percent: 100 }))).toThrow(/percent must be an integer from 1 to 99/);
    expect(() => parseShiftToken(JSON.stringify({ ...token(), dueAt: 'soon' }))).toThrow(/dueAt must be an ISO-8601 time/);
  });
});

describe('the first step', () => {
  const view = (r = routes('a', 'b')) => {
    const resolved = resolveRoutes(config, r, { shifting: true });
    if (!resolved.ok) throw new Error(resolved.reason);
    return resolved.view;
  };

  test('from a recorded release alone on its slot: the record (before the write), one weighted write, labels with the split', () => {
    const plan = decideShiftStart({ config: shifting, shift, request, view: view(), green: readySlot('b', D2), state: live, greenTag: D2, now: NOW });
    expect(plan).toMatchObject({
      kind: 'shift-step',
      fromSlot: 'a',
      toSlot: 'b',
      repairTag: null,
      testRepair: null,
      write: { split: { toSlot: 'b', percent: 20 } },
      token: { step: 1, percent: 20, dueAt: at(5).toISOString() },
    });
    expect(plan.kind === 'shift-step' && plan.record).toEqual({ ...live, shift: shiftRecord() });
    expect(plan.kind === 'shift-step' && plan.labels).toMatchObject({ [TAG_LIVE_SLOT]: 'a', [TAG_TRAFFIC]: 'a=80 b=20' });
  });

  test('a stale test rule is put on the candidate first; a stale tag is repaired', () => {
    const plan = decideShiftStart({ config: shifting, shift, request, view: view(routes('a', 'a')), green: readySlot('b', D2), state: live, greenTag: D1, now: NOW });
    expect(plan).toMatchObject({ testRepair: { rule: 'test', slot: 'b' }, repairTag: { tag: 'slot-b', digest: D2 } });
  });

  test('an unready candidate is refused, as for an all-at-once swap', () => {
    expect(decideShiftStart({ config: shifting, shift, request, view: view(), green: readySlot('b', D1), state: live, greenTag: D2, now: NOW })).toEqual({ kind: 'refused', reason: `slot b runs ${D1}, not ${D2}` });
  });

  test('a shift starts only from a recorded release that production serves alone', () => {
    expect(shiftableFrom(live, view(), request)).toBe(true);
    expect(shiftableFrom(null, view(), request)).toBe(false);
    expect(shiftableFrom(stateRecord({ liveSlot: 'b' }), view(), request)).toBe(false);
    expect(shiftableFrom(stateRecord({ liveDigest: null }), view(), request)).toBe(false);
  });
});

describe('a poll', () => {
  test('watches: quiet and not due goes on; due steps; a fired or missing alarm aborts; moved routes reconcile', () => {
    const watch = (over: { routes?: ReturnType<typeof splitRoutes>; alarms?: Parameters<typeof decideShiftWatch>[4]; now?: Date } = {}) =>
      decideShiftWatch(config, token(), request, over.routes ?? splitRoutes('b', 20), over.alarms ?? quiet, over.now ?? at(1));
    expect(watch()).toEqual({ kind: 'continue', reason: `slot b at 20% (step 1) until ${at(5).toISOString()}; alarms quiet` });
    expect(watch({ now: at(5) })).toEqual({ kind: 'step' });
    expect(watch({ alarms: { kind: 'fired', fired: 'alarm app-5xx' }, now: at(5) })).toEqual({ kind: 'abort', reason: 'alarm app-5xx fired on slot b at 20% (step 1)' });
    expect(watch({ alarms: { kind: 'missing', names: ['shop-bake-slot-b'] } })).toEqual({ kind: 'abort', reason: 'the shift cannot watch alarm(s) shop-bake-slot-b on slot b at 20% (step 1) because they do not exist' });
    expect(watch({ routes: splitRoutes('b', 40) })).toEqual({ kind: 'reconcile' });
    expect(watch({ routes: routes('a', 'b') })).toEqual({ kind: 'reconcile' });
  });

  test('transient errors poll again until the step is two minutes overdue, then abort', () => {
    expect(decideAfterShiftTransientError(token(), at(6), 'Throttling')).toEqual({ kind: 'continue', reason: 'transient AWS error, polling again: Throttling' });
    expect(decideAfterShiftTransientError(token(), at(7), 'Throttling')).toMatchObject({ kind: 'abort', reason: expect.stringMatching(/could not be read by 120 s after step 1 ended \(last poll: Throttling\)/) });
  });
});

describe('a step under the lease', () => {
  const step = (over: Partial<Parameters<typeof decideShiftStep>[0]> = {}) =>
    decideShiftStep({ config: shifting, shift, request, token: token(), routes: splitRoutes('b', 20), green: readySlot('b', D2), state: during(), approver: 'ann', now: at(5), ...over });

  test('the next step: re-verified, recorded from where the ALB is, one weighted write', () => {
    const plan = step();
    expect(plan).toMatchObject({ kind: 'shift-step', write: { split: { percent: 40 } }, token: { step: 2, percent: 40, dueAt: at(10).toISOString() } });
    expect(plan.kind === 'shift-step' && plan.record.shift).toEqual(shiftRecord({ percent: 40, fromPercent: 20, step: 2, at: at(5).toISOString() }));
  });

  test('a step recorded whose write did not land is taken again; one that landed is not taken twice', () => {
    expect(step({ state: during({ percent: 40, fromPercent: 20, step: 2 }) })).toMatchObject({ kind: 'shift-step', write: { split: { percent: 40 } } });
    expect(step({ routes: splitRoutes('b', 40), state: during({ percent: 40, fromPercent: 20, step: 2, at: at(5).toISOString() }) })).toEqual({
      kind: 'moved-on',
      token: { phase: 'shift', step: 2, percent: 40, dueAt: at(10).toISOString(), since: NOW.toISOString() },
    });
  });

  test('the last step: the record says 100% before the writes, production plain on the candidate, the test rule on the slot it left', () => {
    const plan = step({ token: token({ step: 4, percent: 80 }), routes: splitRoutes('b', 80), state: during({ percent: 80, fromPercent: 60, step: 4 }) });
    expect(plan).toMatchObject({
      kind: 'swap',
      intent: { shift: { percent: 100, fromPercent: 80, step: 5 } },
      writes: [{ rule: 'production', slot: 'b' }, { rule: 'test', slot: 'a' }],
      revert: { rule: 'production', split: { toSlot: 'b', percent: 80 } },
      nextState: { liveSlot: 'b', liveDigest: D2, previousDigest: D1, liveReleaseId: 'exec-2', previousReleaseId: 'exec-1', changedBy: 'ann', lastOperation: 'swap' },
      outputs: { LIVE_SLOT: 'b', LIVE_DIGEST: D2, PREVIOUS_DIGEST: D1 },
    });
    expect(plan.kind === 'swap' && plan.nextState!.shift).toBeUndefined();
  });

  test('a candidate no longer ready aborts rather than increase', () => {
    const green = { ...readySlot('b', D2), targets: targets(['healthy', 'unhealthy']) };
    expect(step({ green })).toEqual({ kind: 'abort', reason: 'the candidate failed its check before step 2: slot b has 1 healthy target(s), needs 2' });
  });

  test('weights the record does not know abort; a split with no record of this release aborts', () => {
    expect(step({ routes: splitRoutes('b', 60) })).toEqual({ kind: 'abort', reason: 'production sends 60% to slot b, but the state record knows 0% or 20% for step 1' });
    expect(step({ state: live })).toMatchObject({ kind: 'abort', reason: expect.stringMatching(/in a way the state record does not know/) });
  });

  test('production back on the live slot: aborted, saying by whom; or, when the first write did not land, the first step again', () => {
    const aborted = stateRecord({ history: [{ operation: 'abort', executionId: 'abort:r1', fromSlot: 'b', toSlot: 'a', digest: D1, commit: null, at: NOW.toISOString(), by: 'dana', reason: 'p99' }] });
    expect(step({ routes: routes('a', 'b'), state: aborted })).toEqual({ kind: 'aborted', reason: 'the traffic shift to slot b was aborted by dana (p99): production serves slot a alone' });
    expect(step({ routes: routes('a', 'b'), state: during() })).toMatchObject({ kind: 'shift-step', write: { split: { percent: 20 } }, record: { shift: { percent: 20, fromPercent: 0, step: 1 } } });
  });

  test('production on the candidate alone: finished (promoted, or the last step landed), nothing recorded twice', () => {
    const promoted = stateRecord({ liveSlot: 'b', liveDigest: D2, previousDigest: D1, liveReleaseId: 'exec-2', lastExecutionId: 'promote:r1', lastOperation: 'promote' });
    expect(step({ routes: routes('b', 'a'), state: promoted })).toMatchObject({ kind: 'already-swapped', writes: [], nextState: null, outputs: { LIVE_SLOT: 'b', LIVE_DIGEST: D2, PREVIOUS_DIGEST: D1 } });
    expect(step({ routes: routes('b', 'b'), state: during({ percent: 100, fromPercent: 80, step: 5 }) })).toMatchObject({ kind: 'swap', writes: [{ rule: 'test', slot: 'a' }], nextState: { liveSlot: 'b' } });
    expect(step({ routes: routes('b', 'a'), state: live })).toMatchObject({ kind: 'abort' });
  });

  test('a stale token is told where the shift is when the record\'s step has not landed', () => {
    expect(resumeToken(shift, shiftRecord({ percent: 60, fromPercent: 40, step: 3, at: at(10).toISOString() }), 40)).toEqual({ phase: 'shift', step: 2, percent: 40, dueAt: at(10).toISOString(), since: NOW.toISOString() });
  });
});

describe('promote and abort', () => {
  const req = { reason: 'ok', actor: 'carol', requestId: 'r1', expectedLiveSlot: null, forRelease: null };
  const running = { executionId: 'exec-2', running: true };
  const promote = (over: Partial<Parameters<typeof decidePromote>[0]> = {}) =>
    decidePromote({ config: shifting, request: req, executionId: 'promote:r1', routes: splitRoutes('b', 40), slot: readySlot('b', D2), state: during({ percent: 40, fromPercent: 20, step: 2 }), releaseHolder: running, now: at(7), ...over });
  const abort = (over: Partial<Parameters<typeof decideAbort>[0]> = {}) =>
    decideAbort({ config: shifting, request: req, executionId: 'abort:r1', routes: splitRoutes('b', 40), slot: readySlot('a', D1), state: during({ percent: 40, fromPercent: 20, step: 2 }), releaseHolder: null, now: at(7) });

  test('promote: the record first (100%), production plain on the candidate, the test rule back; recorded as the promoter\'s', () => {
    expect(promote()).toMatchObject({
      kind: 'promote',
      intent: { shift: { percent: 100, fromPercent: 40 } },
      writes: [{ rule: 'production', slot: 'b' }, { rule: 'test', slot: 'a' }],
      nextState: { liveSlot: 'b', liveDigest: D2, liveReleaseId: 'exec-2', lastExecutionId: 'promote:r1', lastOperation: 'promote', changedBy: 'carol' },
    });
  });

  test('promote is refused with no shift, for an ended release, and for an unready candidate', () => {
    expect(promote({ routes: routes('a', 'b') })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/no traffic shift is in progress/) });
    expect(promote({ releaseHolder: { executionId: 'exec-2', running: false } })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/no longer runs or holds the slots/) });
    expect(promote({ slot: readySlot('b', D1) })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/slot b cannot take all of production/) });
    expect(promote({ request: { ...req, expectedLiveSlot: 'b' } })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/its view is stale/) });
  });

  test('abort: the record first (0%), one route write, the candidate recorded as the previous release', () => {
    expect(abort()).toMatchObject({
      kind: 'abort',
      intent: { shift: { percent: 0, fromPercent: 40 } },
      writes: [{ rule: 'production', slot: 'a' }],
      nextState: { liveSlot: 'a', liveDigest: D1, previousDigest: D2, previousReleaseId: 'exec-2', lastOperation: 'abort', changedBy: 'carol' },
    });
    const d = abort();
    expect(d.kind === 'abort' && d.nextState!.shift).toBeUndefined();
  });

  test('abort is refused when the live slot cannot take production back', () => {
    const d = decideAbort({ config: shifting, request: req, executionId: 'abort:r1', routes: splitRoutes('b', 40), slot: { ...readySlot('a', D1), targets: targets(['unhealthy', 'unhealthy']) }, state: during(), releaseHolder: null, now: at(7) });
    expect(d).toMatchObject({ kind: 'refused', reason: 'slot a cannot take all of production back: slot a has 0 healthy target(s), needs 2' });
  });

  test('a shift\'s own abort has one request id per execution', () => {
    expect(shiftAbortRequest('exec-2', 'a', 'alarm x fired')).toEqual({ reason: 'shift: alarm x fired', actor: 'swap:exec-2', requestId: 'shift:exec-2', expectedLiveSlot: 'a', forRelease: null });
  });
});

describe('the record and drift during a shift', () => {
  test('the shift survives a round trip through the record; a malformed one is named', () => {
    const record = during({ percent: 40, fromPercent: 20, step: 2 });
    expect(parseStateRecord(serialiseStateRecord(record))).toEqual(record);
    expect(() => parseStateRecord(JSON.stringify({ ...record, shift: { ...record.shift, percent: 140, toSlot: 'c' } }))).toThrow(/shift.toSlot must be "a" or "b" \(got "c"\); shift.percent must be a whole percent from 0 to 100 \(got number 140\)/);
  });

  function labels(liveSlot: 'a' | 'b', traffic: Record<'a' | 'b', number>): Record<string, ResourceTags> {
    const out: Record<string, ResourceTags> = {};
    for (const slot of ['a', 'b'] as const) for (const arn of [config.slots[slot].serviceArn, config.slots[slot].targetGroupArn]) out[arn] = { [TAG_SLOT]: slot, ...liveLabels(liveSlot, D1, 'exec-2', traffic) };
    return out;
  }

  test('routes, record and labels at the same step: no drift; status names the split', () => {
    const r = routeSlots(config, splitRoutes('b', 40));
    expect(r).toEqual({ production: 'a', test: 'b', shift: { toSlot: 'b', percent: 40 }, problems: [] });
    expect(findDrift({ config, routes: r, state: during({ percent: 40, fromPercent: 20, step: 2 }), labels: labels('a', { a: 60, b: 40 }), liveDigest: D1 })).toEqual([]);
  });

  test('a step recorded but not landed, a split the record does not know, labels behind: each named', () => {
    const at20 = routeSlots(config, splitRoutes('b', 20));
    expect(findDrift({ config, routes: at20, state: during({ percent: 40, fromPercent: 20, step: 2 }), labels: labels('a', { a: 80, b: 20 }), liveDigest: D1 })).toEqual([
      'step 2 of 5 of the traffic shift to slot b (20% → 40%) is recorded but has not landed: production sends a=80 b=20',
    ]);
    expect(findDrift({ config, routes: at20, state: live, labels: labels('a', { a: 80, b: 20 }), liveDigest: D1 })).toEqual(['production splits traffic (a=80 b=20) but the state record knows of no traffic shift']);
    expect(labelDrift(config, 'a', labels('a', { a: 100, b: 0 }), { a: 80, b: 20 })).toEqual(
      [config.slots.a.serviceArn, tg('a'), config.slots.b.serviceArn, tg('b')].map((arn) => `${arn} is labelled ${TAG_TRAFFIC}=a=100 but production sends a=80 b=20`),
    );
  });
});

describe('how to reach green with a header test route', () => {
  test('the config names the header line; the test command quotes it for a shell', async () => {
    const { testCommand } = await import('../../../lambdas/core/decide-deploy');
    const base = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    expect(parseReleaseConfig(JSON.stringify({ ...base, testHeader: 'X-Release-Test: green' })).testHeader).toBe('X-Release-Test: green');
    expect(() => parseReleaseConfig(JSON.stringify({ ...base, testHeader: 'no colon' }))).toThrow(/testHeader must be a header line "<name>: <value>"/);
    expect(testCommand({ testUrl: 'https://shop.example.com', testHeader: "X-T: it's" })).toBe(`curl -H 'X-T: it'\\''s' https://shop.example.com`);
    expect(testCommand({ testUrl: 'http://alb:8080' })).toBe('curl http://alb:8080');
  });
});
