import { CodePipelineClient, GetPipelineExecutionCommand, GetPipelineStateCommand, ListPipelineExecutionsCommand, InvalidJobStateException, ListActionExecutionsCommand, PutApprovalResultCommand, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { BatchGetImageCommand, DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateServiceCommand, DeleteClusterCommand, DeleteServiceCommand, DescribeTaskDefinitionCommand, ListTagsForResourceCommand, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListClustersCommand, ListTasksCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AddTagsCommand, CreateRuleCommand, DescribeListenersCommand, DescribeRulesCommand, DescribeTagsCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient, TagResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetParameterCommand, GetParametersCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsWorld } from './aws-model';
import { createWorld } from './jest-world';
import { invariantViolations, releaseSnapshot } from './invariants';
import { forward } from './model/elbv2';
import { ReleaseStack, seedReleaseStack } from './release-stack';

const ecs = new ECSClient({ region: 'us-east-1' });
const elb = new ElasticLoadBalancingV2Client({ region: 'us-east-1' });
const ecr = new ECRClient({ region: 'us-east-1' });
const ssm = new SSMClient({ region: 'us-east-1' });
const cp = new CodePipelineClient({ region: 'us-east-1' });

let world: AwsWorld;
let stack: ReleaseStack;

beforeEach(() => {
  world = createWorld();
  stack = seedReleaseStack(world);
});

afterAll(() => {
  AwsWorld.uninstall();
  jest.useRealTimers();
});

/** What DeployGreen does: tag the digest for slot b and roll the service. */
async function rollSlotB(digest: string, desiredCount = 2) {
  const { images } = await ecr.send(new BatchGetImageCommand({ repositoryName: 'app', imageIds: [{ imageDigest: digest }] }));
  await ecr.send(new PutImageCommand({ repositoryName: 'app', imageManifest: images![0].imageManifest, imageTag: 'slot-b' }));
  await ecs.send(new UpdateServiceCommand({ cluster: stack.config.clusterArn, service: stack.config.slots.b.serviceArn, forceNewDeployment: true, desiredCount }));
}

async function describeB() {
  const { services } = await ecs.send(new DescribeServicesCommand({ cluster: stack.config.clusterArn, services: [stack.config.slots.b.serviceArn], include: ['TAGS'] }));
  return services![0];
}

describe('AwsWorld', () => {
  test('the seeded stack has slot a live, slot b on test, both services empty and labelled with their slot', async () => {
    const { Rules } = await elb.send(new DescribeRulesCommand({ RuleArns: [stack.config.productionRuleArn, stack.config.testRuleArn] }));
    expect(Rules!.map((r) => r.Actions![0].TargetGroupArn)).toEqual([stack.config.slots.a.targetGroupArn, stack.config.slots.b.targetGroupArn]);
    expect(Rules![0].Actions![0].ForwardConfig!.TargetGroups).toEqual([{ TargetGroupArn: stack.config.slots.a.targetGroupArn, Weight: 1 }]);
    const b = await describeB();
    expect(b).toMatchObject({ desiredCount: 0, runningCount: 0, tags: [{ key: 'bluegreen:slot', value: 'b' }] });
    expect(b.deployments).toHaveLength(1);
    expect(b.deployments![0].rolloutState).toBe('COMPLETED');
    expect(JSON.parse(process.env.BLUEGREEN_CONFIG!)).toEqual(stack.config);
    expect(invariantViolations(world, [])).toEqual([]);
  });

  test('a deployment resolves the slot tag when it starts, then becomes steady and healthy tick by tick', async () => {
    const d1 = stack.build('v1').digest;
    await rollSlotB(d1);
    let b = await describeB();
    expect(b.deployments![0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', desiredCount: 2, runningCount: 0 });

    // Moving the tag after the deployment started changes nothing that runs (version consistency).
    world.ecr.commands.PutImage({ repositoryName: 'app', imageManifest: world.ecr.repositories.get('app')!.images.get(stack.build('v2').digest)!.manifest, imageTag: 'slot-b' });

    world.tick(); // tasks RUNNING, health initial
    const health = () => elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: stack.config.slots.b.targetGroupArn }));
    expect((await health()).TargetHealthDescriptions!.map((t) => t.TargetHealth!.State)).toEqual(['initial', 'initial']);
    world.tick(2);
    expect((await health()).TargetHealthDescriptions!.map((t) => t.TargetHealth!.State)).toEqual(['healthy', 'healthy']);
    b = await describeB();
    expect(b.deployments).toHaveLength(1);
    expect(b.deployments![0]).toMatchObject({ rolloutState: 'COMPLETED', runningCount: 2 });

    const { taskArns } = await ecs.send(new ListTasksCommand({ cluster: stack.config.clusterArn, serviceName: 'app-slot-b' }));
    const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster: stack.config.clusterArn, tasks: taskArns! }));
    expect(tasks!.map((t) => t.containers![0].imageDigest)).toEqual([d1, d1]);
    expect(tasks![0].startedBy).toBe(b.deployments![0].id);
  });

  test('a new deployment drains the old tasks only once its own are healthy', async () => {
    const [d1, d2] = [stack.build('v1').digest, stack.build('v2').digest];
    await rollSlotB(d1);
    world.tick(3);
    await rollSlotB(d2);
    world.tick(3); // new tasks healthy, old ones draining
    expect(world.ecs.targetsOf(stack.config.slots.b.targetGroupArn).map((t) => `${t.task.digest === d1 ? 'old' : 'new'}:${t.health}`).sort())
      .toEqual(['new:healthy', 'new:healthy', 'old:draining', 'old:draining']);
    expect((await describeB()).deployments).toHaveLength(2);
    world.tick();
    expect(stack.servingDigests('b')).toEqual([d2, d2]);
    expect((await describeB()).deployments!.map((d) => d.rolloutState)).toEqual(['COMPLETED']);
  });

  test('a bad digest trips the circuit breaker, which rolls back to the last completed digest', async () => {
    const [good, bad] = [stack.build('good').digest, stack.build('bad').digest];
    world.ecs.markBad(bad);
    await rollSlotB(good);
    world.tick(3);
    await rollSlotB(bad);
    const failedId = (await describeB()).deployments![0].id;
    world.tick(4);
    const b = await describeB();
    expect(b.deployments!.find((d) => d.id === failedId)).toMatchObject({ rolloutState: 'FAILED', rolloutStateReason: expect.stringMatching(/circuit breaker/) });
    expect(b.deployments![0].status).toBe('PRIMARY');
    world.tick(4);
    expect(world.ecs.isSteady(stack.config.slots.b.serviceArn)).toBe(true);
    expect(stack.servingDigests('b')).toEqual([good, good]);
  });

  test('SDK-shaped errors: modelled exception classes, names, status codes', async () => {
    const missing = await ssm.send(new GetParameterCommand({ Name: '/nope' })).catch((e) => e);
    expect(missing).toBeInstanceOf(ParameterNotFound);
    expect(missing).toMatchObject({ name: 'ParameterNotFound', $fault: 'client', $metadata: { httpStatusCode: 400 } });

    await ssm.send(new PutParameterCommand({ Name: '/p', Value: 'one', Type: 'String' }));
    await expect(ssm.send(new PutParameterCommand({ Name: '/p', Value: 'two' }))).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
    expect((await ssm.send(new PutParameterCommand({ Name: '/p', Value: 'two', Overwrite: true }))).Version).toBe(2);
    expect((await ssm.send(new GetParameterCommand({ Name: '/p' }))).Parameter).toMatchObject({ Value: 'two', Version: 2 });
    await expect(ssm.send(new PutParameterCommand({ Name: '/p', Value: 'x'.repeat(4097), Overwrite: true }))).rejects.toMatchObject({ name: 'ValidationException' });

    const digest = stack.build('v1').digest;
    await rollSlotB(digest);
    const manifest = world.ecr.repositories.get('app')!.images.get(digest)!.manifest;
    await expect(ecr.send(new PutImageCommand({ repositoryName: 'app', imageManifest: manifest, imageTag: 'slot-b' }))).rejects.toMatchObject({ name: 'ImageAlreadyExistsException' });
    const { failures } = await ecr.send(new BatchGetImageCommand({ repositoryName: 'app', imageIds: [{ imageDigest: `sha256:${'0'.repeat(64)}` }] }));
    expect(failures![0].failureCode).toBe('ImageNotFound');
    await expect(elb.send(new ModifyRuleCommand({ RuleArn: `${stack.config.productionRuleArn}0`, Actions: [forward(stack.config.slots.b.targetGroupArn)] }))).rejects.toMatchObject({ name: 'RuleNotFoundException' });
    await expect(ecs.send(new ListClustersCommand({}))).rejects.toThrow(/not modelled/);
  });

  test('ECR tag mutability: an existing tag moves only where the setting and its exclusions allow it; DescribeRepositories reports both', async () => {
    const v1 = stack.build('v1');
    const v2 = stack.build('v2');
    const manifest = (digest: string) => world.ecr.repositories.get('app')!.images.get(digest)!.manifest;
    const put = (digest: string, imageTag: string) => ecr.send(new PutImageCommand({ repositoryName: 'app', imageManifest: manifest(digest), imageTag }));
    // As seeded (the construct's repository): slot tags move, release tags do not.
    await put(v1.digest, 'slot-b');
    await put(v2.digest, 'slot-b');
    await put(v1.digest, 'keep');
    await expect(put(v2.digest, 'keep')).rejects.toMatchObject({ name: 'ImageTagAlreadyExistsException' });
    expect((await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['app'] }))).repositories![0]).toMatchObject({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'slot-*' }],
    });
    world.ecr.setTagMutability('app', 'MUTABLE_WITH_EXCLUSION', ['slot*b']);
    await expect(put(v1.digest, 'slot-b')).rejects.toMatchObject({ name: 'ImageTagAlreadyExistsException' });
    await put(v2.digest, 'keep');
    world.ecr.setTagMutability('app', 'IMMUTABLE');
    await expect(put(v1.digest, 'keep')).rejects.toMatchObject({ name: 'ImageTagAlreadyExistsException' });
    // A tag that does not exist yet can be pushed into an immutable repository.
    await put(v1.digest, 'slot-a');
    expect(() => world.ecr.setTagMutability('app', 'IMMUTABLE_WITH_EXCLUSION', ['slot/*'])).toThrow(/InvalidParameter|filters/);
    await expect(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['missing'] }))).rejects.toMatchObject({ name: 'RepositoryNotFoundException' });
  });

  test('faults: throttling and 5xx reach the caller once, with the SDK error shape, and are logged', async () => {
    world.faults.failNext('ssm', 'GetParameter', 'throttle');
    world.faults.failNext('ssm', 'GetParameter', 'unavailable');
    const from = world.calls.length;
    const name = stack.config.stateParameterName;
    await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 } });
    await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    expect(world.callsSince(from).map((c) => [c.command, c.error, c.fault])).toEqual([
      ['GetParameter', 'ThrottlingException', 'throttle'],
      ['GetParameter', 'ServiceUnavailable', 'unavailable'],
      ['GetParameter', 'ParameterNotFound', undefined],
    ]);

    // A lost response: the write happens, the caller sees a 500.
    world.faults.failAtCall(world.calls.length, 'internal', { afterEffect: true });
    await expect(elb.send(new ModifyRuleCommand({ RuleArn: stack.config.productionRuleArn, Actions: [forward(stack.config.slots.b.targetGroupArn)] }))).rejects.toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
    expect(stack.liveSlot()).toBe('b');
    expect(world.countCalls(from)).toEqual({ reads: 3, writes: 1, routeWrites: 1, total: 4 });
  });

  test('extend adds or overrides an operation', async () => {
    world.extend('ecs', 'ListClusters', () => ({ clusterArns: [stack.config.clusterArn] }));
    expect((await ecs.send(new ListClustersCommand({}))).clusterArns).toEqual([stack.config.clusterArn]);
    world.extend('ssm', 'GetParameter', () => ({ Parameter: { Name: 'x', Value: 'overridden' } }));
    expect((await ssm.send(new GetParameterCommand({ Name: 'anything' }))).Parameter!.Value).toBe('overridden');
  });

  test('CodePipeline: one accepted result per job, continuations become new jobs, approvals record the approver', async () => {
    const exec = world.codepipeline.startExecution(stack.pipelineName, { commit: 'c1', buildVariables: { IMAGE_URI: 'u', IMAGE_DIGEST: 'sha256:x', COMMIT: 'c1' } });
    const job = world.codepipeline.createJob(exec.id, 'DeployGreen');
    const event = world.codepipeline.deliver(job.id)['CodePipeline.job'];
    expect(JSON.parse(event.data.actionConfiguration.configuration.UserParameters)).toEqual({ imageUri: 'u', imageDigest: 'sha256:x', commit: 'c1' });
    expect(event.data.pipelineContext).toMatchObject({ pipelineName: stack.pipelineName, pipelineExecutionId: exec.id, stage: { name: 'Release' } });

    await expect(cp.send(new PutJobSuccessResultCommand({ jobId: job.id, continuationToken: 't', outputVariables: { A: 'b' } }))).rejects.toMatchObject({ name: 'ValidationException' });
    await cp.send(new PutJobSuccessResultCommand({ jobId: job.id, continuationToken: 't' }));
    const next = world.codepipeline.job(job.id).continuedBy!;
    expect(world.codepipeline.job(next)).toMatchObject({ continuationToken: 't', continuationOf: job.id });
    await expect(cp.send(new PutJobFailureResultCommand({ jobId: job.id, failureDetails: { type: 'JobFailed', message: 'late' } }))).rejects.toBeInstanceOf(InvalidJobStateException);
    expect(world.codepipeline.job(job.id).attempts.map((a) => a.accepted)).toEqual([true, false]);

    world.codepipeline.deliver(next);
    await cp.send(new PutJobSuccessResultCommand({ jobId: next, outputVariables: { GREEN_SLOT: 'b', IMAGE_DIGEST: 'sha256:x', COMMIT: 'c1', TEST_URL: 't' } }));
    const token = world.codepipeline.requestApproval(exec.id);
    const state = await cp.send(new GetPipelineStateCommand({ name: stack.pipelineName }));
    expect(state.stageStates!.find((s) => s.stageName === 'Release')!.actionStates!.find((a) => a.actionName === 'Approve')!.latestExecution).toMatchObject({ status: 'InProgress', token });
    await cp.send(new PutApprovalResultCommand({ pipelineName: stack.pipelineName, stageName: 'Release', actionName: 'Approve', token, result: { status: 'Approved', summary: 'ok' } }));
    const { actionExecutionDetails } = await cp.send(new ListActionExecutionsCommand({ pipelineName: stack.pipelineName, filter: { pipelineExecutionId: exec.id } }));
    expect(actionExecutionDetails!.find((a) => a.actionName === 'Approve')).toMatchObject({ status: 'Succeeded', updatedBy: world.codepipeline.callerArn });
    expect(JSON.parse(world.codepipeline.createJob(exec.id, 'Swap').userParameters)).toEqual({ greenSlot: 'b', imageDigest: 'sha256:x', commit: 'c1', executionId: exec.id });
  });

  test('STS GetCallerIdentity answers the world\'s caller, which a test can change or fail', async () => {
    const sts = new STSClient({ region: 'us-east-1' });
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/Operator/operator-session' });
    world.sts.callerArn = 'arn:aws:iam::111122223333:user/erin';
    expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe('arn:aws:iam::111122223333:user/erin');
    world.faults.failNext('sts', 'GetCallerIdentity', 'unavailable');
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
  });

  test('Lambda Invoke runs the registered handler in-process', async () => {
    world.lambda.register('echo', async (event: { fail?: boolean }) => {
      if (event.fail) throw new TypeError('boom');
      return { got: event };
    });
    const lambda = new LambdaClient({ region: 'us-east-1' });
    const ok = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"x":1}') }));
    expect(JSON.parse(ok.Payload!.transformToString())).toEqual({ got: { x: 1 } });
    const bad = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"fail":true}') }));
    expect(bad.FunctionError).toBe('Unhandled');
    expect(JSON.parse(bad.Payload!.transformToString())).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'missing' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  test('tagging writes land on the resources and unknown ARNs are reported as failed', async () => {
    const tagging = new ResourceGroupsTaggingAPIClient({ region: 'us-east-1' });
    const arns = [stack.config.slots.a.serviceArn, stack.config.slots.b.targetGroupArn, 'arn:aws:ecs:us-east-1:111122223333:service/app-cluster/gone'];
    const { FailedResourcesMap } = await tagging.send(new TagResourcesCommand({ ResourceARNList: arns, Tags: { 'bluegreen:live-slot': 'a' } }));
    expect(Object.keys(FailedResourcesMap!)).toEqual([arns[2]]);
    expect(world.tags.of(arns[1])).toEqual({ 'bluegreen:slot': 'b', 'bluegreen:live-slot': 'a' });
  });

  test('invariant checks catch mixed routes and unapproved production digests', () => {
    const digest = stack.build('v1').digest;
    world.ecs.runNow(stack.config.slots.a.serviceArn, digest, 2);
    expect(invariantViolations(world, [digest])).toEqual([]);
    expect(invariantViolations(world, [])).toEqual([expect.stringMatching(/^Invariant 1: production slot a serves unapproved digest/)]);
    world.elbv2.setForward(stack.config.testRuleArn, stack.config.slots.a.targetGroupArn);
    expect(invariantViolations(world, [digest])).toEqual(['Invariant 5: production and test rules both forward to slot a.']);
    world.elbv2.setForward(stack.config.productionRuleArn, stack.config.slots.b.targetGroupArn);
    expect(invariantViolations(world, [digest], { released: true })).toEqual([expect.stringMatching(/^Invariant 2: /)]);
    const before = releaseSnapshot(world);
    world.tick();
    expect(releaseSnapshot(world)).toEqual(before);
  });

  test('during a split every slot with a weight counts: its digests approved, its targets healthy, weights the record knows', () => {
    const digest = stack.build('v1').digest;
    world.ecs.runNow(stack.config.slots.a.serviceArn, digest, 2);
    const { a, b } = stack.config.slots;
    world.elbv2.commands.ModifyRule({ RuleArn: stack.config.productionRuleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: a.targetGroupArn, Weight: 90 }, { TargetGroupArn: b.targetGroupArn, Weight: 10 }] } }] });
    expect(stack.traffic()).toEqual({ a: 90, b: 10 });
    const split = 'Invariant 5: production splits traffic a=90 b=10 but the state record knows of no traffic shift.';
    expect(invariantViolations(world, [digest], { released: true })).toEqual([expect.stringMatching(/^Invariant 2: production rule forwards to .*app-slot-b.* \(10%\) with no healthy target\.$/), split]);
    world.ecs.runNow(b.serviceArn, stack.build('v2').digest, 2);
    expect(invariantViolations(world, [digest], { released: true })).toEqual([expect.stringMatching(/^Invariant 1: production slot b \(10%\) serves unapproved digest\(s\) sha256:/), split]);
    // A zero weight sends no traffic: the slot is not production's.
    world.elbv2.commands.ModifyRule({ RuleArn: stack.config.productionRuleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: a.targetGroupArn, Weight: 100 }, { TargetGroupArn: b.targetGroupArn, Weight: 0 }] } }] });
    expect(invariantViolations(world, [digest], { released: true })).toEqual([]);
  });

  test('weighted forwards as the API takes them: weights 0-999, at most 5 groups, stickiness 1 s to 7 days when on', () => {
    const { a, b } = stack.config.slots;
    const modify = (groups: { TargetGroupArn: string; Weight?: number }[], sticky?: { Enabled: boolean; DurationSeconds?: number }) => () =>
      world.elbv2.commands.ModifyRule({ RuleArn: stack.config.productionRuleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: groups, ...(sticky ? { TargetGroupStickinessConfig: sticky } : {}) } }] });
    expect(modify([{ TargetGroupArn: a.targetGroupArn, Weight: 1000 }, { TargetGroupArn: b.targetGroupArn, Weight: 1 }])).toThrow(expect.objectContaining({ name: 'ValidationError' }));
    expect(modify([{ TargetGroupArn: a.targetGroupArn, Weight: 1 }, { TargetGroupArn: a.targetGroupArn, Weight: 1 }])).toThrow(expect.objectContaining({ name: 'ValidationError' }));
    expect(modify([{ TargetGroupArn: a.targetGroupArn, Weight: 50 }, { TargetGroupArn: b.targetGroupArn, Weight: 50 }], { Enabled: true })).toThrow(/stickiness duration must be between 1 and 604800 seconds/);
    expect(modify([{ TargetGroupArn: a.targetGroupArn, Weight: 50 }, { TargetGroupArn: b.targetGroupArn, Weight: 50 }], { Enabled: true, DurationSeconds: 604_801 })).toThrow(/stickiness duration/);
    modify([{ TargetGroupArn: a.targetGroupArn, Weight: 50 }, { TargetGroupArn: b.targetGroupArn, Weight: 50 }], { Enabled: true, DurationSeconds: 3600 })();
    expect(world.elbv2.stickinessOf(stack.config.productionRuleArn)).toBe(3600);
    expect(world.elbv2.forwardWeights(stack.config.productionRuleArn)).toEqual({ [a.targetGroupArn]: 50, [b.targetGroupArn]: 50 });
    const sixth = Array.from({ length: 6 }, (_, i) => ({ TargetGroupArn: world.elbv2.addTargetGroup({ name: `extra-${i}` }), Weight: 1 }));
    expect(modify(sixth)).toThrow(/at most 5 target groups/);
  });

  test('SetRulePriorities moves a rule on its listener, never onto a priority another rule holds', () => {
    expect(() => world.elbv2.commands.SetRulePriorities({ RulePriorities: [{ RuleArn: stack.config.productionRuleArn, Priority: 2 }] })).not.toThrow();
    expect(world.elbv2.rules.get(stack.config.productionRuleArn)!.priority).toBe(2);
    world.elbv2.commands.CreateRule({ ListenerArn: stack.ids.productionListenerArn, Priority: 1, Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-T', Values: ['1'] } }], Actions: [{ Type: 'forward', TargetGroupArn: stack.config.slots.b.targetGroupArn }] });
    expect(() => world.elbv2.commands.SetRulePriorities({ RulePriorities: [{ RuleArn: stack.config.productionRuleArn, Priority: 1 }] })).toThrow(expect.objectContaining({ name: 'PriorityInUseException' }));
  });

  test('service lifecycle for the infrastructure owner: create is not idempotent, delete needs force above 0', async () => {
    const base = { cluster: stack.config.clusterArn, serviceName: 'app-slot-c', taskDefinition: 'app-slot-a' };
    const { service } = await ecs.send(new CreateServiceCommand({ ...base, desiredCount: 0, loadBalancers: [{ targetGroupArn: stack.config.slots.a.targetGroupArn, containerName: 'app', containerPort: 8080 }] }));
    expect(service).toMatchObject({ serviceName: 'app-slot-c', status: 'ACTIVE', desiredCount: 0, taskDefinition: expect.stringMatching(/task-definition\/app-slot-a:1$/) });
    await expect(ecs.send(new CreateServiceCommand(base))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(ecs.send(new UpdateServiceCommand({ cluster: stack.config.clusterArn, service: 'app-slot-c', taskDefinition: 'nope:9' }))).rejects.toMatchObject({ name: 'ClientException' });
    await ecs.send(new UpdateServiceCommand({ cluster: stack.config.clusterArn, service: 'app-slot-c', desiredCount: 1 }));
    await expect(ecs.send(new DeleteServiceCommand({ cluster: stack.config.clusterArn, service: 'app-slot-c' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    world.ecr.pushImage('app', 'c', ['slot-a']);
    await ecs.send(new UpdateServiceCommand({ cluster: stack.config.clusterArn, service: 'app-slot-c', forceNewDeployment: true }));
    world.tick(); // the task runs
    expect((await ecs.send(new DeleteServiceCommand({ cluster: stack.config.clusterArn, service: 'app-slot-c', force: true }))).service!.status).toBe('DRAINING');
    await expect(ecs.send(new UpdateServiceCommand({ cluster: stack.config.clusterArn, service: 'app-slot-c', desiredCount: 1 }))).rejects.toMatchObject({ name: 'ServiceNotActiveException' });
    // DRAINING until its task has stopped; the cluster cannot go before (ClusterContainsServicesException).
    const status = async () => (await ecs.send(new DescribeServicesCommand({ cluster: stack.config.clusterArn, services: ['app-slot-c'] }))).services![0].status;
    expect(await status()).toBe('DRAINING');
    await expect(ecs.send(new DeleteClusterCommand({ cluster: stack.config.clusterArn }))).rejects.toMatchObject({ name: 'ClusterContainsServicesException' });
    world.tick(world.ecs.timing.drainTicks);
    expect(await status()).toBe('INACTIVE');
    await expect(ecs.send(new CreateServiceCommand({ ...base, serviceName: 'app-slot-d', loadBalancers: [{ targetGroupArn: world.elbv2.addTargetGroup({ name: 'unused' }), containerName: 'app', containerPort: 8080 }] })))
      .rejects.toThrow(/does not have an associated load balancer/);
    await expect(ecs.send(new UpdateServiceCommand({ cluster: stack.config.clusterArn, service: 'nope' }))).rejects.toMatchObject({ name: 'ServiceNotFoundException' });
  });

  test('listener rules as the ALB documents them: no idempotency token, tags, one load balancer per target group', async () => {
    const rule = { Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['*'] }], Actions: [{ Type: 'forward' as const, TargetGroupArn: stack.config.slots.a.targetGroupArn }] };
    // A second CreateRule at a taken priority (what a retry of a request that took effect sends) is PriorityInUse.
    await expect(elb.send(new CreateRuleCommand({ ...rule, ListenerArn: stack.ids.productionListenerArn }))).rejects.toMatchObject({ name: 'PriorityInUseException' });
    const listener = world.elbv2.addListener({ loadBalancerArn: stack.ids.loadBalancerArn, port: 81 });
    const { Rules } = await elb.send(new CreateRuleCommand({ ...rule, ListenerArn: listener, Tags: [{ Key: 'bluegreen:route', Value: 'production' }] }));
    const arn = Rules![0].RuleArn!;
    await elb.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'team', Value: 'x' }] }));
    expect((await elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions![0].Tags).toEqual([{ Key: 'bluegreen:route', Value: 'production' }, { Key: 'team', Value: 'x' }]);
    await expect(elb.send(new DescribeTagsCommand({ ResourceArns: Array.from({ length: 21 }, () => arn) }))).rejects.toMatchObject({ name: 'ValidationError' });
    // A target group already behind this load balancer cannot serve a second one.
    const other = world.elbv2.addListener({ loadBalancerArn: world.elbv2.addLoadBalancer('other'), port: 80 });
    await expect(elb.send(new CreateRuleCommand({ ...rule, ListenerArn: other }))).rejects.toMatchObject({ name: 'TargetGroupAssociationLimitException' });
    // A target group a rule forwards to cannot be deleted; a deleted listener takes its rules and their tags.
    expect(() => world.elbv2.deleteTargetGroup(stack.config.slots.a.targetGroupArn)).toThrow(/in use/);
    world.elbv2.deleteListener(listener);
    expect(world.elbv2.rules.has(arn)).toBe(false);
    expect(world.tags.of(arn)).toEqual({});
    await expect(elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).rejects.toMatchObject({ name: 'RuleNotFoundException' });
  });

  test('pipeline executions and the stack are discoverable like the CLI reads them', async () => {
    const first = world.codepipeline.startExecution(stack.pipelineName, { commit: 'c1' });
    world.tick();
    const second = world.codepipeline.startExecution(stack.pipelineName, { commit: 'c2', buildVariables: { IMAGE_URI: 'u', IMAGE_DIGEST: 'sha256:x', COMMIT: 'c2' } });
    world.codepipeline.finishExecution(first.id, 'Failed');
    const { pipelineExecutionSummaries } = await cp.send(new ListPipelineExecutionsCommand({ pipelineName: stack.pipelineName }));
    expect(pipelineExecutionSummaries!.map((e) => [e.pipelineExecutionId, e.status])).toEqual([[second.id, 'InProgress'], [first.id, 'Failed']]);
    expect((await cp.send(new GetPipelineExecutionCommand({ pipelineName: stack.pipelineName, pipelineExecutionId: first.id }))).pipelineExecution!.artifactRevisions![0].revisionId).toBe('c1');
    await expect(cp.send(new GetPipelineExecutionCommand({ pipelineName: stack.pipelineName, pipelineExecutionId: 'nope' }))).rejects.toMatchObject({ name: 'PipelineExecutionNotFoundException' });
    const cfn = new CloudFormationClient({ region: 'us-east-1' });
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack.ids.stackName }));
    expect(Stacks![0].Outputs).toContainEqual({ OutputKey: 'ConfigParameterName', OutputValue: stack.ids.configParameterName });
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 'Nope' }))).rejects.toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
  });

  test('the read operations other suites use describe the seeded stack', async () => {
    const { Listeners } = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: stack.ids.loadBalancerArn }));
    expect(Listeners!.map((l) => [l.Port, l.DefaultActions![0].FixedResponseConfig!.StatusCode])).toEqual([[80, '503'], [8080, '503']]);
    const { Rules } = await elb.send(new DescribeRulesCommand({ ListenerArn: stack.ids.productionListenerArn }));
    expect(Rules!.map((r) => [r.Priority, r.IsDefault])).toEqual([['1', false], ['default', true]]);
    const { TargetGroups } = await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [stack.config.slots.a.targetGroupArn] }));
    expect(TargetGroups![0]).toMatchObject({ TargetGroupName: 'app-slot-a', LoadBalancerArns: [stack.ids.loadBalancerArn], TargetType: 'ip' });
    const { TagDescriptions } = await elb.send(new DescribeTagsCommand({ ResourceArns: [stack.config.slots.b.targetGroupArn] }));
    expect(TagDescriptions![0].Tags).toEqual([{ Key: 'bluegreen:slot', Value: 'b' }]);
    expect((await ecs.send(new ListTagsForResourceCommand({ resourceArn: stack.config.slots.a.serviceArn }))).tags).toEqual([{ key: 'bluegreen:slot', value: 'a' }]);
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'app-slot-b' }));
    expect(taskDefinition!.containerDefinitions![0].image).toBe(`${stack.ids.repositoryUri}:slot-b`);
    const digest = stack.build('v1').digest;
    const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest: digest }] }));
    expect(imageDetails![0]).toMatchObject({ imageDigest: digest, imageTags: [stack.build('v1').commit.slice(0, 12)] });
    await expect(ecr.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageTag: 'slot-a' }] }))).rejects.toMatchObject({ name: 'ImageNotFoundException' });
    const { Parameters, InvalidParameters } = await ssm.send(new GetParametersCommand({ Names: [stack.ids.configParameterName, '/nope'] }));
    expect(JSON.parse(Parameters![0].Value!)).toMatchObject({ swapFunctionName: stack.ids.swapFunctionName, notificationTopicArn: stack.config.notificationTopicArn });
    expect(InvalidParameters).toEqual(['/nope']);
  });
});
