import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Synthesized, only, resourcesOf, statementWith, statementsOf, synth, text } from './fixtures';

function stages(template: Template): Array<{ Name: string; Actions: Array<Record<string, any>> }> {
  return only(template, 'AWS::CodePipeline::Pipeline')[1].Properties.Stages;
}

function logicalIds(template: Template, type: string, prefix: string): string[] {
  return Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
}

function functionEnvironment(template: Template, prefix: string): string {
  const [id] = logicalIds(template, 'AWS::Lambda::Function', prefix);
  return JSON.stringify(template.toJSON().Resources[id].Properties.Environment);
}

describe('BlueGreenPipeline bake', () => {
  let base: Synthesized;
  let t: Template;
  beforeAll(() => {
    base = synth();
    t = base.template;
  });

  describe('the Bake stage', () => {
    test('it follows Swap in the Release stage, reads the Swap outputs and the execution id, and exports under Bake', () => {
      const release = stages(t).find((s) => s.Name === 'Release')!;
      expect(release.Actions.map((a) => a.Name).slice(-2)).toEqual(['Swap', 'Bake']);
      const action = release.Actions[release.Actions.length - 1];
      expect(action.RunOrder).toBeGreaterThan(release.Actions.find((a) => a.Name === 'Swap')!.RunOrder);
      expect(action).toMatchObject({ Name: 'Bake', Namespace: 'Bake', ActionTypeId: { Category: 'Invoke', Provider: 'Lambda' } });
      expect(JSON.parse(action.Configuration.UserParameters)).toEqual({
        liveSlot: '#{Swap.LIVE_SLOT}',
        imageDigest: '#{Swap.LIVE_DIGEST}',
        executionId: '#{codepipeline.PipelineExecutionId}',
      });
      expect(action.Configuration.FunctionName).toEqual({ Ref: logicalIds(t, 'AWS::Lambda::Function', 'ReleaseBakeFunction')[0] });
    });

    test('the window defaults to 10 minutes and the bake function outlasts the swap function it waits for', () => {
      expect(functionEnvironment(t, 'ReleaseBakeFunction')).toContain('\\"windowSeconds\\":600');
      const timeout = (prefix: string) => t.toJSON().Resources[logicalIds(t, 'AWS::Lambda::Function', prefix)[0]].Properties.Timeout;
      expect(timeout('ReleaseBakeFunction')).toBeGreaterThan(timeout('ReleaseSwapFunction'));
    });

    test('only the bake function\'s configuration names the swap function, so swap never depends on bake', () => {
      const swapId = logicalIds(t, 'AWS::Lambda::Function', 'ReleaseSwapFunction')[0];
      expect(functionEnvironment(t, 'ReleaseBakeFunction')).toContain(`"Ref":"${swapId}"`);
      // Swap learns only that a bake follows (so it leaves the release lease to Bake), never the bake section.
      for (const fn of ['ReleaseSwapFunction', 'ReleaseDeployGreenFunction']) {
        expect(functionEnvironment(t, fn)).not.toContain('\\"bake\\"');
        expect(functionEnvironment(t, fn)).not.toContain('swapFunctionName');
        expect(functionEnvironment(t, fn)).toContain('\\"bakeAfterSwap\\":true');
      }
    });

    test('bakeTime 0 turns the stage, its function and its alarms off', () => {
      const { template, construct } = synth({ bakeTime: Duration.seconds(0) });
      expect(stages(template).find((s) => s.Name === 'Release')!.Actions.map((a) => a.Name)).toEqual(['DeployGreen', 'Approve', 'Swap']);
      // Without a bake, the swap ends the release and gives the lease back.
      expect(functionEnvironment(template, 'ReleaseSwapFunction')).toContain('\\"bakeAfterSwap\\":false');
      expect(logicalIds(template, 'AWS::Lambda::Function', 'ReleaseBakeFunction')).toEqual([]);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
      expect(construct.bakeFunction).toBeUndefined();
      expect(construct.slotABakeAlarms).toEqual([]);
    });

    test('a given bake time sets the window', () => {
      const { template } = synth({ bakeTime: Duration.minutes(30) });
      expect(functionEnvironment(template, 'ReleaseBakeFunction')).toContain('\\"windowSeconds\\":1800');
    });

    test.each([
      ['a bake time under a minute', { bakeTime: Duration.seconds(30) }, /bakeTime \(or 0 to turn the Bake action off\) must be from 1 minute to 23 hours \(got 30 seconds\)/],
      ['a bake time of a fraction of a second', { bakeTime: Duration.millis(90_500) }, /bakeTime must be a whole number of seconds \(got 90500 ms\)/],
      // CodePipeline fails a Lambda action after 24 hours: the window stops an hour short of it.
      ['a bake time of a full day', { bakeTime: Duration.hours(24) }, /bakeTime .* must be from 1 minute to 23 hours \(got 1 day\)/],
      ['a 5xx threshold of 0', { bake5xxThreshold: 0 }, /bake5xxThreshold must be a whole number of 5xx responses per minute, at least 1 \(got 0\)/],
      ['a fractional 5xx threshold', { bake5xxThreshold: 2.5 }, /bake5xxThreshold must be a whole number/],
      ['a latency threshold of 0', { bakeLatencyThreshold: Duration.millis(0) }, /bakeLatencyThreshold must be from 1 millisecond to 1 hour/],
    ])('fails when given %s', (_name, props, message) => {
      expect(() => synth(props)).toThrow(message);
    });
  });

  describe('the slot alarms', () => {
    const alarms = (template: Template, slot: 'A' | 'B') =>
      Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) => id.startsWith(`ReleaseBakeAlarmsSlot${slot}`)) as Array<[string, { Properties: Record<string, any> }]>;
    const targetGroupId = (slot: 'A' | 'B') => logicalIds(t, 'AWS::ElasticLoadBalancingV2::TargetGroup', `ReleaseSlot${slot}TargetGroup`)[0];

    test('each slot has a 5xx, an unhealthy-host and a p99 latency alarm on its own target group', () => {
      t.resourceCountIs('AWS::CloudWatch::Alarm', 6);
      for (const slot of ['A', 'B'] as const) {
        const found = alarms(t, slot);
        expect(found.map(([, a]) => `${a.Properties.MetricName}/${a.Properties.Statistic ?? a.Properties.ExtendedStatistic}`).sort()).toEqual([
          'HTTPCode_Target_5XX_Count/Sum',
          'TargetResponseTime/p99',
          'UnHealthyHostCount/Maximum',
        ]);
        for (const [, alarm] of found) {
          const dimensions = Object.fromEntries((alarm.Properties.Dimensions as Array<{ Name: string; Value: unknown }>).map((d) => [d.Name, d.Value]));
          expect(dimensions.TargetGroup).toEqual({ 'Fn::GetAtt': [targetGroupId(slot), 'TargetGroupFullName'] });
          expect(JSON.stringify(dimensions.LoadBalancer)).toContain(logicalIds(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'ReleaseLoadBalancer')[0]);
          expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/ApplicationELB', Period: 60, EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
        }
      }
    });

    test('the thresholds default to 5 errors a minute, 1 unhealthy host and 1 second, and follow the props', () => {
      const thresholds = (template: Template) =>
        Object.fromEntries(alarms(template, 'A').map(([, a]) => [a.Properties.MetricName, [a.Properties.ComparisonOperator, a.Properties.Threshold]]));
      expect(thresholds(t)).toEqual({
        HTTPCode_Target_5XX_Count: ['GreaterThanOrEqualToThreshold', 5],
        UnHealthyHostCount: ['GreaterThanOrEqualToThreshold', 1],
        TargetResponseTime: ['GreaterThanThreshold', 1],
      });
      const { template } = synth({ bake5xxThreshold: 20, bakeLatencyThreshold: Duration.millis(300) });
      expect(thresholds(template)).toMatchObject({ HTTPCode_Target_5XX_Count: ['GreaterThanOrEqualToThreshold', 20], TargetResponseTime: ['GreaterThanThreshold', 0.3] });
    });

    test('every alarm notifies the audit topic, which lets this account\'s alarms publish with its key', () => {
      const topicId = logicalIds(t, 'AWS::SNS::Topic', 'ReleaseNotificationTopic')[0];
      for (const [, alarm] of [...alarms(t, 'A'), ...alarms(t, 'B')]) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '123456789012' } }) }),
          ]),
        },
      });
      t.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '123456789012' } }) }),
          ]),
        },
      });
    });
  });

  describe('the bake function\'s permissions', () => {
    test('DescribeAlarms names exactly the watched alarms, including the user\'s own', () => {
      const { template } = synth({}, (stack) => ({ bakeAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'Errors', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-errors')] }));
      const statement = statementWith(statementsOf(template, 'ReleaseBakeRole'), 'cloudwatch:DescribeAlarms');
      const alarmIds = logicalIds(template, 'AWS::CloudWatch::Alarm', 'ReleaseBakeAlarms');
      expect(resourcesOf(statement)).toEqual([...alarmIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })), 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-errors']);
      expect(functionEnvironment(template, 'ReleaseBakeFunction')).toContain('\\"sharedAlarms\\":[\\"shop-errors\\"]');
    });

    test('it may invoke only the swap function, read rules, give the release lease back, and change no route or state record', () => {
      const statements = statementsOf(t, 'ReleaseBakeRole');
      const swapId = logicalIds(t, 'AWS::Lambda::Function', 'ReleaseSwapFunction')[0];
      expect(resourcesOf(statementWith(statements, 'lambda:InvokeFunction'))).toEqual([{ 'Fn::GetAtt': [swapId, 'Arn'] }]);
      expect(resourcesOf(statementWith(statements, 'elasticloadbalancing:DescribeRules'))).toEqual(['*']);
      const actions = statements.flatMap((s) => ([] as string[]).concat(s.Action));
      for (const forbidden of ['elasticloadbalancing:ModifyRule', 'ecs:UpdateService', 'tag:TagResources', 'sns:Publish']) {
        expect(actions).not.toContain(forbidden);
      }
      // Its only SSM writes are the lease's generations, never the state record.
      expect(resourcesOf(statementWith(statements, 'ssm:PutParameter')).map(text)).toEqual(['arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/shop/lease/*']);
    });

    test('a given audit topic still receives the alarms, with its own policies left alone', () => {
      const { template } = synth({}, (stack) => ({ notificationTopic: sns.Topic.fromTopicArn(stack, 'Audit', 'arn:aws:sns:eu-west-1:123456789012:audit') }));
      for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[]) {
        expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:audit']);
      }
      template.resourceCountIs('AWS::SNS::TopicPolicy', 1);
    });
  });
});
