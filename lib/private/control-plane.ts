import { Duration, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { ReleaseConfigDocument } from '../../lambdas/core/config';
import type { TrafficShiftSteps } from '../traffic-shift';
import { WatchedAlarmNames, allowDescribeAlarms } from './bake-alarms';
import { ControlPlaneFunction, SharedFunctionProps } from './control-plane-function';
import { EvidenceBucket } from './evidence';
import { slotImageTag } from './names';
import { Retirement } from './retirement';
import { Routes } from './routes';
import type { Settings } from './settings';
import { Slots } from './slots';
import { StateKey } from './state-key';

/** The swap function's timeout; an operation's hold on the slots lapses a minute after it. */
export const SWAP_TIMEOUT = Duration.minutes(2);

export interface ControlPlaneProps {
  readonly settings: Settings;
  readonly shared: SharedFunctionProps;
  readonly cluster: ecs.ICluster;
  readonly repository: ecr.IRepository;
  readonly slots: Slots;
  readonly routes: Routes;
  readonly testUrl: string;
  /** With a header test route: the header line that reaches green. */
  readonly testHeader?: string;
  /** The steps of a traffic shift (undefined all at once) and the alarms each step watches. */
  readonly shift?: { readonly steps: TrafficShiftSteps; readonly alarms: WatchedAlarmNames };
  readonly stateKey: StateKey;
  readonly notificationTopic: sns.ITopic;
  /** Where DeployGreen, Swap and Bake record each release. */
  readonly evidence: EvidenceBucket;
}

/**
 * The release control plane: the configuration every function shares (and the CLI reads from
 * SSM), DeployGreen and Swap with exactly the permissions their decisions need, and the release
 * lease and sealed state record they hold.
 */
export class ControlPlane {
  /** The configuration document in every function's environment. */
  public readonly config: ReleaseConfigDocument;
  public readonly deployGreen: ControlPlaneFunction;
  public readonly swap: ControlPlaneFunction;
  public readonly configParameter: ssm.StringParameter;
  /**
   * Taking, handing over and giving back the release lease, and sealing the state record: one
   * customer-managed policy for every role that holds the lease (DeployGreen, Swap, Bake).
   */
  private readonly leasePolicy: iam.ManagedPolicy;
  private readonly leaseGenerations: string;
  /** With `previousSlotRetention`: the schedules that scale the previous slot down, and their role. */
  public readonly retirement?: Retirement;

  constructor(scope: Construct, private readonly props: ControlPlaneProps) {
    const { settings } = props;
    const stack = Stack.of(scope);
    if (settings.previousSlotRetention) this.retirement = new Retirement(scope, settings.previousSlotRetention, settings.pipelineName);
    this.config = { ...releaseConfig(props), ...(this.retirement ? { previousSlotRetention: this.retirement.config() } : {}) };
    const environment = { BLUEGREEN_CONFIG: stack.toJsonString(this.config) };
    this.deployGreen = new ControlPlaneFunction(scope, 'DeployGreen', {
      ...props.shared,
      bundle: 'deploy-green',
      description: `Deploys a release to the idle slot of ${settings.pipelineName}`,
      timeout: Duration.minutes(2),
      environment,
    });
    // Only the swap function's copy has the shift's steps and the alarms they watch.
    const shift = props.shift;
    const swapConfig: ReleaseConfigDocument = shift
      ? { ...this.config, trafficShift: { ...shift.steps, alarms: { a: shift.alarms.a, b: shift.alarms.b }, sharedAlarms: shift.alarms.shared } }
      : this.config;
    this.swap = new ControlPlaneFunction(scope, 'Swap', {
      ...props.shared,
      bundle: 'swap',
      description: `Swaps and rolls back the routes of ${settings.pipelineName}`,
      // An operation's hold on the slots lapses a minute after this (operationTimeoutSeconds).
      timeout: SWAP_TIMEOUT,
      environment: { BLUEGREEN_CONFIG: stack.toJsonString(swapConfig) },
      // One swap at a time (invariant 4), on top of the release lease.
      reservedConcurrentExecutions: 1,
    });
    // The release lease and the state record: sealed, written only by these roles.
    this.leaseGenerations = `${settings.names.leasePathArn}/*`;
    this.leasePolicy = new iam.ManagedPolicy(scope, 'ReleaseLeasePolicy', {
      description: `Holds the release lease of ${settings.pipelineName} and seals the state record`,
      statements: [
        new iam.PolicyStatement({ actions: ['ssm:GetParametersByPath'], resources: [settings.names.leasePathArn] }),
        new iam.PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], resources: [this.leaseGenerations] }),
        props.stateKey.sealStatement(),
      ],
    });
    for (const fn of [this.deployGreen, this.swap]) {
      this.holdLease(fn);
      fn.allow(['codepipeline:GetPipelineExecution'], [settings.names.pipelineArn]);
    }
    this.grantRelease();
    this.grantRetirement();
    this.listenForRequests(scope);
    props.evidence.grantRecord(this.deployGreen, { readBuilds: true });
    props.evidence.grantRecord(this.swap);
    this.configParameter = new ssm.StringParameter(scope, 'ConfigParameter', {
      parameterName: settings.names.configParameterName,
      description: `Release configuration of the blue/green pipeline ${settings.pipelineName}`,
      stringValue: stack.toJsonString({ ...this.config, swapFunctionName: this.swap.function.functionName }),
    });
  }

  public get deployGreenFunction(): lambda.Function {
    return this.deployGreen.function;
  }

  public get swapFunction(): lambda.Function {
    return this.swap.function;
  }

  /** Lets another control-plane function (Bake) add to the release records. */
  public grantEvidence(fn: ControlPlaneFunction): void {
    this.props.evidence.grantRecord(fn);
  }

  /** Lets a control-plane function take, hand over and give back the release lease, and seal what it writes. */
  public holdLease(fn: ControlPlaneFunction): void {
    this.props.stateKey.addSealer(fn.role);
    this.leasePolicy.attachToRole(fn.role);
  }

  /** Wildcard ARNs under what this part owns, for the IAM wildcard review. */
  public get ownedWildcardArns(): string[] {
    return [this.leaseGenerations, ...(this.retirement ? this.retirement.scheduleArns : [])];
  }

  /**
   * A rollback asked for by writing the rollback request parameter: Parameter Store sends every
   * create and update to EventBridge ("Parameter Store Change"), and this rule hands the ones of
   * that parameter to Swap, which reads the newest version and who wrote it. EventBridge retries a
   * failed delivery; Lambda retries a failed asynchronous invoke.
   */
  private listenForRequests(scope: Construct): void {
    const { names } = this.props.settings;
    new events.Rule(scope, 'RollbackRequestRule', {
      description: `Hands a write of ${names.rollbackRequestParameterName} to the swap function: a rollback in the writer's name`,
      eventPattern: { source: ['aws.ssm'], detailType: ['Parameter Store Change'], detail: { name: [names.rollbackRequestParameterName], operation: ['Create', 'Update'] } },
      targets: [new targets.LambdaFunction(this.swap.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
    this.swap.allow(['ssm:GetParameter'], [names.rollbackRequestParameterArn]);
    // Nobody waits for an asynchronous invoke (a requested rollback, a schedule's retire or ask):
    // one that fails Lambda's two retries is reported on the audit topic, besides the dead-letter
    // queue ("destinations in addition to or instead of a dead-letter queue", Lambda API Reference,
    // PutFunctionEventInvokeConfig).
    this.swap.function.configureAsyncInvoke({ onFailure: new destinations.SnsDestination(this.props.notificationTopic), retryAttempts: 2 });
  }

  /**
   * With `previousSlotRetention`: the schedules invoke Swap; Swap (which ends a release without a
   * bake) creates them, sets a retired slot's count to zero and scales it back up for a rollback.
   */
  private grantRetirement(): void {
    if (!this.retirement) return;
    this.retirement.allowInvoke(this.swap.function);
    this.retirement.grantSchedule(this.swap);
    this.swap.allow(['ecs:UpdateService'], this.props.slots.serviceArns);
  }

  /** What deploying to the idle slot and moving the routes take. */
  private grantRelease(): void {
    const { slots, routes, cluster, repository, settings } = this.props;
    const clusterCondition = { ArnEquals: { 'ecs:cluster': cluster.clusterArn } };
    for (const fn of [this.deployGreen, this.swap]) {
      fn.allow(['elasticloadbalancing:ModifyRule'], routes.ruleArns);
      fn.allow(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth'], ['*']);
      fn.allow(['ecs:DescribeServices'], slots.serviceArns);
      fn.allow(['ecs:ListTasks', 'ecs:DescribeTasks'], ['*'], clusterCondition);
    }
    this.deployGreen.allow(['ecs:UpdateService'], slots.serviceArns);
    // DescribeRepositories: the tag-mutability check before every release.
    this.deployGreen.allow(['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage', 'ecr:DescribeRepositories'], [repository.repositoryArn]);
    const swap = this.swap;
    swap.allow(['ecr:BatchGetImage', 'ecr:PutImage'], [repository.repositoryArn]);
    swap.allow(['ssm:GetParameter', 'ssm:PutParameter'], [settings.names.stateParameterArn]);
    // The seal check reads the record's type and key; DescribeParameters has no resource-level permission.
    swap.allow(['ssm:DescribeParameters'], ['*']);
    swap.allow(['codepipeline:ListActionExecutions'], [settings.names.pipelineArn]);
    // The Resource Groups Tagging API has no resource-level permissions; the service actions below scope it.
    swap.allow(['tag:TagResources', 'tag:GetResources'], ['*']);
    swap.allow(['ecs:TagResource'], slots.serviceArns);
    swap.allow(['elasticloadbalancing:AddTags'], slots.targetGroupArns);
    this.props.notificationTopic.grantPublish(swap.role);
    // A shift polls the candidate's alarms during each step, as Bake does after a swap.
    if (this.props.shift) allowDescribeAlarms(swap);
  }
}

/** The release configuration, as the handlers' parser (`lambdas/core/config.ts`) reads it. */
function releaseConfig(props: ControlPlaneProps): ReleaseConfigDocument {
  const { settings, slots, routes } = props;
  return {
    pipelineName: settings.pipelineName,
    clusterArn: props.cluster.clusterArn,
    repositoryName: props.repository.repositoryName,
    slots: {
      a: { serviceName: slots.a.serviceName, targetGroupArn: slots.a.targetGroup.targetGroupArn, imageTag: slotImageTag('a') },
      b: { serviceName: slots.b.serviceName, targetGroupArn: slots.b.targetGroup.targetGroupArn, imageTag: slotImageTag('b') },
    },
    productionRuleArn: routes.productionRuleArn,
    testRuleArn: routes.testRuleArn,
    testUrl: props.testUrl,
    ...(props.testHeader !== undefined ? { testHeader: props.testHeader } : {}),
    stateParameterName: settings.names.stateParameterName,
    leaseParameterPath: settings.names.leaseParameterPath,
    rollbackRequestParameterName: settings.names.rollbackRequestParameterName,
    stateKeyArn: props.stateKey.key.keyArn,
    operationTimeoutSeconds: SWAP_TIMEOUT.toSeconds(),
    desiredCount: settings.desiredCount,
    deployTimeoutSeconds: settings.deployTimeout.toSeconds(),
    bakeAfterSwap: settings.baking,
    notificationTopicArn: props.notificationTopic.topicArn,
    evidence: props.evidence.location,
    ...(settings.autoScaling ? { autoScaling: settings.autoScaling } : {}),
  };
}
