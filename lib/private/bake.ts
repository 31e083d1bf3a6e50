import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { ReleaseConfigDocument } from '../../lambdas/core/config';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { BakeWatch, SlotBakeAlarms, allowAlarmsToNotify } from './bake-alarms';
import { ControlPlane } from './control-plane';
import { ControlPlaneFunction, SharedFunctionProps } from './control-plane-function';
import { DEFAULTS } from './defaults';
import { Slots } from './slots';
import { Topics } from './topics';

/** The bake props this part reads (defaults applied here). */
export type BakeSettings = Pick<BlueGreenPipelineProps, 'bakeLatencyThreshold' | 'bake5xxThreshold' | 'bakeAlarms'>;

export interface BakeWatchingProps extends BakeSettings {
  readonly pipelineName: string;
  readonly bakeTime: Duration;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly slots: Slots;
  /** The audit topic the alarms notify. */
  readonly topics: Topics;
  readonly shared: SharedFunctionProps;
  readonly controlPlane: ControlPlane;
}

/**
 * Bake watching: per-slot alarms, one composite alarm per slot and one over your alarms, and the
 * Bake function that watches them after a swap and asks the swap function to roll back on alarm.
 * Bake holds no route permission of its own.
 */
export class BakeWatching {
  public readonly slotAAlarms: cloudwatch.Alarm[];
  public readonly slotBAlarms: cloudwatch.Alarm[];
  public readonly bake: ControlPlaneFunction;

  constructor(scope: Construct, props: BakeWatchingProps) {
    const alarmProps = {
      loadBalancer: props.loadBalancer,
      latencyThreshold: props.bakeLatencyThreshold ?? DEFAULTS.bakeLatencyThreshold,
      fiveXxThreshold: props.bake5xxThreshold ?? DEFAULTS.bake5xxThreshold,
    };
    const bakeAlarms = new Construct(scope, 'BakeAlarms');
    this.slotAAlarms = new SlotBakeAlarms(bakeAlarms, 'SlotA', { ...alarmProps, targetGroup: props.slots.a.targetGroup }).alarms;
    this.slotBAlarms = new SlotBakeAlarms(bakeAlarms, 'SlotB', { ...alarmProps, targetGroup: props.slots.b.targetGroup }).alarms;
    allowAlarmsToNotify([...this.slotAAlarms, ...this.slotBAlarms], props.topics.notificationTopic, props.topics.createdTopicKey);
    // Bake watches one composite alarm per slot and one over your alarms, whatever their number.
    const watch = new BakeWatch(bakeAlarms, 'Watch', { pipelineName: props.pipelineName, slotA: this.slotAAlarms, slotB: this.slotBAlarms, shared: props.bakeAlarms ?? [] });
    const swapFunction = props.controlPlane.swap.function;
    // Only Bake's copy names the swap function: swap's own configuration never needs Bake.
    const bakeConfig: ReleaseConfigDocument = {
      ...props.controlPlane.config,
      bake: {
        alarms: { a: watch.names.a, b: watch.names.b },
        sharedAlarms: watch.names.shared,
        swapFunctionName: swapFunction.functionName,
        windowSeconds: props.bakeTime.toSeconds(),
      },
    };
    this.bake = new ControlPlaneFunction(scope, 'Bake', {
      ...props.shared,
      bundle: 'bake',
      description: `Watches the alarms of the live slot of ${props.pipelineName} after a swap and rolls back on alarm`,
      // Longer than the swap function's, which it may wait for when it asks for a rollback.
      timeout: Duration.minutes(3),
      environment: { BLUEGREEN_CONFIG: Stack.of(scope).toJsonString(bakeConfig) },
    });
    // "To use this operation and return information about composite alarms, you must be signed on
    // with the cloudwatch:DescribeAlarms permission that is scoped to *" (DescribeAlarms reference):
    // a narrower grant hides every composite alarm, Bake's own included.
    this.bake.allow(['cloudwatch:DescribeAlarms'], ['*']);
    this.bake.allow(['elasticloadbalancing:DescribeRules'], ['*']);
    this.bake.allow(['lambda:InvokeFunction'], [swapFunction.functionArn]);
    props.controlPlane.holdLease(this.bake);
    props.controlPlane.grantEvidence(this.bake);
  }
}
