import { App, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ControlPlaneFunction, LAMBDA_ENVIRONMENT_BYTES, longestEnvironmentBytes } from '../../lib/private/control-plane-function';
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

  describe('what Bake watches', () => {
    const composites = (template: Template) =>
      Object.fromEntries(Object.entries(template.findResources('AWS::CloudWatch::CompositeAlarm')).map(([id, a]) => [id, a.Properties as Record<string, any>]));
    const bakeSection = (template: Template) => {
      const env = functionEnvironment(template, 'ReleaseBakeFunction');
      return env.slice(env.indexOf('\\"bake\\"'));
    };
    const manyAlarms = (count: number) => (stack: Stack) => ({
      bakeAlarms: Array.from({ length: count }, (_, i) => cloudwatch.Alarm.fromAlarmArn(stack, `Yours${i}`, `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${'shop-errors-'.padEnd(200, 'x')}-${i}`)),
    });

    test('one composite alarm per slot ORs that slot\'s three alarms, and Bake\'s configuration names only those', () => {
      const found = composites(t);
      expect(Object.values(found).map((a) => a.AlarmName).sort()).toEqual(['shop-bake-slot-a', 'shop-bake-slot-b']);
      for (const slot of ['A', 'B'] as const) {
        const [, alarm] = Object.entries(found).find(([id]) => id.startsWith(`ReleaseBakeAlarmsWatchSlot${slot}`))!;
        const children = logicalIds(t, 'AWS::CloudWatch::Alarm', `ReleaseBakeAlarmsSlot${slot}`);
        expect(text(alarm.AlarmRule)).toBe(`(${children.map((id) => `ALARM("<${id}.Arn>")`).join(' OR ')})`);
        expect(bakeSection(t)).toContain(`"Ref":"${Object.keys(found).find((id) => id.startsWith(`ReleaseBakeAlarmsWatchSlot${slot}`))}"`);
      }
      expect(bakeSection(t)).toContain('\\"sharedAlarms\\":[]');
    });

    test('your alarms are watched through one more composite alarm, named after the pipeline', () => {
      const { template } = synth({}, (stack) => ({ bakeAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'Errors', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-errors')] }));
      const [id, shared] = Object.entries(composites(template)).find(([, a]) => a.AlarmName === 'shop-bake-shared')!;
      expect(shared.AlarmRule).toBe('(ALARM("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-errors"))');
      expect(bakeSection(template).split('sharedAlarms')[1].split('swapFunctionName')[0]).toContain(`{"Ref":"${id}"}`);
    });

    test('many alarms nest under the watched one, every rule within 100 alarms and 10,240 characters', () => {
      const { template } = synth({}, manyAlarms(500));
      const rules = Object.values(composites(template)).map((a) => text(a.AlarmRule));
      for (const rule of rules) {
        expect((rule.match(/ALARM\(/g) ?? []).length).toBeLessThanOrEqual(100);
        expect(rule.length).toBeLessThanOrEqual(10240);
      }
      // 500 alarms with ~260-character ARNs: 36 to a rule, 14 groups, each under the watched one.
      const names = Object.values(composites(template)).map((a) => a.AlarmName as string);
      expect(names.filter((n) => n.startsWith('shop-bake-')).sort()).toEqual(['shop-bake-shared', 'shop-bake-slot-a', 'shop-bake-slot-b']);
      expect(rules.join(' ').match(/alarm:shop-errors-/g)).toHaveLength(500);
      expect(rules).toHaveLength(3 + 14);
    });

    test('every control-plane function\'s environment stays under Lambda\'s 4 KB whatever the number of alarms, with every name at its longest', () => {
      const longestPipelineName = `p${'-long-name'.repeat(8)}`.slice(0, 80);
      const sizes = (count: number, pipelineName = 'shop') => {
        const { construct, template } = synth({ pipelineName }, count > 0 ? manyAlarms(count) : undefined);
        const resources = template.toJSON().Resources;
        return ['ReleaseDeployGreenFunction', 'ReleaseSwapFunction', 'ReleaseBakeFunction'].map((prefix) =>
          longestEnvironmentBytes(construct, resources[logicalIds(template, 'AWS::Lambda::Function', prefix)[0]].Properties.Environment.Variables),
        );
      };
      const one = sizes(1);
      const many = sizes(300, longestPipelineName);
      expect(sizes(300)).toEqual(one);
      for (const bytes of [...one, ...many]) expect(bytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_BYTES);
    });

    test('an environment that would exceed 4 KB fails synthesis saying so; one that could only with imported values warns', () => {
      const withFunction = (id: string, config: unknown) => {
        const app = new App();
        const stack = new Stack(app, 'Fn', { env: { account: '123456789012', region: 'eu-west-1' } });
        const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 1 });
        new ControlPlaneFunction(stack, id, {
          bundle: 'bake',
          description: 'x',
          timeout: Duration.minutes(1),
          logsKey: new kms.Key(stack, 'Key'),
          vpc,
          subnets: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }),
          securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
          deadLetterQueue: new sqs.Queue(stack, 'Dlq'),
          logRetention: logs.RetentionDays.ONE_DAY,
          removalPolicy: RemovalPolicy.DESTROY,
          reserveConcurrency: true,
          environment: { BLUEGREEN_CONFIG: Stack.of(vpc).toJsonString(config) },
        });
        return { app, stack };
      };
      const imports = withFunction('Imports', { topic: Fn.importValue('audit'), other: Fn.importValue('other') });
      Annotations.fromStack(imports.stack).hasWarning('/Fn/Imports', Match.stringLikeRegexp("The Imports function's environment can reach \\d+ bytes once deployed, over Lambda's 4096-byte limit if its imported values"));
      const big = withFunction('Big', { names: Array.from({ length: 20 }, (_, i) => `${'n'.repeat(200)}${i}`) });
      expect(() => big.app.synth()).toThrow(/The Big function's environment can reach 4\d{3} bytes once deployed, over Lambda's 4096-byte limit \(every name and ARN at its longest\)/);
    });

    test.each([
      ['the same alarm twice', (stack: Stack) => [0, 1].map((i) => cloudwatch.Alarm.fromAlarmArn(stack, `E${i}`, 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-errors')), /bakeAlarms lists the same alarm twice, at bakeAlarms\[0\] and bakeAlarms\[1\] \(arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-errors\)/],
      ['an ARN that is not an alarm\'s', (stack: Stack) => [cloudwatch.Alarm.fromAlarmArn(stack, 'E', 'arn:aws:sns:eu-west-1:123456789012:shop-errors')], /bakeAlarms\[0\] must be a CloudWatch alarm ARN/],
      ['an alarm named like one Bake creates', (stack: Stack) => [cloudwatch.Alarm.fromAlarmArn(stack, 'E', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-bake-shared')], /bakeAlarms\[0\] is named shop-bake-shared, the name of a composite alarm the Bake stage creates/],
    ])('fails when bakeAlarms holds %s, in one collected error naming the prop', (_name, alarms, message) => {
      expect(() => synth({ bake5xxThreshold: 0 }, (stack) => ({ bakeAlarms: alarms(stack) }))).toThrow(new RegExp(`has 2 invalid props:[\\s\\S]*${message.source}`));
    });
  });

  describe('the bake function\'s permissions', () => {
    test('DescribeAlarms is granted on "*", the scope AWS documents for seeing composite alarms', () => {
      const statement = statementWith(statementsOf(t, 'ReleaseBakeRole'), 'cloudwatch:DescribeAlarms');
      expect(statement.Action).toEqual('cloudwatch:DescribeAlarms');
      expect(resourcesOf(statement)).toEqual(['*']);
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
