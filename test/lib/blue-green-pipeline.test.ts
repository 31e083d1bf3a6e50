import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { parse } from 'yaml';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Synthesized, only, resourcesOf, statementWith, statementsOf, synth, text } from './fixtures';

const PIPELINE_ARN = 'arn:aws:codepipeline:eu-west-1:123456789012:shop';

describe('BlueGreenPipeline', () => {
  let base: Synthesized;
  let t: Template;
  beforeAll(() => {
    base = synth();
    t = base.template;
  });

  describe('pipeline', () => {
    test('it is a V2 pipeline in QUEUED mode with the given name', () => {
      // GIVEN the base props / WHEN synthesized / THEN
      t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
        Name: 'shop',
        PipelineType: 'V2',
        ExecutionMode: 'QUEUED',
      });
    });

    test('the whole release is one stage, so CodePipeline\'s stage lock covers deploy, approve, swap and bake', () => {
      const [, pipeline] = only(t, 'AWS::CodePipeline::Pipeline');
      const stages = pipeline.Properties.Stages as Array<{ Name: string; Actions: Array<Record<string, any>> }>;
      expect(stages.map((s) => s.Name)).toEqual(['Source', 'BuildAndScan', 'Release']);
      expect(stages.map((s) => s.Actions.map((a) => `${a.Name}:${a.RunOrder}:${a.ActionTypeId.Category}/${a.ActionTypeId.Provider}:${a.Namespace ?? '-'}`))).toEqual([
        ['Source:1:Source/CodeStarSourceConnection:Source'],
        ['BuildAndScan:1:Build/CodeBuild:Build'],
        ['DeployGreen:1:Invoke/Lambda:Deploy', 'Approve:2:Approval/Manual:-', 'Swap:3:Invoke/Lambda:Swap', 'Bake:4:Invoke/Lambda:Bake'],
      ]);
    });

    test('the build exports the variables that DeployGreen receives', () => {
      const [, project] = only(t, 'AWS::CodeBuild::Project');
      const spec = parse(joinedBuildSpec(project));
      expect(spec.env['exported-variables']).toEqual(expect.arrayContaining(['IMAGE_URI', 'IMAGE_DIGEST', 'COMMIT', 'SCAN_SUMMARY']));
      const deploy = stage(t, 'DeployGreen');
      expect(JSON.parse(deploy.Configuration.UserParameters)).toEqual({
        imageUri: '#{Build.IMAGE_URI}',
        imageDigest: '#{Build.IMAGE_DIGEST}',
        commit: '#{Build.COMMIT}',
      });
    });

    test('the approval message carries commit, digest, scan summary and test URL from pipeline variables', () => {
      const approve = stage(t, 'Approve');
      for (const variable of ['#{Build.COMMIT}', '#{Deploy.IMAGE_DIGEST}', '#{Build.SCAN_SUMMARY}', '#{Deploy.TEST_URL}']) {
        expect(approve.Configuration.CustomData).toContain(variable);
      }
      expect(approve.Configuration.CustomData.length).toBeLessThanOrEqual(500);
      expect(approve.Configuration.ExternalEntityLink).toBe('#{Deploy.TEST_URL}');
      expect(approve.Configuration.NotificationArn).toEqual({ Ref: approvalTopicId(t) });
      expect(approve.TimeoutInMinutes).toBe(7 * 24 * 60);
    });

    test('the swap receives the green slot, digest and commit from DeployGreen and the execution id', () => {
      const swap = stage(t, 'Swap');
      expect(JSON.parse(swap.Configuration.UserParameters)).toEqual({
        greenSlot: '#{Deploy.GREEN_SLOT}',
        imageDigest: '#{Deploy.IMAGE_DIGEST}',
        commit: '#{Deploy.COMMIT}',
        executionId: '#{codepipeline.PipelineExecutionId}',
      });
    });

    test('the approval topic is encrypted and every approver email is subscribed', () => {
      t.hasResourceProperties('AWS::SNS::Topic', {
        DisplayName: 'Release approvals for shop',
        KmsMasterKeyId: Match.anyValue(),
      });
      const emails = Object.values(t.findResources('AWS::SNS::Subscription')).map((s: any) => [s.Properties.Protocol, s.Properties.Endpoint]);
      expect(emails).toEqual([
        ['email', 'release@example.com'],
        ['email', 'oncall@example.com'],
      ]);
    });

    test('a pipeline name of the longest length allowed keeps both topic display names within SNS\'s 100 characters', () => {
      const pipelineName = `p${'-long-name'.repeat(8)}`.slice(0, 80);
      const names = Object.values(synth({ pipelineName }).template.findResources('AWS::SNS::Topic')).map((r: any) => r.Properties.DisplayName as string);
      expect(names).toEqual([`Release approvals for ${pipelineName.slice(0, 75)}...`, `Release audit for ${pipelineName}`]);
    });

    test('the pipeline is tagged with its configuration parameter and the parameter holds the release configuration', () => {
      t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
        Tags: Match.arrayWith([{ Key: 'bluegreen:config-parameter', Value: '/bluegreen/shop/config' }]),
      });
      const [, parameter] = only(t, 'AWS::SSM::Parameter');
      expect(parameter.Properties.Name).toBe('/bluegreen/shop/config');
      expect(parameter.Properties.Type).toBe('String');
      const value = JSON.stringify(parameter.Properties.Value);
      for (const field of ['swapFunctionName', 'notificationTopicArn', 'productionRuleArn', 'testRuleArn', 'stateParameterName', '/bluegreen/shop/state']) {
        expect(value).toContain(field);
      }
    });
  });

  describe('build', () => {
    test('the only privileged project builds with the shipped buildspec bound to the scan report group', () => {
      const [, project] = only(t, 'AWS::CodeBuild::Project');
      expect(project.Properties.Environment.PrivilegedMode).toBe(true);
      expect(project.Properties.Environment.Image).toBe('aws/codebuild/standard:7.0');
      expect(project.Properties.Cache).toEqual({ Type: 'LOCAL', Modes: ['LOCAL_DOCKER_LAYER_CACHE', 'LOCAL_CUSTOM_CACHE'] });
      expect(project.Properties.EncryptionKey).toBeDefined();
      const spec = JSON.stringify(project.Properties.Source.BuildSpec);
      expect(spec).not.toContain('scan-report');
      const [reportGroupId] = only(t, 'AWS::CodeBuild::ReportGroup');
      expect(spec).toContain(reportGroupId);
    });

    test('the project passes the repository, tools, gate and Trivy settings as environment variables', () => {
      const [, project] = only(t, 'AWS::CodeBuild::Project');
      const vars = Object.fromEntries(
        (project.Properties.Environment.EnvironmentVariables as Array<{ Name: string; Value: unknown }>).map((v) => [v.Name, v.Value]),
      );
      expect(Object.keys(vars).sort()).toEqual(
        [
          'BG_EVIDENCE_S3_URI',
          'BG_SOURCE_BRANCH',
          'BG_SOURCE_REPOSITORY',
          'BG_STATE_PARAMETER',
          'BG_TOOLS_S3_URI',
          'DOCKERFILE',
          'DOCKER_BUILD_CONTEXT',
          'GATE_ALLOW_EMPTY_SCAN',
          'GATE_ALLOW_LIST',
          'GATE_FAIL_ON',
          'GATE_IGNORE_UNFIXED',
          'REPOSITORY_URI',
          'TRIVY_DB_REPOSITORY',
          'TRIVY_JAVA_DB_REPOSITORY',
        ].sort(),
      );
      expect(vars.GATE_FAIL_ON).toBe('HIGH');
      expect(vars.GATE_IGNORE_UNFIXED).toBe('true');
      // A scan in which Trivy found no OS and no packages fails unless the user opts out.
      expect(vars.GATE_ALLOW_EMPTY_SCAN).toBe('false');
      expect(vars.GATE_ALLOW_LIST).toBe('.bluegreen/allow-list.json');
      expect(vars.BG_STATE_PARAMETER).toBe('/bluegreen/shop/state');
      expect(JSON.stringify(vars.BG_TOOLS_S3_URI)).toMatch(/^"s3:\/\/|s3:\/\//);
      // The evidence names the release's source; the build files its uploads under the evidence bucket.
      expect([vars.BG_SOURCE_REPOSITORY, vars.BG_SOURCE_BRANCH]).toEqual(['acme/shop', 'main']);
      expect(JSON.stringify(vars.BG_EVIDENCE_S3_URI)).toMatch(/s3:\/\/.*ReleaseEvidenceBucket.*\/bluegreen-evidence\/shop\/builds/);
    });

    test('gateAllowEmptyScan: true passes GATE_ALLOW_EMPTY_SCAN=true to the build', () => {
      const { template } = synth({ gateAllowEmptyScan: true });
      const [, project] = only(template, 'AWS::CodeBuild::Project');
      expect(project.Properties.Environment.EnvironmentVariables).toContainEqual({ Name: 'GATE_ALLOW_EMPTY_SCAN', Type: 'PLAINTEXT', Value: 'true' });
    });
  });

  describe('slots', () => {
    test('there are no CloudFormation ECS services: each slot is a Custom::BlueGreenSlotService without a desired count', () => {
      t.resourceCountIs('AWS::ECS::Service', 0);
      const services = Object.values(t.findResources('Custom::BlueGreenSlotService')) as any[];
      expect(services.map((s) => s.Properties.ServiceName)).toEqual(['shop-slot-a', 'shop-slot-b']);
      for (const service of services) {
        expect(Object.keys(service.Properties).sort()).toEqual(
          [
            'ServiceToken',
            'ClusterArn',
            'ServiceName',
            'TaskDefinitionArn',
            'ContainerName',
            'ContainerPort',
            'TargetGroupArn',
            'Subnets',
            'SecurityGroups',
            'HealthCheckGracePeriodSeconds',
            'Tags',
            'RepositoryName',
            'ImageTag',
          ].sort(),
        );
        expect(service.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ReleaseInfraOwnerFunction/), 'Arn'] });
        expect(service.Properties.HealthCheckGracePeriodSeconds).toBe(60);
        expect(service.Properties.RepositoryName).toEqual({ Ref: expect.stringMatching(/^ReleaseRepository/) });
      }
      expect(services.map((s) => s.Properties.ImageTag)).toEqual(['slot-a', 'slot-b']);
    });

    test('each slot task definition runs its own mutable slot tag, as a non-root user, with awslogs', () => {
      const defs = Object.values(t.findResources('AWS::ECS::TaskDefinition')) as any[];
      expect(defs).toHaveLength(2);
      defs.forEach((def, i) => {
        const slot = ['a', 'b'][i];
        const [container] = def.Properties.ContainerDefinitions;
        expect(def.Properties.Family).toBe(`shop-slot-${slot}`);
        expect(JSON.stringify(container.Image)).toMatch(new RegExp(`:slot-${slot}"\\]`));
        expect(container.User).toBe('1000');
        expect(container.Environment).toEqual([{ Name: 'BLUEGREEN_SLOT', Value: slot }]);
        expect(container.LogConfiguration.LogDriver).toBe('awslogs');
        expect(def.Properties.Cpu).toBe('256');
        expect(def.Properties.Memory).toBe('512');
        expect(def.Properties.RuntimePlatform.CpuArchitecture).toBe('X86_64');
      });
    });

    test('the target groups check the health path on the traffic port and carry their slot tag', () => {
      const groups = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')) as any[];
      // ECS registers each task with the container port; the group's own port is a fixed 80.
      expect(groups.map((g) => [g.Properties.HealthCheckPath, g.Properties.HealthCheckPort, g.Properties.TargetType, g.Properties.Port])).toEqual([
        ['/health', 'traffic-port', 'ip', 80],
        ['/health', 'traffic-port', 'ip', 80],
      ]);
      expect(groups.map((g) => g.Properties.Tags)).toEqual([
        [{ Key: 'bluegreen:slot', Value: 'a' }],
        [{ Key: 'bluegreen:slot', Value: 'b' }],
      ]);
    });
  });

  describe('routes', () => {
    test('no listener rule is a CloudFormation resource and every listener default action is a fixed 503', () => {
      t.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
      const listeners = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::Listener')) as any[];
      expect(listeners).toHaveLength(2);
      for (const listener of listeners) {
        expect(listener.Properties.DefaultActions).toEqual([
          { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'No release is routed here.' } },
        ]);
      }
    });

    test('the routes custom resource owns the rules on both listeners and the services wait for it', () => {
      const [routesId, routes] = only(t, 'Custom::BlueGreenRoutes');
      expect(Object.keys(routes.Properties).sort()).toEqual(
        ['ServiceToken', 'ProductionListenerArn', 'TestListenerArn', 'SlotATargetGroupArn', 'SlotBTargetGroupArn'].sort(),
      );
      expect(routes.Properties.ProductionListenerArn).toEqual({ Ref: expect.stringMatching(/^ReleaseProductionListener/) });
      expect(routes.Properties.TestListenerArn).toEqual({ Ref: expect.stringMatching(/^ReleaseTestListener/) });
      for (const service of Object.values(t.findResources('Custom::BlueGreenSlotService')) as any[]) {
        expect(service.DependsOn).toContain(routesId);
      }
    });

    test('the functions get the rule ARNs from the routes resource in BLUEGREEN_CONFIG', () => {
      const [routesId] = only(t, 'Custom::BlueGreenRoutes');
      for (const prefix of ['ReleaseDeployGreenFunction', 'ReleaseSwapFunction']) {
        const fn = functionResource(t, prefix);
        const config = JSON.stringify(fn.Properties.Environment.Variables.BLUEGREEN_CONFIG);
        expect(config).toContain(routesId);
        expect(config).toContain('ProductionRuleArn');
        expect(config).toContain('TestRuleArn');
        expect(config).toContain('slot-a');
        expect(config).toContain('shop-slot-b');
      }
    });

    test('the production listener is HTTP on 80 and the test listener HTTP on 8080, open to the VPC only', () => {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8080, Protocol: 'HTTP' });
      const [, sg] = Object.entries(t.findResources('AWS::EC2::SecurityGroup')).find(([id]) => id.startsWith('ReleaseLoadBalancerSecurityGroup'))!;
      expect((sg as any).Properties.SecurityGroupIngress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 80 }),
        expect.objectContaining({ CidrIp: only(t, 'AWS::EC2::VPC')[1].Properties.CidrBlock, FromPort: 8080 }),
      ]);
      expect(base.construct.testUrl).toMatch(/^http:\/\/.*:8080$/);
    });
  });

  describe('control-plane functions', () => {
    test('they are pre-bundled assets, not bundled at synth, with their own encrypted log groups', () => {
      for (const prefix of ['ReleaseDeployGreenFunction', 'ReleaseSwapFunction', 'ReleaseBakeFunction', 'ReleaseInfraOwnerFunction', 'ReleaseEvidenceRecorderFunction']) {
        const fn = functionResource(t, prefix);
        expect(fn.Properties.Handler).toBe('index.handler');
        expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
        expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
      }
      const groups = Object.values(t.findResources('AWS::Logs::LogGroup')) as any[];
      expect(groups.length).toBe(7);
      for (const group of groups) {
        expect(group.Properties.KmsKeyId).toBeDefined();
        expect(group.Properties.RetentionInDays).toBe(365);
      }
    });

    test('the swap function has a reserved concurrency of 1', () => {
      expect(functionResource(t, 'ReleaseSwapFunction').Properties.ReservedConcurrentExecutions).toBe(1);
    });

    test('reservedConcurrency: false reserves nothing, for accounts whose limit leaves no room (the lease still serialises)', () => {
      const { template } = synth({ reservedConcurrency: false });
      for (const prefix of ['ReleaseDeployGreenFunction', 'ReleaseSwapFunction', 'ReleaseBakeFunction', 'ReleaseInfraOwnerFunction', 'ReleaseEvidenceRecorderFunction']) {
        expect(functionResource(template, prefix).Properties.ReservedConcurrentExecutions).toBeUndefined();
      }
    });

    test('the state key lets only the control-plane roles encrypt, and anyone allowed by IAM decrypt through SSM only', () => {
      const keys = Object.entries(t.findResources('AWS::KMS::Key')).filter(([id]) => id.startsWith('ReleaseStateKey'));
      expect(keys).toHaveLength(1);
      const [, key] = keys[0] as [string, any];
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const statements = key.Properties.KeyPolicy.Statement as Record<string, any>[];
      const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
      expect(Object.keys(bySid).sort()).toEqual(['AccountAdministersTheKey', 'GrantsOnlyForAwsResources', 'OnlyTheControlPlaneSeals', 'ReadersDecryptThroughSsm']);
      // Nobody is given kms:Encrypt or kms:* through the account's IAM delegation.
      for (const s of statements.filter((x) => x.Sid !== 'OnlyTheControlPlaneSeals' && x.Effect === 'Allow')) {
        const actions = ([] as string[]).concat(s.Action);
        expect(actions).not.toContain('kms:*');
        expect(actions).not.toContain('kms:Encrypt');
        expect(actions).not.toContain('kms:GenerateDataKey');
      }
      const seal = bySid.OnlyTheControlPlaneSeals;
      expect(seal.Action).toEqual(['kms:Encrypt', 'kms:GenerateDataKey']);
      expect(seal.Condition.StringEquals['kms:ViaService']).toBe('ssm.eu-west-1.amazonaws.com');
      const sealers = (seal.Condition.ArnEquals['aws:PrincipalArn'] as unknown[]).map((r) => JSON.stringify(r));
      expect(sealers).toHaveLength(3);
      for (const role of ['ReleaseDeployGreenRole', 'ReleaseSwapRole', 'ReleaseBakeRole']) expect(sealers.some((s) => s.includes(role))).toBe(true);
      expect(bySid.ReadersDecryptThroughSsm.Action).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
      expect(bySid.ReadersDecryptThroughSsm.Condition.StringEquals['kms:ViaService']).toBe('ssm.eu-west-1.amazonaws.com');
    });

    test('no role of the construct has an AWS-managed policy', () => {
      const roles = Object.entries(t.findResources('AWS::IAM::Role')).filter(([id]) => id.startsWith('Release'));
      expect(roles.length).toBeGreaterThan(5);
      for (const [, role] of roles) expect((role as any).Properties.ManagedPolicyArns).toBeUndefined();
    });

    test('route writes are scoped to the rules of the two listeners', () => {
      for (const role of ['ReleaseSwapRole', 'ReleaseDeployGreenRole']) {
        const statement = statementWith(statementsOf(t, role), 'elasticloadbalancing:ModifyRule');
        // The two rules exactly, as the routes resource answers with their ARNs.
        expect(statement.Resource).toEqual([
          { 'Fn::GetAtt': [expect.stringMatching(/^ReleaseRoutes/), 'ProductionRuleArn'] },
          { 'Fn::GetAtt': [expect.stringMatching(/^ReleaseRoutes/), 'TestRuleArn'] },
        ]);
      }
    });

    test('service, repository, parameter, topic and pipeline permissions name the exact ARNs', () => {
      const swap = statementsOf(t, 'ReleaseSwapRole');
      const deploy = statementsOf(t, 'ReleaseDeployGreenRole');
      const serviceArns = resourcesOf(statementWith(deploy, 'ecs:UpdateService')).map((r: unknown) => JSON.stringify(r));
      expect(serviceArns).toHaveLength(2);
      expect(serviceArns[0]).toContain('/shop-slot-a');
      expect(serviceArns[1]).toContain('/shop-slot-b');
      expect(resourcesOf(statementWith(deploy, 'ecr:PutImage'))).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^ReleaseRepository/), 'Arn'] }]);
      expect(statementWith(deploy, 'ecs:ListTasks').Condition).toEqual({
        ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [expect.stringMatching(/^ReleaseCluster/), 'Arn'] } },
      });
      const ssmWrites = swap.filter((s) => ([] as string[]).concat(s.Action).includes('ssm:PutParameter')).flatMap((s) => resourcesOf(s).map(text));
      expect(ssmWrites.sort()).toEqual(['arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/shop/lease/*', 'arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/shop/state']);
      expect(resourcesOf(statementWith(deploy, 'ssm:PutParameter')).map(text)).toEqual(['arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/shop/lease/*']);
      expect(resourcesOf(statementWith(deploy, 'ssm:GetParametersByPath')).map(text)).toEqual(['arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/shop/lease']);
      expect(resourcesOf(statementWith(deploy, 'codepipeline:GetPipelineExecution')).map(text)).toEqual([PIPELINE_ARN]);
      expect(resourcesOf(statementWith(swap, 'codepipeline:ListActionExecutions')).map(text)).toEqual([PIPELINE_ARN]);
      expect(resourcesOf(statementWith(swap, 'sns:Publish'))).toEqual([{ Ref: expect.stringMatching(/^ReleaseNotificationTopic/) }]);
      expect(statementWith(swap, 'elasticloadbalancing:AddTags').Resource).toHaveLength(2);
      expect(statementWith(swap, 'ecs:TagResource').Resource).toHaveLength(2);
    });

    test('wildcard resources appear only for actions without resource-level permissions', () => {
      const allowedOnStar = new Set([
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTags',
        'elasticloadbalancing:DescribeTargetHealth',
        'ecs:ListTasks',
        'ecs:DescribeTasks',
        'tag:TagResources',
        'tag:GetResources',
        'codepipeline:PutJobSuccessResult',
        'codepipeline:PutJobFailureResult',
        // The state record's seal check reads its type and key; DescribeParameters is a List action without resources.
        'ssm:DescribeParameters',
        // A function in a VPC manages its own network interfaces, which have no ARN before they exist.
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ]);
      for (const role of ['ReleaseSwapRole', 'ReleaseDeployGreenRole', 'ReleaseInfraOwnerRole']) {
        for (const statement of statementsOf(t, role)) {
          if (statement.Resource !== '*' && !(Array.isArray(statement.Resource) && statement.Resource.includes('*'))) continue;
          for (const action of [].concat(statement.Action)) expect(allowedOnStar).toContain(action);
        }
      }
    });

    test('the infra owner may create, change and delete only the two services and the rules its Routes resource tagged', () => {
      const infra = statementsOf(t, 'ReleaseInfraOwnerRole');
      const services = statementWith(infra, 'ecs:CreateService');
      expect(services.Action).toEqual(['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices', 'ecs:TagResource', 'ecs:UntagResource']);
      expect(services.Resource.map((r: unknown) => JSON.stringify(r))).toEqual([expect.stringContaining('/shop-slot-a'), expect.stringContaining('/shop-slot-b')]);
      const [routesId] = Object.keys(t.findResources('Custom::BlueGreenRoutes'));
      const tags = (key: string) => ({ [`${key}/bluegreen:stack`]: { Ref: 'AWS::StackId' }, [`${key}/bluegreen:resource`]: routesId });
      const create = statementWith(infra, 'elasticloadbalancing:CreateRule');
      expect(create.Resource).toEqual([{ Ref: expect.stringMatching(/^ReleaseProductionListener/) }, { Ref: expect.stringMatching(/^ReleaseTestListener/) }]);
      expect(create.Condition).toEqual({ StringEquals: tags('aws:RequestTag') });
      // Rule writes follow the rule's tags, not the listener it is on.
      const writes = statementWith(infra, 'elasticloadbalancing:DeleteRule');
      expect(writes.Action).toEqual(['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule']);
      expect(text(writes.Resource)).toBe('arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/*');
      expect(writes.Condition).toEqual({ StringEquals: tags('aws:ResourceTag') });
      const tagOnCreate = statementWith(infra, 'elasticloadbalancing:AddTags');
      expect(tagOnCreate.Condition).toEqual({ StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule', ...tags('aws:RequestTag') } });
      expect(resourcesOf(statementWith(infra, 'ecr:PutImage')).map(text)).toEqual(['<ReleaseRepository678F8464.Arn>']);
    });

    test('the infra owner may invoke itself, and the slot services wait for that permission', () => {
      const [policyId, policy] = Object.entries(t.findResources('AWS::IAM::ManagedPolicy')).find(([id]) => id.startsWith('ReleaseInfraOwnerSelfInvoke'))!;
      expect((policy as any).Properties.PolicyDocument.Statement).toEqual([
        { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ReleaseInfraOwnerFunction/), 'Arn'] } },
      ]);
      for (const resource of Object.values(t.findResources('Custom::BlueGreenSlotService')) as any[]) expect(resource.DependsOn).toContain(policyId);
    });
  });

  describe('repository', () => {
    test('it scans on push, keeps release tags immutable and slot tags mutable, and never expires slot images', () => {
      const [, repo] = only(t, 'AWS::ECR::Repository');
      expect(repo.Properties.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
      expect(repo.Properties.ImageTagMutability).toBe('IMMUTABLE_WITH_EXCLUSION');
      expect(repo.Properties.ImageTagMutabilityExclusionFilters).toEqual([{ ImageTagMutabilityExclusionFilterType: 'WILDCARD', ImageTagMutabilityExclusionFilterValue: 'slot-*' }]);
      expect(repo.Properties.EncryptionConfiguration.EncryptionType).toBe('KMS');
      const rules = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
      expect(rules[0]).toMatchObject({ rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['slot-*'], countType: 'imageCountMoreThan' } });
      expect(rules.map((r: any) => r.selection.tagStatus)).toEqual(['tagged', 'untagged', 'any']);
    });
  });

  describe('secure defaults', () => {
    test('every KMS key rotates and every bucket is private, TLS-only and versioned', () => {
      for (const key of Object.values(t.findResources('AWS::KMS::Key')) as any[]) expect(key.Properties.EnableKeyRotation).toBe(true);
      const buckets = Object.entries(t.findResources('AWS::S3::Bucket')) as Array<[string, any]>;
      expect(buckets).toHaveLength(3);
      for (const [, bucket] of buckets) {
        expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
        expect(bucket.Properties.LifecycleConfiguration.Rules.length).toBeGreaterThan(0);
      }
      const artifact = buckets.find(([id]) => id.startsWith('ReleaseArtifactBucket'))![1];
      expect(artifact.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      expect(artifact.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: expect.stringMatching(/^ReleaseLogBucket/) });
      for (const policy of Object.values(t.findResources('AWS::S3::BucketPolicy')) as any[]) {
        expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
      }
    });

    test('the load balancer drops invalid headers and logs access; the VPC logs flows and closes its default security group', () => {
      const [, alb] = only(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
      const attributes = Object.fromEntries((alb.Properties.LoadBalancerAttributes as Array<{ Key: string; Value: unknown }>).map((a) => [a.Key, a.Value]));
      expect(attributes['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
      expect(attributes['access_logs.s3.enabled']).toBe('true');
      t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 's3' });
      // Closed by the infra owner, not by aws-cdk-lib's function.
      t.resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
      t.hasResourceProperties('Custom::BlueGreenDefaultSecurityGroup', { SecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReleaseVpc'), 'DefaultSecurityGroup'] } });
      t.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    });

    test('the slot tasks run in private subnets', () => {
      const [, service] = Object.entries(t.findResources('Custom::BlueGreenSlotService'))[0] as [string, any];
      for (const subnet of service.Properties.Subnets) expect(subnet.Ref).toMatch(/^ReleaseVpcPrivateSubnet/);
    });
  });

  describe('grants', () => {
    test('grantApprove allows the approval result on the Approve action and reading the pipeline state and executions', () => {
      const { template } = synth({}, undefined, (stack, construct) => {
        construct.grantApprove(new iam.Role(stack, 'Approver', { assumedBy: new iam.AccountRootPrincipal() }));
      });
      const statements = statementsOf(template, 'Approver');
      expect(text(statementWith(statements, 'codepipeline:PutApprovalResult').Resource)).toBe('arn:aws:codepipeline:eu-west-1:123456789012:<ReleasePipeline029915CD>/Release/Approve');
      const read = statementWith(statements, 'codepipeline:GetPipelineState');
      expect(read.Action).toEqual(['codepipeline:GetPipelineState', 'codepipeline:ListActionExecutions']);
      expect(text(read.Resource)).toBe('arn:aws:codepipeline:eu-west-1:123456789012:<ReleasePipeline029915CD>');
    });

    test('grantRollback allows invoking the swap function plus every read bluegreen rollback makes first', () => {
      const { template } = synth({}, undefined, (stack, construct) => {
        construct.grantRollback(new iam.Role(stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal() }));
      });
      const statements = statementsOf(template, 'OnCall');
      expect(JSON.stringify(statementWith(statements, 'lambda:InvokeFunction').Resource)).toContain('ReleaseSwapFunction');
      expect(resourcesOf(statementWith(statements, 'ssm:GetParameter')).map(text)).toEqual([
        'arn:aws:ssm:eu-west-1:123456789012:parameter<ReleaseConfigParameterA3632515>',
        'arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/shop/state',
      ]);
      for (const read of ['elasticloadbalancing:DescribeRules', 'ecs:DescribeServices', 'ecs:ListTasks', 'tag:GetResources']) {
        expect(() => statementWith(statements, read)).not.toThrow();
      }
    });

    test('grantRead allows the status and history reads, holds task reads to the cluster, and allows no write', () => {
      const { template } = synth({}, undefined, (stack, construct) => {
        construct.grantRead(new iam.Role(stack, 'Viewer', { assumedBy: new iam.AccountRootPrincipal() }));
      });
      const statements = statementsOf(template, 'Viewer');
      const actions = statements.flatMap((s) => ([] as string[]).concat(s.Action)).sort();
      expect(actions).toEqual([
        'codepipeline:GetPipelineExecution',
        'codepipeline:GetPipelineState',
        'codepipeline:ListActionExecutions',
        'codepipeline:ListPipelineExecutions',
        'ecs:DescribeServices',
        'ecs:DescribeTasks',
        'ecs:ListTasks',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetHealth',
        // The sealed state record and lease: decrypted through SSM only.
        'kms:Decrypt',
        'ssm:GetParameter',
        'ssm:GetParametersByPath',
        'tag:GetResources',
      ]);
      expect(statementWith(statements, 'kms:Decrypt').Condition).toEqual({ StringEquals: { 'kms:ViaService': 'ssm.eu-west-1.amazonaws.com' } });
      expect(resourcesOf(statementWith(statements, 'ecs:DescribeServices')).map(text)).toEqual([
        expect.stringContaining(':service/'),
        expect.stringContaining(':service/'),
      ]);
      expect(statementWith(statements, 'ecs:ListTasks').Condition).toEqual({ ArnEquals: { 'ecs:cluster': expect.anything() } });
      expect(resourcesOf(statementWith(statements, 'codepipeline:ListPipelineExecutions')).map(text)).toEqual([
        expect.stringContaining(':codepipeline:eu-west-1:123456789012:'),
      ]);
    });
  });

  describe('settable props', () => {
    test('with a certificate both listeners are HTTPS with a TLS 1.2+ policy and port 80 redirects to HTTPS', () => {
      const { template, construct } = synth({}, (stack) => ({
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc'),
      }));
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        SslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }],
      });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8443, Protocol: 'HTTPS' });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
      });
      expect(construct.testUrl).toMatch(/^https:\/\/.*:8443$/);
    });

    test('task size, count, health check, grace period, environment, secrets, architecture and approval timeout follow the props', () => {
      const { template } = synth(
        {
        cpu: 1024,
        memoryLimitMiB: 4096,
        desiredCount: 3,
        healthCheckPath: '/ready',
        healthCheckPort: 9090,
        healthCheckGracePeriod: Duration.seconds(120),
        environment: { LOG_LEVEL: 'debug' },
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        readonlyRootFilesystem: true,
        approvalTimeout: Duration.hours(24),
        testListenerAllowedCidrs: ['203.0.113.0/24'],
        },
        (stack) => ({ secrets: { TOKEN: ecs.Secret.fromSsmParameter(ssm.StringParameter.fromStringParameterName(stack, 'Token', '/shop/token')) } }),
      );
      const def = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any;
      const [container] = def.Properties.ContainerDefinitions;
      expect([def.Properties.Cpu, def.Properties.Memory, def.Properties.RuntimePlatform.CpuArchitecture]).toEqual(['1024', '4096', 'ARM64']);
      expect(container.Environment).toEqual([
        { Name: 'LOG_LEVEL', Value: 'debug' },
        { Name: 'BLUEGREEN_SLOT', Value: 'a' },
      ]);
      expect(container.Secrets.map((s: any) => s.Name)).toEqual(['TOKEN']);
      expect(container.ReadonlyRootFilesystem).toBe(true);
      expect(container.MountPoints).toEqual([{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' }]);
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/ready', HealthCheckPort: '9090' });
      template.hasResourceProperties('Custom::BlueGreenSlotService', { HealthCheckGracePeriodSeconds: 120 });
      template.hasResourceProperties('AWS::CodeBuild::Project', { Environment: Match.objectLike({ Image: 'aws/codebuild/amazonlinux2-aarch64-standard:3.0', Type: 'ARM_CONTAINER' }) });
      expect(stage(template, 'Approve').TimeoutInMinutes).toBe(24 * 60);
      expect(JSON.stringify(functionResource(template, 'ReleaseSwapFunction').Properties.Environment)).toContain('\\"desiredCount\\":3');
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: '203.0.113.0/24', FromPort: 8080 })]),
      });
    });

    test('a given VPC, cluster and load balancer are used instead of new ones', () => {
      const { template } = synth({}, (stack) => {
        const vpc = new ec2.Vpc(stack, 'SharedVpc', { maxAzs: 2 });
        const cluster = new ecs.Cluster(stack, 'SharedCluster', { vpc });
        const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, 'SharedAlb', { vpc, internetFacing: true });
        return { vpc, cluster, loadBalancer };
      });
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.resourceCountIs('AWS::ECS::Cluster', 1);
      template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
      const listener = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener'))[0] as any;
      expect(listener.Properties.LoadBalancerArn).toEqual({ Ref: expect.stringMatching(/^SharedAlb/) });
      template.hasResourceProperties('Custom::BlueGreenSlotService', { ClusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SharedCluster'), 'Arn'] } });
    });
  });
});

/** A pipeline action by name, in whichever stage it is. */
function stage(template: Template, name: string): Record<string, any> {
  const [, pipeline] = only(template, 'AWS::CodePipeline::Pipeline');
  return (pipeline.Properties.Stages as Array<{ Actions: Array<Record<string, any>> }>).flatMap((s) => s.Actions).find((a) => a.Name === name)!;
}

function functionResource(template: Template, prefix: string): { Properties: Record<string, any> } {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one function ${prefix}, found ${found.length}`);
  return found[0][1] as { Properties: Record<string, any> };
}

function approvalTopicId(template: Template): string {
  return Object.entries(template.findResources('AWS::SNS::Topic')).find(([id]) => id.startsWith('ReleaseApprovalTopic'))![0];
}

/** The buildspec text with CloudFormation references replaced by a placeholder. */
function joinedBuildSpec(project: { Properties: Record<string, any> }): string {
  const spec = project.Properties.Source.BuildSpec;
  if (typeof spec === 'string') return spec;
  const join = spec['Fn::Join'] as [string, unknown[]];
  return join[1].map((part) => (typeof part === 'string' ? part : 'REF')).join(join[0]);
}
