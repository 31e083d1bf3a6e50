import { CodePipelineClient, ListActionExecutionsCommand, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { BatchGetImageCommand, ECRClient, ImageAlreadyExistsException, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  CreateServiceCommand, DeleteServiceCommand, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand,
  ServiceNotFoundException, TagResourceCommand, UntagResourceCommand, UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateRuleCommand, DeleteRuleCommand, DescribeRulesCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client,
  ListenerNotFoundException, ModifyRuleCommand, RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, TagResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteParameterCommand, DescribeParametersCommand, GetParameterCommand, GetParametersByPathCommand, ParameterAlreadyExists, ParameterNotFound,
  PutParameterCommand, SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { findApprover, jobReporter, listActionExecutions } from '../../../lambdas/adapters/codepipeline';
import { MANIFEST_MEDIA_TYPES, tagImage } from '../../../lambdas/adapters/ecr';
import { createSlotService, deleteSlotService, observeSlot, rollSlot, updateSlotService } from '../../../lambdas/adapters/ecs';
import { createRouteRule, deleteRule, elbRoutes, forwardRule, listListenerRules, readRoutes } from '../../../lambdas/adapters/elb';
import { snsNotifier, snsSubject } from '../../../lambdas/adapters/sns';
import { readState, ssmLeaseStore, writeState } from '../../../lambdas/adapters/ssm';
import { freeLease, nextLease } from '../../../lambdas/core/lease';
import { readLabels, writeLabels } from '../../../lambdas/adapters/tagging';
import { SlotServiceProperties } from '../../../lambdas/core/events';
import { ImageNotFoundError } from '../../../lambdas/core/ports';
import { D1, D2, config, stateRecord, tg } from '../core/fixtures';

const NOW_ = new Date('2026-02-01T12:00:00.000Z');
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const ssm = mockClient(SSMClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const codepipeline = mockClient(CodePipelineClient);
const sns = mockClient(SNSClient);
const c = {
  elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
  ecs: new ECSClient({ region: 'eu-west-1' }),
  ecr: new ECRClient({ region: 'eu-west-1' }),
  ssm: new SSMClient({ region: 'eu-west-1' }),
  tagging: new ResourceGroupsTaggingAPIClient({ region: 'eu-west-1' }),
  codepipeline: new CodePipelineClient({ region: 'eu-west-1' }),
  sns: new SNSClient({ region: 'eu-west-1' }),
};
const meta = { $metadata: {} };

beforeEach(() => {
  for (const m of [elbv2, ecs, ecr, ssm, tagging, codepipeline, sns]) m.reset();
});

describe('ELBv2 adapter', () => {
  test('reads both rules in one DescribeRules, following weighted forwards', async () => {
    elbv2.on(DescribeRulesCommand).resolves({
      Rules: [
        { RuleArn: config.productionRuleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('a'), Weight: 1 }, { TargetGroupArn: tg('b'), Weight: 0 }] } }] },
        { RuleArn: config.testRuleArn, Actions: [{ Type: 'forward', TargetGroupArn: tg('b') }] },
      ],
    });
    expect(await readRoutes(c, config)).toEqual({
      production: { ruleArn: config.productionRuleArn, forwardTargetGroupArns: [tg('a')], weights: [1] },
      test: { ruleArn: config.testRuleArn, forwardTargetGroupArns: [tg('b')], weights: [1] },
    });
    expect(elbv2.commandCalls(DescribeRulesCommand)).toHaveLength(1);
    expect(elbv2.commandCalls(DescribeRulesCommand)[0].args[0].input).toEqual({ RuleArns: [config.productionRuleArn, config.testRuleArn] });
  });

  test('a split production rule is read with each target group\'s weight', async () => {
    elbv2.on(DescribeRulesCommand).resolves({
      Rules: [
        { RuleArn: config.productionRuleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('a'), Weight: 90 }, { TargetGroupArn: tg('b'), Weight: 10 }] } }] },
        { RuleArn: config.testRuleArn, Actions: [{ Type: 'forward', TargetGroupArn: tg('b') }] },
      ],
    });
    expect((await readRoutes(c, config)).production).toEqual({ ruleArn: config.productionRuleArn, forwardTargetGroupArns: [tg('a'), tg('b')], weights: [90, 10] });
  });

  test('forwardWeighted writes both weights in one ModifyRule, with target-group stickiness when asked', async () => {
    elbv2.on(ModifyRuleCommand).resolves({});
    const routesPort = elbRoutes(c, config);
    await routesPort.forwardWeighted(config.productionRuleArn, [{ targetGroupArn: tg('a'), weight: 80 }, { targetGroupArn: tg('b'), weight: 20 }], 3600);
    await routesPort.forwardWeighted(config.productionRuleArn, [{ targetGroupArn: tg('a'), weight: 60 }, { targetGroupArn: tg('b'), weight: 40 }], 0);
    expect(elbv2.commandCalls(ModifyRuleCommand).map((call) => call.args[0].input)).toEqual([
      {
        RuleArn: config.productionRuleArn,
        Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('a'), Weight: 80 }, { TargetGroupArn: tg('b'), Weight: 20 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 } } }],
      },
      {
        RuleArn: config.productionRuleArn,
        Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('a'), Weight: 60 }, { TargetGroupArn: tg('b'), Weight: 40 }], TargetGroupStickinessConfig: { Enabled: false } } }],
      },
    ]);
  });

  test('forwardRule replaces the action with one forward', async () => {
    elbv2.on(ModifyRuleCommand).resolves({});
    await forwardRule(c, config.testRuleArn, tg('a'));
    expect(elbv2.commandCalls(ModifyRuleCommand)[0].args[0].input).toEqual({ RuleArn: config.testRuleArn, Actions: [{ Type: 'forward', TargetGroupArn: tg('a') }] });
  });

  test('listener rules: all pages; a missing listener is null', async () => {
    elbv2.on(DescribeRulesCommand, { ListenerArn: 'L1', Marker: undefined }).resolves({ Rules: [{ RuleArn: 'r1', Priority: '1', Actions: [{ Type: 'forward', TargetGroupArn: tg('a') }] }], NextMarker: 'm' });
    elbv2.on(DescribeRulesCommand, { ListenerArn: 'L1', Marker: 'm' }).resolves({ Rules: [{ RuleArn: 'r2', Priority: 'default', Actions: [{ Type: 'fixed-response' }] }] });
    elbv2.on(DescribeRulesCommand, { ListenerArn: 'L2' }).rejects(new ListenerNotFoundException({ message: 'gone', ...meta }));
    expect(await listListenerRules(c, 'L1')).toEqual([
      { ruleArn: 'r1', priority: '1', targetGroupArns: [tg('a')], conditions: [] },
      { ruleArn: 'r2', priority: 'default', targetGroupArns: [], conditions: [] },
    ]);
    expect(await listListenerRules(c, 'L2')).toBeNull();
  });

  test('creates a slot rule at its priority with its conditions and tags; deleting a missing rule is fine', async () => {
    elbv2.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: 'new-rule' }] });
    elbv2.on(DeleteRuleCommand).rejects(new RuleNotFoundException({ message: 'gone', ...meta }));
    expect(await createRouteRule(c, 'L1', tg('b'), { 'bluegreen:route': 'test' }, { priority: 1, conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['*'] } }] })).toBe('new-rule');
    expect(elbv2.commandCalls(CreateRuleCommand)[0].args[0].input).toEqual({
      ListenerArn: 'L1', Priority: 1, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['*'] } }], Actions: [{ Type: 'forward', TargetGroupArn: tg('b') }],
      Tags: [{ Key: 'bluegreen:route', Value: 'test' }],
    });
    await expect(deleteRule(c, 'r-missing')).resolves.toBeUndefined();
  });
});

describe('ECS adapter', () => {
  test('observes a slot: service, tasks with digests, target health', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceArn: config.slots.b.serviceArn, status: 'ACTIVE', desiredCount: 1, runningCount: 1, pendingCount: 0, deployments: [{ id: 'd1', status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 1, runningCount: 1, failedTasks: 0, taskDefinition: 'td' }] }] });
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1'] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: 't1', lastStatus: 'RUNNING', containers: [{ name: 'app', image: 'x/shop/web:slot-b', imageDigest: D1 }] }] });
    elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ Target: { Id: '10.0.0.1', Port: 8080 }, TargetHealth: { State: 'healthy' } }] });
    const obs = await observeSlot(c, config, 'b');
    expect(obs).toEqual({
      slot: 'b',
      service: { serviceArn: config.slots.b.serviceArn, status: 'ACTIVE', desiredCount: 1, runningCount: 1, pendingCount: 0, deployments: [{ id: 'd1', status: 'PRIMARY', rolloutState: 'COMPLETED', rolloutStateReason: null, desiredCount: 1, runningCount: 1, failedTasks: 0, taskDefinition: 'td' }] },
      tasks: [{ taskArn: 't1', lastStatus: 'RUNNING', containers: [{ name: 'app', image: 'x/shop/web:slot-b', imageDigest: D1 }] }],
      targets: [{ id: '10.0.0.1', port: 8080, state: 'healthy', reason: null }],
    });
    expect(ecs.commandCalls(ListTasksCommand)[0].args[0].input).toEqual({ cluster: config.clusterArn, serviceName: 'shop-b', desiredStatus: 'RUNNING', maxResults: 100 });
    expect(elbv2.commandCalls(DescribeTargetHealthCommand)[0].args[0].input).toEqual({ TargetGroupArn: tg('b') });
  });

  test('no tasks: no DescribeTasks call; a missing service is null', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: config.slots.a.serviceArn, reason: 'MISSING' }] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    elbv2.on(DescribeTargetHealthCommand).resolves({});
    expect(await observeSlot(c, config, 'a')).toEqual({ slot: 'a', service: null, tasks: [], targets: [] });
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  test('rolling a slot forces a new deployment at the desired count and returns its id', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'old', status: 'ACTIVE' }, { id: 'new', status: 'PRIMARY' }] } });
    expect(await rollSlot(c, config, 'b', 3)).toEqual({ deploymentId: 'new' });
    expect(ecs.commandCalls(UpdateServiceCommand)[0].args[0].input).toEqual({ cluster: config.clusterArn, service: config.slots.b.serviceArn, forceNewDeployment: true, desiredCount: 3 });
  });

  const props: SlotServiceProperties = {
    clusterArn: config.clusterArn, serviceName: 'shop-a', taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:2', containerName: 'app', containerPort: 8080,
    targetGroupArn: tg('a'), subnets: ['subnet-1'], securityGroups: ['sg-1'], healthCheckGracePeriodSeconds: 60, assignPublicIp: false, tags: [{ key: 'bluegreen:slot', value: 'a' }],
    repositoryName: 'shop/web', imageTag: 'slot-a',
  };

  test('creates a slot service empty, on Fargate, with the circuit breaker and managed tags', async () => {
    ecs.on(CreateServiceCommand).resolves({ service: { serviceArn: config.slots.a.serviceArn, serviceName: 'shop-a' } });
    expect(await createSlotService(c, props, 'req-1')).toEqual({ serviceArn: config.slots.a.serviceArn, serviceName: 'shop-a' });
    expect(ecs.commandCalls(CreateServiceCommand)[0].args[0].input).toMatchObject({
      desiredCount: 0, launchType: 'FARGATE', enableECSManagedTags: true, propagateTags: 'SERVICE', clientToken: 'req-1',
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      loadBalancers: [{ targetGroupArn: tg('a'), containerName: 'app', containerPort: 8080 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
      tags: [{ key: 'bluegreen:slot', value: 'a' }],
    });
  });

  test('updating never sends desiredCount and only untags keys the template dropped', async () => {
    ecs.on(UpdateServiceCommand).resolves({});
    ecs.on(UntagResourceCommand).resolves({});
    ecs.on(TagResourceCommand).resolves({});
    await updateSlotService(c, config.slots.a.serviceArn, { ...props, taskDefinitionArn: 'td:3', tags: [{ key: 'bluegreen:slot', value: 'a' }] }, { ...props, tags: [...props.tags, { key: 'team', value: 'x' }] });
    expect(ecs.commandCalls(UpdateServiceCommand)[0].args[0].input).toEqual({ cluster: config.clusterArn, service: config.slots.a.serviceArn, taskDefinition: 'td:3' });
    expect(ecs.commandCalls(UntagResourceCommand)[0].args[0].input).toEqual({ resourceArn: config.slots.a.serviceArn, tagKeys: ['team'] });
  });

  test('an unchanged template sends no update (so no deployment starts)', async () => {
    await updateSlotService(c, config.slots.a.serviceArn, props, props);
    expect(ecs.calls()).toHaveLength(0);
  });

  test('deleting scales to 0 then force-deletes; an absent service is fine', async () => {
    ecs.on(UpdateServiceCommand).resolves({});
    ecs.on(DeleteServiceCommand).resolves({});
    await deleteSlotService(c, 'shop', config.slots.a.serviceArn);
    expect(ecs.commandCalls(UpdateServiceCommand)[0].args[0].input).toEqual({ cluster: 'shop', service: config.slots.a.serviceArn, desiredCount: 0 });
    expect(ecs.commandCalls(DeleteServiceCommand)[0].args[0].input).toEqual({ cluster: 'shop', service: config.slots.a.serviceArn, force: true });
    ecs.reset();
    ecs.on(UpdateServiceCommand).rejects(new ServiceNotFoundException({ message: 'gone', ...meta }));
    await expect(deleteSlotService(c, 'shop', config.slots.a.serviceArn)).resolves.toBeUndefined();
  });
});

describe('ECR adapter', () => {
  test('copies the manifest under the slot tag', async () => {
    ecr.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: D1 }, imageManifest: '{"m":1}', imageManifestMediaType: 'application/vnd.oci.image.index.v1+json' }] });
    ecr.on(PutImageCommand).resolves({});
    expect(await tagImage(c, 'shop/web', D1, 'slot-b')).toBe('tagged');
    expect(ecr.commandCalls(BatchGetImageCommand)[0].args[0].input).toEqual({ repositoryName: 'shop/web', imageIds: [{ imageDigest: D1 }], acceptedMediaTypes: MANIFEST_MEDIA_TYPES });
    expect(ecr.commandCalls(PutImageCommand)[0].args[0].input).toEqual({ repositoryName: 'shop/web', imageTag: 'slot-b', imageDigest: D1, imageManifest: '{"m":1}', imageManifestMediaType: 'application/vnd.oci.image.index.v1+json' });
  });

  test('an existing tag is already there; an unknown digest is ImageNotFoundError', async () => {
    ecr.on(BatchGetImageCommand, { imageIds: [{ imageDigest: D1 }] }).resolves({ images: [{ imageId: { imageDigest: D1 }, imageManifest: '{}' }] });
    ecr.on(BatchGetImageCommand, { imageIds: [{ imageDigest: D2 }] }).resolves({ images: [], failures: [{ failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }] });
    ecr.on(PutImageCommand).rejects(new ImageAlreadyExistsException({ message: 'exists', ...meta }));
    expect(await tagImage(c, 'shop/web', D1, 'slot-b')).toBe('already-tagged');
    await expect(tagImage(c, 'shop/web', D2, 'slot-b')).rejects.toThrow(ImageNotFoundError);
  });
});

describe('SSM state store', () => {
  const name = '/bluegreen/shop/state';
  const sealed = { Parameters: [{ Name: name, Type: 'SecureString' as const, KeyId: config.stateKeyArn }] };

  test('absent is null; present and sealed is parsed; malformed is an InputError', async () => {
    ssm.on(DescribeParametersCommand).resolves(sealed);
    ssm.on(GetParameterCommand).rejectsOnce(new ParameterNotFound({ message: 'none', ...meta })).resolvesOnce({ Parameter: { Value: JSON.stringify(stateRecord()) } }).resolvesOnce({ Parameter: { Value: '{' } });
    expect(await readState(c, name, config.stateKeyArn)).toBeNull();
    expect(await readState(c, name, config.stateKeyArn)).toEqual(stateRecord());
    await expect(readState(c, name, config.stateKeyArn)).rejects.toThrow(/not valid JSON/);
    expect(ssm.commandCalls(GetParameterCommand)[0].args[0].input).toEqual({ Name: name, WithDecryption: true });
  });

  test.each([
    ['a plain String (anyone with ssm:PutParameter can write one)', { Name: name, Type: 'String' as const }, /not trusted: it is a String parameter/],
    ['a SecureString under another key', { Name: name, Type: 'SecureString' as const, KeyId: 'arn:aws:kms:eu-west-1:999999999999:key/ffffffff-0000-4000-8000-000000000000' }, /not trusted: it is encrypted with .*ffffffff/],
    ['a SecureString under the account default key', { Name: name, Type: 'SecureString' as const, KeyId: 'alias/aws/ssm' }, /not trusted/],
  ])('a record that is %s is not trusted', async (_n, meta2, reason) => {
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [meta2] });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stateRecord()) } });
    await expect(readState(c, name, config.stateKeyArn)).rejects.toThrow(reason);
  });

  test('the seal matches the key however SSM names it (ARN or key id)', async () => {
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: name, Type: 'SecureString', KeyId: config.stateKeyArn.split('/')[1] }] });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stateRecord()) } });
    expect(await readState(c, name, config.stateKeyArn)).toEqual(stateRecord());
  });

  test('writes a SecureString sealed with the control plane key, in whatever tier it is (Intelligent-Tiering)', async () => {
    ssm.on(PutParameterCommand).resolves({});
    await writeState(c, name, config.stateKeyArn, stateRecord());
    expect(ssm.commandCalls(PutParameterCommand)[0].args[0].input).toEqual({
      Name: name, Value: JSON.stringify(stateRecord()), Type: 'SecureString', KeyId: config.stateKeyArn, Overwrite: true, Tier: 'Intelligent-Tiering',
    });
  });
});

describe('SSM lease store', () => {
  const path = config.leaseParameterPath;
  const gen = (n: number) => `${path}/${String(n).padStart(10, '0')}`;

  test('reads the newest generation across pages; none is the free lease', async () => {
    const l1 = nextLease(freeLease(), { release: { executionId: 'e1', since: 't' } }, 'w1', NOW_);
    const l2 = nextLease(l1, { release: null }, 'w2', NOW_);
    ssm.on(GetParametersByPathCommand)
      .resolvesOnce({ Parameters: [] })
      .resolvesOnce({ Parameters: [{ Name: gen(2), Value: JSON.stringify(l2) }], NextToken: 'p2' })
      .resolvesOnce({ Parameters: [{ Name: gen(1), Value: JSON.stringify(l1) }] });
    const store = ssmLeaseStore(c, path, config.stateKeyArn);
    expect(await store.read()).toEqual(freeLease());
    expect(await store.read()).toEqual(l2);
    expect(ssm.commandCalls(GetParametersByPathCommand)[2].args[0].input).toMatchObject({ Path: path, NextToken: 'p2', WithDecryption: true });
  });

  test('a write creates the next generation without overwriting, and prunes old ones', async () => {
    ssm.on(PutParameterCommand).resolves({});
    ssm.on(DeleteParameterCommand).resolves({});
    const next = { ...nextLease(freeLease(), {}, 'w', NOW_), generation: 5 };
    expect(await ssmLeaseStore(c, path, config.stateKeyArn).write(next)).toBe('written');
    expect(ssm.commandCalls(PutParameterCommand)[0].args[0].input).toMatchObject({ Name: gen(5), Type: 'SecureString', KeyId: config.stateKeyArn, Overwrite: false });
    expect(ssm.commandCalls(DeleteParameterCommand)[0].args[0].input).toEqual({ Name: gen(3) });
  });

  test('ParameterAlreadyExists is a lost race, unless the existing generation is our own (a retried, lost response)', async () => {
    const ours = nextLease(freeLease(), {}, 'mine', NOW_);
    ssm.on(PutParameterCommand).rejects(new ParameterAlreadyExists({ message: 'exists', ...meta }));
    ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: JSON.stringify({ ...ours, writer: 'rival' }) } }).resolvesOnce({ Parameter: { Value: JSON.stringify(ours) } });
    const store = ssmLeaseStore(c, path, config.stateKeyArn);
    expect(await store.write(ours)).toBe('lost');
    expect(await store.write(ours)).toBe('written');
  });
});

describe('tagging adapter', () => {
  test('one TagResources for all resources; per-resource failures throw', async () => {
    tagging.on(TagResourcesCommand).resolvesOnce({}).resolvesOnce({ FailedResourcesMap: { arn1: { ErrorCode: 'InternalServiceException', ErrorMessage: 'x' } } });
    await writeLabels(c, ['arn1', 'arn2'], { k: 'v' });
    expect(tagging.commandCalls(TagResourcesCommand)[0].args[0].input).toEqual({ ResourceARNList: ['arn1', 'arn2'], Tags: { k: 'v' } });
    await expect(writeLabels(c, ['arn1'], { k: 'v' })).rejects.toThrow(/TagResources failed for 1 resource\(s\), e\.g\. arn1: InternalServiceException/);
  });

  test('reads tags by ARN', async () => {
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: 'arn1', Tags: [{ Key: 'k', Value: 'v' }] }] });
    expect(await readLabels(c, ['arn1', 'arn2'])).toEqual({ arn1: { k: 'v' } });
  });
});

describe('CodePipeline adapter', () => {
  test('reports success with a continuation token or output variables, and failure as JobFailed', async () => {
    codepipeline.on(PutJobSuccessResultCommand).resolves({});
    codepipeline.on(PutJobFailureResultCommand).resolves({});
    const reporter = jobReporter(c);
    await reporter.succeed('j1', { summary: 's', continuationToken: 't' });
    await reporter.succeed('j2', { summary: 's', executionId: 'e', outputVariables: { A: '1' } });
    await reporter.fail('j3', 'No.', 'e');
    expect(codepipeline.commandCalls(PutJobSuccessResultCommand).map((x) => x.args[0].input)).toEqual([
      { jobId: 'j1', continuationToken: 't', executionDetails: { summary: 's' } },
      { jobId: 'j2', outputVariables: { A: '1' }, executionDetails: { summary: 's', externalExecutionId: 'e' } },
    ]);
    expect(codepipeline.commandCalls(PutJobFailureResultCommand)[0].args[0].input).toEqual({ jobId: 'j3', failureDetails: { type: 'JobFailed', message: 'No.', externalExecutionId: 'e' } });
  });

  test('the approver is the approval action’s updatedBy', async () => {
    codepipeline.on(ListActionExecutionsCommand).resolves({
      actionExecutionDetails: [
        { actionName: 'Swap', status: 'InProgress', input: { actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' } } },
        { actionName: 'Approve', status: 'Succeeded', updatedBy: 'arn:aws:iam::123456789012:user/alice', input: { actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } } },
      ],
    });
    expect(await findApprover(c, 'shop', 'exec-1')).toBe('arn:aws:iam::123456789012:user/alice');
    expect(codepipeline.commandCalls(ListActionExecutionsCommand)[0].args[0].input).toEqual({ pipelineName: 'shop', filter: { pipelineExecutionId: 'exec-1' } });
  });

  test('an execution\'s action executions are read across every page', async () => {
    codepipeline
      .on(ListActionExecutionsCommand, { nextToken: undefined })
      .resolves({ actionExecutionDetails: [{ actionName: 'Build' }], nextToken: 'page-2' })
      .on(ListActionExecutionsCommand, { nextToken: 'page-2' })
      .resolves({ actionExecutionDetails: [{ actionName: 'Approve', updatedBy: 'arn:aws:iam::123456789012:user/bob', input: { actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } } }] });
    expect((await listActionExecutions(c, 'shop', 'exec-2')).map((d) => d.actionName)).toEqual(['Build', 'Approve']);
    expect(await findApprover(c, 'shop', 'exec-2')).toBe('arn:aws:iam::123456789012:user/bob');
    expect(codepipeline.commandCalls(ListActionExecutionsCommand).map((x) => x.args[0].input.nextToken)).toEqual([undefined, 'page-2', undefined, 'page-2']);
  });
});

test('SNS subjects are made valid: printable ASCII on one line, under 100 characters, shortened visibly', async () => {
  sns.on(PublishCommand).resolves({});
  await snsNotifier(c, 'arn:aws:sns:eu-west-1:123456789012:t').publish(` Swap\n→ ${'x'.repeat(200)}`, 'body');
  const input = sns.commandCalls(PublishCommand)[0].args[0].input;
  // Publish: "less than 100 characters long", no line breaks or control characters.
  expect(input.Subject).toHaveLength(99);
  expect(input.Subject).toMatch(/^Swap x+\.\.\.$/);
  expect(snsSubject('Swap to slot b: shop')).toBe('Swap to slot b: shop');
});
