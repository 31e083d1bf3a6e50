import { BatchDeleteImageCommand, BatchGetImageCommand, ImageAlreadyExistsException, PutImageCommand } from '@aws-sdk/client-ecr';
import { GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { createDeployGreenHandler, handler } from '../../../lambdas/deploy-green/index';
import { DeployRollToken, serialiseDeployToken } from '../../../lambdas/core/events';
import { D1, D2, NOW, config, readySlot, service, tg } from '../core/fixtures';
import { aws, callCounts, givenRoutes, givenSlots, jobEvent, jobResults, logCapture, resetAws } from './aws-mocks';

const params = { imageUri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@${D2}`, imageDigest: D2, commit: 'c2' };
const token: DeployRollToken = {
  phase: 'rolling',
  slot: 'b',
  digest: D2,
  commit: 'c2',
  startedAt: NOW.toISOString(),
  deadline: new Date(NOW.getTime() + 600_000).toISOString(),
  deploymentId: 'ecs-svc/b1',
  previousDigest: D1,
  previousDesiredCount: 0,
};
const continuation = (t = token) => jobEvent(params, { continuationToken: serialiseDeployToken(t) });

let logs: ReturnType<typeof logCapture>;
let run: ReturnType<typeof createDeployGreenHandler>;
let now = NOW;

beforeEach(() => {
  resetAws();
  logs = logCapture();
  now = NOW;
  run = createDeployGreenHandler({ logSink: logs.sink, now: () => now });
  aws.ecr.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: D2 }, imageManifest: '{}', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }] });
  // The slot's tag names what it runs (D1) until DeployGreen moves it.
  aws.ecr.on(BatchGetImageCommand, { imageIds: [{ imageTag: 'slot-b' }] }).resolves({ images: [{ imageId: { imageDigest: D1, imageTag: 'slot-b' }, imageManifest: '{}' }] });
  aws.ecr.on(PutImageCommand).resolves({});
  aws.ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/b1', status: 'PRIMARY' }] } });
});

describe('DeployGreen handler', () => {
  test('first invocation: tags the idle slot, rolls it and continues with a token', async () => {
    givenRoutes('a', 'b');
    givenSlots(readySlot('a', D1, 3), { ...readySlot('b', D1, 0), service: service('b', { desiredCount: 0, runningCount: 0 }) });
    await run(jobEvent(params));
    expect(aws.ecr.commandCalls(PutImageCommand)[0].args[0].input).toMatchObject({ repositoryName: 'shop/web', imageTag: 'slot-b', imageDigest: D2 });
    expect(aws.ecs.commandCalls(UpdateServiceCommand)[0].args[0].input).toEqual({ cluster: config.clusterArn, service: config.slots.b.serviceArn, forceNewDeployment: true, desiredCount: 3 });
    expect(aws.ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    const { successes, failures } = jobResults();
    expect(failures).toEqual([]);
    expect(successes).toHaveLength(1);
    // Slot b ran nothing: a failed release puts it back to no tag and no tasks.
    expect(JSON.parse(successes[0].continuationToken!)).toEqual({ ...token, previousDigest: null, deadline: new Date(NOW.getTime() + 1800_000).toISOString() });
    // The release lease was taken first, for this execution, as generation 1.
    expect(aws.ssm.commandCalls(PutParameterCommand)[0].args[0].input).toMatchObject({ Name: `${config.leaseParameterPath}/0000000001`, Overwrite: false, Type: 'SecureString' });
    expect(JSON.parse(aws.ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!)).toMatchObject({ release: { executionId: 'exec-2' } });
    expect(aws.elbv2.commandCalls(ModifyRuleCommand)).toHaveLength(0);
  });

  test('a repeated start whose tag is already in place does not restart a rollout in progress', async () => {
    givenRoutes('a', 'b');
    givenSlots(readySlot('a', D1), { ...readySlot('b', D1), service: service('b', {}, 'IN_PROGRESS') });
    aws.ecr.on(BatchGetImageCommand, { imageIds: [{ imageTag: 'slot-b' }] }).resolves({ images: [{ imageId: { imageDigest: D2, imageTag: 'slot-b' }, imageManifest: '{}' }] });
    aws.ecr.on(PutImageCommand).rejects(new ImageAlreadyExistsException({ message: 'exists', $metadata: {} }));
    await run(jobEvent(params));
    expect(aws.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(JSON.parse(jobResults().successes[0].continuationToken!)).toMatchObject({ slot: 'b', deploymentId: 'ecs-svc/b1' });
  });

  test('first invocation repairs a test rule that points at the live slot', async () => {
    givenRoutes('a', 'a');
    givenSlots(readySlot('a', D1), readySlot('b', D1));
    await run(jobEvent(params));
    expect(aws.elbv2.commandCalls(ModifyRuleCommand).map((c) => c.args[0].input)).toEqual([{ RuleArn: config.testRuleArn, Actions: [{ Type: 'forward', TargetGroupArn: tg('b') }] }]);
    expect(jobResults().successes).toHaveLength(1);
  });

  test('a continuation succeeds with the output variables once green is ready', async () => {
    givenSlots(readySlot('b', D2));
    await run(continuation());
    expect(jobResults()).toEqual({
      failures: [],
      successes: [{ jobId: 'job-1', outputVariables: { GREEN_SLOT: 'b', IMAGE_DIGEST: D2, TEST_URL: config.testUrl, COMMIT: 'c2', TEST_HEADER: '', TEST_COMMAND: 'curl http://shop-alb.example.com:8080' }, executionDetails: { summary: expect.stringContaining('Slot b runs'), externalExecutionId: 'exec-2' } }],
    });
  });

  test('a continuation keeps waiting while the rollout is in progress', async () => {
    givenSlots({ ...readySlot('b', D1), service: service('b', {}, 'IN_PROGRESS') });
    await run(continuation());
    expect(jobResults().successes[0]).toMatchObject({ continuationToken: serialiseDeployToken(token), executionDetails: { summary: expect.stringMatching(/^Waiting: .*IN_PROGRESS/) } });
  });

  test('a throttled poll is another continuation; past the deadline it is a failure', async () => {
    aws.ecs.on(DescribeServicesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    givenRoutes('a', 'b');
    await run(continuation());
    expect(jobResults().successes[0].continuationToken).toBe(serialiseDeployToken(token));
    now = new Date(NOW.getTime() + 3600_000);
    await run(continuation());
    expect(jobResults().failures[0].failureDetails?.message).toMatch(/^DeployGreen failed and production is untouched: slot b was not confirmed ready by the deadline .*ThrottlingException/);
  });

  test('a throttled first invocation is a failure (the pipeline retry re-runs it)', async () => {
    givenRoutes('a', 'b');
    aws.ecs.on(DescribeServicesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await run(jobEvent(params));
    const { successes, failures } = jobResults();
    expect(successes).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0].failureDetails).toMatchObject({ type: 'JobFailed', message: 'DeployGreen failed and production is untouched: ThrottlingException: Rate exceeded.' });
  });

  test('the circuit breaker fails the job with one sentence', async () => {
    const failed = service('b', {}, 'FAILED');
    givenSlots({ ...readySlot('b', D1), service: { ...failed, deployments: [{ ...failed.deployments[0], rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start' }] } });
    await run(continuation());
    expect(jobResults().failures[0].failureDetails?.message).toMatch(/circuit breaker stopped slot b's rollout ecs-svc\/b1 .*\.$/);
  });

  test('an unknown digest is refused without rolling the slot', async () => {
    givenRoutes('a', 'b');
    givenSlots(readySlot('a', D1), readySlot('b', D1));
    aws.ecr.on(BatchGetImageCommand).resolves({ images: [], failures: [{ failureCode: 'ImageNotFound', failureReason: 'not found' }] });
    await run(jobEvent(params));
    expect(aws.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(jobResults().failures[0].failureDetails?.message).toMatch(/refused .*image sha256:2+ is not in repository shop\/web/);
  });

  test.each([
    ['missing UserParameters', jobEvent(''), /UserParameters are missing/],
    ['an unresolved variable', jobEvent({ ...params, imageDigest: '#{Build.IMAGE_DIGEST}' }), /imageDigest must be a sha256 digest/],
    ['a tampered token', jobEvent(params, { continuationToken: '{"slot":"z"}' }), /continuation token is invalid/],
    ['no job data', { 'CodePipeline.job': { id: 'job-1' } }, /has no data/],
  ])('%s: exactly one failure result with the reason', async (_n, event, reason) => {
    await run(event);
    const { successes, failures } = jobResults();
    expect(successes).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0].failureDetails?.message).toMatch(reason);
  });

  test('a broken BLUEGREEN_CONFIG is a failure result naming the fields', async () => {
    process.env.BLUEGREEN_CONFIG = JSON.stringify({ ...config, testUrl: 'nope' });
    await run(jobEvent(params));
    expect(jobResults().failures[0].failureDetails?.message).toMatch(/BLUEGREEN_CONFIG is invalid: testUrl must be an http\(s\) URL/);
  });

  test('an event with no job id gets no result and does not throw', async () => {
    await expect(run({ 'CodePipeline.job': {} })).resolves.toBeUndefined();
    expect(callCounts().total).toBe(0);
    expect(logs.lines[0]).toMatchObject({ level: 'error', operation: 'deploy-green' });
  });

  test('a failure to report the result is logged and rethrown', async () => {
    aws.codepipeline.on(PutJobSuccessResultCommand).rejects(new Error('network'));
    givenSlots(readySlot('b', D2));
    await expect(run(continuation())).rejects.toThrow('network');
    expect(logs.lines.at(-1)).toMatchObject({ level: 'error', message: 'could not report the job result', jobId: 'job-1' });
  });

  test('a duplicate delivery of a job that already has its result ends quietly instead of being retried', async () => {
    aws.codepipeline.on(PutJobSuccessResultCommand).rejects(Object.assign(new Error('Job is in an invalid state'), { name: 'InvalidJobStateException' }));
    givenSlots(readySlot('b', D2));
    await expect(run(continuation())).resolves.toBeUndefined();
    expect(aws.codepipeline.commandCalls(PutJobSuccessResultCommand)).toHaveLength(1);
    expect(logs.lines.at(-1)).toMatchObject({ level: 'warn', message: 'the job already has a result; this duplicate delivery changes nothing', jobId: 'job-1' });
  });

  test('the exported handler wires the real SDK clients (mocked here)', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let printed: string[];
    try {
      givenSlots(readySlot('b', D2));
      await handler(continuation());
      printed = write.mock.calls.map((c) => String(c[0]));
    } finally {
      write.mockRestore();
    }
    expect(jobResults().successes[0].outputVariables).toMatchObject({ GREEN_SLOT: 'b' });
    expect(JSON.parse(printed[0])).toMatchObject({ operation: 'deploy-green', jobId: 'job-1' });
  });
});
