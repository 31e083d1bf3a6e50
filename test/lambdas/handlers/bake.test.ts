// The Bake handler against aws-sdk-client-mock: each job gets exactly one result, and the rollback
// goes through the swap function.
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createBakeHandler } from '../../../lambdas/bake';
import { BakeConfig, ReleaseConfig } from '../../../lambdas/core/config';
import { BakeToken } from '../../../lambdas/core/decide-bake';
import { D1, D2, config } from '../core/fixtures';
import { aws, givenRoutes, resetAws } from './aws-mocks';

const cloudwatch = mockClient(CloudWatchClient);
const lambda = mockClient(LambdaClient);

const bake: BakeConfig = { alarms: { a: ['shop-a-5xx'], b: ['shop-b-5xx', 'shop-b-latency'] }, sharedAlarms: ['shop-errors'], swapFunctionName: 'shop-swap', windowSeconds: 600 };
const bakeConfig: ReleaseConfig = { ...config, bake };
const T0 = new Date('2025-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const token: BakeToken = { slot: 'b', digest: D2, startedAt: T0.toISOString(), until: at(600).toISOString() };
const PARAMS = JSON.stringify({ liveSlot: 'b', imageDigest: D2, executionId: 'exec-7' });

function jobEvent(opts: { continuationToken?: string; userParameters?: string } = {}) {
  return {
    'CodePipeline.job': {
      id: 'job-1',
      data: {
        actionConfiguration: { configuration: { UserParameters: opts.userParameters ?? PARAMS } },
        ...(opts.continuationToken ? { continuationToken: opts.continuationToken } : {}),
        pipelineContext: { pipelineName: 'shop', pipelineExecutionId: 'exec-7' },
      },
    },
  };
}

const alarmsOutput = (firing: string[] = []) => ({
  MetricAlarms: ['shop-b-5xx', 'shop-b-latency', 'shop-errors'].map((AlarmName) => ({ AlarmName, StateValue: firing.includes(AlarmName) ? ('ALARM' as const) : ('OK' as const) })),
});

const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

let logs: string[];
const handler = (now: Date) => createBakeHandler({ now: () => now, logSink: (line) => void logs.push(line) });

beforeEach(() => {
  resetAws(bakeConfig);
  cloudwatch.reset();
  lambda.reset();
  logs = [];
  givenRoutes('b', 'a');
  cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsOutput());
});

function onlyResult() {
  const successes = aws.codepipeline.commandCalls(PutJobSuccessResultCommand);
  const failures = aws.codepipeline.commandCalls(PutJobFailureResultCommand);
  expect(successes.length + failures.length).toBe(1);
  return successes.length ? { kind: 'success' as const, input: successes[0].args[0].input } : { kind: 'failure' as const, input: failures[0].args[0].input };
}

describe('Bake handler', () => {
  test('the first invocation starts the window with a continuation token and reads nothing', async () => {
    await handler(T0)(jobEvent());

    const result = onlyResult();
    expect(result.kind).toBe('success');
    expect(JSON.parse((result.input as { continuationToken: string }).continuationToken)).toEqual(token);
    expect(aws.elbv2.commandCalls(DescribeRulesCommand)).toHaveLength(0);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  test('a quiet poll inside the window continues with the same token, watching the live slot and shared alarms', async () => {
    await handler(at(60))(jobEvent({ continuationToken: JSON.stringify(token) }));

    expect(onlyResult()).toMatchObject({ kind: 'success', input: { continuationToken: JSON.stringify(token) } });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames)).toEqual([['shop-b-5xx', 'shop-b-latency', 'shop-errors']]);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  test('a quiet window end succeeds with BAKED_SLOT and the execution id', async () => {
    await handler(at(600))(jobEvent({ continuationToken: JSON.stringify(token) }));

    expect(onlyResult()).toMatchObject({
      kind: 'success',
      input: { outputVariables: { BAKED_SLOT: 'b' }, executionDetails: { externalExecutionId: 'exec-7' } },
    });
  });

  test('an alarm invokes the swap function with the rollback event and fails the job saying it rolled back', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsOutput(['shop-b-latency']));
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: payload({ outcome: 'rolled-back', message: 'Production moved back from slot b to slot a.', liveSlot: 'a', liveDigest: D1, previousDigest: D2, state: 'new' }),
    });

    await handler(at(120))(jobEvent({ continuationToken: JSON.stringify(token) }));

    const invoke = lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect(invoke).toMatchObject({ FunctionName: 'shop-swap', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(invoke.Payload as Uint8Array))).toEqual({
      action: 'rollback',
      reason: 'bake: alarm shop-b-latency fired on slot b',
      actor: 'bake:exec-7',
      requestId: 'bake:exec-7',
      expectedLiveSlot: 'b',
      // Only while exec-7 still holds the release lease (a late duplicate Bake job changes nothing).
      forRelease: 'exec-7',
    });
    expect(onlyResult()).toEqual({
      kind: 'failure',
      input: {
        jobId: 'job-1',
        failureDetails: {
          type: 'JobFailed',
          message: `Bake failed: alarm shop-b-latency fired on slot b, so the release was rolled back: production is on slot a (${D1}) again.`,
          externalExecutionId: 'exec-7',
        },
      },
    });
  });

  test('a swap function that is busy (TooManyRequests) is asked again on the next poll', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsOutput(['shop-b-5xx']));
    lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: {} }));

    await handler(at(120))(jobEvent({ continuationToken: JSON.stringify(token) }));

    expect(onlyResult()).toMatchObject({ kind: 'success', input: { continuationToken: JSON.stringify(token) } });
  });

  test('a lost Invoke response is asked again on the next poll (the request id makes a repeat harmless)', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsOutput(['shop-b-5xx']));
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' }));

    await handler(at(120))(jobEvent({ continuationToken: JSON.stringify(token) }));

    expect(onlyResult()).toMatchObject({ kind: 'success', input: { continuationToken: JSON.stringify(token) } });
  });

  test('a swap function that cannot be invoked fails the job with the error', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsOutput(['shop-b-5xx']));
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('not authorized to perform lambda:InvokeFunction'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));

    await handler(at(120))(jobEvent({ continuationToken: JSON.stringify(token) }));

    expect(onlyResult()).toMatchObject({
      kind: 'failure',
      input: { failureDetails: { message: expect.stringContaining('the automatic rollback failed (the swap function could not be invoked: AccessDeniedException: not authorized') } },
    });
  });

  test('a swap function that throws fails the job saying the state is unknown', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsOutput(['shop-b-5xx']));
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorType: 'Error', errorMessage: 'boom' }) });

    await handler(at(120))(jobEvent({ continuationToken: JSON.stringify(token) }));

    const result = onlyResult();
    expect(result.kind).toBe('failure');
    expect(JSON.stringify(result.input)).toContain('the automatic rollback failed (the swap function shop-swap threw Error: boom)');
  });

  test('a throttled DescribeAlarms inside the window is another poll', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));

    await handler(at(120))(jobEvent({ continuationToken: JSON.stringify(token) }));

    expect(onlyResult()).toMatchObject({ kind: 'success', input: { continuationToken: JSON.stringify(token) } });
  });

  test('a denied DescribeAlarms fails the job with the error, touching nothing', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('not authorized to perform cloudwatch:DescribeAlarms'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    await handler(at(120))(jobEvent({ continuationToken: JSON.stringify(token) }));

    expect(onlyResult()).toMatchObject({
      kind: 'failure',
      input: { failureDetails: { message: 'Bake failed before judging the release and changed nothing: AccessDenied: not authorized to perform cloudwatch:DescribeAlarms.' } },
    });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  test('a configuration without a bake section fails the job saying so', async () => {
    process.env.BLUEGREEN_CONFIG = JSON.stringify(config);

    await handler(T0)(jobEvent());

    expect(onlyResult()).toMatchObject({ kind: 'failure', input: { failureDetails: { message: expect.stringContaining('has no bake section') } } });
  });

  test('malformed UserParameters fail the job with the pipeline execution id', async () => {
    await handler(T0)(jobEvent({ userParameters: '{"liveSlot":"#{Swap.LIVE_SLOT}"}' }));

    expect(onlyResult()).toMatchObject({
      kind: 'failure',
      input: { failureDetails: { message: expect.stringContaining('liveSlot must be "a" or "b"'), externalExecutionId: 'exec-7' } },
    });
  });

  test('an event without a job id cannot be answered: it is logged and nothing is called', async () => {
    await handler(T0)({ 'CodePipeline.job': { data: {} } });

    expect(aws.codepipeline.calls()).toHaveLength(0);
    expect(JSON.parse(logs[0])).toMatchObject({ level: 'error', operation: 'bake', message: expect.stringContaining('without an id') });
  });

  test('a malformed continuation token fails the job without reading alarms or invoking anything', async () => {
    await handler(at(60))(jobEvent({ continuationToken: '{"slot":"b"}' }));

    expect(onlyResult()).toMatchObject({ kind: 'failure', input: { failureDetails: { message: expect.stringContaining('The Bake continuation token is invalid') } } });
    expect(cloudwatch.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
  });

  test('logs are one JSON object per line with the execution, job and operation', async () => {
    await handler(at(60))(jobEvent({ continuationToken: JSON.stringify(token) }));

    const lines = logs.map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ operation: 'bake', jobId: 'job-1', executionId: 'exec-7' });
  });
});
