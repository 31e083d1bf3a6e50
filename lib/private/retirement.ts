// `previousSlotRetention`: the schedule group the control plane's one-time scale-down schedules
// live in, and the role EventBridge Scheduler invokes the swap function with (docs/design.md, "The
// previous slot after a release").
import { ArnFormat, Duration, Names, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { RetentionConfig } from '../../lambdas/core/config';
import { ControlPlaneFunction } from './control-plane-function';

export class Retirement {
  public readonly group: scheduler.CfnScheduleGroup;
  public readonly role: iam.Role;
  /**
   * The schedules the control plane creates in its own group: `retire-<execution id>`, and
   * `ask-<request id>-<n>` (a requested rollback asked again while its slot scales up).
   */
  public readonly scheduleArns: string[];
  private readonly groupName: string;

  constructor(scope: Construct, private readonly retention: Duration, pipelineName: string) {
    const stack = Stack.of(scope);
    // 1-64 of [0-9a-zA-Z-_.] (EventBridge Scheduler API Reference, CreateScheduleGroup: Name), unique in the account and region.
    this.groupName = `${Names.uniqueResourceName(scope, { maxLength: 57, separator: '-' })}-retire`;
    this.group = new scheduler.CfnScheduleGroup(scope, 'RetirementScheduleGroup', { name: this.groupName });
    const groupArn = stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: this.groupName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.scheduleArns = ['retire-*', 'ask-*'].map((name) => stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.groupName}/${name}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }));
    // Scheduler assumes the role only for this account's schedules in this group (EventBridge
    // Scheduler User Guide, "Set up the execution role": aws:SourceAccount and aws:SourceArn, the group's ARN).
    this.role = new iam.Role(scope, 'RetirementSchedulerRole', {
      description: `Lets EventBridge Scheduler scale the previous slot of ${pipelineName} down (invokes its swap function)`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': groupArn } },
      }),
    });
  }

  /** The schedules invoke this function, and only it. */
  public allowInvoke(swap: lambda.IFunction): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [swap.functionArn] }));
  }

  /** Lets a control-plane function (Swap, Bake) create the schedules, handing them this role only. */
  public grantSchedule(fn: ControlPlaneFunction): void {
    fn.allow(['scheduler:CreateSchedule'], this.scheduleArns);
    fn.allow(['iam:PassRole'], [this.role.roleArn], { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  }

  /** The configuration section the functions read (`swapFunctionArn` only in Bake's copy). */
  public config(swapFunctionArn?: string): RetentionConfig {
    return {
      seconds: this.retention.toSeconds(),
      scheduleGroupName: this.groupName,
      schedulerRoleArn: this.role.roleArn,
      ...(swapFunctionArn !== undefined ? { swapFunctionArn } : {}),
    };
  }
}
