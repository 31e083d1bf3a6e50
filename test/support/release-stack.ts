// A realistic initial stack for the release control plane: an ALB with a production and a test
// listener and their two rules (slot a live), two slot services at 0 tasks behind their target
// groups, the ECR repository, the pipeline, the audit topic, the SSM discovery copy of the
// config, and `process.env.BLUEGREEN_CONFIG`. Every ARN is deterministic, so a config parsed
// once at module load stays valid for every world seeded afterwards.
import type { AwsWorld } from './aws-model';
import type { ActionDefinition } from './model/codepipeline';
import { forward, pathPatternAll } from './model/elbv2';
import type { LambdaHandler } from './model/small-services';
import { otherSlot, type AutoScalingConfig, type ReleaseConfig, type SlotName, type TrafficShiftConfig } from '../../lambdas/core/config';
import { watchAlarmName } from '../../lib/private/bake-alarms';
import type { StateRecord } from '../../lambdas/core/state';
import { serveS3 } from './model/s3';

export type { ReleaseConfig, SlotName, StateRecord };
export { otherSlot };
export const SLOTS: readonly SlotName[] = ['a', 'b'];

export interface BuiltImage {
  label: string;
  digest: string;
  imageUri: string;
  commit: string;
}

export interface SeedOptions {
  pipelineName?: string;
  desiredCount?: number;
  deployTimeoutSeconds?: number;
  /** Omit the audit topic from the config. */
  withoutNotifications?: boolean;
  /** Registered as Lambda functions so `Invoke` (e.g. the CLI's rollback) reaches them. */
  handlers?: { deployGreen?: LambdaHandler; swap?: LambdaHandler };
  /** Set `process.env.BLUEGREEN_CONFIG` (default true). */
  setEnv?: boolean;
  /**
   * 'release-stage' (default): DeployGreen, Approve and Swap are actions of one Release stage, as
   * the construct builds it. 'stage-per-action': each in its own stage, as the construct did before
   * the release lease: CodePipeline then lets a second execution deploy while the first waits for
   * its approval, so only the control plane's lease keeps them apart.
   */
  layout?: PipelineLayout;
  /** Keep release evidence in an artifact bucket of the world's S3 (test/support/model/s3.ts). */
  evidence?: boolean;
  /**
   * Swap in weighted steps: the config's `trafficShift`, watching the construct's composite alarms
   * (`<pipeline>-bake-slot-a`, `-slot-b`, `-shared`; the harness serves them).
   */
  trafficShift?: Pick<TrafficShiftConfig, 'percents' | 'holdSeconds'> & { stickinessSeconds?: number };
  /**
   * The test route as a header rule on the production listener (priority 1, production behind it
   * at 2), as `Custom::BlueGreenRoutes` makes it for `TestRoute.header(…)`; no test listener.
   */
  testHeader?: { name: string; value: string };
  /** The config's `autoScaling`: the harness then serves Application Auto Scaling (test/support/model/aas.ts). */
  autoScaling?: AutoScalingConfig;
  /** Seconds of `previousSlotRetention`: the harness then serves EventBridge Scheduler (test/support/model/scheduler.ts). */
  previousSlotRetentionSeconds?: number;
}

/** The artifact bucket and its KMS key, when the stack keeps evidence. */
export const ARTIFACT_BUCKET = 'app-pipeline-artifacts-111122223333';
export const ARTIFACTS_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0b0e4e6d-5ea1-4000-8000-000000000002';

export type PipelineLayout = 'release-stage' | 'stage-per-action';

/** The fake KMS key that seals the state record and the lease. */
export const STATE_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0b0e4e6d-5ea1-4000-8000-000000000001';

/** The stage an action runs in, under a layout. */
export function stageOfAction(layout: PipelineLayout, action: string): string {
  return layout === 'release-stage' && ['DeployGreen', 'Approve', 'Swap', 'Bake'].includes(action) ? 'Release' : action;
}

export const LABEL = {
  slot: 'bluegreen:slot',
  liveSlot: 'bluegreen:live-slot',
  liveDigest: 'bluegreen:live-digest',
  changedBy: 'bluegreen:changed-by-execution',
} as const;

export class ReleaseStack {
  constructor(
    readonly world: AwsWorld,
    readonly config: ReleaseConfig,
    readonly layout: PipelineLayout,
    readonly ids: {
      loadBalancerArn: string;
      productionListenerArn: string;
      testListenerArn: string;
      repositoryUri: string;
      deployFunctionName: string;
      swapFunctionName: string;
      configParameterName: string;
      stackName: string;
    },
  ) {}

  get pipelineName(): string {
    return this.config.pipelineName;
  }

  slot(name: SlotName): ReleaseConfig['slots']['a'] {
    return this.config.slots[name];
  }

  slotOfTargetGroup(arn: string | undefined): SlotName | undefined {
    return arn === undefined ? undefined : (['a', 'b'] as const).find((s) => this.config.slots[s].targetGroupArn === arn);
  }

  /** Each slot's share of production in percent (from the rule's weights), and of test. */
  traffic(): Record<SlotName, number> {
    const weights = this.world.elbv2.forwardWeights(this.config.productionRuleArn);
    const total = Object.values(weights).reduce((x, y) => x + y, 0);
    const share = (s: SlotName) => (total === 0 ? 0 : Math.round((100 * (weights[this.config.slots[s].targetGroupArn] ?? 0)) / total));
    return { a: share('a'), b: share('b') };
  }

  /** The slot the production rule forwards to, if it forwards to exactly one slot. */
  liveSlot(): SlotName | undefined {
    const targets = this.world.elbv2.forwardTargets(this.config.productionRuleArn);
    return targets.length === 1 ? this.slotOfTargetGroup(targets[0]) : undefined;
  }

  testSlot(): SlotName | undefined {
    const targets = this.world.elbv2.forwardTargets(this.config.testRuleArn);
    return targets.length === 1 ? this.slotOfTargetGroup(targets[0]) : undefined;
  }

  /** Digests served by a slot's tasks (RUNNING, not draining). */
  servingDigests(slot: SlotName): (string | null)[] {
    return this.world.ecs.servingDigests(this.config.slots[slot].serviceArn);
  }

  /** The parsed state record, or undefined when it does not exist yet. */
  state(): StateRecord | undefined {
    const raw = this.world.ssm.value(this.config.stateParameterName);
    return raw === undefined ? undefined : (JSON.parse(raw) as StateRecord);
  }

  /** Labels of the four labelled resources (both services, both target groups). */
  labels(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const s of SLOTS) {
      out[this.config.slots[s].serviceArn] = this.world.tags.of(this.config.slots[s].serviceArn);
      out[this.config.slots[s].targetGroupArn] = this.world.tags.of(this.config.slots[s].targetGroupArn);
    }
    return out;
  }

  /** Pushes a new image as the Build stage would: tagged by commit, returns digest and URI. */
  build(label: string): BuiltImage {
    const commit = commitOf(label);
    const digest = this.world.ecr.pushImage(this.config.repositoryName, label, [commit.slice(0, 12)]);
    return { label, digest, commit, imageUri: `${this.ids.repositoryUri}@${digest}` };
  }
}

/** A stable 40-hex commit id for a label. */
export function commitOf(label: string): string {
  let h = 0x811c9dc5;
  const out: string[] = [];
  for (let round = 0; round < 5; round++) {
    for (const ch of `${round}:${label}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out.push(h.toString(16).padStart(8, '0'));
  }
  return out.join('');
}

const stacks = new WeakMap<AwsWorld, ReleaseStack>();

/** The stack seeded into `world` (for helpers that only get the world). */
export function releaseStackOf(world: AwsWorld): ReleaseStack {
  const stack = stacks.get(world);
  if (!stack) throw new Error('AwsWorld: no release stack seeded (call seedReleaseStack first)');
  return stack;
}

export function seedReleaseStack(world: AwsWorld, opts: SeedOptions = {}): ReleaseStack {
  const pipelineName = opts.pipelineName ?? 'app-pipeline';
  const region = world.region;
  const clusterArn = world.ecs.addCluster('app-cluster');
  const repositoryName = 'app';
  // As the construct creates it: release tags immutable, the slot tags excluded.
  const repositoryUri = world.ecr.createRepository(repositoryName, { tagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['slot-*'], scanOnPush: true });

  const loadBalancerArn = world.elbv2.addLoadBalancer('app-alb');
  const productionListenerArn = world.elbv2.addListener({ loadBalancerArn, port: 80 });
  // With a header route the test rule is on the production listener.
  const testListenerArn = opts.testHeader ? productionListenerArn : world.elbv2.addListener({ loadBalancerArn, port: 8080 });

  const targetGroupArns = {} as Record<SlotName, string>;
  for (const s of SLOTS) targetGroupArns[s] = world.elbv2.addTargetGroup({ name: `app-slot-${s}`, port: 8080 });
  // The rules come first: ECS registers a service only with a target group a load balancer uses.
  const rule = (listenerArn: string, slot: SlotName, priority: number, conditions = pathPatternAll()) =>
    (world.elbv2.commands.CreateRule({
      ListenerArn: listenerArn,
      Priority: priority,
      Conditions: conditions,
      Actions: [forward(targetGroupArns[slot])],
    }) as { Rules: { RuleArn: string }[] }).Rules[0].RuleArn;
  const header = opts.testHeader;
  const productionRuleArn = rule(productionListenerArn, 'a', header ? 2 : 1);
  const testRuleArn = header
    ? rule(testListenerArn, 'b', 1, [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: header.name, Values: [header.value] } }])
    : rule(testListenerArn, 'b', 1);

  const slots = {} as Record<SlotName, { serviceArn: string; targetGroupArn: string; imageTag: string }>;
  for (const s of SLOTS) {
    const targetGroupArn = targetGroupArns[s];
    const taskDefinition = world.ecs.registerTaskDefinition({
      family: `app-slot-${s}`,
      image: `${repositoryUri}:slot-${s}`,
      containerName: 'app',
      containerPort: 8080,
    });
    const { service } = world.ecs.commands.CreateService({
      cluster: clusterArn,
      serviceName: `app-slot-${s}`,
      taskDefinition,
      desiredCount: 0,
      loadBalancers: [{ targetGroupArn, containerName: 'app', containerPort: 8080 }],
      healthCheckGracePeriodSeconds: 60,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      tags: [{ key: LABEL.slot, value: s }],
    }) as { service: { serviceArn: string } };
    world.tags.put(targetGroupArn, { [LABEL.slot]: s });
    slots[s] = { serviceArn: service.serviceArn, targetGroupArn, imageTag: `slot-${s}` };
  }
  // Services created at 0 tasks complete their empty deployment.
  world.tick();

  const notificationTopicArn = world.sns.createTopic(`${pipelineName}-releases`);
  const deployFunctionName = `${pipelineName}-deploy-green`;
  const swapFunctionName = `${pipelineName}-swap`;

  const config: ReleaseConfig = {
    pipelineName,
    clusterArn,
    repositoryName,
    slots,
    productionRuleArn,
    testRuleArn,
    testUrl: header ? `http://app-alb-1234567890.${region}.elb.amazonaws.com` : `http://app-alb-1234567890.${region}.elb.amazonaws.com:8080`,
    ...(header ? { testHeader: `${header.name}: ${header.value}` } : {}),
    stateParameterName: `/bluegreen/${pipelineName}/state`,
    leaseParameterPath: `/bluegreen/${pipelineName}/lease`,
    rollbackRequestParameterName: `/bluegreen/${pipelineName}/rollback-request`,
    stateKeyArn: STATE_KEY_ARN,
    operationTimeoutSeconds: 120,
    desiredCount: opts.desiredCount ?? 2,
    deployTimeoutSeconds: opts.deployTimeoutSeconds ?? 1800,
    bakeAfterSwap: false,
    ...(opts.withoutNotifications ? {} : { notificationTopicArn }),
    ...(opts.evidence ? { evidence: { bucket: ARTIFACT_BUCKET, prefix: `bluegreen-evidence/${pipelineName}` } } : {}),
    ...(opts.autoScaling ? { autoScaling: opts.autoScaling } : {}),
    ...(opts.previousSlotRetentionSeconds !== undefined
      ? { previousSlotRetention: { seconds: opts.previousSlotRetentionSeconds, scheduleGroupName: `bluegreen-${pipelineName}`, schedulerRoleArn: `arn:aws:iam::${world.account}:role/${pipelineName}-retire-scheduler` } }
      : {}),
    ...(opts.trafficShift
      ? {
          trafficShift: {
            percents: opts.trafficShift.percents,
            holdSeconds: opts.trafficShift.holdSeconds,
            stickinessSeconds: opts.trafficShift.stickinessSeconds ?? 0,
            alarms: { a: [watchAlarmName(pipelineName, 'slot-a')], b: [watchAlarmName(pipelineName, 'slot-b')] },
            sharedAlarms: [watchAlarmName(pipelineName, 'shared')],
          },
        }
      : {}),
  };
  if (opts.evidence) serveS3(world).createBucket(ARTIFACT_BUCKET, ARTIFACTS_KEY_ARN);

  const layout = opts.layout ?? 'release-stage';
  const releaseActions: ActionDefinition[] = [
    {
      name: 'DeployGreen',
      category: 'Invoke',
      provider: 'Lambda',
      namespace: 'Deploy',
      functionName: deployFunctionName,
      userParameters: '{"imageUri":"#{Build.IMAGE_URI}","imageDigest":"#{Build.IMAGE_DIGEST}","commit":"#{Build.COMMIT}"}',
    },
    { name: 'Approve', category: 'Approval', provider: 'Manual' },
    {
      name: 'Swap',
      category: 'Invoke',
      provider: 'Lambda',
      namespace: 'Swap',
      functionName: swapFunctionName,
      userParameters:
        '{"greenSlot":"#{Deploy.GREEN_SLOT}","imageDigest":"#{Deploy.IMAGE_DIGEST}","commit":"#{Deploy.COMMIT}","executionId":"#{codepipeline.PipelineExecutionId}"}',
    },
  ];
  world.codepipeline.addPipeline({
    name: pipelineName,
    stages: [
      { name: 'Source', actions: [{ name: 'Source', category: 'Source', provider: 'CodeStarSourceConnection', namespace: 'SourceVariables' }] },
      { name: 'BuildAndScan', actions: [{ name: 'BuildAndScan', category: 'Build', provider: 'CodeBuild', namespace: 'Build' }] },
      ...(layout === 'release-stage'
        ? [{ name: 'Release', actions: releaseActions.map((a, i) => ({ ...a, runOrder: i + 1 })) }]
        : releaseActions.map((a) => ({ name: a.name, actions: [a] }))),
    ],
  });

  const configParameterName = `/bluegreen/${pipelineName}/config`;
  world.ssm.put(configParameterName, JSON.stringify({ ...config, swapFunctionName, notificationTopicArn }));
  const stackName = 'AppStack';
  world.cloudformation.putStack(stackName, {
    PipelineName: pipelineName,
    ConfigParameterName: configParameterName,
    SwapFunctionName: swapFunctionName,
    TestUrl: config.testUrl,
  });
  if (opts.handlers?.deployGreen) world.lambda.register(deployFunctionName, opts.handlers.deployGreen);
  if (opts.handlers?.swap) world.lambda.register(swapFunctionName, opts.handlers.swap);

  if (opts.setEnv ?? true) {
    process.env.BLUEGREEN_CONFIG = JSON.stringify(config);
    process.env.AWS_REGION = region;
  }

  const stack = new ReleaseStack(world, config, layout, {
    loadBalancerArn,
    productionListenerArn,
    testListenerArn,
    repositoryUri,
    deployFunctionName,
    swapFunctionName,
    configParameterName,
    stackName,
  });
  stacks.set(world, stack);
  return stack;
}
