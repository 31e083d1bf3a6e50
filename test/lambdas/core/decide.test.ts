// The decision core on plain data: no mocks.
import { ApprovalProof, proveApproved } from '../../../lambdas/core/approval';
import { decideAfterTransientError, decideDeployProgress, decideLeaseWait, planDeployStart, reusableRollout } from '../../../lambdas/core/decide-deploy';
import { decideRollback, releaseView } from '../../../lambdas/core/decide-rollback';
import { decideSwap, recordedPreviousDigest } from '../../../lambdas/core/decide-swap';
import { errorSummary, isTransientError } from '../../../lambdas/core/errors';
import { DeployLeaseToken, DeployRollToken, RollbackRequest, SwapParameters } from '../../../lambdas/core/events';
import { TAG_CHANGED_BY_EXECUTION, TAG_LIVE_DIGEST, TAG_LIVE_SLOT, TAG_TRAFFIC, labelDrift, labelledResources, liveLabels } from '../../../lambdas/core/labels';
import { SlotObservation } from '../../../lambdas/core/ports';
import { resolveRoutes, writesToMakeLive } from '../../../lambdas/core/routes';
import { slotNotReadyReason, uniformDigest } from '../../../lambdas/core/slot';
import { StateRecord } from '../../../lambdas/core/state';
import { D1, D2, D3, NOW, approvedRelease, config, readySlot, routes, service, stateRecord, targets, task, tg } from './fixtures';

describe('routes', () => {
  test('the live slot is the production rule target; the test rule must forward to the other', () => {
    expect(resolveRoutes(config, routes('a', 'b'))).toEqual({ ok: true, view: { liveSlot: 'a', idleSlot: 'b', testSlot: 'b', testRouteStale: false, shift: null } });
    expect(resolveRoutes(config, routes('b', 'b'))).toEqual({ ok: true, view: { liveSlot: 'b', idleSlot: 'a', testSlot: 'b', testRouteStale: true, shift: null } });
    expect(resolveRoutes(config, routes('a', ['arn:other']))).toMatchObject({ ok: true, view: { testSlot: null, testRouteStale: true } });
  });

  test.each([
    [[], /does not forward to any target group/],
    [[tg('a'), tg('b')], /splits traffic between the slots with unknown weights/],
    [['arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/9'], /neither slot's target group/],
  ])('production forwarding to %p cannot be resolved', (production, reason) => {
    const r = resolveRoutes(config, routes(production, 'b'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  test('writes: production first, then the test rule, skipping rules already in place', () => {
    const view = (p: 'a' | 'b', t: 'a' | 'b') => (resolveRoutes(config, routes(p, t)) as { view: Parameters<typeof writesToMakeLive>[1] }).view;
    expect(writesToMakeLive(config, view('a', 'b'), 'b').map((w) => [w.rule, w.slot])).toEqual([['production', 'b'], ['test', 'a']]);
    expect(writesToMakeLive(config, view('a', 'a'), 'b').map((w) => [w.rule, w.slot])).toEqual([['production', 'b']]);
    expect(writesToMakeLive(config, view('b', 'b'), 'b').map((w) => [w.rule, w.slot])).toEqual([['test', 'a']]);
    expect(writesToMakeLive(config, view('b', 'a'), 'b')).toEqual([]);
  });
});

describe('slot readiness', () => {
  const withService = (over: Parameters<typeof service>[1], rollout: string | null = 'COMPLETED'): SlotObservation => ({ ...readySlot('b', D1), service: service('b', over, rollout) });
  const twoDeployments = service('b');
  test.each<[string, SlotObservation, RegExp]>([
    ['missing service', { ...readySlot('b', D1), service: null }, /service does not exist/],
    ['draining service', withService({ status: 'DRAINING' }), /is DRAINING, not ACTIVE/],
    ['no tasks wanted', withService({ desiredCount: 0, runningCount: 0 }), /no tasks \(desired count 0\)/],
    ['two deployments', { ...readySlot('b', D1), service: { ...twoDeployments, deployments: [...twoDeployments.deployments, twoDeployments.deployments[0]] } }, /still deploying \(2 deployments/],
    ['rollout in progress', withService({}, 'IN_PROGRESS'), /is IN_PROGRESS/],
    ['running short', withService({ runningCount: 1 }), /runs 1 of 2 desired tasks/],
    ['wrong digest', readySlot('b', D2), new RegExp(`runs ${D2}, not ${D1}`)],
    ['mixed digests', { ...readySlot('b', D1), tasks: [task(D1), task(D2, 'RUNNING', 1)] }, new RegExp(`runs ${D2}`)],
    ['no running task', { ...readySlot('b', D1), tasks: [task(D1, 'PENDING')] }, /no running tasks/],
    ['digest not reported', { ...readySlot('b', D1), tasks: [task(D1), task(null, 'RUNNING', 1)] }, /do not report an image digest/],
    ['too few healthy', { ...readySlot('b', D1), targets: targets(['healthy', 'unhealthy']) }, /1 healthy target\(s\), needs 2/],
  ])('refuses a slot with %s', (_name, obs, reason) => {
    expect(slotNotReadyReason(obs, D1, config.repositoryName)).toMatch(reason);
  });

  test('a ready slot passes; draining targets are ignored; DeployGreen also wants every target healthy', () => {
    const obs = readySlot('b', D1);
    expect(slotNotReadyReason(obs, D1, config.repositoryName)).toBeNull();
    expect(slotNotReadyReason({ ...obs, targets: targets(['healthy', 'healthy', 'draining']) }, D1, config.repositoryName, true)).toBeNull();
    expect(slotNotReadyReason({ ...obs, targets: targets(['healthy', 'healthy', 'initial']) }, D1, config.repositoryName)).toBeNull();
    expect(slotNotReadyReason({ ...obs, targets: targets(['healthy', 'healthy', 'initial']) }, D1, config.repositoryName, true)).toMatch(/unhealthy targets \(10\.0\.0\.3:8080 initial\)/);
  });

  test('sidecars from other repositories do not count against the release digest', () => {
    const sidecar = { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2', imageDigest: D3 };
    const obs = { ...readySlot('b', D1), tasks: readySlot('b', D1).tasks.map((t) => ({ ...t, containers: [...t.containers, sidecar] })) };
    expect(slotNotReadyReason(obs, D1, config.repositoryName)).toBeNull();
    expect(uniformDigest(obs.tasks, config.repositoryName)).toBe(D1);
    expect(uniformDigest([task(D1), task(D2)], config.repositoryName)).toBeNull();
  });
});

describe('DeployGreen decisions', () => {
  test('deploys to the idle slot at run time, sized like the busier slot', () => {
    const plan = planDeployStart(config, routes('b', 'a'), { a: service('a', { desiredCount: 0, runningCount: 0 }), b: service('b', { desiredCount: 3 }) }, NOW);
    expect(plan).toEqual({
      kind: 'deploy', slot: 'a', imageTag: 'slot-a', desiredCount: 3, previousDesiredCount: 0, repairTestRoute: null,
      startedAt: NOW.toISOString(), deadline: new Date(NOW.getTime() + 1800_000).toISOString(),
    });
  });

  test('uses the configured count when both slots are empty, and repairs a stale test rule', () => {
    const plan = planDeployStart(config, routes('a', 'a'), { a: service('a', { desiredCount: 0 }), b: service('b', { desiredCount: 0 }) }, NOW);
    expect(plan).toMatchObject({ kind: 'deploy', slot: 'b', desiredCount: 2, repairTestRoute: { rule: 'test', slot: 'b', targetGroupArn: tg('b') } });
  });

  test.each([
    ['unresolvable routes', routes([], 'b'), { a: service('a'), b: service('b') }, /does not forward/],
    ['missing idle service', routes('a', 'b'), { a: service('a') }, /slot b's service .* does not exist/],
    ['inactive idle service', routes('a', 'b'), { a: service('a'), b: service('b', { status: 'INACTIVE' }) }, /INACTIVE, not ACTIVE/],
  ])('refuses to start with %s', (_n, r, services, reason) => {
    const plan = planDeployStart(config, r, services, NOW);
    expect(plan.kind).toBe('refused');
    expect(plan.kind === 'refused' && plan.reason).toMatch(reason);
  });

  const token: DeployRollToken = {
    phase: 'rolling',
    slot: 'b',
    digest: D2,
    commit: 'c2',
    startedAt: NOW.toISOString(),
    deadline: new Date(NOW.getTime() + 60_000).toISOString(),
    deploymentId: 'ecs-svc/b1',
    previousDigest: D1,
    previousDesiredCount: 2,
  };
  const later = new Date(NOW.getTime() + 120_000);

  test('succeeds with the output variables once the slot is ready', () => {
    expect(decideDeployProgress(config, token, readySlot('b', D2), NOW)).toMatchObject({
      kind: 'succeed',
      outputs: { GREEN_SLOT: 'b', IMAGE_DIGEST: D2, TEST_URL: config.testUrl, COMMIT: 'c2' },
    });
  });

  test('waits while rolling, fails at the deadline with what is missing', () => {
    const rolling = { ...readySlot('b', D2), service: service('b', {}, 'IN_PROGRESS') };
    expect(decideDeployProgress(config, token, rolling, NOW)).toEqual({ kind: 'continue', reason: expect.stringMatching(/IN_PROGRESS/) });
    // The candidate never became ready: its tag goes back and the slot rolls back to what it ran.
    expect(decideDeployProgress(config, token, rolling, later)).toEqual({ kind: 'fail', reason: expect.stringMatching(/not ready by the deadline .*IN_PROGRESS/), undo: 'tag-and-roll' });
  });

  test.each<[string, SlotObservation, RegExp, string]>([
    // ECS rolled back to the pinned previous digest by itself: only the tag is left to put back.
    ['the circuit breaker failed the rollout', { ...readySlot('b', D2), service: { ...service('b', {}, 'FAILED'), deployments: [{ ...service('b').deployments[0], rolloutState: 'FAILED', rolloutStateReason: 'tasks failed to start' }] } }, /circuit breaker stopped slot b's rollout ecs-svc\/b1 \(tasks failed to start\)/, 'tag'],
    ['another deployment replaced ours', { ...readySlot('b', D2), service: { ...service('b'), deployments: [{ ...service('b').deployments[0], id: 'ecs-svc/other' }] } }, /was replaced by another deployment/, 'tag-and-roll'],
    ['the service vanished', { ...readySlot('b', D2), service: null }, /no longer exists/, 'none'],
  ])('fails at once when %s', (_n, obs, reason, undo) => {
    expect(decideDeployProgress(config, token, obs, NOW)).toEqual({ kind: 'fail', reason: expect.stringMatching(reason), undo });
  });

  test('waiting for the release lease continues until the deadline, then fails having touched nothing', () => {
    const waiting: DeployLeaseToken = { phase: 'lease', digest: D2, commit: 'c2', startedAt: token.startedAt, deadline: token.deadline };
    expect(decideLeaseWait(waiting, NOW, 'release exec-1 holds the slots')).toEqual({ kind: 'continue', reason: 'waiting for the release lease: release exec-1 holds the slots' });
    expect(decideLeaseWait(waiting, later, 'release exec-1 holds the slots')).toEqual({
      kind: 'fail',
      reason: `the release lease was not free by the deadline ${token.deadline}: release exec-1 holds the slots`,
      undo: 'none',
    });
  });

  test('a repeated start reuses a rollout in progress or a slot already running the digest', () => {
    const rolling = { ...readySlot('b', D1), service: service('b', {}, 'IN_PROGRESS') };
    expect(reusableRollout(rolling, D2, 2, config.repositoryName)).toBe('ecs-svc/b1');
    expect(reusableRollout(readySlot('b', D2), D2, 2, config.repositoryName)).toBe('ecs-svc/b1');
    expect(reusableRollout(readySlot('b', D1), D2, 2, config.repositoryName)).toBeNull();
    expect(reusableRollout(rolling, D2, 3, config.repositoryName)).toBeNull();
    expect(reusableRollout({ ...rolling, service: null }, D2, 2, config.repositoryName)).toBeNull();
  });

  test('a transient error is another poll until the deadline', () => {
    expect(decideAfterTransientError(token, NOW, 'ThrottlingException: slow down')).toEqual({ kind: 'continue', reason: expect.stringMatching(/transient/) });
    expect(decideAfterTransientError(token, later, 'ThrottlingException: slow down')).toEqual({ kind: 'fail', reason: expect.stringMatching(/deadline/), undo: 'tag-and-roll' });
  });
});

describe('swap decisions', () => {
  const request: SwapParameters = { greenSlot: 'b', imageDigest: D2, commit: 'c2', executionId: 'exec-2' };
  const base = {
    config,
    request,
    routes: routes('a', 'b'),
    green: readySlot('b', D2),
    state: stateRecord(),
    previousDigest: D1,
    previousReleaseId: 'exec-1' as string | null,
    greenTag: D2 as string | null,
    approver: 'alice',
    now: NOW,
  };

  test('plans production then test, labels, the next record and the output variables', () => {
    const plan = decideSwap(base);
    if (plan.kind === 'refused') throw new Error(plan.reason);
    expect(plan.kind).toBe('swap');
    expect(plan.writes.map((w) => [w.rule, w.targetGroupArn])).toEqual([['production', tg('b')], ['test', tg('a')]]);
    expect(plan.revert).toMatchObject({ rule: 'production', targetGroupArn: tg('a') });
    expect(plan.labelArns).toEqual(labelledResources(config));
    expect(plan.labels).toEqual({ [TAG_LIVE_SLOT]: 'b', [TAG_LIVE_DIGEST]: D2, [TAG_CHANGED_BY_EXECUTION]: 'exec-2', [TAG_TRAFFIC]: 'b=100' });
    expect(plan.nextState).toMatchObject({
      liveSlot: 'b',
      liveDigest: D2,
      previousDigest: D1,
      liveReleaseId: 'exec-2',
      previousReleaseId: 'exec-1',
      lastExecutionId: 'exec-2',
      lastOperation: 'swap',
      commit: 'c2',
      changedBy: 'alice',
      changedAt: NOW.toISOString(),
    });
    expect(plan.repairTag).toBeNull();
    expect(plan.nextState?.history[0]).toEqual({ operation: 'swap', executionId: 'exec-2', fromSlot: 'a', toSlot: 'b', digest: D2, commit: 'c2', at: NOW.toISOString(), by: 'alice' });
    expect(plan.outputs).toEqual({ LIVE_SLOT: 'b', LIVE_DIGEST: D2, PREVIOUS_DIGEST: D1 });
  });

  test.each<[string, Partial<typeof base>, RegExp]>([
    ['green not steady', { green: { ...readySlot('b', D2), service: service('b', {}, 'IN_PROGRESS') } }, /IN_PROGRESS/],
    ['green runs another digest (approval bound to a digest)', { green: readySlot('b', D3) }, new RegExp(`runs ${D3}, not ${D2}`)],
    ['green short of healthy targets', { green: { ...readySlot('b', D2), targets: targets(['healthy']) } }, /1 healthy target\(s\), needs 2/],
    ['green has no tasks', { green: { ...readySlot('b', D2), service: service('b', { desiredCount: 0, runningCount: 0 }), tasks: [], targets: [] } }, /no tasks/],
    ['production forwards nowhere known', { routes: routes(['arn:x'], 'b') }, /neither slot's target group/],
    ['production already on green with another digest (stale view)', { routes: routes('b', 'a'), green: readySlot('b', D3) }, /already forwards to slot b, which is not running the approved digest .* stale/],
    ['the wrong slot was observed', { green: readySlot('a', D2) }, /observed slot a instead of the green slot b/],
  ])('refuses when %s', (_n, over, reason) => {
    const plan = decideSwap({ ...base, ...over });
    expect(plan.kind).toBe('refused');
    expect(plan.kind === 'refused' && plan.reason).toMatch(reason);
  });

  test('a retried swap finishes without touching production and without rewriting its own record', () => {
    const done = stateRecord({ liveSlot: 'b', liveDigest: D2, previousDigest: D1, lastExecutionId: 'exec-2' });
    const plan = decideSwap({ ...base, routes: routes('b', 'a'), state: done, previousDigest: D1 });
    expect(plan).toMatchObject({ kind: 'already-swapped', writes: [], nextState: null, outputs: { LIVE_SLOT: 'b', PREVIOUS_DIGEST: D1 } });
  });

  test('a swap that committed but did not finish writes the missing test route and record only', () => {
    const plan = decideSwap({ ...base, routes: routes('b', 'b') });
    expect(plan).toMatchObject({ kind: 'already-swapped', nextState: { liveSlot: 'b', previousDigest: D1 } });
    expect(plan.kind !== 'refused' && plan.writes.map((w) => w.rule)).toEqual(['test']);
  });

  test('the previous digest (and the execution that released it) comes from the record only when the record agrees', () => {
    expect(recordedPreviousDigest(stateRecord(), request)).toEqual({ known: true, digest: D1, releaseId: 'exec-1' });
    expect(recordedPreviousDigest(null, request)).toEqual({ known: true, digest: null, releaseId: null });
    expect(recordedPreviousDigest(null, { ...request, greenSlot: 'a' })).toEqual({ known: false });
    expect(recordedPreviousDigest(stateRecord({ liveSlot: 'b' }), request)).toEqual({ known: false });
    expect(recordedPreviousDigest(stateRecord({ liveSlot: 'b', lastExecutionId: 'exec-2', previousDigest: D3, previousReleaseId: 'exec-0' }), request)).toEqual({ known: true, digest: D3, releaseId: 'exec-0' });
  });

  test('a green tag that names another digest than the green tasks run is put right before production moves', () => {
    const plan = decideSwap({ ...base, greenTag: D3 });
    expect(plan).toMatchObject({ kind: 'swap', repairTag: { tag: 'slot-b', digest: D2 } });
    expect(decideSwap({ ...base, greenTag: null })).toMatchObject({ repairTag: { tag: 'slot-b', digest: D2 } });
  });

  test('a previous digest observed (not recorded) carries no release id, so no rollback can prove it', () => {
    const plan = decideSwap({ ...base, state: null, previousDigest: D1, previousReleaseId: null });
    expect(plan).toMatchObject({ nextState: { previousDigest: D1, previousReleaseId: null } });
  });
});

describe('rollback decisions', () => {
  const request: RollbackRequest = { reason: '5xx spike', actor: 'bob', requestId: 'r1', expectedLiveSlot: null, forRelease: null };
  const afterSwap = stateRecord({ liveSlot: 'b', liveDigest: D2, previousDigest: D1, liveReleaseId: 'exec-2', previousReleaseId: 'exec-1', lastExecutionId: 'exec-2', commit: 'c2', history: [
    { operation: 'swap', executionId: 'exec-2', fromSlot: 'a', toSlot: 'b', digest: D2, commit: 'c2', at: 't2', by: 'alice' },
    { operation: 'swap', executionId: 'exec-1', fromSlot: 'b', toSlot: 'a', digest: D1, commit: 'c1', at: 't1', by: 'alice' },
  ] });
  const proven: ApprovalProof = { proven: true, how: 'execution exec-1 approved and swapped it' };
  const base = {
    config,
    request,
    routes: routes('b', 'a'),
    target: readySlot('a', D1),
    targetTag: D1 as string | null,
    state: afterSwap as StateRecord | null,
    releaseHolder: null as { executionId: string; running: boolean } | null,
    proof: proven as ApprovalProof | null,
    now: NOW,
  };

  test('re-swaps to the previous slot and records who and why', () => {
    const plan = decideRollback(base);
    if (plan.kind !== 'rollback') throw new Error(JSON.stringify(plan));
    expect(plan.writes.map((w) => [w.rule, w.slot])).toEqual([['production', 'a'], ['test', 'b']]);
    expect(plan.nextState).toMatchObject({ liveSlot: 'a', liveDigest: D1, previousDigest: D2, liveReleaseId: 'exec-1', previousReleaseId: 'exec-2', lastExecutionId: 'rollback:r1', lastOperation: 'rollback', commit: 'c1', changedBy: 'bob' });
    expect(plan.nextState?.history[0]).toMatchObject({ operation: 'rollback', reason: '5xx spike', fromSlot: 'b', toSlot: 'a' });
    expect(plan.labels[TAG_CHANGED_BY_EXECUTION]).toBe('rollback:r1');
  });

  test('a rollback of a rollback goes forward again', () => {
    const first = decideRollback(base);
    if (first.kind !== 'rollback') throw new Error('expected a plan');
    const second = decideRollback({ ...base, request: { ...request, requestId: 'r2' }, routes: routes('a', 'b'), target: readySlot('b', D2), targetTag: D2, state: first.nextState });
    expect(second).toMatchObject({ kind: 'rollback', toSlot: 'b', liveDigest: D2, previousDigest: D1, nextState: { commit: 'c2', liveSlot: 'b' } });
  });

  test('the same requestId twice is a no-op', () => {
    const first = decideRollback(base);
    if (first.kind !== 'rollback') throw new Error('expected a plan');
    expect(decideRollback({ ...base, routes: routes('a', 'b'), target: readySlot('b', D2), state: first.nextState })).toEqual({ kind: 'already-done', reason: expect.stringMatching(/r1 was already applied/) });
  });

  test.each<[string, Partial<typeof base>, RegExp]>([
    ['the caller expected another live slot (stale view)', { request: { ...request, expectedLiveSlot: 'a' } }, /expected slot a to be live but production is on slot b/],
    ['nothing was ever released', { state: null }, /no release has been recorded/],
    ['the record disagrees with the routes', { state: { ...afterSwap, liveSlot: 'a' } }, /state record says slot a is live .* drift/],
    ['no previous digest is recorded', { state: { ...afterSwap, previousDigest: null } }, /no previous digest/],
    ['the target runs something else now', { target: readySlot('a', D3) }, new RegExp(`slot a cannot take production back: slot a runs ${D3}`)],
    ['the target has been scaled in', { target: { ...readySlot('a', D1), service: service('a', { desiredCount: 0, runningCount: 0 }) } }, /no tasks/],
    ['the target is unhealthy', { target: { ...readySlot('a', D1), targets: targets(['unhealthy', 'unhealthy']) } }, /0 healthy target/],
    ['the routes are unreadable', { routes: routes([], 'a') }, /does not forward to any target group/],
    ['the previous digest is not proven approved', { proof: { proven: false, reason: 'execution exec-1 has no succeeded approval' } }, /is not proven approved: execution exec-1 has no succeeded approval/],
    ['no proof could be made', { proof: null }, /not proven approved/],
    ['a release that has not swapped holds the lease (it deploys onto the target)', { releaseHolder: { executionId: 'exec-3', running: true } }, /release exec-3 holds the slots and is deploying to slot a, the rollback target/],
    ['a bake rollback for a release that no longer holds the lease', { request: { ...request, forRelease: 'exec-2' } }, /release exec-2 no longer holds the slots/],
  ])('refuses when %s', (_n, over, reason) => {
    const d = decideRollback({ ...base, ...over });
    expect(d.kind).toBe('refused');
    expect(d.kind === 'refused' && d.reason).toMatch(reason);
  });

  test('a rollback during a release\'s bake (it swapped, it holds the lease) is allowed, as is a holder that has ended', () => {
    expect(decideRollback({ ...base, releaseHolder: { executionId: 'exec-2', running: true } }).kind).toBe('rollback');
    expect(decideRollback({ ...base, releaseHolder: { executionId: 'exec-2', running: true }, request: { ...request, forRelease: 'exec-2' } }).kind).toBe('rollback');
    expect(decideRollback({ ...base, releaseHolder: { executionId: 'exec-3', running: false } }).kind).toBe('rollback');
  });

  test('a target tag that names another digest is repaired as part of the rollback', () => {
    expect(decideRollback({ ...base, targetTag: D3 })).toMatchObject({ kind: 'rollback', repairTag: { tag: 'slot-a', digest: D1 } });
    expect(decideRollback(base)).toMatchObject({ kind: 'rollback', repairTag: null });
  });

  test('the release view reports digests only when record and routes agree', () => {
    expect(releaseView('b', afterSwap)).toEqual({ liveSlot: 'b', liveDigest: D2, previousDigest: D1 });
    expect(releaseView('a', afterSwap)).toEqual({ liveSlot: 'a', liveDigest: null, previousDigest: null });
  });
});

describe('labels', () => {
  test('drift: every resource whose labels disagree with the routes is named', () => {
    const tags = (slot: string, live: string) => ({ 'bluegreen:slot': slot, [TAG_LIVE_SLOT]: live });
    const ok = { [config.slots.a.serviceArn]: tags('a', 'a'), [config.slots.a.targetGroupArn]: tags('a', 'a'), [config.slots.b.serviceArn]: tags('b', 'a'), [config.slots.b.targetGroupArn]: tags('b', 'a') };
    expect(labelDrift(config, 'a', ok)).toEqual([]);
    expect(labelDrift(config, 'b', ok)).toHaveLength(4);
    const { [config.slots.b.targetGroupArn]: _gone, ...missing } = ok;
    expect(labelDrift(config, 'a', missing)).toEqual([`${config.slots.b.targetGroupArn} has no readable tags`]);
  });

  test('tag values stay within the allowed characters', () => {
    expect(liveLabels('a', null, 'rollback:r1#x')).toEqual({ [TAG_LIVE_SLOT]: 'a', [TAG_LIVE_DIGEST]: 'none', [TAG_CHANGED_BY_EXECUTION]: 'rollback:r1_x', [TAG_TRAFFIC]: 'a=100' });
    expect(liveLabels('a', D1, 'exec-3', { a: 80, b: 20 })[TAG_TRAFFIC]).toBe('a=80 b=20');
  });
});

describe('transient errors', () => {
  test.each([
    [{ name: 'ThrottlingException' }, true],
    [{ name: 'Whatever', $metadata: { httpStatusCode: 503 } }, true],
    [{ name: 'Whatever', $retryable: { throttling: true } }, true],
    [Object.assign(new Error('socket'), { code: 'ECONNRESET' }), true],
    [{ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }, false],
    [new Error('boom'), false],
    ['string', false],
  ])('%p transient: %p', (err, expected) => {
    expect(isTransientError(err)).toBe(expected);
  });

  test('errors summarise without a trailing period', () => {
    expect(errorSummary(new TypeError('bad.'))).toBe('TypeError: bad');
  });
});

describe('approval proof of a rollback target', () => {
  test('CodePipeline\'s record of the releasing execution proves it: approval succeeded and its Swap made the digest live', () => {
    expect(proveApproved(D1, 'exec-1', approvedRelease(D1))).toEqual({ proven: true, how: `execution exec-1 approved and swapped ${D1}` });
  });

  test.each<[string, string | null, ReturnType<typeof approvedRelease> | 'not-found', RegExp]>([
    ['no release id is recorded', null, approvedRelease(D1), /no release execution is recorded/],
    ['the approval was rejected', 'exec-1', approvedRelease(D1).map((a) => (a.category === 'Approval' ? { ...a, status: 'Failed' } : a)), /has no succeeded approval/],
    ['the execution never reached its approval', 'exec-1', approvedRelease(D1).filter((a) => a.category !== 'Approval'), /has no succeeded approval/],
    ['the execution swapped another digest (the record was edited)', 'exec-1', approvedRelease(D2), /was approved but its swap did not make/],
    ['the swap failed', 'exec-1', approvedRelease(D1).map((a) => (a.actionName === 'Swap' ? { ...a, status: 'Failed' } : a)), /did not make/],
  ])('refuses when %s', (_n, releaseId, history, reason) => {
    const proof = proveApproved(D1, releaseId, history);
    expect(proof.proven).toBe(false);
    expect(!proof.proven && proof.reason).toMatch(reason);
  });

  test('an execution past CodePipeline\'s history leaves the sealed record as the proof', () => {
    expect(proveApproved(D1, 'exec-1', 'not-found')).toMatchObject({ proven: true, how: expect.stringMatching(/sealed state record/) });
  });
});
