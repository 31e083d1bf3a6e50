import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Configuration, WEB_ACL_ARN, maximalConfiguration, minimalConfiguration } from './configurations';

describe('BlueGreenPipeline secure defaults', () => {
  let minimal: Configuration & { template: Template };
  let maximal: Configuration & { template: Template };
  beforeAll(() => {
    const build = (make: () => Configuration) => {
      const c = make();
      return { ...c, template: Template.fromStack(c.stack) };
    };
    minimal = build(minimalConfiguration);
    maximal = build(maximalConfiguration);
  });
  const logicalId = (c: Configuration, construct: { node: { defaultChild?: unknown } }) =>
    c.stack.getLogicalId(construct.node.defaultChild as any);

  test('every pipeline execution state change is published to the notification topic by a role that may only publish there', () => {
    const pipelineId = logicalId(minimal, minimal.construct.pipeline);
    const topicId = logicalId(minimal, minimal.construct.notificationTopic as any);
    // The audit rule; the other one feeds the evidence recorder (test/lib/evidence.test.ts).
    const rule = (Object.values(minimal.template.findResources('AWS::Events::Rule')) as any[]).filter((r) => r.Properties.Targets[0].RoleArn !== undefined);
    expect(rule).toHaveLength(1);
    const { EventPattern, Targets } = rule[0].Properties;
    expect(EventPattern).toEqual({
      source: ['aws.codepipeline'],
      resources: [expect.objectContaining({ 'Fn::Join': expect.arrayContaining([expect.arrayContaining([{ Ref: pipelineId }])]) })],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      detail: { state: ['STARTED', 'SUCCEEDED', 'FAILED', 'STOPPED', 'SUPERSEDED', 'CANCELED'] },
    });
    expect(Targets).toEqual([
      expect.objectContaining({
        Arn: { Ref: topicId },
        RoleArn: expect.anything(),
        InputTransformer: expect.objectContaining({ InputPathsMap: expect.objectContaining({ 'detail-state': '$.detail.state' }) }),
      }),
    ]);
    // The role publishes to this topic and uses its key; nothing is opened to the EventBridge service itself.
    const roleId = Targets[0].RoleArn['Fn::GetAtt'][0];
    const statements = (Object.values(minimal.template.findResources('AWS::IAM::ManagedPolicy')) as any[])
      .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: topicId } }),
      expect.objectContaining({ Resource: { 'Fn::GetAtt': [logicalId(minimal, minimal.construct.notificationsKey), 'Arn'] } }),
    ]);
    expect(JSON.stringify(minimal.template.findResources('AWS::SNS::TopicPolicy'))).not.toContain('events.amazonaws.com');
    expect(JSON.stringify(minimal.template.findResources('AWS::KMS::Key'))).not.toContain('events.amazonaws.com');
  });

  test("with the user's own audit topic the rule and the swap function publish there", () => {
    const auditId = maximal.stack.getLogicalId(maximal.stack.node.findChild('Audit').node.defaultChild as any);
    const targets = Object.values(maximal.template.findResources('AWS::Events::Rule'))
      .map((r: any) => r.Properties.Targets[0].Arn)
      // The evidence recorder's rule and the rollback request rule invoke functions, not a topic.
      .filter((arn: any) => !/^Release(EvidenceRecorder|Swap)Function/.test(arn['Fn::GetAtt']?.[0] ?? ''));
    expect(targets).toEqual([{ Ref: auditId }]);
    const swapConfig = JSON.stringify(maximal.template.toJSON().Resources[logicalId(maximal, maximal.construct.swapFunction)].Properties.Environment);
    expect(swapConfig).toContain(`"Ref":"${auditId}"`);
  });

  test('a web ACL is associated with the load balancer only when given, else synthesis warns', () => {
    maximal.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: logicalId(maximal, maximal.construct.loadBalancer as any) },
      WebACLArn: WEB_ACL_ARN,
    });
    minimal.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    Annotations.fromStack(minimal.stack).hasWarning('/Minimal/Release/LoadBalancer', Match.stringLikeRegexp('no AWS WAF web ACL'));
    expect(Annotations.fromStack(maximal.stack).findWarning('*', Match.stringLikeRegexp('no AWS WAF web ACL'))).toEqual([]);
  });

  test('the load balancer has deletion protection by default and drops invalid headers', () => {
    minimal.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
      ]),
    });
  });

  test('without a certificate synthesis warns that the listeners are plain HTTP; with one the listeners use TLS 1.2+', () => {
    Annotations.fromStack(minimal.stack).hasWarning('/Minimal/Release', Match.stringLikeRegexp('plain HTTP'));
    expect(Annotations.fromStack(maximal.stack).findWarning('*', Match.stringLikeRegexp('plain HTTP'))).toEqual([]);
    maximal.template.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06' }, 2);
    maximal.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', StatusCode: 'HTTP_301' }) })],
    });
  });

  test('the control-plane functions run in the private subnets, HTTPS out only, with a reserved concurrency and an encrypted dead-letter queue', () => {
    const { template, construct, stack } = minimal;
    const privateSubnets = construct.vpc.privateSubnets.map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as any) }));
    const functions = [construct.infraOwnerFunction, construct.deployGreenFunction, construct.swapFunction];
    const resources = template.toJSON().Resources;
    const queueId = logicalId(minimal, construct.controlPlaneDeadLetterQueue);
    const shape = functions.map((fn) => {
      const p = resources[logicalId(minimal, fn)].Properties;
      return { subnets: p.VpcConfig.SubnetIds, concurrency: p.ReservedConcurrentExecutions, dlq: p.DeadLetterConfig.TargetArn };
    });
    const dlq = { 'Fn::GetAtt': [queueId, 'Arn'] };
    expect(shape).toEqual([
      { subnets: privateSubnets, concurrency: 2, dlq },
      { subnets: privateSubnets, concurrency: 2, dlq },
      { subnets: privateSubnets, concurrency: 1, dlq },
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('control-plane'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(minimal, construct.notificationsKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('no role of the construct carries an AWS-managed policy', () => {
    const roles = minimal.template.findResources('AWS::IAM::Role');
    const withManaged = Object.entries(roles)
      .filter(([, r]: [string, any]) => JSON.stringify(r.Properties.ManagedPolicyArns ?? []).includes(':iam::aws:policy'))
      .map(([id]) => id);
    expect(withManaged).toEqual([]);
  });

  test('a created VPC gives no public IPs on launch and closes its default security group', () => {
    const subnets = Object.values(minimal.template.findResources('AWS::EC2::Subnet')) as any[];
    expect(subnets.map((s) => s.Properties.MapPublicIpOnLaunch)).toEqual([false, false, false, false]);
    minimal.template.resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
    minimal.template.resourceCountIs('Custom::BlueGreenDefaultSecurityGroup', 1);
    minimal.template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  test('the build reads exactly its tools object from the asset bucket', () => {
    const policies = Object.values(minimal.template.findResources('AWS::IAM::ManagedPolicy')) as any[];
    const assetStatements = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => JSON.stringify(s.Resource).includes('cdk-hnb659fds-assets'));
    expect(assetStatements).toHaveLength(1);
    expect(assetStatements[0].Action).toBe('s3:GetObject');
    expect(JSON.stringify(assetStatements[0].Resource)).toMatch(/assets-123456789012-eu-west-1\/[0-9a-f]{64}\.zip"\]\]\}$/);
  });
});
