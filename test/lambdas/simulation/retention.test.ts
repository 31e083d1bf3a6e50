// The previous slot after a release (`previousSlotRetention`, docs/design.md): the real handlers
// schedule its scale-down when a release ends, the schedule's retire skips whatever has moved on,
// and a rollback to a slot at zero scales it back up, answering "in progress" until it can flip
// production in one route write. Invariants 1-5 and 8 are checked after every handler invocation.
import { AwsWorld } from '../../support/aws-model';
import { addBake, uninstallCloudWatch } from '../../support/bake-world';
import { useWorldClock } from '../../support/jest-world';
import { HarnessOptions, ReleaseHarness, createReleaseHarness } from '../../support/release-harness';
import type { Release } from '../../support/release-driver';
import type { OperatorResult } from '../../../lambdas/core/events';
import type { SlotName } from '../../../lambdas/core/config';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ssmLeaseStore } from '../../../lambdas/adapters/ssm';
import { nextLease } from '../../../lambdas/core/lease';

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
  jest.useRealTimers();
});

const RETENTION = 600;
const harness = (opts: HarnessOptions = {}) => createReleaseHarness({ clock: useWorldClock, previousSlotRetentionSeconds: RETENTION, ...opts });
const service = (h: ReleaseHarness, slot: SlotName) => h.world.ecs.services.get(h.stack.config.slots[slot].serviceArn)!;
/** World time moves on by `seconds` (ticks of 15 s), the services settling as they go. */
const wait = (h: ReleaseHarness, seconds: number) => h.world.tick(Math.ceil(seconds / 15));

/** Two releases, then the retention passes and the schedules fire: slot b, the previous slot, runs no tasks. */
async function retired(): Promise<{ h: ReleaseHarness; v1: Release }> {
  const h = harness();
  const v1 = await h.driver.release('v1');
  await h.driver.release('v2');
  wait(h, RETENTION + 30);
  await h.fireSchedules();
  return { h, v1 };
}

/** `bluegreen rollback` as the CLI does it: ask, and while it answers in progress, ask again with its request id. */
async function rollbackPolling(h: ReleaseHarness, requestId: string, maxPolls = 40): Promise<{ answers: OperatorResult[] }> {
  const answers: OperatorResult[] = [];
  for (let i = 0; i < maxPolls; i++) {
    const answer = (await h.driver.rollback({ requestId, reason: 'p99 latency doubled' })) as OperatorResult;
    answers.push(answer);
    if (answer.outcome !== 'in-progress') break;
    wait(h, 15);
  }
  return { answers };
}

describe('previousSlotRetention: the previous slot scales down after a release and still rolls back', () => {
  test('the release schedules the scale-down; it fires after the retention and takes the previous slot to zero', async () => {
    const h = harness();
    await h.driver.release('v1');
    expect(h.scheduler!.schedules.size).toBe(1);
    const v2 = await h.driver.release('v2');
    const schedule = [...h.scheduler!.schedules.values()].find((s) => s.name === `retire-${v2.execution.id}`)!;
    expect(schedule.input).toMatchObject({ GroupName: h.stack.config.previousSlotRetention!.scheduleGroupName, ActionAfterCompletion: 'DELETE', FlexibleTimeWindow: { Mode: 'OFF' } });
    expect(schedule.input.Target.Arn).toBe(`arn:aws:lambda:${h.world.region}:${h.world.account}:function:${h.stack.ids.swapFunctionName}`);
    expect(schedule.due - h.world.now()).toBeGreaterThan((RETENTION - 30) * 1000);
    expect(service(h, 'b').desiredCount).toBe(2);

    // Nothing is due before the retention has passed.
    wait(h, RETENTION - 60);
    expect(await h.fireSchedules()).toEqual([]);
    wait(h, 90);
    const answers = (await h.fireSchedules()) as OperatorResult[];
    // v1's schedule was overtaken by v2's release; v2's retires slot b, the slot production left.
    expect(answers.map((a) => a.outcome).sort()).toEqual(['refused', 'retired']);
    expect(answers.find((a) => a.outcome === 'refused')!.message).toMatch(/production is on slot a now, not slot b as release .* left it/);
    expect(service(h, 'b').desiredCount).toBe(0);
    expect(service(h, 'a').desiredCount).toBe(2);
    expect(h.stack.state()).toMatchObject({ liveSlot: 'a', previousScaledDownAt: expect.any(String) });
    expect(h.scheduler!.schedules.size).toBe(0);
    wait(h, 60);
    h.check({ settled: true });
  });

  test('a rollback to the slot at zero scales it up on the previous digest, answers in progress, then flips in one route write', async () => {
    const { h, v1 } = await retired();
    expect(service(h, 'b').desiredCount).toBe(0);
    const writesBefore = h.world.countCalls().routeWrites;

    const { answers } = await rollbackPolling(h, 'rollback-after-retire');
    expect(answers[0]).toMatchObject({ outcome: 'in-progress', requestId: 'rollback-after-retire', state: 'old', liveSlot: 'a' });
    expect(answers[0].message).toMatch(/slot b was at zero, so it is starting 2 task\(s\) on sha256:/);
    expect(answers.length).toBeGreaterThan(2);
    expect(answers.at(-1)).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b', liveDigest: v1.image.digest, state: 'new' });
    expect(answers.slice(0, -1).every((a) => a.outcome === 'in-progress')).toBe(true);
    expect(h.world.countCalls().routeWrites - writesBefore).toBe(2);
    expect(h.stack.liveSlot()).toBe('b');
    expect(h.stack.servingDigests('b')).toEqual([v1.image.digest, v1.image.digest]);
    expect(h.stack.state()).not.toHaveProperty('previousScaledDownAt');
    // The same request again changes nothing.
    expect(await h.driver.rollback({ requestId: 'rollback-after-retire', reason: 'p99 latency doubled' })).toMatchObject({ outcome: 'already-done' });
    h.check({ settled: true });
  });

  test('while the rollback scales up, it holds the slots: another operator\'s request is busy and a new release waits', async () => {
    const { h } = await retired();
    expect(await h.driver.rollback({ requestId: 'first' })).toMatchObject({ outcome: 'in-progress' });
    expect(await h.driver.rollback({ requestId: 'second' })).toMatchObject({ outcome: 'busy' });
    const v3 = h.driver.start('v3');
    const deploy = h.driver.deploy(v3);
    const { answers } = await rollbackPolling(h, 'first');
    expect(answers.at(-1)).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });
    // The release deploys once the rollback has let go, onto the slot production left.
    expect(await deploy).toMatchObject({ status: 'succeeded', outputs: expect.objectContaining({ GREEN_SLOT: 'a' }) });
    h.check();
  });

  test('a rollback whose caller stops polling lets go by itself; a later request picks the scale-up up where it is', async () => {
    const { h } = await retired();
    expect(await h.driver.rollback({ requestId: 'abandoned' })).toMatchObject({ outcome: 'in-progress' });
    // The hold lapses after the swap function's timeout plus a minute.
    wait(h, h.stack.config.operationTimeoutSeconds + 75);
    const { answers } = await rollbackPolling(h, 'picked-up');
    expect(answers.at(-1)).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });
    h.check({ settled: true });
  });

  test('the rollback still refuses when the previous digest is gone from the repository', async () => {
    const { h, v1 } = await retired();
    const repo = h.world.ecr.repositories.get(h.stack.config.repositoryName)!;
    repo.images.delete(v1.image.digest);
    for (const [tag, digest] of [...repo.tags]) if (digest === v1.image.digest) repo.tags.delete(tag);

    const answer = await h.driver.rollback({ requestId: 'gone' });
    expect(answer).toMatchObject({ outcome: 'refused', state: 'old', liveSlot: 'a' });
    expect(answer!.message).toMatch(new RegExp(`previous digest ${v1.image.digest} is gone from the repository`));
    expect(service(h, 'b').desiredCount).toBe(0);
    h.check({ settled: true });
  });

  test('the schedule skips the slot when a release holds the lease, and when a rollback has moved production since', async () => {
    const h = harness();
    await h.driver.release('v1');
    await h.driver.release('v2');
    // A third release is deploying (onto slot b, the previous slot) when v2's schedule fires.
    const v3 = h.driver.start('v3');
    expect(await h.driver.deploy(v3)).toMatchObject({ status: 'succeeded' });
    wait(h, RETENTION + 30);
    const answers = (await h.fireSchedules()) as OperatorResult[];
    const v2Answer = answers.find((a) => /holds the slots/.test(a.message));
    expect(v2Answer).toMatchObject({ outcome: 'refused' });
    expect(service(h, 'b').desiredCount).toBe(2);
    h.driver.approve(v3);
    expect(await h.driver.swap(v3)).toMatchObject({ status: 'succeeded' });

    // After a rollback, v3's schedule finds production back on slot a: slot b is not its previous slot any more.
    expect(await h.driver.rollback({ requestId: 'back-to-v2' })).toMatchObject({ outcome: 'rolled-back', liveSlot: 'a' });
    wait(h, RETENTION + 30);
    const later = (await h.fireSchedules()) as OperatorResult[];
    expect(later).toEqual([expect.objectContaining({ outcome: 'refused', message: expect.stringMatching(/production is on slot a now, not slot b/) })]);
    expect(service(h, 'a').desiredCount).toBe(2);
    expect(service(h, 'b').desiredCount).toBe(2);
    h.check({ settled: true });
  });

  test('with a bake, Bake schedules the scale-down when the window passes; a failed bake schedules nothing', async () => {
    const h = harness();
    const bake = addBake(h, { windowSeconds: 120 });
    const v1 = await h.driver.release('v1');
    expect(h.scheduler!.schedules.size).toBe(0);
    expect(await bake.run(v1)).toMatchObject({ status: 'succeeded' });
    expect([...h.scheduler!.schedules.keys()]).toEqual([`${h.stack.config.previousSlotRetention!.scheduleGroupName}/retire-${v1.execution.id}`]);
    const v2 = await h.driver.release('v2');
    const failed = await bake.run(v2, { beforePoll: (poll) => void (poll === 1 && bake.alarms.set('app-slot-a-5xx', 'ALARM')) });
    expect(failed).toMatchObject({ status: 'failed' });
    expect(h.scheduler!.schedules.has(`${h.stack.config.previousSlotRetention!.scheduleGroupName}/retire-${v2.execution.id}`)).toBe(false);
    h.check({ settled: true });
  });

  test('only the control plane\'s own schedule retires, never early, never a slot a rollback is bringing back, and a busy one is retried', async () => {
    const h = harness();
    const v1 = await h.driver.release('v1');
    const v2 = await h.driver.release('v2');
    const event = JSON.parse([...h.scheduler!.schedules.values()].find((x) => x.name === `retire-${v2.execution.id}`)!.input.Target.Input);
    // A hand-made retire (anyone allowed to invoke the function) is refused, as is the real one before its time.
    expect(await h.driver.invokeSwap({ ...event, requestId: 'mine' })).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/not the control plane's schedule/) });
    expect(await h.driver.invokeSwap({ ...event, actor: 'arn:aws:sts::111122223333:assumed-role/OnCall/eve' })).toMatchObject({ outcome: 'refused' });
    expect(await h.driver.invokeSwap(event)).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/less than previousSlotRetention's 600 s/) });
    expect(service(h, 'b').desiredCount).toBe(2);

    // The slots held when the schedule fires: the invoke fails, so Lambda retries it.
    wait(h, RETENTION + 30);
    const store = ssmLeaseStore({ ssm: new SSMClient({}) }, h.stack.config.leaseParameterPath, h.stack.config.stateKeyArn);
    const until = new Date(h.world.now() + 90_000).toISOString();
    expect(await store.write(nextLease(await store.read(), { operation: { id: 'rollback:someone', kind: 'rollback', until } }, 'test', new Date(h.world.now())))).toBe('written');
    expect(await h.driver.invokeSwap(event)).toBeUndefined();
    expect(String((h.driver.lastDelivery as { thrown?: Error }).thrown)).toMatch(/RetireLaterError: Retire not started and nothing changed: a rollback \(rollback:someone\)/);
    expect(service(h, 'b').desiredCount).toBe(2);
    // Lambda's retry, once the hold has lapsed.
    wait(h, 120);
    expect(await h.driver.invokeSwap(event)).toMatchObject({ outcome: 'retired' });
    expect(service(h, 'b').desiredCount).toBe(0);
    void v1;
    h.check({ settled: true });
  });

  test('a duplicate retire while a rollback brings the slot back changes nothing', async () => {
    const h = harness();
    await h.driver.release('v1');
    const v2 = await h.driver.release('v2');
    wait(h, RETENTION + 30);
    const event = JSON.parse([...h.scheduler!.schedules.values()].find((x) => x.name === `retire-${v2.execution.id}`)!.input.Target.Input);
    await h.fireSchedules();
    expect(await h.driver.rollback({ requestId: 'bring-back' })).toMatchObject({ outcome: 'in-progress' });
    // The rollback's caller went away; its hold lapsed; Scheduler delivers the retire again.
    wait(h, h.stack.config.operationTimeoutSeconds + 75);
    expect(await h.driver.invokeSwap(event)).toMatchObject({ outcome: 'already-done', message: expect.stringMatching(/what runs there now is a rollback's/) });
    expect(service(h, 'b').desiredCount).toBe(2);
    const { answers } = await rollbackPolling(h, 'bring-back');
    expect(answers.at(-1)).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });
    h.check({ settled: true });
  });

  test('without previousSlotRetention a slot at zero is refused with what to do, and nothing is scheduled', async () => {
    const h = createReleaseHarness({ clock: useWorldClock });
    await h.driver.release('v1');
    await h.driver.release('v2');
    h.world.ecs.commands.UpdateService({ cluster: h.stack.config.clusterArn, service: h.stack.config.slots.b.serviceArn, desiredCount: 0 });
    wait(h, 60);
    const answer = await h.driver.rollback({ requestId: 'manual-scale-down' });
    expect(answer).toMatchObject({ outcome: 'refused', state: 'old' });
    expect(answer!.message).toMatch(/slot b has no tasks \(desired count 0\), so scale it back up first \(with previousSlotRetention, a rollback does that itself\)/);
    expect(h.scheduler).toBeNull();
  });
});
