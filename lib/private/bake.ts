import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { ReleaseConfigDocument } from '../../lambdas/core/config';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { BakeWatch, SlotBakeAlarms, WatchedAlarmNames, allowAlarmsToNotify, allowDescribeAlarms } from './bake-alarms';
import { ControlPlane } from './control-plane';
import { ControlPlaneFunction, SharedFunctionProps } from './control-plane-function';
import { DEFAULTS } from './defaults';
import { Slots } from './slots';
import { Topics } from './topics';

/** The bake props the alarms read (defaults applied here). */
export type BakeSettings = Pick<BlueGreenPipelineProps, 'bakeLatencyThreshold' | 'bake5xxThreshold' | 'bakeAlarms'>;

export interface BakeAlarmsProps extends BakeSettings {
  readonly pipelineName: string;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly slots: Slots;
  /** The audit topic the alarms notify. */
  readonly topics: Topics;
}

/**
 * What a release watches on the slot it moves production to: per-slot alarms, one composite alarm
 * per slot and one over your alarms. Bake watches them after a swap; a traffic shift watches the
 * candidate's during each step (so they exist whenever either does).
 */
export class ReleaseAlarms {
  public readonly slotAAlarms: cloudwatch.Alarm[];
  public readonly slotBAlarms: cloudwatch.Alarm[];
  /** The watched (composite) alarm names, for the configuration. */
  public readonly names: WatchedAlarmNames;
  /** The per-slot alarms and the watched composite alarms, for the dashboard. */
  public readonly all: cloudwatch.IAlarm[];

  constructor(scope: Construct, props: BakeAlarmsProps) {
    const alarmProps = {
      loadBalancer: props.loadBalancer,
      latencyThreshold: props.bakeLatencyThreshold ?? DEFAULTS.bakeLatencyThreshold,
      fiveXxThreshold: props.bake5xxThreshold ?? DEFAULTS.bake5xxThreshold,
    };
    const bakeAlarms = new Construct(scope, 'BakeAlarms');
    this.slotAAlarms = new SlotBakeAlarms(bakeAlarms, 'SlotA', { ...alarmProps, targetGroup: props.slots.a.targetGroup }).alarms;
    this.slotBAlarms = new SlotBakeAlarms(bakeAlarms, 'SlotB', { ...alarmProps, targetGroup: props.slots.b.targetGroup }).alarms;
    allowAlarmsToNotify([...this.slotAAlarms, ...this.slotBAlarms], props.topics.notificationTopic, props.topics.createdTopicKey);
    // One composite alarm per slot and one over your alarms, whatever their number.
    const watch = new BakeWatch(bakeAlarms, 'Watch', { pipelineName: props.pipelineName, slotA: this.slotAAlarms, slotB: this.slotBAlarms, shared: props.bakeAlarms ?? [] });
    this.names = watch.names;
    this.all = [...this.slotAAlarms, ...this.slotBAlarms, ...watch.watched];
  }
}

export interface BakeWatchingProps {
  readonly pipelineName: string;
  readonly bakeTime: Duration;
  readonly alarms: ReleaseAlarms;
  readonly shared: SharedFunctionProps;
  readonly controlPlane: ControlPlane;
}

/**
 * Bake watching: the Bake function that watches the release alarms after a swap and asks the swap
 * function to roll back on alarm. Bake holds no route permission of its own.
 */
export class BakeWatching {
  public readonly bake: ControlPlaneFunction;

  constructor(scope: Construct, props: BakeWatchingProps) {
    const swapFunction = props.controlPlane.swap.function;
    const names = props.alarms.names;
    // Only Bake's copy names the swap function: swap's own configuration never needs Bake.
    const bakeConfig: ReleaseConfigDocument = {
      ...props.controlPlane.config,
      bake: {
        alarms: { a: names.a, b: names.b },
        sharedAlarms: names.shared,
        swapFunctionName: swapFunction.functionName,
        windowSeconds: props.bakeTime.toSeconds(),
      },
      // A passed bake schedules the previous slot's scale-down, which invokes the swap function.
      ...(props.controlPlane.retirement ? { previousSlotRetention: props.controlPlane.retirement.config(swapFunction.functionArn) } : {}),
    };
    this.bake = new ControlPlaneFunction(scope, 'Bake', {
      ...props.shared,
      bundle: 'bake',
      description: `Watches the alarms of the live slot of ${props.pipelineName} after a swap and rolls back on alarm`,
      // Longer than the swap function's, which it may wait for when it asks for a rollback.
      timeout: Duration.minutes(3),
      environment: { BLUEGREEN_CONFIG: Stack.of(scope).toJsonString(bakeConfig) },
    });
    allowDescribeAlarms(this.bake);
    this.bake.allow(['elasticloadbalancing:DescribeRules'], ['*']);
    this.bake.allow(['lambda:InvokeFunction'], [swapFunction.functionArn]);
    props.controlPlane.holdLease(this.bake);
    props.controlPlane.grantEvidence(this.bake);
    props.controlPlane.retirement?.grantSchedule(this.bake);
  }
}
