import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { TestRoute } from '../test-route';
import type { TrafficShiftSteps } from '../traffic-shift';
import { DEFAULTS, defaultPipelineName, defaultPorts } from './defaults';
import { configParameterName, leaseParameterPath, rollbackRequestParameterName, stateParameterName } from './names';
import type { SlotContainerSettings } from './slot';
import { firstReleaseCount } from './capacity-validation';
import type { AutoScalingConfig } from '../../lambdas/core/config';

/** The props with every default applied: what more than one part reads. */
export interface Settings {
  readonly pipelineName: string;
  /** A certificate was given: HTTPS listeners and a port 80 redirect. */
  readonly https: boolean;
  readonly productionPort: number;
  readonly testPort: number;
  readonly containerPort: number;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  readonly desiredCount: number;
  readonly deployTimeout: Duration;
  readonly bakeTime: Duration;
  /** Whether the Release stage has a Bake action (bakeTime is not 0). */
  readonly baking: boolean;
  /** The steps of a traffic shift; undefined all at once. */
  readonly shift?: TrafficShiftSteps;
  /** Whether the slots' bake alarms exist: for Bake, or for the steps of a shift. */
  readonly watchingAlarms: boolean;
  /** The test route: a port (`testPort` is its port) or a header on the production listener. */
  readonly testRoute: TestRoute;
  /** The test route is a header rule on the production listener: no test listener. */
  readonly headerRoute: boolean;
  readonly cpuArchitecture: ecs.CpuArchitecture;
  readonly reserveConcurrency: boolean;
  /** Whether production is open to the internet (a load balancer you give counts as internet-facing). */
  readonly internetFacing: boolean;
  readonly names: ReleaseNames;
  /** How long the previous slot stays warm after a release; absent: until the next release. */
  readonly previousSlotRetention?: Duration;
  /** The live slot's bounds between releases, with `autoScaling`. */
  readonly autoScaling?: AutoScalingConfig;
}

/** The names and ARNs the control plane, the CLI and the grants agree on. */
export interface ReleaseNames {
  readonly pipelineArn: string;
  readonly configParameterName: string;
  readonly stateParameterName: string;
  readonly stateParameterArn: string;
  readonly leaseParameterPath: string;
  readonly leasePathArn: string;
  readonly rollbackRequestParameterName: string;
  readonly rollbackRequestParameterArn: string;
}

/** Applies the defaults (`DEFAULTS`) to the props; pure apart from the stack's ARN formatting. */
export function resolveSettings(stack: Stack, id: string, props: BlueGreenPipelineProps): Settings {
  const https = props.certificate !== undefined;
  const ports = defaultPorts(https);
  const bakeTime = props.bakeTime ?? DEFAULTS.bakeTime;
  const baking = bakeTime.isUnresolved() || bakeTime.toSeconds() > 0;
  const shift = props.trafficShift?.steps();
  const testRoute = props.testRoute ?? TestRoute.port();
  const pipelineName = props.pipelineName ?? defaultPipelineName(stack.stackName, id);
  return {
    pipelineName,
    https,
    productionPort: props.productionPort ?? ports.production,
    testPort: testRoute.listenerPort ?? props.testPort ?? ports.test,
    containerPort: props.containerPort ?? DEFAULTS.containerPort,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    desiredCount: firstReleaseCount(props),
    deployTimeout: props.deployTimeout ?? DEFAULTS.deployTimeout,
    bakeTime,
    baking,
    shift,
    watchingAlarms: baking || shift !== undefined,
    testRoute,
    headerRoute: testRoute.kind === 'header',
    cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
    reserveConcurrency: props.reservedConcurrency ?? true,
    internetFacing: props.loadBalancer ? true : (props.internetFacing ?? DEFAULTS.internetFacing),
    names: releaseNames(stack, pipelineName),
    ...(props.previousSlotRetention ? { previousSlotRetention: props.previousSlotRetention } : {}),
    ...(props.autoScaling ? { autoScaling: { minCapacity: props.autoScaling.minCapacity, maxCapacity: props.autoScaling.maxCapacity } } : {}),
  };
}

/** The application container's settings, defaults applied. */
export function containerSettings(props: BlueGreenPipelineProps, settings: Settings): SlotContainerSettings {
  return {
    cpu: props.cpu ?? DEFAULTS.cpu,
    memoryLimitMiB: props.memoryLimitMiB ?? DEFAULTS.memoryLimitMiB,
    cpuArchitecture: settings.cpuArchitecture,
    containerPort: settings.containerPort,
    healthCheckPath: props.healthCheckPath ?? DEFAULTS.healthCheckPath,
    healthCheckPort: props.healthCheckPort,
    healthCheckGracePeriod: props.healthCheckGracePeriod ?? DEFAULTS.healthCheckGracePeriod,
    environment: props.environment ?? {},
    secrets: props.secrets ?? {},
    readonlyRootFilesystem: props.readonlyRootFilesystem ?? DEFAULTS.readonlyRootFilesystem,
    containerUser: props.containerUser ?? DEFAULTS.containerUser,
  };
}

function releaseNames(stack: Stack, pipelineName: string): ReleaseNames {
  const state = stateParameterName(pipelineName);
  const lease = leaseParameterPath(pipelineName);
  return {
    pipelineArn: stack.formatArn({ service: 'codepipeline', resource: pipelineName, arnFormat: ArnFormat.NO_RESOURCE_NAME }),
    configParameterName: configParameterName(pipelineName),
    stateParameterName: state,
    stateParameterArn: parameterArn(stack, state),
    leaseParameterPath: lease,
    leasePathArn: parameterArn(stack, lease),
    rollbackRequestParameterName: rollbackRequestParameterName(pipelineName),
    rollbackRequestParameterArn: parameterArn(stack, rollbackRequestParameterName(pipelineName)),
  };
}

/** The ARN of an SSM parameter (or of a path of them) by name. */
export function parameterArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}
