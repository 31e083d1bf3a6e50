import { parseReleaseConfig } from '../../../lambdas/core/config';
import {
  customResourceReplyTarget,
  parseCustomResourceEvent,
  parseDeployGreenParameters,
  parseDeployToken,
  parsePipelineJob,
  parseOperatorEvent,
  parseRoutesProperties,
  parseSlotServiceProperties,
  parseSwapParameters,
  serialiseDeployToken,
} from '../../../lambdas/core/events';
import { MAX_HISTORY, MAX_STATE_BYTES, nextStateRecord, parseStateRecord, serialiseStateRecord } from '../../../lambdas/core/state';
import { D1, D2, config, stateRecord } from './fixtures';

describe('parseReleaseConfig', () => {
  test('accepts the contract document and defaults deployTimeoutSeconds', () => {
    const { deployTimeoutSeconds, ...rest } = config;
    expect(parseReleaseConfig(JSON.stringify(rest))).toEqual({ ...rest, deployTimeoutSeconds: 1800 });
    expect(deployTimeoutSeconds).toBe(1800);
  });

  test.each([
    [undefined, /BLUEGREEN_CONFIG is not set/],
    ['', /BLUEGREEN_CONFIG is not set/],
    ['{', /not valid JSON/],
    ['[]', /must be a JSON object/],
  ])('rejects %p', (raw, message) => {
    expect(() => parseReleaseConfig(raw)).toThrow(message);
  });

  test('lists every missing or invalid field in one error', () => {
    const broken = { ...config, clusterArn: 'shop', slots: { a: config.slots.a }, desiredCount: 0, testUrl: undefined };
    let message = '';
    try {
      parseReleaseConfig(JSON.stringify(broken));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/clusterArn must be an ECS cluster ARN/);
    expect(message).toMatch(/slots\.b\.serviceArn must be a non-empty string/);
    expect(message).toMatch(/slots\.b\.targetGroupArn/);
    expect(message).toMatch(/desiredCount must be an integer from 1/);
    expect(message).toMatch(/testUrl must be a non-empty string/);
  });

  test('rejects two slots sharing a target group', () => {
    const same = { ...config, slots: { a: config.slots.a, b: { ...config.slots.b, targetGroupArn: config.slots.a.targetGroupArn } } };
    expect(() => parseReleaseConfig(JSON.stringify(same))).toThrow(/different target groups/);
  });
});

describe('StateRecord', () => {
  test('absent parameter is null; a valid record round-trips', () => {
    expect(parseStateRecord(undefined)).toBeNull();
    expect(parseStateRecord(null)).toBeNull();
    const record = stateRecord({ history: [{ operation: 'swap', executionId: 'e', fromSlot: 'b', toSlot: 'a', digest: D1, commit: null, at: 'x', by: 'y' }] });
    expect(parseStateRecord(serialiseStateRecord(record))).toEqual(record);
  });

  test.each([
    ['nope', /not valid JSON/],
    ['{"schema":3}', /schema must be 2/],
    [JSON.stringify({ ...stateRecord(), liveSlot: 'c' }), /liveSlot must be "a" or "b"/],
    [JSON.stringify({ ...stateRecord(), liveDigest: 'latest' }), /liveDigest must be a sha256 digest/],
    [JSON.stringify({ ...stateRecord(), history: [{ operation: 'swap' }] }), /history\[0\]/],
  ])('rejects a malformed record %#', (raw, message) => {
    expect(() => parseStateRecord(raw)).toThrow(message);
  });

  test('serialisation trims history oldest-first to stay within 4 KB', () => {
    let record = stateRecord();
    for (let i = 0; i < 60; i++) {
      record = nextStateRecord(record, {
        operation: 'swap', executionId: `execution-${i}-${'x'.repeat(40)}`, fromSlot: 'a', toSlot: 'b', liveDigest: D2, previousDigest: D1,
        liveReleaseId: `execution-${i}`, previousReleaseId: `execution-${i - 1}`,
        commit: 'c'.repeat(40), at: new Date(0).toISOString(), by: 'arn:aws:iam::123456789012:role/release-manager', reason: 'r'.repeat(30),
      });
    }
    expect(record.history).toHaveLength(MAX_HISTORY);
    const text = serialiseStateRecord(record);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_STATE_BYTES);
    const kept = parseStateRecord(text)!;
    expect(kept.history.length).toBeLessThan(MAX_HISTORY);
    expect(kept.history[0].executionId).toMatch(/^execution-59-/);
    expect(kept.lastExecutionId).toMatch(/^execution-59-/);
  });

  test('free text from callers is clipped, so one huge reason or actor cannot push the record past the standard tier', () => {
    const record = nextStateRecord(stateRecord(), {
      operation: 'rollback', executionId: 'rollback:r1', fromSlot: 'a', toSlot: 'b', liveDigest: D2, previousDigest: D1,
      liveReleaseId: 'exec-0', previousReleaseId: 'exec-1', commit: 'c', at: new Date(0).toISOString(), by: 'b'.repeat(100_000), reason: 'r'.repeat(100_000),
    });
    expect(record.changedBy.length).toBeLessThanOrEqual(256);
    expect(record.history[0].reason!.length).toBeLessThanOrEqual(256);
    expect(Buffer.byteLength(serialiseStateRecord(record))).toBeLessThanOrEqual(MAX_STATE_BYTES);
  });

  test('a record written before releases carried their execution ids (schema 1) reads with the ids unknown', () => {
    const { liveReleaseId: _l, previousReleaseId: _p, ...legacy } = stateRecord({ previousDigest: D2 });
    expect(parseStateRecord(JSON.stringify({ ...legacy, schema: 1 }))).toMatchObject({ schema: 2, previousDigest: D2, liveReleaseId: null, previousReleaseId: null });
  });
});

describe('event parsers', () => {
  const job = (data: unknown) => ({ 'CodePipeline.job': { id: 'job-1', data } });

  test('a CodePipeline job yields its parameters, token and pipeline context', () => {
    expect(
      parsePipelineJob(job({ actionConfiguration: { configuration: { UserParameters: '{}' } }, continuationToken: 't', pipelineContext: { pipelineExecutionId: 'e1', pipelineName: 'shop' } })),
    ).toEqual({ id: 'job-1', userParameters: '{}', continuationToken: 't', pipelineExecutionId: 'e1', pipelineName: 'shop' });
    expect(() => parsePipelineJob({})).toThrow(/not a CodePipeline job/);
    expect(() => parsePipelineJob({ 'CodePipeline.job': { id: 'j' } })).toThrow(/has no data/);
  });

  test('DeployGreen parameters require a digest that the image URI references', () => {
    expect(parseDeployGreenParameters(JSON.stringify({ imageUri: `r/x@${D1}`, imageDigest: D1, commit: 'abc' }))).toEqual({ imageUri: `r/x@${D1}`, imageDigest: D1, commit: 'abc' });
    expect(() => parseDeployGreenParameters(undefined)).toThrow(/UserParameters are missing/);
    expect(() => parseDeployGreenParameters('{"imageUri":"x","imageDigest":"#{Build.IMAGE_DIGEST}","commit":"c"}')).toThrow(/imageDigest must be a sha256 digest.*unresolved/);
    expect(() => parseDeployGreenParameters(JSON.stringify({ imageUri: `r/x@${D2}`, imageDigest: D1, commit: 'c' }))).toThrow(/does not reference imageDigest/);
  });

  test('the continuation token round-trips (waiting for the lease, and rolling) and rejects tampering', () => {
    const token = {
      phase: 'rolling' as const, slot: 'b' as const, digest: D1, commit: 'c', startedAt: 's', deadline: '2026-01-01T00:00:00Z', deploymentId: 'ecs-svc/1', previousDigest: D2, previousDesiredCount: 3,
    };
    expect(parseDeployToken(serialiseDeployToken(token))).toEqual(token);
    const waiting = { phase: 'lease' as const, digest: D1, commit: 'c', startedAt: 's', deadline: '2026-01-01T00:00:00Z' };
    expect(parseDeployToken(serialiseDeployToken(waiting))).toEqual(waiting);
    expect(() => parseDeployToken(JSON.stringify({ ...token, slot: 'c' }))).toThrow(/slot must be "a" or "b"/);
    expect(() => parseDeployToken(JSON.stringify({ ...token, phase: 'done' }))).toThrow(/phase must be "lease" or "rolling"/);
    expect(() => parseDeployToken(JSON.stringify({ ...token, previousDigest: 'latest' }))).toThrow(/previousDigest must be a sha256 digest/);
    expect(() => parseDeployToken(JSON.stringify({ ...token, deadline: 'soon' }))).toThrow(/deadline must be an ISO-8601/);
  });

  test('Swap parameters fall back to the pipeline execution id', () => {
    expect(parseSwapParameters(JSON.stringify({ greenSlot: 'b', imageDigest: D1, commit: 'c', executionId: '#{codepipeline.PipelineExecutionId}' }), 'e9')).toEqual({ greenSlot: 'b', imageDigest: D1, commit: 'c', executionId: 'e9' });
    expect(() => parseSwapParameters(JSON.stringify({ greenSlot: 'b', imageDigest: D1 }))).toThrow(/executionId is missing/);
    expect(() => parseSwapParameters(JSON.stringify({ greenSlot: 'x', imageDigest: D1, executionId: 'e' }))).toThrow(/greenSlot must be "a" or "b"/);
  });

  test('operator events (rollback, promote, abort) need a reason; the Lambda request id stands in for a missing requestId', () => {
    expect(parseOperatorEvent({ action: 'rollback', reason: 'errors' }, 'req-1')).toEqual({ action: 'rollback', reason: 'errors', actor: null, requestId: 'req-1', expectedLiveSlot: null, forRelease: null });
    expect(parseOperatorEvent({ action: 'rollback', reason: 'r', actor: 'bob', requestId: 'u1', expectedLiveSlot: 'b', forRelease: 'e1' }, 'x')).toEqual({ action: 'rollback', reason: 'r', actor: 'bob', requestId: 'u1', expectedLiveSlot: 'b', forRelease: 'e1' });
    expect(parseOperatorEvent({ action: 'promote', reason: 'looks good', actor: 'ann' }, 'req-2')).toMatchObject({ action: 'promote', requestId: 'req-2', actor: 'ann' });
    expect(parseOperatorEvent({ action: 'abort', reason: '5xx' }, 'req-3')).toMatchObject({ action: 'abort', reason: '5xx' });
    expect(() => parseOperatorEvent({ action: 'rollback' }, 'x')).toThrow(/The rollback event is invalid: reason must be a non-empty string/);
    expect(() => parseOperatorEvent({ action: 'rollback', reason: 'r', expectedLiveSlot: 'c' }, 'x')).toThrow(/expectedLiveSlot/);
    expect(() => parseOperatorEvent({ action: 'deploy', reason: 'r' }, 'x')).toThrow(/action must be one of "rollback", "promote", "abort", "retire" \(got "deploy"\)/);
    // A schedule's retire names the release and the slot it made live; without them it is refused, naming both.
    expect(() => parseOperatorEvent({ action: 'retire', reason: 'r' }, 'x')).toThrow(/The retire event is invalid: forRelease is required for "retire".*expectedLiveSlot is required for "retire"/);
    expect(parseOperatorEvent({ action: 'retire', reason: 'r', forRelease: 'e1', expectedLiveSlot: 'a', requestId: 'retire-e1' }, 'x')).toMatchObject({ action: 'retire', forRelease: 'e1', expectedLiveSlot: 'a' });
    expect(() => parseOperatorEvent('rollback', 'x')).toThrow(/must be a JSON object/);
  });

  test('custom resource events: reply target is read leniently, the event strictly', () => {
    const event = { RequestType: 'Create', ResponseURL: 'https://cfn.example/r', StackId: 's', RequestId: 'r', LogicalResourceId: 'L', ResourceType: 'Custom::BlueGreenRoutes', ResourceProperties: {} };
    expect(parseCustomResourceEvent(event)).toMatchObject({ requestType: 'Create', physicalResourceId: undefined });
    expect(customResourceReplyTarget({ ResponseURL: 'https://cfn.example/r' })).toMatchObject({ responseUrl: 'https://cfn.example/r', stackId: '' });
    expect(customResourceReplyTarget({ ResponseURL: 'http://insecure' })).toBeUndefined();
    expect(() => parseCustomResourceEvent({ ...event, RequestType: 'Upsert' })).toThrow(/RequestType must be Create, Update or Delete/);
    expect(() => parseCustomResourceEvent({ ...event, RequestType: 'Update', PhysicalResourceId: 'p' })).toThrow(/OldResourceProperties/);
  });

  test('resource properties accept CloudFormation strings and list every problem', () => {
    expect(() => parseRoutesProperties({ ProductionListenerArn: 'x' })).toThrow(/ProductionListenerArn must be a listener ARN.*TestListenerArn.*SlotATargetGroupArn.*SlotBTargetGroupArn/);
    const props = {
      ClusterArn: config.clusterArn, ServiceName: 'shop-a', TaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:3',
      ContainerName: 'app', ContainerPort: '8080', TargetGroupArn: config.slots.a.targetGroupArn, Subnets: ['subnet-1'], SecurityGroups: ['sg-1'],
      HealthCheckGracePeriodSeconds: '30', Tags: [{ Key: 'bluegreen:slot', Value: 'a' }], RepositoryName: 'shop/web', ImageTag: 'slot-a',
    };
    expect(parseSlotServiceProperties(props)).toMatchObject({ containerPort: 8080, healthCheckGracePeriodSeconds: 30, assignPublicIp: false, tags: [{ key: 'bluegreen:slot', value: 'a' }], repositoryName: 'shop/web', imageTag: 'slot-a' });
    expect(() => parseSlotServiceProperties({ ...props, ContainerPort: 'http', Subnets: [] })).toThrow(/ContainerPort must be an integer.*Subnets must be a non-empty list/);
    expect(() => parseSlotServiceProperties({ ...props, RepositoryName: 'Shop Web', ImageTag: ':x' })).toThrow(/RepositoryName must be an ECR repository name.*ImageTag must be an image tag/);
  });
});
