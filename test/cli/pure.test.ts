// The CLI's pure pieces: merging the history, finding the pending approval, reading the routes.
import type { GetPipelineStateOutput } from '@aws-sdk/client-codepipeline';
import { mergeHistory } from '../../lib/cli/commands/history';
import { describeHealth, fields, shortDigest, table, when } from '../../lib/cli/format';
import { routeSlotsOf, summariseSlot } from '../../lib/cli/observe';
import { findPendingApproval, queuedExecutions, runningExecutions } from '../../lib/cli/pipeline';
import type { ReleaseConfig } from '../../lambdas/core/config';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const tg = (s: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-${s}/0123456789abcdef`;
const config = {
  slots: {
    a: { serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/c/shop-a', targetGroupArn: tg('a'), imageTag: 'slot-a' },
    b: { serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/c/shop-b', targetGroupArn: tg('b'), imageTag: 'slot-b' },
  },
} as unknown as ReleaseConfig;

describe('mergeHistory', () => {
  test('puts a swap on the row of the execution that made it and keeps rollbacks as their own rows, newest first', () => {
    const rows = mergeHistory(
      [
        { operation: 'rollback', executionId: 'rollback:r1', fromSlot: 'b', toSlot: 'a', digest: D1, commit: 'c1', at: '2026-01-03T00:00:00.000Z', by: 'alice', reason: '5xx' },
        { operation: 'swap', executionId: 'e2', fromSlot: 'a', toSlot: 'b', digest: D2, commit: 'c2', at: '2026-01-02T00:10:00.000Z', by: 'arn:aws:iam::1:user/bob' },
        { operation: 'swap', executionId: 'e0', fromSlot: 'b', toSlot: 'a', digest: D1, commit: 'c1', at: '2025-12-01T00:00:00.000Z', by: 'carol' },
      ],
      [
        { pipelineExecutionId: 'e3', status: 'Failed', startTime: new Date('2026-01-04T00:00:00Z'), sourceRevisions: [{ actionName: 'Source', revisionId: 'c3' }] },
        { pipelineExecutionId: 'e2', status: 'Succeeded', startTime: new Date('2026-01-02T00:00:00Z') },
      ],
    );
    expect(rows.map((r) => [r.kind, r.executionId, r.status, r.fromSlot, r.toSlot, r.commit])).toEqual([
      ['release', 'e3', 'Failed', null, null, 'c3'],
      ['rollback', 'rollback:r1', 'done', 'b', 'a', 'c1'],
      ['release', 'e2', 'Succeeded', 'a', 'b', 'c2'],
      ['swap', 'e0', 'done', 'b', 'a', 'c1'],
    ]);
    expect(rows[1]).toMatchObject({ by: 'alice', reason: '5xx', digest: D1 });
  });

  test('is empty when nothing ran', () => {
    expect(mergeHistory([], [])).toEqual([]);
  });
});

describe('findPendingApproval', () => {
  const state = (status: string, token?: string): GetPipelineStateOutput => ({
    pipelineName: 'shop',
    stageStates: [
      { stageName: 'BuildAndScan', latestExecution: { pipelineExecutionId: 'e1', status: 'InProgress' } },
      {
        stageName: 'Release',
        inboundExecutions: [{ pipelineExecutionId: 'e1', status: 'InProgress' }],
        latestExecution: { pipelineExecutionId: 'e2', status: 'InProgress' },
        actionStates: [{ actionName: 'Approve', latestExecution: { status: status as 'InProgress', token, lastStatusChange: new Date('2026-01-01T10:00:00Z') } }],
      },
    ],
  });

  test('finds the in-progress approval action with a token', () => {
    expect(findPendingApproval(state('InProgress', 'tok-1'))).toEqual({
      executionId: 'e2', stageName: 'Release', actionName: 'Approve', token: 'tok-1', since: '2026-01-01T10:00:00.000Z',
    });
  });

  test('finds none when the approval is answered or has no token', () => {
    expect(findPendingApproval(state('Succeeded', 'tok-1'))).toBeNull();
    expect(findPendingApproval(state('InProgress'))).toBeNull();
    expect(findPendingApproval({ stageStates: [] })).toBeNull();
  });

  test('lists every execution in progress with its stage and running action (QUEUED mode runs one per stage)', () => {
    expect(runningExecutions(state('InProgress', 't'))).toEqual([
      { executionId: 'e1', stage: 'BuildAndScan' },
      { executionId: 'e2', stage: 'Release', action: 'Approve' },
    ]);
  });

  test('lists the executions waiting to enter a stage, in queue order', () => {
    expect(queuedExecutions(state('InProgress', 't'))).toEqual([{ executionId: 'e1', stage: 'Release' }]);
  });
});

describe('routeSlotsOf', () => {
  const rule = (...tgs: string[]) => ({ ruleArn: 'r', forwardTargetGroupArns: tgs });
  test('names the slot of each route', () => {
    expect(routeSlotsOf(config, { production: rule(tg('b')), test: rule(tg('a')) })).toMatchObject({ production: 'b', test: 'a', problems: [] });
  });
  test('names no slot, with the reason, for a split or foreign route', () => {
    const r = routeSlotsOf(config, { production: rule(tg('a'), tg('b')), test: rule('arn:other') });
    expect(r).toMatchObject({ production: null, test: null });
    expect(r.problems).toEqual([expect.stringMatching(/splits traffic across 2 target groups/), expect.stringMatching(/neither slot's target group/)]);
  });
});

describe('summariseSlot and describeHealth', () => {
  const service = { serviceArn: 's', status: 'ACTIVE', desiredCount: 2, runningCount: 2, pendingCount: 0, deployments: [{ id: 'd', status: 'PRIMARY', rolloutState: 'COMPLETED', rolloutStateReason: null, desiredCount: 2, runningCount: 2, failedTasks: 0, taskDefinition: 'td' }] };
  const task = (digest: string) => ({ taskArn: 't', lastStatus: 'RUNNING', containers: [{ name: 'app', image: '1.dkr.ecr/shop:slot-a', imageDigest: digest }] });
  const target = (state: string) => ({ id: '10.0.0.1', port: 8080, state, reason: null });

  test('a steady, healthy slot', () => {
    const s = summariseSlot({ slot: 'a', service, tasks: [task(D1), task(D1)], targets: [target('healthy'), target('healthy')] }, 'shop');
    expect(s).toMatchObject({ digests: [D1], healthyTargets: 2, targets: 2, unsteady: null });
    expect(describeHealth(s)).toBe('2/2 targets healthy, steady');
  });

  test('an empty slot and a deploying one', () => {
    const empty = summariseSlot({ slot: 'b', service: { ...service, desiredCount: 0, runningCount: 0 }, tasks: [], targets: [] }, 'shop');
    expect(describeHealth(empty)).toBe('no tasks');
    const rolling = summariseSlot({ slot: 'b', service: { ...service, deployments: [service.deployments[0], service.deployments[0]] }, tasks: [task(D1), task(D2)], targets: [target('healthy'), target('unhealthy')] }, 'shop');
    expect(rolling.digests).toEqual([D1, D2]);
    expect(describeHealth(rolling)).toBe('1/2 targets healthy, not steady (slot b is still deploying (2 deployments are active))');
  });
});

describe('format', () => {
  test('shortens digests, aligns fields and tables, prints UTC times', () => {
    expect(shortDigest(D1)).toBe('sha256:111111111111');
    expect(shortDigest(null)).toBe('-');
    expect(fields([['a', '1'], ['long', '2']])).toBe('  a     1\n  long  2\n');
    expect(table(['X', 'YY'], [['long', 'v'], ['s', 'w']])).toBe('X     YY\nlong  v\ns     w\n');
    expect(when('2026-01-02T03:04:05.000Z')).toBe('2026-01-02 03:04Z');
  });
});
