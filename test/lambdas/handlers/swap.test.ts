import { ListActionExecutionsCommand, PutJobFailureResultCommand } from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { TagResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { createSwapHandler, handler } from '../../../lambdas/swap/index';
import { parseStateRecord } from '../../../lambdas/core/state';
import { D1, D2, D3, NOW, config, configWithTopic, readySlot, stateRecord, tg } from '../core/fixtures';
import {
  aws, callCounts, givenLeaseHeldBy, givenReleaseRecord, givenRoutes, rulesOutput, givenSlots, givenState, jobEvent, jobResults, logCapture, resetAws, stateWrites,
} from './aws-mocks';

const params = { greenSlot: 'b', imageDigest: D2, commit: 'c2', executionId: 'exec-2' };
const approver = 'arn:aws:iam::123456789012:user/alice';
let logs: ReturnType<typeof logCapture>;
let run: ReturnType<typeof createSwapHandler>;

const modifyRules = () => aws.elbv2.commandCalls(ModifyRuleCommand).map((c) => [c.args[0].input.RuleArn, c.args[0].input.Actions?.[0].TargetGroupArn]);
const writtenState = () => parseStateRecord(stateWrites()[0]);
const failureMessage = () => jobResults().failures[0]?.failureDetails?.message;

beforeEach(() => {
  resetAws();
  logs = logCapture();
  run = createSwapHandler({ logSink: logs.sink, now: () => NOW });
  aws.codepipeline.on(ListActionExecutionsCommand).resolves({
    actionExecutionDetails: [{ status: 'Succeeded', updatedBy: approver, input: { actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } } }],
  });
  givenRoutes('a', 'b');
  givenSlots(readySlot('a', D1), readySlot('b', D2));
  givenState(stateRecord());
  // DeployGreen of exec-2 took the release lease.
  givenLeaseHeldBy('exec-2');
});

describe('Swap job', () => {
  test('moves production then test, labels all four resources, records the change, under the release lease: 18 AWS calls', async () => {
    await run(jobEvent(params));
    expect(modifyRules()).toEqual([[config.productionRuleArn, tg('b')], [config.testRuleArn, tg('a')]]);
    expect(aws.tagging.commandCalls(TagResourcesCommand)[0].args[0].input).toEqual({
      ResourceARNList: [config.slots.a.serviceArn, tg('a'), config.slots.b.serviceArn, tg('b')],
      Tags: { 'bluegreen:live-slot': 'b', 'bluegreen:live-digest': D2, 'bluegreen:changed-by-execution': 'exec-2', 'bluegreen:traffic': 'b=100' },
    });
    expect(writtenState()).toMatchObject({ liveSlot: 'b', liveDigest: D2, previousDigest: D1, lastExecutionId: 'exec-2', changedBy: approver, commit: 'c2' });
    expect(jobResults()).toEqual({
      failures: [],
      successes: [{ jobId: 'job-1', outputVariables: { LIVE_SLOT: 'b', LIVE_DIGEST: D2, PREVIOUS_DIGEST: D1 }, executionDetails: { summary: expect.stringMatching(/from slot a to slot b/), externalExecutionId: 'exec-2' } }],
    });
    expect(callCounts()).toEqual({
      total: 18,
      byCommand: {
        // The lease: one read, the operation taken and given back (with the release: no bake
        // follows), and the generation before last pruned.
        GetParametersByPathCommand: 1, DeleteParameterCommand: 1,
        // The tag check (slot-tag rule) and the record's seal check.
        BatchGetImageCommand: 1, DescribeParametersCommand: 1,
        DescribeRulesCommand: 1, DescribeServicesCommand: 1, ListTasksCommand: 1, DescribeTasksCommand: 1, DescribeTargetHealthCommand: 1,
        GetParameterCommand: 1, ListActionExecutionsCommand: 1, ModifyRuleCommand: 2, TagResourcesCommand: 1, PutParameterCommand: 3, PutJobSuccessResultCommand: 1,
      },
    });
    const leaseWrites = aws.ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input).filter((i) => i.Name!.startsWith(config.leaseParameterPath));
    expect(leaseWrites.map((i) => [i.Name, JSON.parse(i.Value!).operation?.id ?? null, JSON.parse(i.Value!).release?.executionId ?? null])).toEqual([
      [`${config.leaseParameterPath}/0000000002`, 'swap:exec-2', 'exec-2'],
      [`${config.leaseParameterPath}/0000000003`, null, null],
    ]);
    for (const line of logs.lines.slice(1)) expect(line).toMatchObject({ executionId: 'exec-2', operation: 'swap', jobId: 'job-1' });
  });

  test('publishes an audit notification when a topic is configured', async () => {
    resetAws(configWithTopic);
    givenRoutes('a', 'b');
    givenSlots(readySlot('a', D1), readySlot('b', D2));
    givenState(stateRecord());
    await run(jobEvent(params));
    expect(aws.sns.commandCalls(PublishCommand)[0].args[0].input).toMatchObject({ TopicArn: configWithTopic.notificationTopicArn, Subject: 'Swap to slot b: shop' });
    expect(JSON.parse(aws.sns.commandCalls(PublishCommand)[0].args[0].input.Message!)).toMatchObject({ operation: 'swap', pipeline: 'shop', toSlot: 'b', liveDigest: D2, previousDigest: D1, by: 'codepipeline' });
  });

  test('a failed audit notification does not fail the swap but is never silent: job summary, warning, metric', async () => {
    resetAws(configWithTopic);
    givenRoutes('a', 'b');
    givenSlots(readySlot('a', D1), readySlot('b', D2));
    givenState(stateRecord());
    aws.sns.on(PublishCommand).rejects(Object.assign(new Error('User is not authorized to perform: kms:GenerateDataKey'), { name: 'KMSAccessDeniedException' }));

    await run(jobEvent(params));

    expect(jobResults().successes[0].executionDetails?.summary).toMatch(
      /from slot a to slot b .*; the audit notification could not be published \(KMSAccessDeniedException: User is not authorized to perform: kms:GenerateDataKey\)$/,
    );
    const warning = logs.lines.find((l) => l.message === 'could not publish the audit notification');
    // The warning is also a CloudWatch metric in the embedded metric format: on-call can alarm on it.
    expect(warning).toMatchObject({
      level: 'warn',
      Pipeline: 'shop',
      AuditNotificationsFailed: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'BlueGreen', Dimensions: [['Pipeline']], Metrics: [{ Name: 'AuditNotificationsFailed', Unit: 'Count' }] }] },
    });
  });

  test('an approver lookup failure does not fail the swap; changedBy falls back to codepipeline', async () => {
    aws.codepipeline.on(ListActionExecutionsCommand).rejects(new Error('AccessDenied'));
    await run(jobEvent(params));
    expect(jobResults().successes).toHaveLength(1);
    expect(writtenState()?.changedBy).toBe('codepipeline');
    expect(logs.lines.some((l) => l.level === 'warn' && /approver lookup failed/.test(String(l.message)))).toBe(true);
  });

  test('if the test rule write fails, production is reverted and the result says "old state"', async () => {
    aws.elbv2.on(ModifyRuleCommand, { RuleArn: config.testRuleArn }).rejects(new Error('test listener throttled'));
    await run(jobEvent(params));
    expect(modifyRules()).toEqual([[config.productionRuleArn, tg('b')], [config.testRuleArn, tg('a')], [config.productionRuleArn, tg('a')]]);
    expect(failureMessage()).toMatch(/^Swap failed and the system is in the old state: writing the test rule failed .* production was reverted to slot a; retry the Swap stage\.$/);
    expect(aws.tagging.commandCalls(TagResourcesCommand)).toHaveLength(0);
    expect(stateWrites()).toHaveLength(0);
  });

  test('if the revert fails too, the result says "new state" with a stale test route', async () => {
    aws.elbv2.on(ModifyRuleCommand, { RuleArn: config.testRuleArn }).rejects(new Error('test write failed'));
    aws.elbv2.on(ModifyRuleCommand, { RuleArn: config.productionRuleArn, Actions: [{ Type: 'forward', TargetGroupArn: tg('a') }] }).rejects(new Error('revert failed'));
    // After the commit the ALB shows production on b: the re-read confirms the revert did not land.
    aws.elbv2.on(DescribeRulesCommand).resolvesOnce(rulesOutput('a', 'b')).resolves(rulesOutput('b', 'b'));
    await run(jobEvent(params));
    expect(failureMessage()).toMatch(/in the new state: .*reverting production failed too .* production serves slot b and the test route is stale; retry the Swap stage to finish\.$/);
    expect(jobResults().successes).toEqual([]);
  });

  test('a production write error that did not land leaves the old state', async () => {
    aws.elbv2.on(ModifyRuleCommand, { RuleArn: config.productionRuleArn }).rejects(new Error('timeout'));
    await run(jobEvent(params));
    expect(failureMessage()).toMatch(/old state: writing the production rule failed \(Error: timeout\), so production still serves slot a/);
    expect(aws.elbv2.commandCalls(DescribeRulesCommand)).toHaveLength(2);
  });

  test('a label write failure after the commit says "new state"', async () => {
    aws.tagging.on(TagResourcesCommand).resolves({ FailedResourcesMap: { [tg('a')]: { ErrorCode: 'InternalServiceException' } } });
    await run(jobEvent(params));
    expect(failureMessage()).toMatch(/new state: production serves slot b but writing the labels failed/);
    expect(writtenState()?.liveSlot).toBe('b');
  });

  test.each([
    ['green runs another digest', () => givenSlots(readySlot('a', D1), readySlot('b', D3)), new RegExp(`slot b runs ${D3}, not ${D2}`)],
    ['green is unhealthy', () => givenSlots(readySlot('a', D1), { ...readySlot('b', D2), targets: [] }), /0 healthy target/],
    ['production moved elsewhere meanwhile', () => { givenRoutes('b', 'a'); givenSlots(readySlot('a', D1), readySlot('b', D3)); }, /stale/],
  ])('refuses when %s: one failure, no write', async (_n, arrange, reason) => {
    arrange();
    await run(jobEvent(params));
    expect(modifyRules()).toEqual([]);
    expect(jobResults().successes).toEqual([]);
    expect(jobResults().failures).toHaveLength(1);
    expect(failureMessage()).toMatch(/^Swap refused and nothing changed, so the system is in the old state: /);
    expect(failureMessage()).toMatch(reason);
  });

  test('a retried swap that already committed succeeds without a route write', async () => {
    givenRoutes('b', 'a');
    givenState(stateRecord({ liveSlot: 'b', liveDigest: D2, previousDigest: D1, lastExecutionId: 'exec-2' }));
    await run(jobEvent(params));
    expect(modifyRules()).toEqual([]);
    expect(stateWrites()).toHaveLength(0);
    expect(jobResults().successes[0]).toMatchObject({ outputVariables: { LIVE_SLOT: 'b', PREVIOUS_DIGEST: D1 }, executionDetails: { summary: expect.stringMatching(/already served slot b/) } });
  });

  test('when the record disagrees with the routes, the old live slot is observed for the previous digest', async () => {
    givenRoutes('b', 'a');
    givenSlots(readySlot('a', D2), readySlot('b', D3));
    givenState(null);
    await run(jobEvent({ ...params, greenSlot: 'a' }));
    expect(writtenState()).toMatchObject({ liveSlot: 'a', liveDigest: D2, previousDigest: D3 });
    expect(jobResults().successes[0].outputVariables).toEqual({ LIVE_SLOT: 'a', LIVE_DIGEST: D2, PREVIOUS_DIGEST: D3 });
  });

  test.each([
    ['malformed UserParameters', jobEvent('{not json'), /Swap UserParameters are not valid JSON/],
    ['no execution id anywhere', jobEvent({ greenSlot: 'b', imageDigest: D2 }, { pipelineContext: {} }), /executionId is missing/],
  ])('%s: exactly one failure result', async (_n, event, reason) => {
    await run(event);
    expect(jobResults().successes).toEqual([]);
    expect(aws.codepipeline.commandCalls(PutJobFailureResultCommand)).toHaveLength(1);
    expect(failureMessage()).toMatch(reason);
  });

  test('an unexpected SDK error is a failure result in the old state', async () => {
    aws.ecs.on(DescribeServicesCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await run(jobEvent(params));
    expect(failureMessage()).toBe('Swap failed before changing any route, so the system is in the old state: AccessDeniedException: User is not authorized.');
    expect(modifyRules()).toEqual([]);
  });

  test('the execution id falls back to the pipeline context', async () => {
    givenLeaseHeldBy('ctx-exec');
    await run(jobEvent({ ...params, executionId: '' }, { pipelineContext: { pipelineExecutionId: 'ctx-exec' } }));
    expect(writtenState()?.lastExecutionId).toBe('ctx-exec');
  });
});

describe('Rollback invoke', () => {
  const afterSwap = stateRecord({ liveSlot: 'b', liveDigest: D2, previousDigest: D1, liveReleaseId: 'exec-2', previousReleaseId: 'exec-1', lastExecutionId: 'exec-2' });
  beforeEach(() => {
    givenRoutes('b', 'a');
    givenSlots(readySlot('a', D1), readySlot('b', D2));
    givenState(afterSwap);
    // exec-2's bake ended: nobody holds the lease. CodePipeline's record proves exec-1 approved D1.
    aws.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    givenReleaseRecord('exec-1', D1);
  });

  test('re-swaps to the previous slot and returns the result', async () => {
    const result = await run({ action: 'rollback', reason: '5xx', actor: 'bob', requestId: 'r1' }, { awsRequestId: 'lambda-req' });
    expect(result).toEqual({ outcome: 'rolled-back', message: `Production moved back from slot b to slot a (${D1}).`, liveSlot: 'a', liveDigest: D1, previousDigest: D2, state: 'new' });
    expect(modifyRules()).toEqual([[config.productionRuleArn, tg('a')], [config.testRuleArn, tg('b')]]);
    expect(writtenState()).toMatchObject({ liveSlot: 'a', lastExecutionId: 'rollback:r1', changedBy: 'bob', history: [{ reason: '5xx' }] });
    expect(jobResults()).toEqual({ successes: [], failures: [] });
  });

  test('refusals are results, not exceptions, and change nothing', async () => {
    const result = await run({ action: 'rollback', reason: 'x', expectedLiveSlot: 'a' });
    expect(result).toEqual({
      outcome: 'refused',
      message: 'Rollback refused and nothing changed: the caller expected slot a to be live but production is on slot b, so its view is stale.',
      liveSlot: 'b', liveDigest: D2, previousDigest: D1, state: 'old',
    });
    expect(modifyRules()).toEqual([]);
  });

  test('a rollback target whose releasing execution was not approved is refused (a forged record)', async () => {
    givenState({ ...afterSwap, previousDigest: D3, previousReleaseId: 'exec-1' });
    givenSlots(readySlot('a', D3), readySlot('b', D2));
    expect(await run({ action: 'rollback', reason: 'x' })).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/not proven approved: execution exec-1 was approved but its swap did not make sha256:3+ live/) });
    expect(modifyRules()).toEqual([]);
  });

  test('a rollback while a release that has not swapped holds the lease is refused: it deploys to the target', async () => {
    givenLeaseHeldBy('exec-3');
    expect(await run({ action: 'rollback', reason: 'x' })).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/release exec-3 holds the slots and is deploying to slot a/) });
    expect(modifyRules()).toEqual([]);
  });

  test('a rollback while another operation holds the slots is busy, and changes nothing', async () => {
    const held = { schema: 1, generation: 4, release: null, operation: { id: 'swap:exec-9', kind: 'swap', until: new Date(NOW.getTime() + 60_000).toISOString() }, writer: 'w', at: NOW.toISOString() };
    aws.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [{ Name: `${config.leaseParameterPath}/0000000004`, Value: JSON.stringify(held) }] });
    expect(await run({ action: 'rollback', reason: 'x' })).toMatchObject({ outcome: 'busy', state: 'old', message: expect.stringMatching(/a swap \(swap:exec-9\) until .* holds the slots; ask again/) });
    expect(modifyRules()).toEqual([]);
  });

  test('a target that no longer runs the previous digest is refused', async () => {
    givenSlots(readySlot('a', D3), readySlot('b', D2));
    expect(await run({ action: 'rollback', reason: 'x' })).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/slot a cannot take production back/) });
  });

  test('the same requestId twice is a no-op', async () => {
    givenRoutes('a', 'b');
    givenState(stateRecord({ liveSlot: 'a', liveDigest: D1, previousDigest: D2, previousReleaseId: 'exec-2', lastExecutionId: 'rollback:r1' }));
    expect(await run({ action: 'rollback', reason: 'x', requestId: 'r1' })).toMatchObject({ outcome: 'already-done', liveSlot: 'a', state: 'new' });
    expect(modifyRules()).toEqual([]);
  });

  test.each([
    ['no reason', { action: 'rollback' }, /reason must be a non-empty string/],
    ['an unknown action', { action: 'explode' }, /action must be one of "rollback", "promote", "abort"/],
    ['not an object', 42, /must be a JSON object/],
  ])('a malformed event (%s) is refused', async (_n, event, reason) => {
    expect(await run(event)).toMatchObject({ outcome: 'refused', liveSlot: null, state: 'old', message: expect.stringMatching(reason) });
    expect(callCounts().total).toBe(0);
  });

  test('a failed production write is reported as failed in the old state', async () => {
    aws.elbv2.on(ModifyRuleCommand).rejects(new Error('nope'));
    expect(await run({ action: 'rollback', reason: 'x' })).toMatchObject({ outcome: 'failed', state: 'old', liveSlot: 'b', message: expect.stringMatching(/old state: writing the production rule failed/) });
  });

  test('an unexpected error is a failed result, never a throw', async () => {
    aws.elbv2.on(DescribeRulesCommand).rejects(new Error('boom'));
    expect(await run({ action: 'rollback', reason: 'x' })).toMatchObject({ outcome: 'failed', state: 'old', message: expect.stringMatching(/Error: boom/) });
  });

  test('the exported handler answers a rollback with mocked clients', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await handler({ action: 'rollback', reason: 'x', requestId: 'r9' })).toMatchObject({ outcome: 'rolled-back', liveSlot: 'a' });
    } finally {
      write.mockRestore();
    }
  });
});
