import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ReleaseConfigDocument } from '../../lambdas/core/config';
import { BakeWatch, SlotBakeAlarms, allowAlarmsToNotify } from './bake-alarms';
import { ControlPlane } from './control-plane';
import { ControlPlaneFunction, SharedFunctionProps } from './control-plane-function';
import { Slots } from './slots';

export interface BakeWatchingProps {
  readonly pipelineName: string;
  readonly bakeTime: Duration;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly slots: Slots;
  readonly latencyThreshold: Duration;
  readonly fiveXxThreshold: number;
  /** Your alarms, watched for whichever slot is baking. */
  readonly sharedAlarms: cloudwatch.IAlarm[];
  readonly notificationTopic: sns.ITopic;
  /** The key of the audit topic when the construct created it (the alarms need it to publish). */
  readonly createdTopicKey?: kms.IKey;
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
    const alarmProps = { loadBalancer: props.loadBalancer, latencyThreshold: props.latencyThreshold, fiveXxThreshold: props.fiveXxThreshold };
    const bakeAlarms = new Construct(scope, 'BakeAlarms');
    this.slotAAlarms = new SlotBakeAlarms(bakeAlarms, 'SlotA', { ...alarmProps, targetGroup: props.slots.a.targetGroup }).alarms;
    this.slotBAlarms = new SlotBakeAlarms(bakeAlarms, 'SlotB', { ...alarmProps, targetGroup: props.slots.b.targetGroup }).alarms;
    allowAlarmsToNotify([...this.slotAAlarms, ...this.slotBAlarms], props.notificationTopic, props.createdTopicKey);
    // Bake watches one composite alarm per slot and one over your alarms, whatever their number.
    const watch = new BakeWatch(bakeAlarms, 'Watch', { pipelineName: props.pipelineName, slotA: this.slotAAlarms, slotB: this.slotBAlarms, shared: props.sharedAlarms });
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
  }

  /** Wildcard ARNs under what this part owns, for the IAM wildcard review. */
  public get ownedWildcardArns(): string[] {
    return [`${this.bake.function.functionArn}:*`];
  }
}
