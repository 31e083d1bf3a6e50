import { ArnFormat, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

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
