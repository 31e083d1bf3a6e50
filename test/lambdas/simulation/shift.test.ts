// Traffic shifting through the real handlers: a shifting Swap's continuation chain against the
// in-memory world, with promote, abort and rollback at a step, alarms, an unready candidate,
// faults at every AWS call of a step, and duplicated step jobs. The harness checks invariants 1,
// 2, 3, 5 (weights included: every slot with a weight above zero serves approved digests on
// healthy targets, and the record knows the weights) and 8 after every handler invocation.
import { AwsWorld, FaultKind } from '../../support/aws-model';
import { BakeWorld, addBake, uninstallCloudWatch } from '../../support/bake-world';
import { isOneSentence, releaseSnapshot } from '../../support/invariants';
import { useWorldClock } from '../../support/jest-world';
import { Release } from '../../support/release-driver';
import { HarnessOptions, ReleaseHarness, createReleaseHarness } from '../../support/release-harness';
import { LABEL, SlotName } from '../../support/release-stack';

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
  jest.useRealTimers();
});

const CANARY = { percents: [10], holdSeconds: 60 };
const LINEAR = { percents: [20, 40, 60, 80], holdSeconds: 30 };

// The driver delivers a job every tick (15 s): `swap(v, { maxPolls: n })` covers (n - 1) × 15 s, so
// with LINEAR (30 s a step) two polls end on 20%, three on 40% (the third poll, at 30 s, is due).
const harness = (trafficShift: HarnessOptions['trafficShift'], opts: HarnessOptions = {}) => createReleaseHarness({ clock: useWorldClock, trafficShift, ...opts });

/**
 * v1 live on slot b (the first release goes all at once: nothing to shift from; baked when a bake
 * is given), v2 deployed to slot a and approved.
 */
async function shifting(h: ReleaseHarness, bake?: BakeWorld): Promise<{ v1: Release; v2: Release }> {
  const v1 = await h.driver.release('v1');
  if (bake) expect((await bake.run(v1)).status).toBe('succeeded');
  const v2 = h.driver.start('v2');
  expect(await h.driver.deploy(v2)).toMatchObject({ status: 'succeeded', outputs: { GREEN_SLOT: 'a' } });
  h.driver.approve(v2);
  return { v1, v2 };
}

/** The production writes since call `from`, as each slot's share. */
function productionWrites(h: ReleaseHarness, from: number): string[] {
  return h.world.callsSince(from, { service: 'elbv2', command: 'ModifyRule' }).flatMap((c) => {
    const input = c.input as { RuleArn: string; Actions: { TargetGroupArn?: string; ForwardConfig?: { TargetGroups: { TargetGroupArn: string; Weight: number }[] } }[] };
    const rule = input.RuleArn === h.stack.config.productionRuleArn ? 'production' : 'test';
    const groups = input.Actions[0].ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: input.Actions[0].TargetGroupArn!, Weight: 100 }];
    return [`${rule} ${groups.map((g) => `${h.stack.slotOfTargetGroup(g.TargetGroupArn)}=${g.Weight}`).join(' ')}`];
  });
}

const labelsOf = (h: ReleaseHarness) => Object.values(h.stack.labels()).map((t) => [t[LABEL.liveSlot], t['bluegreen:traffic']]);

describe('a canary shift', () => {
  test('10% for a minute, then 100%: each step recorded before it is written, labelled after, the test route on the candidate until the end', async () => {
    const h = harness(CANARY);
    const { v1, v2 } = await shifting(h);
    const from = h.world.calls.length;

    const first = await h.driver.swap(v2, { maxPolls: 1 });
    expect(first.status).toBe('in-progress');
    expect(h.stack.traffic()).toEqual({ a: 10, b: 90 });
    expect(h.stack.testSlot()).toBe('a');
    expect(labelsOf(h)).toEqual(Array(4).fill(['b', 'a=10 b=90']));
    expect(h.stack.state()).toMatchObject({
      liveSlot: 'b',
      liveDigest: v1.image.digest,
      shift: { executionId: v2.execution.id, toSlot: 'a', digest: v2.image.digest, percent: 10, fromPercent: 0, step: 1, steps: 2 },
    });
    expect(h.world.codepipeline.job(first.jobIds[0]).result!.executionDetails!.summary).toMatch(/^Step 1 of 2: a=10 b=90 on sha256:/);
    expect(h.world.sns.published.map((m) => m.subject)).toContain('Shift to slot a: app-pipeline');

    const swap = await h.driver.swap(v2);
    expect(swap).toMatchObject({ status: 'succeeded', outputs: { LIVE_SLOT: 'a', LIVE_DIGEST: v2.image.digest, PREVIOUS_DIGEST: v1.image.digest } });
    expect(productionWrites(h, from)).toEqual(['production b=90 a=10', 'production a=100', 'test b=100']);
    // The hold: the 100% write came a minute (at least) after the 10% one.
    const [step1, step2] = h.world.callsSince(from, { service: 'elbv2', command: 'ModifyRule' });
    expect(step2.at - step1.at).toBeGreaterThanOrEqual(60_000);
    expect(h.stack.traffic()).toEqual({ a: 100, b: 0 });
    expect(h.stack.testSlot()).toBe('b');
    expect(labelsOf(h)).toEqual(Array(4).fill(['a', 'a=100']));
    const state = h.stack.state()!;
    expect(state).toMatchObject({ liveSlot: 'a', liveDigest: v2.image.digest, previousDigest: v1.image.digest, liveReleaseId: v2.execution.id, lastOperation: 'swap' });
    expect(state.shift).toBeUndefined();
    expect(h.world.sns.published.map((m) => m.subject).slice(-1)).toEqual(['Swap to slot a: app-pipeline']);
    expect(h.world.codepipeline.execution(v2.execution.id).status).toBe('Succeeded');
    h.check({ settled: true });
  });

  test('the first release goes all at once: nothing was live to shift from', async () => {
    const h = harness(CANARY);
    const from = h.world.calls.length;
    await h.driver.release('v1');
    expect(productionWrites(h, from)).toEqual(['production b=100', 'test a=100']);
    expect(h.stack.state()!.shift).toBeUndefined();
    h.check({ settled: true });
  });

  test('a first release whose record did not land is finished by the stage retry all at once, recorded once', async () => {
    const h = harness(CANARY);
    const v1 = h.driver.start('v1');
    await h.driver.deploy(v1);
    h.driver.approve(v1);
    h.world.faults.when((c) => c.command === 'PutParameter' && (c.input as { Name: string }).Name === h.stack.config.stateParameterName, 'unavailable', { times: 2 });
    const failed = await h.driver.swap(v1);
    expect(failed).toMatchObject({ status: 'failed', message: expect.stringMatching(/new state: production serves slot b but writing the state record failed/) });
    h.world.faults.clear();
    const retried = await h.driver.swap(v1);
    expect(retried).toMatchObject({ status: 'succeeded', outputs: { LIVE_SLOT: 'b', LIVE_DIGEST: v1.image.digest } });
    expect(h.stack.state()).toMatchObject({ liveSlot: 'b', liveReleaseId: v1.execution.id, history: [expect.objectContaining({ executionId: v1.execution.id })] });
    expect(h.stack.state()!.history).toHaveLength(1);
    h.check({ settled: true });
  });

  test('stickiness is written with every weighted rule, and gone once production is on one slot', async () => {
    const h = harness({ ...LINEAR, stickinessSeconds: 3600 });
    const { v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 1 });
    expect(h.world.elbv2.stickinessOf(h.stack.config.productionRuleArn)).toBe(3600);
    await h.driver.swap(v2);
    expect(h.world.elbv2.stickinessOf(h.stack.config.productionRuleArn)).toBe(0);
    h.check({ settled: true });
  });
});

describe('a linear shift', () => {
  test('20% more every 30 seconds: four weighted steps and the last, each after its hold', async () => {
    const h = harness(LINEAR);
    const { v2 } = await shifting(h);
    const from = h.world.calls.length;
    expect((await h.driver.swap(v2)).status).toBe('succeeded');
    expect(productionWrites(h, from)).toEqual(['production b=80 a=20', 'production b=60 a=40', 'production b=40 a=60', 'production b=20 a=80', 'production a=100', 'test b=100']);
    const writes = h.world.callsSince(from, { service: 'elbv2', command: 'ModifyRule' }).slice(0, 5).map((c) => c.at);
    for (let i = 1; i < writes.length; i++) expect(writes[i] - writes[i - 1]).toBeGreaterThanOrEqual(30_000);
    h.check({ settled: true });
  });

  test('a Bake after the shift watches the new live slot as after any swap, and ends the release', async () => {
    const h = harness(LINEAR);
    const bake = addBake(h, { windowSeconds: 60 });
    const { v2 } = await shifting(h, bake);
    expect((await h.driver.swap(v2)).status).toBe('succeeded');
    expect(await bake.run(v2)).toMatchObject({ status: 'succeeded', outputs: { BAKED_SLOT: 'a' } });
    expect(h.world.codepipeline.execution(v2.execution.id).status).toBe('Succeeded');
    h.check({ settled: true });
  });
});

describe('a shift that must stop', () => {
  test('an alarm on the candidate during a step: one route write puts 100% back, the execution fails with one sentence, the audit topic hears it', async () => {
    const h = harness(LINEAR);
    const { v1, v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 2 });
    expect(h.stack.traffic()).toEqual({ a: 20, b: 80 });
    h.alarms!.set('app-slot-a-5xx', 'ALARM');
    const from = h.world.calls.length;
    const swap = await h.driver.swap(v2);

    expect(swap.status).toBe('failed');
    expect(isOneSentence(swap.message)).toBe(true);
    expect(swap.message).toMatch(/^Swap failed and production is back on slot b: the traffic shift to slot a stopped because alarm app-slot-a-5xx fired on slot a at 20% \(step 1\)\.$/);
    expect(productionWrites(h, from)).toEqual(['production b=100']);
    expect(h.stack.traffic()).toEqual({ a: 0, b: 100 });
    expect(h.stack.testSlot()).toBe('a');
    expect(h.stack.state()).toMatchObject({ liveSlot: 'b', liveDigest: v1.image.digest, previousDigest: v2.image.digest, previousReleaseId: v2.execution.id, lastOperation: 'abort' });
    expect(h.stack.state()!.shift).toBeUndefined();
    expect(h.stack.state()!.history[0]).toMatchObject({ operation: 'abort', fromSlot: 'a', toSlot: 'b', by: `swap:${v2.execution.id}`, reason: expect.stringMatching(/^shift: alarm app-slot-a-5xx fired/) });
    const audit = h.world.sns.published.slice(-1)[0];
    expect(audit.subject).toBe('Abort to slot b: app-pipeline');
    expect(JSON.parse(audit.message)).toMatchObject({ operation: 'abort', toSlot: 'b', liveDigest: v1.image.digest, traffic: 'b=100' });
    expect(labelsOf(h)).toEqual(Array(4).fill(['b', 'b=100']));
    h.check({ settled: true });

    // The slots are free again: the next release deploys to the candidate slot and shifts.
    h.alarms!.set('app-slot-a-5xx', 'OK');
    const v3 = h.driver.start('v3');
    expect(await h.driver.deploy(v3)).toMatchObject({ status: 'succeeded', outputs: { GREEN_SLOT: 'a' } });
    h.driver.approve(v3);
    expect((await h.driver.swap(v3)).status).toBe('succeeded');
    h.check({ settled: true });
  });

  test('a candidate that is no longer ready before an increase is refused, and the shift goes back at once', async () => {
    const h = harness(LINEAR);
    const { v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 1 });
    h.world.ecs.liveTasks(h.stack.config.slots.a.serviceArn)[0].health = 'unhealthy';
    const swap = await h.driver.swap(v2);
    expect(swap.status).toBe('failed');
    expect(swap.message).toMatch(/stopped because the candidate failed its check before step 2: slot a has 1 healthy target\(s\), needs 2\.$/);
    expect(h.stack.traffic()).toEqual({ a: 0, b: 100 });
    h.check({ settled: true });
  });

  test('a missing alarm fails closed: the shift goes back rather than go on unwatched', async () => {
    const h = harness(CANARY);
    const { v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 1 });
    h.alarms!.delete(`${h.stack.pipelineName}-bake-slot-a`);
    const swap = await h.driver.swap(v2);
    expect(swap.message).toMatch(/cannot watch alarm\(s\) app-pipeline-bake-slot-a on slot a at 10%/);
    expect(h.stack.traffic()).toEqual({ a: 0, b: 100 });
    h.check({ settled: true });
  });
});

describe('operators during a shift', () => {
  test('promote skips the remaining steps after the same verification; the Swap job then succeeds', async () => {
    const h = harness(LINEAR);
    const { v1, v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 2 });
    const from = h.world.calls.length;
    const result = await h.driver.promote({ actor: 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/carol', expectedLiveSlot: 'b' });
    expect(result).toMatchObject({ outcome: 'promoted', liveSlot: 'a', liveDigest: v2.image.digest, previousDigest: v1.image.digest, state: 'new', traffic: 'a=100' });
    expect(result!.message).toMatch(/^Production moved to slot a \(sha256:\w+\) alone, skipping the rest of the traffic shift from 20%\.$/);
    expect(productionWrites(h, from)).toEqual(['production a=100', 'test b=100']);
    expect(h.stack.state()).toMatchObject({ liveSlot: 'a', liveReleaseId: v2.execution.id, lastOperation: 'promote', changedBy: 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/carol' });
    expect(h.world.sns.published.slice(-1)[0].subject).toBe('Promote to slot a: app-pipeline');
    // The same promote again (Lambda's own retry of the invoke) changes nothing.
    const snapshot = releaseSnapshot(h.world);
    expect(await h.driver.redeliver()).toMatchObject({ outcome: 'already-done' });
    expect(releaseSnapshot(h.world)).toEqual(snapshot);

    const swap = await h.driver.swap(v2);
    expect(swap).toMatchObject({ status: 'succeeded', outputs: { LIVE_SLOT: 'a', LIVE_DIGEST: v2.image.digest, PREVIOUS_DIGEST: v1.image.digest } });
    expect(h.world.codepipeline.job(swap.jobIds.slice(-1)[0]).result!.executionDetails!.summary).toMatch(/promoted by .*carol/);
    expect(productionWrites(h, from)).toHaveLength(2);
    // A promote with no shift under way is refused.
    expect(await h.driver.promote()).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/no traffic shift is in progress/) });
    h.check({ settled: true });

    // The promoted release is a release like any other: a rollback later proves it and goes back.
    expect(await h.driver.rollback({ expectedLiveSlot: 'a' })).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b', liveDigest: v1.image.digest });
  });

  test('promote of a candidate that is not ready is refused, and the shift carries on', async () => {
    const h = harness(LINEAR);
    const { v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 1 });
    const task = h.world.ecs.liveTasks(h.stack.config.slots.a.serviceArn)[0];
    task.health = 'unhealthy';
    expect(await h.driver.promote()).toMatchObject({ outcome: 'refused', state: 'old', traffic: 'a=20 b=80', message: expect.stringMatching(/slot a cannot take all of production: slot a has 1 healthy target\(s\), needs 2\.$/) });
    expect(h.stack.traffic()).toEqual({ a: 20, b: 80 });
    h.check();
  });

  test.each(['abort', 'rollback'] as const)('%s at a step: all of production back on the live slot in one route write; the Swap job fails saying who', async (how) => {
    const h = harness(LINEAR);
    const { v1, v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 3 });
    expect(h.stack.traffic()).toEqual({ a: 40, b: 60 });
    const from = h.world.calls.length;
    const actor = 'arn:aws:sts::111122223333:assumed-role/OnCall/dana';
    const result = how === 'abort' ? await h.driver.abort({ actor, reason: 'p99 up' }) : await h.driver.rollback({ actor, reason: 'p99 up' });
    expect(result).toMatchObject({ outcome: how === 'abort' ? 'aborted' : 'rolled-back', liveSlot: 'b', liveDigest: v1.image.digest, previousDigest: v2.image.digest, state: 'new', traffic: 'b=100' });
    expect(result!.message).toMatch(/^Production is back on slot b \(sha256:\w+\) alone: the traffic shift to slot a was stopped at 40%\.$/);
    expect(productionWrites(h, from)).toEqual(['production b=100']);
    expect(h.stack.state()).toMatchObject({ liveSlot: 'b', lastOperation: how, changedBy: actor });
    expect(h.world.sns.published.slice(-1)[0].subject).toBe(`${how === 'abort' ? 'Abort' : 'Rollback'} to slot b: app-pipeline`);

    const swap = await h.driver.swap(v2);
    expect(swap.status).toBe('failed');
    expect(swap.message).toBe(`Swap failed and nothing more was changed: the traffic shift to slot a was aborted by ${actor} (p99 up): production serves slot b alone.`);
    expect(productionWrites(h, from)).toHaveLength(1);
    h.check({ settled: true });
  });

  test('abort with no shift under way is refused and changes nothing', async () => {
    const h = harness(LINEAR);
    await h.driver.release('v1');
    const before = releaseSnapshot(h.world);
    expect(await h.driver.abort()).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/no traffic shift is in progress \(production serves slot b alone\), so there is nothing to abort/) });
    expect(releaseSnapshot(h.world)).toEqual(before);
  });

  test('while a step is being written the slots are busy: promote and abort answer busy and change nothing', async () => {
    const h = harness(LINEAR);
    const { v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 1 });
    // The step's operation hold, as if its invocation were still running.
    h.world.faults.clear();
    const lease = await import('../../../lambdas/adapters/ssm');
    const store = lease.ssmLeaseStore({ ssm: new (await import('@aws-sdk/client-ssm')).SSMClient({}) }, h.stack.config.leaseParameterPath, h.stack.config.stateKeyArn);
    const current = await store.read();
    const { nextLease } = await import('../../../lambdas/core/lease');
    await store.write(nextLease(current, { operation: { id: `swap:${v2.execution.id}`, kind: 'swap', until: new Date(h.world.now() + 60_000).toISOString() } }, 'test', new Date(h.world.now())));
    const before = releaseSnapshot(h.world);
    expect(await h.driver.abort()).toMatchObject({ outcome: 'busy', state: 'old' });
    expect(await h.driver.promote()).toMatchObject({ outcome: 'busy', state: 'old' });
    expect(releaseSnapshot(h.world)).toEqual(before);
  });
});

describe('a shift left split by a release that ended', () => {
  test('the next DeployGreen refuses and says how to go on; abort frees it; promote of an ended release is refused', async () => {
    const h = harness(LINEAR);
    const { v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 2 });
    h.world.codepipeline.stopExecution(v2.execution.id, true);
    expect(h.world.codepipeline.execution(v2.execution.id).status).not.toBe('InProgress');
    const v3 = h.driver.start('v3');
    const refused = await h.driver.deploy(v3);
    expect(refused.status).toBe('failed');
    expect(refused.message).toMatch(/splits traffic \(a=20 b=80\): a traffic shift is in progress; promote or abort it first/);
    expect(await h.driver.promote()).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/no longer runs or holds the slots; abort the shift, or release again/) });
    expect(await h.driver.abort()).toMatchObject({ outcome: 'aborted', traffic: 'b=100' });
    const v4 = h.driver.start('v4');
    expect(await h.driver.deploy(v4)).toMatchObject({ status: 'succeeded', outputs: { GREEN_SLOT: 'a' } });
    h.check();
  });
});

describe('faults and duplicates at a step', () => {
  const kinds: FaultKind[] = ['throttle', 'unavailable'];

  test.each([
    ['a middle step (linear, 20% → 40%)', LINEAR, 2, { a: 40, b: 60 }],
    ['the last step (canary, 10% → 100%, and the test route)', CANARY, 4, { a: 100, b: 0 }],
  ])('a fault at any AWS call of %s, its response lost or not, leaves weights the record knows, and the shift still ends whole', async (_what, plan, polls, after) => {
    // The step is the poll after `polls` polls and a tick: the one at which the hold is over.
    const toStep = async (h: ReleaseHarness, v2: Release) => {
      await h.driver.swap(v2, { maxPolls: polls });
      h.world.tick();
    };
    const probe = harness(plan);
    const { v2: p2 } = await shifting(probe);
    await toStep(probe, p2);
    const stepStart = probe.world.calls.length;
    await probe.driver.swap(p2, { maxPolls: 1 });
    const callsInStep = probe.world.calls.length - stepStart;
    expect(probe.stack.traffic()).toEqual(after);
    expect(callsInStep).toBeGreaterThan(10);

    const failures: string[] = [];
    for (let at = 0; at < callsInStep; at++) {
      for (const lost of [false, true]) {
        const h = harness(plan);
        const { v2 } = await shifting(h);
        await toStep(h, v2);
        h.world.faults.failAtCall(h.world.calls.length + at, kinds[at % 2], { afterEffect: lost });
        const swap = await h.driver.swap(v2);
        h.world.faults.clear();
        // A step that did not land is taken again at the next poll; nothing here needs an abort.
        if (swap.status !== 'succeeded') failures.push(`${at}${lost ? ' (lost)' : ''}: ${h.world.callsSince(0).find((c) => c.fault)?.command} → ${swap.message}`);
        h.check({ settled: true });
      }
    }
    expect(failures).toEqual([]);
  });

  test('a duplicated step job, delivered again after its step, writes nothing and changes nothing', async () => {
    const h = harness(LINEAR);
    const { v2 } = await shifting(h);
    await h.driver.swap(v2, { maxPolls: 3 });
    const stepJob = h.driver.lastDelivery!;
    expect(h.stack.traffic()).toEqual({ a: 40, b: 60 });
    const before = releaseSnapshot(h.world);
    const from = h.world.calls.length;
    await h.driver.redeliver(stepJob);
    expect(productionWrites(h, from)).toEqual([]);
    expect(releaseSnapshot(h.world)).toEqual(before);
    expect((await h.driver.swap(v2)).status).toBe('succeeded');
    h.check({ settled: true });
  });

  test('a duplicated first Swap job during the shift carries on from where the routes are, without a write', async () => {
    const h = harness(LINEAR);
    const { v2 } = await shifting(h);
    const first = await h.driver.swap(v2, { maxPolls: 1 });
    const from = h.world.calls.length;
    const before = releaseSnapshot(h.world);
    await h.driver.redeliver(h.driver.deliveries.find((d) => d.kind === 'job' && d.jobId === first.jobIds[0]));
    expect(productionWrites(h, from)).toEqual([]);
    expect(releaseSnapshot(h.world)).toEqual(before);
    h.check();
  });
});

describe('the weights of every slot', () => {
  test.each<[string, SlotName]>([['promote', 'a'], ['abort', 'b']])('labels and record name each slot and its share through the shift and after %s', async (how, live) => {
    const h = harness(LINEAR);
    const { v2 } = await shifting(h);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      if (i > 0) h.world.tick(2);
      await h.driver.swap(v2, { maxPolls: 1 });
      const t = h.stack.traffic();
      seen.push(`a=${t.a} b=${t.b}`);
      for (const [slot, traffic] of labelsOf(h)) {
        expect(slot).toBe('b');
        expect(traffic).toBe(t.b === 100 ? 'b=100' : `a=${t.a} b=${t.b}`);
      }
      expect(h.stack.state()!.shift!.percent).toBe(t.a);
    }
    expect(seen).toEqual(['a=20 b=80', 'a=40 b=60', 'a=60 b=40', 'a=80 b=20']);
    await (how === 'promote' ? h.driver.promote() : h.driver.abort());
    expect(labelsOf(h)).toEqual(Array(4).fill([live, `${live}=100`]));
    h.check();
  });
});

describe('a header test route on the production listener', () => {
  const TEST_HEADER = { name: 'X-Release-Test', value: 'green' };

  test('every deploy, swap, step and rollback keeps the header rule on the slot production does not serve; its conditions never change', async () => {
    const h = harness(LINEAR, { testHeader: TEST_HEADER });
    const rule = () => h.world.elbv2.rules.get(h.stack.config.testRuleArn)!;
    const conditions = rule().conditions;
    const v1 = await h.driver.release('v1');
    expect(h.stack.testSlot()).toBe('a');
    const v2 = h.driver.start('v2');
    const deploy = await h.driver.deploy(v2);
    expect(deploy.outputs).toMatchObject({
      TEST_URL: 'http://app-alb-1234567890.us-east-1.elb.amazonaws.com',
      TEST_HEADER: 'X-Release-Test: green',
      TEST_COMMAND: "curl -H 'X-Release-Test: green' http://app-alb-1234567890.us-east-1.elb.amazonaws.com",
    });
    h.driver.approve(v2);
    await h.driver.swap(v2, { maxPolls: 2 });
    expect(h.stack.traffic()).toEqual({ a: 20, b: 80 });
    expect(h.stack.testSlot()).toBe('a');
    expect((await h.driver.swap(v2)).status).toBe('succeeded');
    expect(h.stack.testSlot()).toBe('b');
    expect(await h.driver.rollback()).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b', liveDigest: v1.image.digest });
    expect(h.stack.testSlot()).toBe('a');
    // The rules stay where the infra owner put them: the header rule first, production behind it.
    expect(rule()).toMatchObject({ listenerArn: h.stack.ids.productionListenerArn, priority: 1, conditions });
    expect(h.world.elbv2.rules.get(h.stack.config.productionRuleArn)).toMatchObject({ listenerArn: h.stack.ids.productionListenerArn, priority: 2 });
    h.check({ settled: true });
  });
});
