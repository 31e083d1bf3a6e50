import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { TrafficShift } from '../../lib';
import { DashboardWidget, dashboardWidgets, renderDashboardSvg, widgetHeading } from '../support/dashboard-layout';
import { only, synth } from './fixtures';

/** The logical ID of the only resource of `type` whose ID starts with `prefix`. */
function idOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ')}`);
  return ids[0];
}

const byHeading = (widgets: DashboardWidget[], heading: string) => {
  const found = widgets.filter((w) => widgetHeading(w) === heading);
  if (found.length !== 1) throw new Error(`expected one widget "${heading}", found ${found.length}`);
  return found[0];
};

const metricsOf = (w: DashboardWidget): unknown[][] => w.properties.metrics;

describe('the dashboard', () => {
  const { template, construct } = synth();
  const widgets = dashboardWidgets(template);

  test('one per pipeline by default, exposed on the construct', () => {
    const [id] = only(template, 'AWS::CloudWatch::Dashboard');
    expect(construct.dashboard).toBeDefined();
    expect(id).toMatch(/^ReleaseDashboard[0-9A-F]{8}$/);
    expect(widgets.map(widgetHeading)).toEqual([
      'Releases of shop',
      'Production weight by slot (%)',
      'Release operations (a minute)',
      'Release markers (operation, digest, weights)',
      ...['a', 'b'].flatMap((s) => [
        `Slot ${s}: requests and target 5xx`,
        `Slot ${s}: response time p50 and p99 (s)`,
        `Slot ${s}: healthy and unhealthy hosts`,
        `Slot ${s}: running tasks`,
      ]),
      'Release alarms',
    ]);
  });

  test("each slot's graphs name that slot's target group behind the load balancer, and that slot's service in the cluster", () => {
    const lb = idOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'ReleaseLoadBalancer');
    const cluster = idOf(template, 'AWS::ECS::Cluster', 'ReleaseCluster');
    for (const slot of ['A', 'B']) {
      const tg = `<GetAtt ${idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', `ReleaseSlot${slot}TargetGroup`)}.TargetGroupFullName>`;
      const s = slot.toLowerCase();
      const elb = [`Slot ${s}: requests and target 5xx`, `Slot ${s}: response time p50 and p99 (s)`, `Slot ${s}: healthy and unhealthy hosts`].flatMap((h) => metricsOf(byHeading(widgets, h)));
      expect(elb.map((m) => [m[0], m[1], (m[6] as { stat: string }).stat])).toEqual([
        ['AWS/ApplicationELB', 'RequestCount', 'Sum'],
        ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'Sum'],
        ['AWS/ApplicationELB', 'TargetResponseTime', 'p50'],
        ['AWS/ApplicationELB', 'TargetResponseTime', 'p99'],
        ['AWS/ApplicationELB', 'HealthyHostCount', 'Minimum'],
        ['AWS/ApplicationELB', 'UnHealthyHostCount', 'Maximum'],
      ]);
      for (const m of elb) {
        expect([m[2], m[4], m[5]]).toEqual(['LoadBalancer', 'TargetGroup', tg]);
        expect(m[3]).toBe(`<GetAtt ${lb}.LoadBalancerFullName>`);
      }
      const tasks = metricsOf(byHeading(widgets, `Slot ${s}: running tasks`));
      expect(tasks.map((m) => m.slice(0, 6))).toEqual([['ECS/ContainerInsights', 'RunningTaskCount', 'ClusterName', `<Ref ${cluster}>`, 'ServiceName', `shop-slot-${s}`]]);
    }
  });

  test('the production weight and the operations are the control plane\'s metrics of this pipeline', () => {
    const weight = metricsOf(byHeading(widgets, 'Production weight by slot (%)'));
    expect(weight.filter((m) => typeof m[0] === 'string').map((m) => m.slice(0, 6))).toEqual([
      ['BlueGreen', 'ProductionWeight', 'Pipeline', 'shop', 'Slot', 'a'],
      ['BlueGreen', 'ProductionWeight', 'Pipeline', 'shop', 'Slot', 'b'],
    ]);
    expect(weight.filter((m) => typeof m[0] !== 'string').map((m) => (m[0] as { expression: string }).expression)).toEqual(['FILL(wa, REPEAT)', 'FILL(wb, REPEAT)']);
    const ops = metricsOf(byHeading(widgets, 'Release operations (a minute)'));
    expect(ops.map((m) => [m[1], m[3], m[5]])).toEqual(['swap', 'rollback', 'shift-step', 'promote', 'abort', 'already-swapped', 'revert'].map((o) => ['Operations', o, 'shop']));
  });

  test("the release markers query the swap function's log group for its metric lines", () => {
    const markers = byHeading(widgets, 'Release markers (operation, digest, weights)');
    const logGroup = idOf(template, 'AWS::Logs::LogGroup', 'ReleaseSwapLogGroup');
    expect(markers.properties.query).toMatch(new RegExp(`^SOURCE '<Ref ${logGroup}>' \\| fields @timestamp, Operation, digest`));
    expect(markers.properties.query).toContain('filter Operations = 1');
  });

  test("the alarm status shows each slot's alarms and the watched composite alarms", () => {
    const arns = (byHeading(widgets, 'Release alarms').properties.alarms as string[]).map((a) => a.replace(/^<GetAtt (.*)\.Arn>$/, '$1'));
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    const composites = Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(arns.slice(0, 6).sort()).toEqual(alarms.filter((id) => id.startsWith('ReleaseBakeAlarmsSlot')).sort());
    expect(arns.slice(6)).toEqual(composites.filter((id) => /^ReleaseBakeAlarmsWatchSlot[AB]Alarm/.test(id)));
  });

  test("your bakeAlarms are under the shared composite alarm the widget shows", () => {
    const { template: t } = synth({}, (stack) => ({
      bakeAlarms: [new cloudwatch.Alarm(stack, 'Mine', { metric: new cloudwatch.Metric({ namespace: 'App', metricName: 'Errors' }), threshold: 1, evaluationPeriods: 1 })],
    }));
    const arns = byHeading(dashboardWidgets(t), 'Release alarms').properties.alarms as string[];
    expect(arns.at(-1)).toMatch(/^<GetAtt ReleaseBakeAlarmsWatchSharedAlarm[0-9A-F]{8}\.Arn>$/);
  });

  test('off with dashboard: false', () => {
    const { template: t, construct: c } = synth({ dashboard: false });
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(c.dashboard).toBeUndefined();
  });

  test('without a bake or a shift there are no release alarms, and no alarm widget', () => {
    const { template: t } = synth({ bakeTime: Duration.seconds(0) });
    expect(dashboardWidgets(t).map((w) => w.type)).not.toContain('alarm');
    const shifted = dashboardWidgets(synth({ bakeTime: Duration.seconds(0), trafficShift: TrafficShift.canary({ percent: 10, bake: Duration.minutes(5) }) }).template);
    expect(shifted.map((w) => w.type)).toContain('alarm');
  });

  test('docs/dashboard.svg is the layout this template renders (re-render with `npm run render:dashboard`)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'docs', 'dashboard.svg'), 'utf8');
    expect(committed).toBe(renderDashboardSvg(widgets));
    expect(committed.match(/<rect /g)).toHaveLength(widgets.length + 1);
  });
});
