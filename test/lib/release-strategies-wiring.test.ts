// The release strategies as the construct wires them: trafficShift into the swap function's
// configuration and permissions, testRoute into the routes resource and the listeners,
// preApprovalTests into a CodeBuild action between DeployGreen and Approve.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { BlueGreenPipeline, BlueGreenPipelineProps, ReleaseTests, TestRoute, TrafficShift } from '../../lib';
import { LAMBDA_ENVIRONMENT_BYTES, longestEnvironmentBytes } from '../../lib/private/control-plane-function';
import { baseProps, statementWith, statementsOf, synth, text } from './fixtures';

const canary = TrafficShift.canary({ percent: 10, bake: Duration.minutes(10), stickiness: Duration.hours(1) });
const resources = (template: Template) => template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const fn = (template: Template, prefix: string) => Object.entries(resources(template)).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix))!;
/** A function's configuration, references shown as <LogicalId> (fixtures' `text`). */
const configOf = (_stack: Stack, template: Template, prefix: string) => JSON.parse(text(fn(template, prefix)[1].Properties.Environment.Variables.BLUEGREEN_CONFIG));
const watched = (slot: 'A' | 'B') => expect.stringMatching(new RegExp(`^<ReleaseBakeAlarmsWatchSlot${slot}Alarm[0-9A-F]+>$`));
const releaseActions = (template: Template) =>
  (Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties.Stages as Array<{ Name: string; Actions: Array<Record<string, any>> }>).find((s) => s.Name === 'Release')!.Actions;

describe('BlueGreenPipeline trafficShift', () => {
  test('gives only the swap function the shift: its steps and the composite alarms of each slot', () => {
    const { stack, template } = synth({ trafficShift: canary });
    const swap = configOf(stack, template, 'ReleaseSwapFunction');
    expect(swap.trafficShift).toEqual({ percents: [10], holdSeconds: 600, stickinessSeconds: 3600, alarms: { a: [watched('A')], b: [watched('B')] }, sharedAlarms: [] });
    template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'shop-bake-slot-a' });
    for (const other of ['ReleaseDeployGreenFunction', 'ReleaseBakeFunction', 'ReleaseEvidenceRecorder']) expect(configOf(stack, template, other).trafficShift).toBeUndefined();
    const { trafficShift, ...rest } = swap;
    expect(rest).toEqual(configOf(stack, template, 'ReleaseDeployGreenFunction'));
  });

  test('a linear shift watches your bakeAlarms through the shared composite alarm', () => {
    const { stack, template } = synth({ trafficShift: TrafficShift.linear({ stepPercent: 20, interval: Duration.minutes(5) }) }, (s) => ({
      bakeAlarms: [require('aws-cdk-lib/aws-cloudwatch').Alarm.fromAlarmArn(s, 'Mine', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-errors')],
    }));
    expect(configOf(stack, template, 'ReleaseSwapFunction').trafficShift).toMatchObject({ percents: [20, 40, 60, 80], holdSeconds: 300, stickinessSeconds: 0, sharedAlarms: [expect.stringMatching(/^<ReleaseBakeAlarmsWatchShared/)] });
  });

  test('keeps the alarms for the shift when bakeTime is 0, with no Bake function', () => {
    const { stack, template, construct } = synth({ trafficShift: canary, bakeTime: Duration.seconds(0) });
    expect(construct.bakeFunction).toBeUndefined();
    expect(construct.slotABakeAlarms).toHaveLength(3);
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    expect(configOf(stack, template, 'ReleaseSwapFunction').trafficShift?.alarms).toEqual({ a: [watched('A')], b: [watched('B')] });
    expect(releaseActions(template).map((a) => a.Name)).toEqual(['DeployGreen', 'Approve', 'Swap']);
  });

  test('lets the swap function read alarms only when it shifts (on "*", as Bake: composite alarms need it)', () => {
    const shifting = statementsOf(synth({ trafficShift: canary }).template, 'ReleaseSwapRole');
    expect(statementWith(shifting, 'cloudwatch:DescribeAlarms').Resource).toBe('*');
    const allAtOnce = statementsOf(synth({ trafficShift: TrafficShift.allAtOnce() }).template, 'ReleaseSwapRole');
    expect(allAtOnce.filter((s) => ([] as string[]).concat(s.Action).includes('cloudwatch:DescribeAlarms'))).toEqual([]);
  });

  test('all at once, the default, synthesizes the same template as no trafficShift', () => {
    expect(synth({ trafficShift: TrafficShift.allAtOnce() }).template.toJSON()).toEqual(synth().template.toJSON());
  });

  test("the swap function's environment stays under 4 KB with a shift and the longest pipeline name", () => {
    const pipelineName = `p${'-long-name'.repeat(8)}`.slice(0, 80);
    const { construct, template } = synth({ pipelineName, trafficShift: TrafficShift.linear({ stepPercent: 1, interval: Duration.minutes(1) }), testRoute: TestRoute.header('X-Release-Test', 'x'.repeat(128)) });
    const bytes = ['ReleaseSwapFunction', 'ReleaseDeployGreenFunction', 'ReleaseBakeFunction'].map((p) => longestEnvironmentBytes(construct, fn(template, p)[1].Properties.Environment.Variables));
    for (const b of bytes) expect(b).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_BYTES);
    expect(bytes[0]).toBeGreaterThan(bytes[1]);
  });
});

describe('BlueGreenPipeline testRoute', () => {
  test('a header route is a rule on the production listener: no test listener, no test ingress, the production URL', () => {
    const { stack, template, construct } = synth({ testRoute: TestRoute.header('X-Release-Test', 'green'), domainName: 'shop.example.com' });
    expect(construct.testListener).toBeUndefined();
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('Custom::BlueGreenRoutes', {
      ProductionListenerArn: { Ref: Match.stringLikeRegexp('^ReleaseProductionListener') },
      TestHeaderName: 'X-Release-Test',
      TestHeaderValue: 'green',
      TestListenerArn: Match.absent(),
      TestSourceCidrs: Match.absent(),
    });
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup')).map((g) => JSON.stringify(g.Properties.SecurityGroupIngress ?? []));
    expect(groups.join(' ')).not.toContain('Test traffic to the green slot');
    expect(construct.testUrl).toBe('http://shop.example.com');
    const config = configOf(stack, template, 'ReleaseDeployGreenFunction');
    expect([config.testUrl, config.testHeader]).toEqual(['http://shop.example.com', 'X-Release-Test: green']);
    expect(configOf(stack, template, 'ReleaseSwapFunction').testHeader).toBe('X-Release-Test: green');
  });

  test('limited to the allowed CIDRs, the header rule carries them; with HTTPS on 443 the URL has no port', () => {
    const { stack, template, construct } = synth({ testRoute: TestRoute.header('X-Release-Test', undefined, { restrictToAllowedCidrs: true }), testListenerAllowedCidrs: ['10.20.0.0/16'] }, (s) => ({
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc'),
    }));
    template.hasResourceProperties('Custom::BlueGreenRoutes', { TestHeaderName: 'X-Release-Test', TestHeaderValue: Match.absent(), TestSourceCidrs: ['10.20.0.0/16'] });
    expect(text(stack.resolve(construct.testUrl))).toMatch(/^https:\/\/<ReleaseLoadBalancer[0-9A-F]+\.DNSName>$/);
  });

  test('the infra owner may set rule priorities (production behind the header rule) only on its own tagged rules, only in header mode', () => {
    const writes = (props: Partial<BlueGreenPipelineProps>) => statementWith(statementsOf(synth(props).template, 'ReleaseInfraOwnerRole'), 'elasticloadbalancing:ModifyRule');
    const header = writes({ testRoute: TestRoute.header('X-Release-Test') });
    expect(header.Action).toEqual(['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:SetRulePriorities']);
    expect(Object.keys(header.Condition.StringEquals).sort()).toEqual(['aws:ResourceTag/bluegreen:resource', 'aws:ResourceTag/bluegreen:stack']);
    expect(writes({}).Action).toEqual(['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule']);
  });

  test('TestRoute.port(p) is the test listener on p', () => {
    const { stack, template, construct } = synth({ testRoute: TestRoute.port(9443) });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 9443 });
    expect(text(stack.resolve(construct.testUrl))).toMatch(/:9443$/);
  });

  test('TestRoute.port(), the default, synthesizes the same template as no testRoute', () => {
    expect(synth({ testRoute: TestRoute.port() }).template.toJSON()).toEqual(synth().template.toJSON());
  });
});

describe('BlueGreenPipeline preApprovalTests', () => {
  const tests = ReleaseTests.commands(['curl -fsS -H "$TEST_HEADER" "$TEST_URL/health"'], { timeout: Duration.minutes(15) });

  test('runs a Tests action between DeployGreen and Approve, with where green is and what it runs', () => {
    const { template } = synth({ preApprovalTests: tests });
    const actions = releaseActions(template);
    expect(actions.map((a) => [a.Name, a.RunOrder])).toEqual([['DeployGreen', 1], ['Tests', 2], ['Approve', 3], ['Swap', 4], ['Bake', 5]]);
    const action = actions.find((a) => a.Name === 'Tests')!;
    expect(action.ActionTypeId).toMatchObject({ Category: 'Test', Provider: 'CodeBuild' });
    expect(action.Namespace).toBe('Tests');
    expect(action.InputArtifacts).toEqual([{ Name: 'Source' }]);
    expect(JSON.parse(action.Configuration.EnvironmentVariables)).toEqual([
      { name: 'TEST_URL', type: 'PLAINTEXT', value: '#{Deploy.TEST_URL}' },
      { name: 'TEST_HEADER', type: 'PLAINTEXT', value: '#{Deploy.TEST_HEADER}' },
      { name: 'IMAGE_DIGEST', type: 'PLAINTEXT', value: '#{Deploy.IMAGE_DIGEST}' },
      { name: 'COMMIT', type: 'PLAINTEXT', value: '#{Deploy.COMMIT}' },
    ]);
    const approve = actions.find((a) => a.Name === 'Approve')!;
    expect(approve.Configuration.CustomData).toContain('Scan: #{Build.SCAN_SUMMARY}. Tests: #{Tests.TEST_SUMMARY}.');
  });

  test('the project runs in the private subnets, not privileged, encrypted, logged, with the timeout and JUnit reports to its report group', () => {
    const { template, construct } = synth({ preApprovalTests: tests });
    const [, project] = Object.entries(resources(template)).find(([id]) => id.startsWith('ReleaseTestsProject') && !id.includes('Role') && !id.includes('Policy'))!;
    expect(project.Properties).toMatchObject({
      Environment: { PrivilegedMode: false, ComputeType: 'BUILD_GENERAL1_SMALL', Image: 'aws/codebuild/standard:7.0' },
      EncryptionKey: { 'Fn::GetAtt': [expect.stringMatching(/^ReleaseArtifactsKey/), 'Arn'] },
      TimeoutInMinutes: 15,
      LogsConfig: { CloudWatchLogs: { Status: 'ENABLED', GroupName: { Ref: expect.stringMatching(/^ReleaseTestsLogGroup/) } } },
      VpcConfig: { VpcId: { Ref: expect.stringMatching(/^ReleaseVpc/) } },
    });
    expect(project.Properties.VpcConfig.Subnets.map((s: { Ref: string }) => s.Ref)).toEqual([expect.stringMatching(/PrivateSubnet1/), expect.stringMatching(/PrivateSubnet2/)]);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReleaseLogsKey'), 'Arn'] }, RetentionInDays: 365 });
    const spec = JSON.parse(project.Properties.Source.BuildSpec['Fn::Join'] ? text(project.Properties.Source.BuildSpec) : project.Properties.Source.BuildSpec);
    expect(spec.reports).toEqual({ [`<${Object.keys(template.findResources('AWS::CodeBuild::ReportGroup')).find((id) => id.startsWith('ReleaseTestsReportGroup'))}.Arn>`]: expect.objectContaining({ 'file-format': 'JUNITXML' }) });
    expect(construct.testsProject).toBeDefined();
    const writes = statementWith(statementsOf(template, 'ReleaseTestsProjectRole'), 'codebuild:BatchPutTestCases');
    expect(writes.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ReleaseTestsReportGroup/), 'Arn'] });
  });

  test('the tests reach the test route: the test listener port by default, the production port with a header route', () => {
    const port = (props: Partial<BlueGreenPipelineProps>) => {
      const { template } = synth({ preApprovalTests: tests, ...props });
      const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties);
      const toLb = egress.filter((e) => e.DestinationSecurityGroupId?.['Fn::GetAtt']?.[0]?.startsWith('ReleaseLoadBalancerSecurityGroup'));
      const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties).filter((i) => i.SourceSecurityGroupId?.['Fn::GetAtt']?.[0]?.startsWith('ReleaseTestsSecurityGroup'));
      return [toLb.map((e) => e.FromPort), ingress.map((i) => i.FromPort)];
    };
    expect(port({})).toEqual([[8080], [8080]]);
    expect(port({ testRoute: TestRoute.header('X-Release-Test') })).toEqual([[80], [80]]);
  });

  test('a header route shows the curl line in the approval, not a link to production', () => {
    const approve = releaseActions(synth({ preApprovalTests: tests, testRoute: TestRoute.header('X-Release-Test') }).template).find((a) => a.Name === 'Approve')!;
    expect(approve.Configuration.CustomData).toContain('Try it on the green slot with #{Deploy.TEST_COMMAND} before approving');
    expect(approve.Configuration.ExternalEntityLink).toBeUndefined();
  });

  test('warns when a header route limited to the allowed CIDRs may send the tests to production', () => {
    const stack = new Stack(new App(), 'Warn', { env: { account: '123456789012', region: 'eu-west-1' } });
    new BlueGreenPipeline(stack, 'Release', { ...baseProps(), preApprovalTests: tests, testRoute: TestRoute.header('X-Release-Test', 'green', { restrictToAllowedCidrs: true }) });
    Annotations.fromStack(stack).hasWarning('/Warn/Release', Match.stringLikeRegexp('only when their source address is in those CIDRs'));
  });
});
