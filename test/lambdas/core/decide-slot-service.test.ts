import { judgeDeployment, judgeSlotImage, serviceGone } from '../../../lambdas/core/decide-slot-service';
import { D1, D2, D3, service, task } from './fixtures';

const observe = (over: Partial<Parameters<typeof judgeSlotImage>[0]> = {}) =>
  judgeSlotImage({ slotLabel: 'slot b', service: service('b'), tasks: [task(D1, 'RUNNING', 1), task(D1, 'RUNNING', 2)], repositoryName: 'shop/web', imageTag: 'slot-b', tagDigest: D1, ...over });

describe('the slot tag rule (judgeSlotImage)', () => {
  test('a tag naming exactly what every task runs lets the deployment start', () => {
    expect(observe()).toEqual({ kind: 'proceed', note: null });
  });

  test('a slot with no tasks runs nothing a deployment could change', () => {
    expect(observe({ service: service('b', { desiredCount: 0 }), tasks: [], tagDigest: D2 })).toEqual({ kind: 'proceed', note: null });
  });

  test('a tag on another digest (a candidate the circuit breaker rolled back) is moved back to what the tasks run', () => {
    expect(observe({ tagDigest: D2 })).toEqual({ kind: 'repair', digest: D1, note: `slot-b named ${D2}, which slot b does not run; it was moved back to ${D1}, the digest slot b's tasks run, before the update` });
    expect(observe({ tagDigest: null })).toMatchObject({ kind: 'repair', digest: D1, note: expect.stringContaining('slot-b named no image') });
  });

  test('tasks that disagree are refused with what to do', () => {
    expect(observe({ tasks: [task(D1, 'RUNNING', 1), task(D3, 'RUNNING', 2)] })).toEqual({
      kind: 'refuse',
      reason: `slot b's tasks run different images (${[D1, D3].sort().join(', ')}), so no deployment may resolve slot-b again; retry the deploy once a release has left slot b on one image`,
    });
  });

  test.each([
    ['a second deployment (a release or an ECS rollback)', { service: { ...service('b'), deployments: [...service('b').deployments, { ...service('b').deployments[0], id: 'ecs-svc/b2', status: 'ACTIVE' }] } }, /is deploying \(2 deployments are active/],
    ['a rollout in progress', { service: service('b', {}, 'IN_PROGRESS') }, /deployment ecs-svc\/b1 is IN_PROGRESS/],
    ['a task that has not reported its digest yet', { tasks: [task(D1), task(null, 'PENDING', 2)] }, /do not all report an image digest yet/],
  ])('%s is waited for', (_n, over, reason) => {
    expect(observe(over)).toEqual({ kind: 'wait', reason: expect.stringMatching(reason) });
  });

  test('a missing or draining service is left to UpdateService to report', () => {
    expect(observe({ service: null, tagDigest: D2 })).toEqual({ kind: 'proceed', note: null });
    expect(observe({ service: service('b', { status: 'DRAINING' }), tagDigest: D2 })).toEqual({ kind: 'proceed', note: null });
  });
});

describe('judgeDeployment and serviceGone', () => {
  test('a deployment is done once the service settled on the new task definition, and failed when ECS rolled it back', () => {
    const rolled = { ...service('b'), deployments: [{ ...service('b').deployments[0], taskDefinition: 'td:1', rolloutStateReason: 'circuit breaker' }] };
    expect(judgeDeployment('slot b', service('b'), 'td:1')).toEqual({ kind: 'done' });
    expect(judgeDeployment('slot b', service('b', {}, 'IN_PROGRESS'), 'td:2')).toMatchObject({ kind: 'wait' });
    expect(judgeDeployment('slot b', rolled, 'td:2')).toEqual({ kind: 'failed', reason: 'the deployment of td:2 to slot b did not complete and ECS rolled slot b back to td:1 (circuit breaker)' });
    expect(judgeDeployment('slot b', null, 'td:2')).toEqual({ kind: 'failed', reason: "slot b's service is gone" });
  });

  test('a deleted service is gone when it is missing or INACTIVE, not while DRAINING', () => {
    expect(serviceGone(null)).toBe(true);
    expect(serviceGone(service('b', { status: 'INACTIVE' }))).toBe(true);
    expect(serviceGone(service('b', { status: 'DRAINING' }))).toBe(false);
  });
});
