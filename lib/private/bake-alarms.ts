import { ArnFormat, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ControlPlaneFunction } from './control-plane-function';
import { MAX_ALARM_ARN } from './resolved-length';

export interface SlotBakeAlarmsProps {
  /** The slot's target group. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The load balancer the target group is behind. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly latencyThreshold: Duration;
  readonly fiveXxThreshold: number;
}

/** Alarms evaluate two one-minute periods, so one bad minute is not enough to roll back. */
const PERIOD = Duration.minutes(1);
const EVALUATION_PERIODS = 2;

/**
 * `app/<name>/<id>`, the LoadBalancer dimension of ALB metrics, from the load balancer ARN, so an
 * imported load balancer works the same as a created one.
 */
export function loadBalancerFullName(loadBalancer: elbv2.IApplicationLoadBalancer): string {
  const parts = Fn.split('/', loadBalancer.loadBalancerArn, 4);
  return Fn.join('/', [Fn.select(1, parts), Fn.select(2, parts), Fn.select(3, parts)]);
}

/**
 * The alarms Bake watches on one slot: target 5xx count, unhealthy hosts, and p99 response time.
 * The slots' target groups are routed by control-plane rules, not CDK listeners, so the metrics are
 * built from the dimensions rather than `targetGroup.metrics` (which needs a CDK-attached listener).
 * No data (an idle slot) is not a breach.
 */
export class SlotBakeAlarms extends Construct {
  public readonly fiveXx: cloudwatch.Alarm;
  public readonly unhealthyHosts: cloudwatch.Alarm;
  public readonly latency: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SlotBakeAlarmsProps) {
    super(scope, id);
    const dimensionsMap = { LoadBalancer: loadBalancerFullName(props.loadBalancer), TargetGroup: props.targetGroup.targetGroupFullName };
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName, dimensionsMap, statistic, period: PERIOD });
    const common = { evaluationPeriods: EVALUATION_PERIODS, datapointsToAlarm: EVALUATION_PERIODS, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING };
    this.fiveXx = new cloudwatch.Alarm(this, 'Target5xx', {
      ...common,
      metric: metric('HTTPCode_Target_5XX_Count', 'Sum'),
      threshold: props.fiveXxThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `Bake: ${props.fiveXxThreshold} or more target 5xx responses a minute`,
    });
    this.unhealthyHosts = new cloudwatch.Alarm(this, 'UnhealthyHosts', {
      ...common,
      metric: metric('UnHealthyHostCount', 'Maximum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: 'Bake: at least one unhealthy target',
    });
    this.latency = new cloudwatch.Alarm(this, 'Latency', {
      ...common,
      metric: metric('TargetResponseTime', 'p99'),
      // TargetResponseTime is reported in seconds.
      threshold: props.latencyThreshold.toMilliseconds() / 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      alarmDescription: `Bake: p99 target response time above ${props.latencyThreshold.toHumanString()}`,
    });
  }

  public get alarms(): cloudwatch.Alarm[] {
    return [this.fiveXx, this.unhealthyHosts, this.latency];
  }
}

/**
 * Sends the bake alarms to the audit topic, so on-call hears of an alarm as it fires (the
 * rollback and the failed execution follow there too). A topic the construct created gets the
 * topic and key policy CloudWatch needs to publish, limited to this account's alarms; a topic
 * brought by the user keeps its own policies.
 */
export function allowAlarmsToNotify(alarms: cloudwatch.Alarm[], topic: sns.ITopic, createdTopicKey: kms.IKey | undefined): void {
  for (const alarm of alarms) alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  if (createdTopicKey === undefined || alarms.length === 0) return;
  const stack = Stack.of(alarms[0]);
  const principals = [new iam.ServicePrincipal('cloudwatch.amazonaws.com')];
  const conditions = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
  };
  topic.addToResourcePolicy(new iam.PolicyStatement({ principals, actions: ['sns:Publish'], resources: [topic.topicArn], conditions }));
  createdTopicKey.addToResourcePolicy(new iam.PolicyStatement({ principals, actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions }));
}

/** PutCompositeAlarm: "The rule expression of a composite alarm can include as many as 100 underlying alarms." */
export const MAX_RULE_ALARMS = 100;
/** PutCompositeAlarm: AlarmRule has a maximum length of 10,240 characters. */
export const MAX_ALARM_RULE_LENGTH = 10240;

/** The three alarms Bake watches, by name: one per slot, and one for the user's own alarms. */
export type Watched = 'slot-a' | 'slot-b' | 'shared';
export const watchAlarmName = (pipelineName: string, watched: Watched): string => `${pipelineName}-bake-${watched}`;

/**
 * The longest `ALARM("<arn>")` term an alarm can add to a rule: an ARN that is still a token at
 * synthesis counts at the longest an alarm ARN can be, so the rule fits once deployed.
 */
function ruleTermLength(alarm: cloudwatch.IAlarm): number {
  const arn = alarm.alarmArn;
  return 'ALARM("")'.length + (Token.isUnresolved(arn) ? MAX_ALARM_ARN : arn.length);
}

/** Consecutive groups of `alarms` that each fit one rule `(ALARM("…") OR ALARM("…") …)`. */
function ruleGroups(alarms: readonly cloudwatch.IAlarm[]): cloudwatch.IAlarm[][] {
  const groups: cloudwatch.IAlarm[][] = [];
  let group: cloudwatch.IAlarm[] = [];
  let length = '()'.length;
  for (const alarm of alarms) {
    const added = ruleTermLength(alarm) + (group.length > 0 ? ' OR '.length : 0);
    if (group.length === MAX_RULE_ALARMS || (group.length > 0 && length + added > MAX_ALARM_RULE_LENGTH)) {
      groups.push(group);
      group = [];
      length = '()'.length;
    }
    group.push(alarm);
    length += ruleTermLength(alarm) + (group.length > 1 ? ' OR '.length : 0);
  }
  groups.push(group);
  return groups;
}

const anyOf = (alarms: readonly cloudwatch.IAlarm[]) =>
  cloudwatch.AlarmRule.anyOf(...alarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)));

export interface AnyAlarmProps {
  readonly alarmName: string;
  readonly description: string;
  /** At least one. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/**
 * A composite alarm named `alarmName` that is in ALARM when any of `alarms` is. When one rule would
 * hold more than 100 alarms or 10,240 characters, the alarms are split into groups, each a composite
 * alarm of its own (generated name), and the named one ORs the groups (nesting again as needed), so
 * any number of alarms fits.
 */
export class AnyAlarm extends Construct {
  public readonly alarm: cloudwatch.CompositeAlarm;
  /** The composite alarms that hold the groups, when there are more alarms than one rule takes. */
  public readonly groups: cloudwatch.CompositeAlarm[] = [];

  constructor(scope: Construct, id: string, props: AnyAlarmProps) {
    super(scope, id);
    let level = [...props.alarms];
    for (let depth = 0; ; depth++) {
      const groups = ruleGroups(level);
      if (groups.length === 1) {
        this.alarm = new cloudwatch.CompositeAlarm(this, 'Alarm', { compositeAlarmName: props.alarmName, alarmDescription: props.description, alarmRule: anyOf(groups[0]) });
        return;
      }
      level = groups.map(
        (group, i) =>
          new cloudwatch.CompositeAlarm(this, `Level${depth}Group${i}`, {
            alarmDescription: `${props.description} (group ${i + 1} of ${groups.length})`,
            alarmRule: anyOf(group),
          }),
      );
      this.groups.push(...(level as cloudwatch.CompositeAlarm[]));
    }
  }
}

/** The composite alarms a release watches: each slot's, and the one over your alarms (none when you gave none). */
export interface WatchedAlarmNames {
  readonly a: string[];
  readonly b: string[];
  readonly shared: string[];
}

export interface BakeWatchProps {
  readonly pipelineName: string;
  readonly slotA: readonly cloudwatch.IAlarm[];
  readonly slotB: readonly cloudwatch.IAlarm[];
  /** The user's own alarms, watched whichever slot bakes. */
  readonly shared: readonly cloudwatch.IAlarm[];
}

/**
 * What Bake watches: one composite alarm per slot over that slot's alarms, and one over the user's
 * alarms (when there are any). Bake's configuration names only these, so the function's environment
 * stays the same size whatever the number of alarms (Lambda limits it to 4 KB), and every alarm is
 * still watched: a composite alarm is in ALARM when any alarm under it is, its state reason names
 * the alarm that set it off, CloudWatch refuses to delete an alarm a composite alarm depends on,
 * and a watched composite alarm that is missing fails the bake closed.
 */
export class BakeWatch extends Construct {
  /** The watched alarm names for Bake's configuration (and a shift's). */
  public readonly names: WatchedAlarmNames;
  public readonly compositeAlarms: cloudwatch.CompositeAlarm[];
  /** The composite alarms Bake and a shift watch, one per slot and one over your alarms. */
  public readonly watched: cloudwatch.CompositeAlarm[];

  constructor(scope: Construct, id: string, props: BakeWatchProps) {
    super(scope, id);
    const watch = (cid: string, watched: Watched, alarms: readonly cloudwatch.IAlarm[], description: string) =>
      new AnyAlarm(this, cid, { alarmName: watchAlarmName(props.pipelineName, watched), description, alarms });
    const slotA = watch('SlotA', 'slot-a', props.slotA, `Bake of ${props.pipelineName}: any alarm of slot a`);
    const slotB = watch('SlotB', 'slot-b', props.slotB, `Bake of ${props.pipelineName}: any alarm of slot b`);
    const shared = props.shared.length > 0 ? watch('Shared', 'shared', props.shared, `Bake of ${props.pipelineName}: any of your bakeAlarms`) : undefined;
    const all = [slotA, slotB, ...(shared ? [shared] : [])];
    this.compositeAlarms = all.flatMap((w) => [...w.groups, w.alarm]);
    this.watched = all.map((w) => w.alarm);
    this.names = { a: [slotA.alarm.alarmName], b: [slotB.alarm.alarmName], shared: shared ? [shared.alarm.alarmName] : [] };
  }
}

/**
 * "To use this operation and return information about composite alarms, you must be signed on
 * with the cloudwatch:DescribeAlarms permission that is scoped to *" (DescribeAlarms reference):
 * a narrower grant hides every composite alarm, the release's own included.
 */
export function allowDescribeAlarms(fn: ControlPlaneFunction): void {
  fn.allow(['cloudwatch:DescribeAlarms'], ['*']);
}
