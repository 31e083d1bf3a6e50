// Plain-data builders shared by the control-plane tests.
import { ObservedActionExecution } from '../../../lambdas/core/approval';
import { ReleaseConfig, SlotName } from '../../../lambdas/core/config';
import { ObservedRoutes, ObservedService, ObservedTask, ObservedTarget, SlotObservation } from '../../../lambdas/core/ports';
import { StateRecord } from '../../../lambdas/core/state';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
const elb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;

export const config: ReleaseConfig = {
  pipelineName: 'shop',
  clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/shop`,
  repositoryName: 'shop/web',
  slots: {
    a: { serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/shop/shop-a`, targetGroupArn: `${elb}:targetgroup/shop-a/1111`, imageTag: 'slot-a' },
    b: { serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/shop/shop-b`, targetGroupArn: `${elb}:targetgroup/shop-b/2222`, imageTag: 'slot-b' },
  },
  productionRuleArn: `${elb}:listener-rule/app/shop/abc/prod/1`,
  testRuleArn: `${elb}:listener-rule/app/shop/abc/test/2`,
  testUrl: 'http://shop-alb.example.com:8080',
  stateParameterName: '/bluegreen/shop/state',
  leaseParameterPath: '/bluegreen/shop/lease',
  stateKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/0b0e4e6d-5ea1-4000-8000-000000000001`,
  operationTimeoutSeconds: 120,
  desiredCount: 2,
  deployTimeoutSeconds: 1800,
  bakeAfterSwap: false,
};

export const configWithTopic: ReleaseConfig = { ...config, notificationTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:shop-audit` };

export const D1 = `sha256:${'1'.repeat(64)}`;
export const D2 = `sha256:${'2'.repeat(64)}`;
export const D3 = `sha256:${'3'.repeat(64)}`;

export const tg = (slot: SlotName) => config.slots[slot].targetGroupArn;

export function routes(production: SlotName | string[], test: SlotName | string[]): ObservedRoutes {
  const targets = (x: SlotName | string[]) => (Array.isArray(x) ? x : [tg(x)]);
  return {
    production: { ruleArn: config.productionRuleArn, forwardTargetGroupArns: targets(production) },
    test: { ruleArn: config.testRuleArn, forwardTargetGroupArns: targets(test) },
  };
}

/** Production split during a traffic shift: `percent` on `toSlot` (listed second, as Swap writes it), the test rule on `toSlot`. */
export function splitRoutes(toSlot: SlotName, percent: number): ObservedRoutes {
  const from = toSlot === 'a' ? 'b' : 'a';
  return {
    production: { ruleArn: config.productionRuleArn, forwardTargetGroupArns: [tg(from), tg(toSlot)], weights: [100 - percent, percent] },
    test: { ruleArn: config.testRuleArn, forwardTargetGroupArns: [tg(toSlot)], weights: [1] },
  };
}

export function service(slot: SlotName, over: Partial<ObservedService> = {}, rollout: string | null = 'COMPLETED'): ObservedService {
  const desired = over.desiredCount ?? 2;
  return {
    serviceArn: config.slots[slot].serviceArn,
    status: 'ACTIVE',
    desiredCount: desired,
    runningCount: desired,
    pendingCount: 0,
    deployments: [
      { id: `ecs-svc/${slot}1`, status: 'PRIMARY', rolloutState: rollout, rolloutStateReason: null, desiredCount: desired, runningCount: desired, failedTasks: 0, taskDefinition: 'td:1' },
    ],
    ...over,
  };
}

export function task(digest: string | null, lastStatus = 'RUNNING', n = 0): ObservedTask {
  return {
    taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop/t${n}`,
    lastStatus,
    containers: [{ name: 'app', image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop/web:slot-a`, imageDigest: digest }],
  };
}

export function targets(states: string[]): ObservedTarget[] {
  return states.map((state, i) => ({ id: `10.0.0.${i + 1}`, port: 8080, state, reason: null }));
}

/** A steady, healthy slot running `digest` on `count` tasks. */
export function readySlot(slot: SlotName, digest: string, count = 2): SlotObservation {
  return {
    slot,
    service: service(slot, { desiredCount: count, runningCount: count }),
    tasks: Array.from({ length: count }, (_, i) => task(digest, 'RUNNING', i)),
    targets: targets(Array.from({ length: count }, () => 'healthy')),
  };
}

export function stateRecord(over: Partial<StateRecord> = {}): StateRecord {
  return {
    schema: 2,
    liveSlot: 'a',
    liveDigest: D1,
    previousDigest: null,
    liveReleaseId: 'exec-1',
    previousReleaseId: null,
    lastExecutionId: 'exec-1',
    lastOperation: 'swap',
    commit: 'c1',
    changedAt: '2026-01-01T00:00:00.000Z',
    changedBy: 'arn:aws:iam::123456789012:user/alice',
    history: [],
    ...over,
  };
}

export const NOW = new Date('2026-02-01T12:00:00.000Z');

/** CodePipeline's record of an execution whose approval succeeded and whose Swap made `digest` live. */
export function approvedRelease(digest: string): ObservedActionExecution[] {
  return [
    { actionName: 'DeployGreen', category: 'Invoke', status: 'Succeeded', outputVariables: { IMAGE_DIGEST: digest } },
    { actionName: 'Approve', category: 'Approval', status: 'Succeeded', outputVariables: {} },
    { actionName: 'Swap', category: 'Invoke', status: 'Succeeded', outputVariables: { LIVE_DIGEST: digest } },
  ];
}
