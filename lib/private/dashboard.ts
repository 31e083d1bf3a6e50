import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RELEASE_METRICS, RELEASE_OPERATIONS } from '../../lambdas/core/release-metrics';
import { loadBalancerFullName } from './bake-alarms';
import type { Slot } from './slot';
import type { Slots } from './slots';

export interface ReleaseDashboardProps {
  readonly pipelineName: string;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly cluster: ecs.ICluster;
  readonly slots: Slots;
  /** The release alarms (per slot and the watched composites); empty when nothing watches alarms. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The log group the Swap function writes its release metric lines to (the markers' digests). */
  readonly swapLogGroup: logs.ILogGroup;
}

const PERIOD = Duration.minutes(1);
/** A row of four graphs on the dashboard's 24-column grid. */
const QUARTER = 6;
const HALF = 12;
const FULL = 24;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard per pipeline: which slot production is on (and the weights during a
 * shift), each slot's traffic, errors, latency, hosts and tasks, the release alarms, and the
 * release markers. What CloudWatch already has is read from its own namespaces; what only the
 * control plane knows comes from its embedded-metric-format lines (lambdas/core/release-metrics.ts).
 */
export class ReleaseDashboard {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, props: ReleaseDashboardProps) {
    this.dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        width: FULL,
        height: 2,
        markdown: [
          `## Releases of ${props.pipelineName}`,
          'Production weight and operations come from the control plane (namespace `BlueGreen`); the slots\' graphs from the load balancer and Container Insights.',
        ].join('\n'),
      }),
    );
    this.dashboard.addWidgets(productionWeight(props.pipelineName), operations(props.pipelineName));
    this.dashboard.addWidgets(releaseMarkers(props.swapLogGroup));
    for (const slot of [props.slots.a, props.slots.b]) this.dashboard.addWidgets(...slotWidgets(slot, props));
    if (props.alarms.length > 0) {
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Release alarms', width: FULL, alarms: [...props.alarms] }));
    }
  }
}

/**
 * Each slot's share of production. The control plane writes a value only when production moves,
 * so each slot's line repeats its last value across the minutes in between (metric math
 * `FILL(…, REPEAT)`, "Metric math syntax and functions", CloudWatch user guide).
 */
function productionWeight(pipelineName: string): cloudwatch.GraphWidget {
  const slotLine = (slot: 'a' | 'b') =>
    new cloudwatch.MathExpression({
      expression: `FILL(w${slot}, REPEAT)`,
      label: `slot ${slot}`,
      period: PERIOD,
      usingMetrics: {
        [`w${slot}`]: new cloudwatch.Metric({
          namespace: RELEASE_METRICS.namespace,
          metricName: RELEASE_METRICS.weight,
          dimensionsMap: { Pipeline: pipelineName, Slot: slot },
          statistic: 'Maximum',
          period: PERIOD,
        }),
      },
    });
  return new cloudwatch.GraphWidget({
    title: 'Production weight by slot (%)',
    width: HALF,
    height: HEIGHT,
    left: [slotLine('a'), slotLine('b')],
    leftYAxis: { min: 0, max: 100, showUnits: false },
  });
}

/** How many times production moved, by operation, a minute: the release markers over time. */
function operations(pipelineName: string): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title: 'Release operations (a minute)',
    width: HALF,
    height: HEIGHT,
    left: RELEASE_OPERATIONS.map(
      (operation) =>
        new cloudwatch.Metric({
          namespace: RELEASE_METRICS.namespace,
          metricName: RELEASE_METRICS.operations,
          dimensionsMap: { Pipeline: pipelineName, Operation: operation },
          statistic: 'Sum',
          period: PERIOD,
          label: operation,
        }),
    ),
  });
}

/** The markers with what a metric cannot carry: the digest, the weights and the execution, from the Swap's log lines. */
function releaseMarkers(logGroup: logs.ILogGroup): cloudwatch.LogQueryWidget {
  return new cloudwatch.LogQueryWidget({
    title: 'Release markers (operation, digest, weights)',
    width: FULL,
    height: HEIGHT,
    logGroupNames: [logGroup.logGroupName],
    view: cloudwatch.LogQueryVisualizationType.TABLE,
    queryLines: [
      'fields @timestamp, Operation, digest, weights.a, weights.b, executionId',
      `filter ${RELEASE_METRICS.operations} = 1 and ispresent(Operation)`,
      'sort @timestamp desc',
      'limit 100',
    ],
  });
}

/**
 * One slot's row. Target group metrics by the TargetGroup and LoadBalancer dimensions ("CloudWatch
 * metrics for your Application Load Balancer", ELB user guide: RequestCount and
 * HTTPCode_Target_5XX_Count as Sum, TargetResponseTime in seconds, HealthyHostCount and
 * UnHealthyHostCount); running tasks from Container Insights (namespace ECS/ContainerInsights,
 * RunningTaskCount by ClusterName and ServiceName), which a created cluster has turned on.
 */
function slotWidgets(slot: Slot, props: ReleaseDashboardProps): cloudwatch.GraphWidget[] {
  // A created load balancer has its full name as an attribute; an imported one has it from its ARN.
  const lb = props.loadBalancer instanceof elbv2.ApplicationLoadBalancer ? props.loadBalancer.loadBalancerFullName : loadBalancerFullName(props.loadBalancer);
  const dimensionsMap = { LoadBalancer: lb, TargetGroup: slot.targetGroup.targetGroupFullName };
  const elb = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName, dimensionsMap, statistic, period: PERIOD, label });
  const graph = (title: string, left: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title: `Slot ${slot.slotName}: ${title}`, width: QUARTER, height: HEIGHT, left });
  return [
    graph('requests and target 5xx', [elb('RequestCount', 'Sum', 'requests'), elb('HTTPCode_Target_5XX_Count', 'Sum', 'target 5xx')]),
    graph('response time p50 and p99 (s)', [elb('TargetResponseTime', 'p50', 'p50'), elb('TargetResponseTime', 'p99', 'p99')]),
    graph('healthy and unhealthy hosts', [elb('HealthyHostCount', 'Minimum', 'healthy'), elb('UnHealthyHostCount', 'Maximum', 'unhealthy')]),
    graph('running tasks', [
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: slot.serviceName },
        statistic: 'Average',
        period: PERIOD,
        label: 'running',
      }),
    ]),
  ];
}
