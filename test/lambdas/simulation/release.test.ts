// Release simulation: the real DeployGreen and Swap handlers driven like CodePipeline drives them,
// against the in-memory AWS world, checking DESIGN.md invariants after every handler return.
import { AwsWorld, FaultKind } from '../../support/aws-model';
import { checkFailuresCarryExecutionId, isOneSentence, labelsMatchRoutes, releaseSnapshot } from '../../support/invariants';
import { useWorldClock } from '../../support/jest-world';
import { Release, RollbackResult } from '../../support/release-driver';
import { HarnessOptions, ReleaseHarness, createReleaseHarness } from '../../support/release-harness';
import { LABEL } from '../../support/release-stack';

afterAll(() => {
  AwsWorld.uninstall();
  jest.useRealTimers();
});

const harness = (opts: HarnessOptions = {}) => createReleaseHarness({ clock: useWorldClock, ...opts });

/** Build, deploy and approve; the release waits for its Swap job. */
async function approved(h: ReleaseHarness, label: string): Promise<Release> {
  const release = h.driver.start(label);
  const deploy = await h.driver.deploy(release);
  expect(deploy).toMatchObject({ status: 'succeeded' });
  h.driver.approve(release);
  return release;
}

function routes(h: ReleaseHarness) {
  return { production: h.stack.liveSlot(), test: h.stack.testSlot() };
}

function acceptedResults(h: ReleaseHarness, jobId: string) {
  return h.world.codepipeline.job(jobId).attempts.filter((a) => a.accepted);
}

describe('a release through the pipeline', () => {
  test('the first release deploys to slot b, waits until healthy, and the swap makes it live', async () => {
    const h = harness();
    const release = h.driver.start('v1');
    const deploy = await h.driver.deploy(release);

    expect(deploy.status).toBe('succeeded');
    expect(deploy.outputs).toEqual({ GREEN_SLOT: 'b', IMAGE_DIGEST: release.image.digest, TEST_URL: h.stack.config.testUrl, COMMIT: release.image.commit, TEST_HEADER: '', TEST_COMMAND: `curl ${h.stack.config.testUrl}` });
    // One job per poll: all but the last continue, the last carries the outputs.
    expect(deploy.jobIds.length).toBeGreaterThan(2);
    for (const id of deploy.jobIds.slice(0, -1)) expect(acceptedResults(h, id)).toEqual([expect.objectContaining({ kind: 'success', continuationToken: expect.any(String) })]);
    expect(JSON.parse(h.world.codepipeline.job(deploy.jobIds[0]).result!.continuationToken!)).toMatchObject({ slot: 'b', digest: release.image.digest, commit: release.image.commit });
    expect(h.world.countCalls().routeWrites).toBe(0);
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    expect(h.world.ecr.tagOf('app', 'slot-b')).toBe(release.image.digest);
    expect(h.stack.servingDigests('b')).toEqual([release.image.digest, release.image.digest]);

    h.driver.approve(release, 'arn:aws:iam::111122223333:user/approver-ann');
    const swap = await h.driver.swap(release);

    expect(swap).toMatchObject({ status: 'succeeded', outputs: { LIVE_SLOT: 'b', LIVE_DIGEST: release.image.digest, PREVIOUS_DIGEST: '' } });
    expect(acceptedResults(h, swap.jobIds[0])).toHaveLength(1);
    expect(routes(h)).toEqual({ production: 'b', test: 'a' });
    for (const tags of Object.values(h.stack.labels())) {
      expect(tags).toMatchObject({ [LABEL.liveSlot]: 'b', [LABEL.liveDigest]: release.image.digest, [LABEL.changedBy]: release.execution.id });
    }
    expect(h.stack.state()).toMatchObject({
      schema: 2,
      liveSlot: 'b',
      liveDigest: release.image.digest,
      previousDigest: null,
      lastExecutionId: release.execution.id,
      lastOperation: 'swap',
      commit: release.image.commit,
      changedAt: new Date(h.world.now()).toISOString(),
      changedBy: 'arn:aws:iam::111122223333:user/approver-ann',
      history: [{ operation: 'swap', executionId: release.execution.id, fromSlot: 'a', toSlot: 'b', digest: release.image.digest }],
    });
    expect(h.world.sns.published).toHaveLength(1);
    expect(h.world.sns.published[0].topicArn).toBe(h.stack.config.notificationTopicArn);
    expect(h.world.sns.published[0].message).toContain(release.execution.id);
    expect(h.world.sns.published[0].message).toContain(release.image.digest);
    expect(h.world.sns.published[0].message).toContain('approver-ann');
    expect(h.world.codepipeline.execution(release.execution.id).status).toBe('Succeeded');
    h.check({ settled: true });
  });

  test('the second release goes to the slot that is idle at run time and keeps the first one warm', async () => {
    const h = harness();
    const first = await h.driver.release('v1');
    const second = await approved(h, 'v2');
    expect(second.deploy!.outputs!.GREEN_SLOT).toBe('a');
    const swap = await h.driver.swap(second);

    expect(swap.outputs).toEqual({ LIVE_SLOT: 'a', LIVE_DIGEST: second.image.digest, PREVIOUS_DIGEST: first.image.digest });
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    expect(h.stack.servingDigests('b')).toEqual([first.image.digest, first.image.digest]);
    expect(h.stack.state()).toMatchObject({ liveSlot: 'a', liveDigest: second.image.digest, previousDigest: first.image.digest });
    expect(h.stack.state()!.history.map((e) => e.executionId)).toEqual([second.execution.id, first.execution.id]);
    expect(labelsMatchRoutes(h.stack)).toBe(true);
    h.check({ settled: true });
  });

  test('a rejected approval leaves production untouched and the next release still goes through', async () => {
    const h = harness();
    const first = await h.driver.release('v1');
    const before = releaseSnapshot(h.world);
    const rejected = h.driver.start('v2');
    await h.driver.deploy(rejected);
    h.driver.reject(rejected);

    expect(h.world.codepipeline.execution(rejected.execution.id).status).toBe('Failed');
    expect(routes(h)).toEqual({ production: 'b', test: 'a' });
    expect(h.stack.state()).toMatchObject({ liveDigest: first.image.digest, lastExecutionId: first.execution.id });
    expect(h.stack.servingDigests('b')).toEqual([first.image.digest, first.image.digest]);
    expect(h.driver.approved.has(rejected.image.digest)).toBe(false);
    expect((releaseSnapshot(h.world) as { labels: unknown }).labels).toEqual((before as { labels: unknown }).labels);

    const third = await approved(h, 'v3');
    expect((await h.driver.swap(third)).status).toBe('succeeded');
    expect(h.stack.state()).toMatchObject({ liveSlot: 'a', liveDigest: third.image.digest, previousDigest: first.image.digest });
    h.check({ settled: true });
  });
});

describe('a green slot that never becomes healthy', () => {
  test('the circuit breaker fails DeployGreen with a reason and production is untouched', async () => {
    const h = harness();
    const first = await h.driver.release('v1');
    const bad = h.driver.start('v2-crashes');
    h.world.ecs.markBad(bad.image.digest, 'crash');
    const deploy = await h.driver.deploy(bad);

    expect(deploy.status).toBe('failed');
    expect(isOneSentence(deploy.message)).toBe(true);
    expect(deploy.message).toMatch(/circuit breaker/);
    expect(deploy.message).toMatch(/production is untouched/);
    expect(routes(h)).toEqual({ production: 'b', test: 'a' });
    expect(h.stack.servingDigests('b')).toEqual([first.image.digest, first.image.digest]);
    expect(h.world.countCalls().routeWrites).toBe(2);
    expect(() => h.driver.approve(bad)).toThrow(/before a successful deploy/);
    h.check({ settled: true });
  });

  test('a deployment that hangs fails at the deadline', async () => {
    const h = harness({ deployTimeoutSeconds: 300 });
    const bad = h.driver.start('v1-hangs');
    h.world.ecs.markBad(bad.image.digest, 'hang');
    const deploy = await h.driver.deploy(bad);

    expect(deploy.status).toBe('failed');
    expect(deploy.message).toMatch(/deadline/);
    expect(isOneSentence(deploy.message)).toBe(true);
    // Polled every tick (15 s) until the 300 s deadline, not beyond.
    expect(deploy.jobIds.length).toBeGreaterThanOrEqual(300 / 15);
    expect(deploy.jobIds.length).toBeLessThanOrEqual(300 / 15 + 2);
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    expect(h.stack.state()).toBeUndefined();
    h.check({ settled: true });
  });
});

describe('two and three executions in flight', () => {
  const inbound = (h: ReleaseHarness, stage: string) => h.world.codepipeline.inboundOf(h.stack.pipelineName, stage);

  test('the Release stage holds one execution: a later one waits inbound while the first waits for its approval', async () => {
    const h = harness();
    const first = await h.driver.release('v1');
    const pending = h.driver.start('v2');
    expect((await h.driver.deploy(pending)).status).toBe('succeeded');
    const later = h.driver.start('v3');

    // CodePipeline keeps v3 out of the stage: it never deploys, the approver tests exactly v2.
    expect(await h.driver.deploy(later)).toMatchObject({ status: 'queued' });
    expect(h.world.codepipeline.lockHolder(h.stack.pipelineName, 'Release')).toBe(pending.execution.id);
    expect(inbound(h, 'Release')).toEqual([later.execution.id]);
    expect(h.stack.servingDigests('a')).toEqual([pending.image.digest, pending.image.digest]);
    expect(h.world.ecr.tagOf('app', 'slot-a')).toBe(pending.image.digest);

    h.driver.approve(pending);
    expect((await h.driver.swap(pending)).status).toBe('succeeded');
    // v2 ended, so v3 entered the stage and deploys to the slot that is idle now (v1's).
    expect(inbound(h, 'Release')).toEqual([]);
    const deploy = await h.driver.deploy(later);
    expect(deploy).toMatchObject({ status: 'succeeded', outputs: { GREEN_SLOT: 'b' } });
    expect(h.stack.state()).toMatchObject({ liveSlot: 'a', liveDigest: pending.image.digest, previousDigest: first.image.digest });
    h.check();
  });

  test('three executions: rejecting the pending one lets the queue move on, in order (the hotfix path)', async () => {
    const h = harness();
    await h.driver.release('v1');
    const stuck = h.driver.start('v2');
    await h.driver.deploy(stuck);
    const second = h.driver.start('v3');
    const hotfix = h.driver.start('v4-hotfix');
    expect(inbound(h, 'Release')).toEqual([second.execution.id, hotfix.execution.id]);

    h.driver.reject(stuck);
    expect(h.world.codepipeline.lockHolder(h.stack.pipelineName, 'Release')).toBe(second.execution.id);
    expect(inbound(h, 'Release')).toEqual([hotfix.execution.id]);
    expect((await h.driver.deploy(hotfix)).status).toBe('queued');
    expect((await h.driver.deploy(second)).status).toBe('succeeded');
    h.world.codepipeline.expireApproval(second.execution.id);
    expect((await h.driver.deploy(hotfix)).status).toBe('succeeded');
    h.driver.approve(hotfix);
    expect((await h.driver.swap(hotfix)).status).toBe('succeeded');
    expect(h.stack.state()!.liveDigest).toBe(hotfix.image.digest);
    h.check({ settled: true });
  });

  test('GetPipelineState reports the waiting executions as the Release stage\'s inbound executions', async () => {
    const h = harness();
    const first = h.driver.start('v1');
    await h.driver.deploy(first);
    const second = h.driver.start('v2');
    const state = (await h.world.dispatch('codepipeline', 'GetPipelineState', { name: h.stack.pipelineName })) as {
      stageStates: { stageName: string; latestExecution?: { pipelineExecutionId: string; status: string }; inboundExecutions?: { pipelineExecutionId: string }[] }[];
    };
    const release = state.stageStates.find((st) => st.stageName === 'Release')!;
    expect(release.latestExecution).toEqual({ pipelineExecutionId: first.execution.id, status: 'InProgress' });
    expect(release.inboundExecutions!.map((e) => e.pipelineExecutionId)).toEqual([second.execution.id]);
  });
});

describe('the release lease, when pipeline semantics alone would let two releases overlap', () => {
  // One stage per action: CodePipeline locks DeployGreen, Approve and Swap separately, so a later
  // execution reaches DeployGreen while an earlier one waits for its approval.
  const overlapping = (opts: HarnessOptions = {}) => harness({ layout: 'stage-per-action', ...opts });

  test('a later DeployGreen waits for the lease instead of rolling the slot the approver is testing', async () => {
    const h = overlapping();
    await h.driver.release('v1');
    const pending = await approved(h, 'v2');
    const later = h.driver.start('v3');
    const waiting = await h.driver.deploy(later, { maxPolls: 5 });

    expect(waiting.status).toBe('in-progress');
    expect(h.world.codepipeline.job(waiting.jobIds[0]).result!.executionDetails!.summary).toMatch(/release lease.*release .* holds the slots/);
    expect(h.world.ecr.tagOf('app', 'slot-a')).toBe(pending.image.digest);
    expect(h.stack.servingDigests('a')).toEqual([pending.image.digest, pending.image.digest]);

    expect((await h.driver.swap(pending)).status).toBe('succeeded');
    // The swap ended v2's release (no bake here); v3 takes the lease over and deploys to the slot v2 left.
    expect(await h.driver.deploy(later)).toMatchObject({ status: 'succeeded', outputs: { GREEN_SLOT: 'b' } });
    expect(h.stack.state()!.liveDigest).toBe(pending.image.digest);
    h.check({ settled: true });
  });

  test('without the lease, the later DeployGreen re-tags the slot under review and the approved swap is refused', async () => {
    const h = overlapping({ withoutLease: true });
    await h.driver.release('v1');
    const pending = await approved(h, 'v2');
    const later = h.driver.start('v3');
    expect((await h.driver.deploy(later)).status).toBe('succeeded');
    expect(h.world.ecr.tagOf('app', 'slot-a')).toBe(later.image.digest);
    const swap = await h.driver.swap(pending);
    expect(swap.status).toBe('failed');
    expect(swap.message).toMatch(/not .*sha256|runs sha256/);
  });

  test('a later DeployGreen that keeps waiting for the lease fails at its deadline, having touched nothing', async () => {
    const h = overlapping({ deployTimeoutSeconds: 300 });
    await h.driver.release('v1');
    const holder = h.driver.start('v2');
    await h.driver.deploy(holder);
    const before = releaseSnapshot(h.world);
    const later = h.driver.start('v3');
    const deploy = await h.driver.deploy(later);

    expect(deploy.status).toBe('failed');
    expect(deploy.message).toMatch(/release lease was not free by the deadline \S+: release .* holds the slots and is still in progress/);
    expect(isOneSentence(deploy.message)).toBe(true);
    expect(releaseSnapshot(h.world)).toEqual(before);
    h.check({ settled: true });
  });
});

describe('duplicates and races', () => {
  test('a duplicated swap event changes nothing', async () => {
    const h = harness();
    await h.driver.release('v1');
    const release = await approved(h, 'v2');
    const swap = await h.driver.swap(release);
    const before = releaseSnapshot(h.world);
    const from = h.world.calls.length;
    const published = h.world.sns.published.length;

    await h.driver.redeliver();

    expect(releaseSnapshot(h.world)).toEqual(before);
    expect(h.world.countCalls(from).routeWrites).toBe(0);
    expect(h.world.sns.published).toHaveLength(published);
    expect(acceptedResults(h, swap.jobIds[0])).toHaveLength(1);
    h.check({ settled: true });
  });

  test('a duplicated DeployGreen start event does not restart the rollout', async () => {
    const h = harness();
    await h.driver.release('v1');
    const release = h.driver.start('v2');
    await h.driver.deploy(release, { maxPolls: 1 });
    const start = h.driver.lastDelivery!;
    const before = releaseSnapshot(h.world);

    await h.driver.redeliver(start);

    expect(releaseSnapshot(h.world)).toEqual(before);
    expect(await h.driver.deploy(release)).toMatchObject({ status: 'succeeded' });
    h.check({ settled: true });
  });

  test('a retried Swap stage after a failure past the commit point finishes without another production write', async () => {
    const h = harness();
    const release = await approved(h, 'v1');
    h.world.faults.failNext('tagging', 'TagResources', 'unavailable');
    const failed = await h.driver.swap(release);
    expect(failed.status).toBe('failed');
    expect(failed.message).toMatch(/new state/);
    expect(routes(h)).toEqual({ production: 'b', test: 'a' });
    const from = h.world.calls.length;

    const retry = await h.driver.swap(release);
    expect(retry).toMatchObject({ status: 'succeeded', outputs: { LIVE_SLOT: 'b', LIVE_DIGEST: release.image.digest } });
    expect(h.world.countCalls(from).routeWrites).toBe(0);
    expect(labelsMatchRoutes(h.stack)).toBe(true);
    h.check({ settled: true });
  });

  test('the same swap job delivered twice at once ends in one swap', async () => {
    const h = harness();
    const first = await h.driver.release('v1');
    const release = await approved(h, 'v2');
    const job = h.world.codepipeline.createJob(release.execution.id, 'Swap');
    const deliver = () => h.driver.redeliver({ kind: 'job', functionName: h.stack.ids.swapFunctionName, jobId: job.id, event: h.world.codepipeline.jobEvent(job) });

    await Promise.all([deliver(), deliver()]);

    expect(acceptedResults(h, job.id)).toEqual([expect.objectContaining({ kind: 'success' })]);
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    expect(h.stack.state()).toMatchObject({ liveSlot: 'a', liveDigest: release.image.digest, previousDigest: first.image.digest });
    expect(h.stack.state()!.history.filter((e) => e.executionId === release.execution.id)).toHaveLength(1);
    h.check({ settled: true });
  });

});

describe('rollback', () => {
  async function twoReleases() {
    const h = harness();
    const first = await h.driver.release('v1');
    const second = await h.driver.release('v2');
    return { h, first, second };
  }

  test('rollback re-swaps to the previous slot, and rolling back the rollback returns', async () => {
    const { h, first, second } = await twoReleases();
    const published = h.world.sns.published.length;

    const back = await h.driver.rollback({ reason: 'error rate too high', actor: 'oncall-dana' });
    expect(back).toEqual<RollbackResult>({
      outcome: 'rolled-back',
      message: expect.any(String),
      liveSlot: 'b',
      liveDigest: first.image.digest,
      previousDigest: second.image.digest,
      state: 'new',
    });
    expect(isOneSentence(back!.message)).toBe(true);
    expect(routes(h)).toEqual({ production: 'b', test: 'a' });
    expect(h.stack.state()).toMatchObject({ liveSlot: 'b', lastOperation: 'rollback', changedBy: 'oncall-dana', history: [{ operation: 'rollback', reason: 'error rate too high', fromSlot: 'a', toSlot: 'b' }, {}, {}] });
    expect(labelsMatchRoutes(h.stack)).toBe(true);
    expect(h.world.sns.published).toHaveLength(published + 1);
    expect(h.world.sns.published[published].message).toContain('error rate too high');

    const forward = await h.driver.rollback({ reason: 'false alarm' });
    expect(forward).toMatchObject({ outcome: 'rolled-back', liveSlot: 'a', liveDigest: second.image.digest, previousDigest: first.image.digest, state: 'new' });
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    h.check({ settled: true });
  });

  test('the same rollback request twice is a no-op', async () => {
    const { h } = await twoReleases();
    await h.driver.rollback({ reason: 'bad', requestId: '11111111-2222-4333-8444-555555555555' });
    const before = releaseSnapshot(h.world);
    const again = (await h.driver.redeliver()) as RollbackResult;
    expect(again.outcome).toBe('already-done');
    expect(releaseSnapshot(h.world)).toEqual(before);
    h.check({ settled: true });
  });

  test('a stale expectedLiveSlot is refused and changes nothing', async () => {
    const { h } = await twoReleases();
    const before = releaseSnapshot(h.world);
    const result = await h.driver.rollback({ reason: 'bad', expectedLiveSlot: 'b' });
    expect(result).toMatchObject({ outcome: 'refused', state: 'old', liveSlot: 'a' });
    expect(result!.message).toMatch(/stale/);
    expect(releaseSnapshot(h.world)).toEqual(before);
    h.check({ settled: true });
  });

  test('rollback is refused when the previous slot no longer runs the previous digest', async () => {
    const { h } = await twoReleases();
    const next = h.driver.start('v3');
    await h.driver.deploy(next, { maxPolls: 1 });
    const result = await h.driver.rollback({ reason: 'bad' });
    expect(result).toMatchObject({ outcome: 'refused', state: 'old', liveSlot: 'a' });
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    h.check();
  });

  test('rollback with nothing released is refused', async () => {
    const h = harness();
    const result = await h.driver.rollback({ reason: 'bad' });
    expect(result).toMatchObject({ outcome: 'refused', state: 'old' });
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    h.check();
  });
});

/**
 * Runs `operation` once on a prepared world to learn its AWS calls, then once per call on a fresh
 * prepared world with a `kind` fault injected into that call, and hands each result to `verify`.
 */
async function faultEachCall<C extends { h: ReleaseHarness }, R>(
  kind: FaultKind,
  prepare: () => Promise<C>,
  operation: (ctx: C) => Promise<R>,
  verify: (ctx: C, result: R, where: string) => Promise<void>,
): Promise<number> {
  const clean = await prepare();
  const from = clean.h.world.calls.length;
  await operation(clean);
  const calls = clean.h.world.callsSince(from).map((c) => `${c.service}:${c.command}`);
  for (let i = 0; i < calls.length; i++) {
    const ctx = await prepare();
    ctx.h.world.faults.failAtCall(ctx.h.world.calls.length + i, kind);
    await verify(ctx, await operation(ctx), `${kind} on call ${i} (${calls[i]})`);
  }
  return calls.length;
}

/** `expect` that names the faulted call when it fails. */
const at = (where: string, actual: unknown, expected: unknown) => expect({ where, actual }).toEqual({ where, actual: expected });

describe('faults during a swap', () => {
  /** v1 live on b, v2 deployed on a and approved: the swap is the next thing to run. */
  async function readyToSwap() {
    const h = harness();
    const first = await h.driver.release('v1');
    const second = await approved(h, 'v2');
    return { h, first, second };
  }

  test.each<FaultKind>(['throttle', 'unavailable'])('%s on each AWS call of the swap in turn: one result, a clear reason, invariants, and a retry converges', async (kind) => {
    const calls = await faultEachCall(kind, readyToSwap, ({ h, second }) => h.driver.swap(second), async ({ h, first, second }, swap, where) => {
      at(where, acceptedResults(h, swap.jobIds[0]).length, 1);
      if (swap.status === 'failed') {
        at(where, isOneSentence(swap.message), true);
        at(where, /(old|new) state/.test(swap.message!), true);
        at(where, h.stack.liveSlot(), /old state/.test(swap.message!) ? 'b' : 'a');
        at(where, (await h.driver.swap(second)).status, 'succeeded');
      }
      at(where, routes(h), { production: 'a', test: 'b' });
      expect(h.stack.state()).toMatchObject({ liveSlot: 'a', liveDigest: second.image.digest, previousDigest: first.image.digest });
      at(where, labelsMatchRoutes(h.stack), true);
      h.check({ settled: true });
    });
    expect(calls).toBeGreaterThan(5);
  });

  test('a failed test-rule write reverts production and reports the old state', async () => {
    const { h, first, second } = await readyToSwap();
    const before = releaseSnapshot(h.world);
    let writes = 0;
    h.world.faults.when((c) => c.command === 'ModifyRule' && ++writes === 2, 'unavailable', { times: Infinity });

    const swap = await h.driver.swap(second);
    expect(swap.status).toBe('failed');
    expect(swap.message).toMatch(/old state/);
    expect(swap.message).toMatch(/reverted/);
    expect(isOneSentence(swap.message)).toBe(true);
    expect(releaseSnapshot(h.world)).toEqual(before);
    expect(h.stack.state()!.liveDigest).toBe(first.image.digest);
    h.check({ settled: true });
  });

  test('when the revert fails too, the swap reports the new state and the next operation repairs the test route', async () => {
    const { h, second } = await readyToSwap();
    let writes = 0;
    h.world.faults.when((c) => c.command === 'ModifyRule' && ++writes >= 2, 'unavailable', { times: 2 });

    const swap = await h.driver.swap(second);
    expect(swap.status).toBe('failed');
    expect(swap.message).toMatch(/new state/);
    expect(swap.message).toMatch(/test route is stale/);
    // Production is fully on the new slot; only the test route is stale (both rules on slot a).
    expect(routes(h)).toEqual({ production: 'a', test: 'a' });
    expect(h.stack.servingDigests('a').every((d) => d === second.image.digest)).toBe(true);
    expect(h.violations).toEqual([expect.stringMatching(/Invariant 5: production and test rules both forward to slot a/)]);
    h.violations.length = 0;

    const retry = await h.driver.swap(second);
    expect(retry.status).toBe('succeeded');
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    expect(labelsMatchRoutes(h.stack)).toBe(true);
    h.check({ settled: true });
  });

  test('a production write whose response is lost is confirmed by a read and the swap completes', async () => {
    const { h, second } = await readyToSwap();
    h.world.faults.failNext('elbv2', 'ModifyRule', 'internal', { afterEffect: true });
    const swap = await h.driver.swap(second);
    expect(swap.status).toBe('succeeded');
    expect(routes(h)).toEqual({ production: 'a', test: 'b' });
    h.check({ settled: true });
  });
});

describe('job results and logs follow the contract', () => {
  test('every failure result carries the execution id as externalExecutionId', async () => {
    const h = harness();
    const crashed = h.driver.start('v1-crashes');
    h.world.ecs.markBad(crashed.image.digest);
    expect((await h.driver.deploy(crashed)).status).toBe('failed');
    const release = await approved(h, 'v2');
    h.world.faults.failNext('elbv2', 'DescribeRules', 'throttle');
    expect((await h.driver.swap(release)).status).toBe('failed');

    expect(checkFailuresCarryExecutionId(h.world)).toEqual([]);
  });

  test('every handler log line is one JSON object naming the operation, job and execution', async () => {
    const h = harness();
    const release = await h.driver.release('v1');
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({ level: expect.any(String), message: expect.any(String), operation: expect.any(String), jobId: expect.any(String) });
      expect({ message: line.message, executionId: line.executionId }).toEqual({ message: line.message, executionId: release.execution.id });
    }
  });
});

describe('faults during a rollback and a deploy', () => {
  test.each<FaultKind>(['throttle', 'unavailable'])('%s on each AWS call of a rollback in turn: an honest state, invariants, and a retry of the request converges', async (kind) => {
    const prepare = async () => {
      const h = harness();
      await h.driver.release('v1');
      await h.driver.release('v2');
      return { h };
    };
    const requestId = '0f0f0f0f-0000-4000-8000-000000000001';
    const calls = await faultEachCall(kind, prepare, ({ h }) => h.driver.rollback({ reason: 'bad', requestId }), async ({ h }, result, where) => {
      at(where, isOneSentence(result?.message), true);
      // The state it reports is the state production is in: old = slot a, new = slot b.
      at(where, h.stack.liveSlot(), result!.state === 'old' ? 'a' : 'b');
      const retry = await h.driver.rollback({ reason: 'bad', requestId });
      at(where, retry?.outcome === 'failed', false);
      at(where, routes(h), { production: 'b', test: 'a' });
      h.check({ settled: true });
    });
    expect(calls).toBeGreaterThan(5);
  });

  test.each<FaultKind>(['throttle', 'unavailable'])('%s on each AWS call of a DeployGreen chain in turn: production untouched, and a stage retry converges', async (kind) => {
    const prepare = async () => {
      const h = harness();
      const first = await h.driver.release('v1');
      return { h, first, release: h.driver.start('v2') };
    };
    const calls = await faultEachCall(kind, prepare, ({ h, release }) => h.driver.deploy(release), async ({ h, first, release }, deploy, where) => {
      at(where, routes(h), { production: 'b', test: 'a' });
      at(where, h.stack.servingDigests('b'), [first.image.digest, first.image.digest]);
      if (deploy.status === 'failed') {
        at(where, isOneSentence(deploy.message), true);
        at(where, /production is untouched/.test(deploy.message!), true);
        at(where, (await h.driver.deploy(release)).status, 'succeeded');
      }
      at(where, release.deploy!.outputs, { GREEN_SLOT: 'a', IMAGE_DIGEST: release.image.digest, TEST_URL: h.stack.config.testUrl, COMMIT: release.image.commit, TEST_HEADER: '', TEST_COMMAND: `curl ${h.stack.config.testUrl}` });
      h.check({ settled: true });
    });
    expect(calls).toBeGreaterThan(10);
  });
});

describe('audit notifications', () => {
  test('a pipeline name of the longest length the construct allows still publishes valid subjects that keep their meaning', async () => {
    const pipelineName = `p${'-long-name'.repeat(8)}`.slice(0, 80);
    const h = harness({ pipelineName });
    await h.driver.release('v1');
    await h.driver.release('v2');
    expect(await h.driver.rollback({ reason: 'errors', actor: 'oncall-dana' })).toMatchObject({ outcome: 'rolled-back' });

    // The SNS model refuses a Subject of 100 characters or more, as Publish does; what does not fit
    // is the end of the pipeline name, never what happened.
    expect(h.world.sns.published.map((m) => m.subject)).toEqual([
      `Swap to slot b: ${pipelineName}`,
      `Swap to slot a: ${pipelineName}`,
      `Rollback to slot b: ${pipelineName.slice(0, 76)}...`,
    ]);
    for (const m of h.world.sns.published) expect(JSON.parse(m.message)).toMatchObject({ pipeline: pipelineName });
    h.check({ settled: true });
  });

  test('a rollback whose audit notification cannot be published still rolls back and says so in its one sentence', async () => {
    const h = harness();
    await h.driver.release('v1');
    await h.driver.release('v2');
    h.world.faults.failNext('sns', 'Publish', 'internal');

    const back = await h.driver.rollback({ reason: 'errors', actor: 'oncall-dana' });

    expect(back).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });
    expect(back!.message).toMatch(/^Production moved back from slot a to slot b \(sha256:[0-9a-f]{64}\), but the audit notification could not be published \(.+\)\.$/);
    expect(isOneSentence(back!.message)).toBe(true);
    expect(h.logs.map((l) => JSON.parse(l)).filter((l) => l.AuditNotificationsFailed === 1)).toHaveLength(1);
    h.check({ settled: true });
  });
});
