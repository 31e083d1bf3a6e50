// Auto scaling through the real handlers: Application Auto Scaling (test/support/model/aas.ts)
// moves the slots' counts between and during releases, and the control plane's floors keep it
// from fighting the release flow (docs/design.md, "Auto scaling: the control plane holds each
// slot's floor"). Invariants 1-5 and 8 (which now includes the previous slot's count) are checked
// after every handler invocation.
import { AwsWorld } from '../../support/aws-model';
import { addBake, uninstallCloudWatch } from '../../support/bake-world';
import { useWorldClock } from '../../support/jest-world';
import { ReleaseHarness, createReleaseHarness } from '../../support/release-harness';
import { serviceResourceId } from '../../../lambdas/adapters/scaling';
import type { SlotName } from '../../../lambdas/core/config';

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
  jest.useRealTimers();
});

const AUTO_SCALING = { minCapacity: 2, maxCapacity: 8 };
const harness = () => createReleaseHarness({ clock: useWorldClock, autoScaling: AUTO_SCALING });
const resource = (h: ReleaseHarness, slot: SlotName) => serviceResourceId(h.stack.config.slots[slot].serviceArn);
const count = (h: ReleaseHarness, slot: SlotName) => h.world.ecs.services.get(h.stack.config.slots[slot].serviceArn)!.desiredCount;
const bounds = (h: ReleaseHarness, slot: SlotName) => {
  const t = h.scaling!.targets.get(resource(h, slot))!;
  return { min: t.min, max: t.max };
};
/** Target tracking asks for `wanted` tasks on `slot`, and the tasks it gets start and pass their health checks. */
function scale(h: ReleaseHarness, slot: SlotName, wanted: number): number {
  const got = h.scaling!.track(resource(h, slot), wanted);
  h.world.tick(6);
  return got;
}

describe('auto scaling of the slots', () => {
  test('a release starts the candidate at the live slot\'s current count, and neither slot scales in under it until the release ends', async () => {
    const h = harness();
    await h.driver.release('v1');
    expect(bounds(h, 'b')).toEqual({ min: 2, max: 8 });
    expect(scale(h, 'b', 5)).toBe(5);

    const release = h.driver.start('v2');
    expect(await h.driver.deploy(release)).toMatchObject({ status: 'succeeded' });
    expect(count(h, 'a')).toBe(5);
    expect(bounds(h, 'a')).toEqual({ min: 5, max: 8 });
    expect(bounds(h, 'b')).toEqual({ min: 5, max: 8 });
    // Quiet while it waits for approval: target tracking would scale both in, and may not.
    expect(scale(h, 'a', 1)).toBe(5);
    expect(scale(h, 'b', 1)).toBe(5);
    // It may scale out: the swap verifies whatever count the slot settled on.
    expect(scale(h, 'a', 6)).toBe(6);

    h.driver.approve(release);
    expect(await h.driver.swap(release)).toMatchObject({ status: 'succeeded' });
    // The release ended with its swap: the live slot scales within the bounds again, the previous slot stays warm.
    expect(bounds(h, 'a')).toEqual({ min: 2, max: 8 });
    expect(bounds(h, 'b')).toEqual({ min: 5, max: 8 });
    expect(scale(h, 'a', 1)).toBe(2);
    expect(scale(h, 'b', 1)).toBe(5);
    h.check({ settled: true });
  });

  test('with a bake, the slot production left keeps its count until the bake ends, and the bake\'s rollback lands on all of it', async () => {
    const h = harness();
    const bake = addBake(h, { windowSeconds: 120 });
    const first = await h.driver.release('v1');
    expect(await bake.run(first)).toMatchObject({ status: 'succeeded' });
    expect(scale(h, 'b', 4)).toBe(4);
    const second = await h.driver.release('v2');
    expect(h.stack.liveSlot()).toBe('a');
    expect(bounds(h, 'a')).toEqual({ min: 4, max: 8 });

    const result = await bake.run(second, {
      beforePoll: (poll) => {
        // Scaling tries to take the previous slot in while the new release bakes; then its alarm fires.
        if (poll === 1) expect(scale(h, 'b', 1)).toBe(4);
        if (poll === 2) bake.alarms.set('app-slot-a-5xx', 'ALARM');
      },
    });

    expect(result).toMatchObject({ status: 'failed', message: expect.stringMatching(/rolled back|back on slot b/) });
    expect(h.stack.liveSlot()).toBe('b');
    expect(count(h, 'b')).toBe(4);
    // The bake gave the release back: the live slot (b again) scales freely, slot a keeps its floor.
    expect(bounds(h, 'b')).toEqual({ min: 2, max: 8 });
    expect(bounds(h, 'a')).toEqual({ min: 4, max: 8 });
    h.check({ settled: true });
  });

  test('a DeployGreen whose floors cannot be held rolls the candidate back, says so in one sentence, and frees the live slot', async () => {
    const h = harness();
    await h.driver.release('v1');
    expect(scale(h, 'b', 3)).toBe(3);
    h.world.faults.when((c) => (c.service as string) === 'aas' && c.command === 'RegisterScalableTarget' && (c.input as { MinCapacity?: number }).MinCapacity === 3, 'internal');

    const release = h.driver.start('v2');
    const deploy = await h.driver.deploy(release);

    expect(deploy.status).toBe('failed');
    expect(deploy.message).toMatch(/^DeployGreen failed and production is untouched: holding the slots' scaling floors failed \(.*\); tag slot-a is back on nothing and slot a is rolling back to it\.$/);
    h.world.tick(8);
    expect(count(h, 'a')).toBe(0);
    expect(bounds(h, 'a')).toEqual({ min: 0, max: 8 });
    expect(bounds(h, 'b')).toEqual({ min: 2, max: 8 });
    // The lease went back: the next release goes through.
    await h.driver.release('v3');
    expect(h.stack.liveSlot()).toBe('a');
    h.check({ settled: true });
  });

  test('an operator\'s rollback between releases keeps the slot production left at its count, and frees the new live slot', async () => {
    const h = harness();
    await h.driver.release('v1');
    expect(scale(h, 'b', 5)).toBe(5);
    await h.driver.release('v2');
    expect(scale(h, 'a', 3)).toBe(3);

    expect(await h.driver.rollback({ reason: 'v2 misbehaves' })).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });

    expect(bounds(h, 'b')).toEqual({ min: 2, max: 8 });
    expect(bounds(h, 'a')).toEqual({ min: 3, max: 8 });
    expect(scale(h, 'a', 1)).toBe(3);
    expect(scale(h, 'b', 1)).toBe(2);
    h.check({ settled: true });
  });

  test('a weighted shift keeps both slots at their counts while they share production, and an abort hands all of it back to as many tasks', async () => {
    const h = createReleaseHarness({ clock: useWorldClock, autoScaling: AUTO_SCALING, trafficShift: { percents: [20], holdSeconds: 60 } });
    await h.driver.release('v1');
    expect(scale(h, 'b', 6)).toBe(6);
    const release = h.driver.start('v2');
    expect(await h.driver.deploy(release)).toMatchObject({ status: 'succeeded' });
    h.driver.approve(release);
    const first = await h.driver.swap(release, { maxPolls: 1 });
    expect(first).toMatchObject({ status: 'in-progress' });
    expect(h.stack.traffic()).toEqual({ a: 20, b: 80 });
    // The live slot's share dropped to 80%: scaling may not take it in, so an abort has all six.
    expect(scale(h, 'b', 2)).toBe(6);
    expect(scale(h, 'a', 2)).toBe(6);
    const aborted = await h.driver.abort({ reason: 'stop it' });
    expect(aborted).toMatchObject({ outcome: 'aborted' });
    expect(h.stack.traffic()).toEqual({ a: 0, b: 100 });
    expect(count(h, 'b')).toBe(6);
    h.check();
  });
});
