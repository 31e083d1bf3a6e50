// Invariants 3 and 7 across both job handlers: a malformed job still gets exactly one result, a
// failure whose message is one sentence, and nothing is written. A malformed rollback event is a
// refusal with liveSlot null, never a throw.
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { MAX_FAILURE_MESSAGE } from '../../../lambdas/adapters/codepipeline';
import { MAX_LOG_LINE_BYTES } from '../../../lambdas/adapters/log';
import { createBakeHandler } from '../../../lambdas/bake/index';
import { createDeployGreenHandler } from '../../../lambdas/deploy-green/index';
import { createSwapHandler } from '../../../lambdas/swap/index';
import { D1, D2, NOW, config, readySlot, stateRecord } from '../core/fixtures';
import { aws, callCounts, givenRoutes, givenSlots, givenState, jobEvent, jobResults, logCapture, resetAws } from './aws-mocks';

const WRITES = ['ModifyRuleCommand', 'UpdateServiceCommand', 'PutImageCommand', 'TagResourcesCommand', 'PutParameterCommand', 'PublishCommand'];

/** One line, a capital first letter, one final period, and no second sentence inside. */
function expectOneSentence(message: string | undefined): void {
  expect(message).toBeDefined();
  expect(message).not.toMatch(/\n/);
  expect(message).toMatch(/^[A-Z].*[^.]\.$/);
  expect(message).not.toMatch(/\.\s+[A-Z]/);
}

function expectOneFailureAndNoWrites(): string | undefined {
  const { successes, failures } = jobResults();
  expect({ successes: successes.length, failures: failures.length }).toEqual({ successes: 0, failures: 1 });
  expect(failures[0].jobId).toBe('job-1');
  expect(failures[0].failureDetails?.type).toBe('JobFailed');
  const { byCommand } = callCounts();
  expect(WRITES.filter((w) => byCommand[w])).toEqual([]);
  return failures[0].failureDetails?.message;
}

beforeEach(() => {
  resetAws();
  givenRoutes('a', 'b');
  givenSlots(readySlot('a', D1), readySlot('b', D1));
  givenState(stateRecord({ liveSlot: 'a', liveDigest: D1 }));
  aws.ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/b1', status: 'PRIMARY' }] } });
});

const deployParams = { imageUri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@${D2}`, imageDigest: D2, commit: 'c2' };
const swapParams = { greenSlot: 'b', imageDigest: D2, commit: 'c2', executionId: 'exec-2' };
const noData = { 'CodePipeline.job': { id: 'job-1', accountId: '123456789012' } };

describe.each([
  ['DeployGreen', () => createDeployGreenHandler({ logSink: logCapture().sink, now: () => NOW }), [
    ['UserParameters that are not JSON', jobEvent('{"imageUri": '), /UserParameters are not valid JSON/],
    ['UserParameters that are a JSON array', jobEvent('[]'), /UserParameters must be a JSON object \(got an array\)/],
    ['UserParameters without imageDigest', jobEvent({ imageUri: deployParams.imageUri, commit: 'c2' }), /imageDigest must be a non-empty string/],
    ['an image digest that is not a sha256 digest', jobEvent({ ...deployParams, imageDigest: 'latest' }), /imageDigest must be a sha256 digest .*\(got "latest"\)/],
    ['an image URI that references another digest', jobEvent({ ...deployParams, imageUri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@${D1}` }), /does not reference imageDigest/],
    ['a continuation token that is not one of ours', jobEvent(deployParams, { continuationToken: 'not-a-token' }), /continuation token/],
    ['a job without data', noData, /job job-1 has no data/],
  ]],
  ['Swap', () => createSwapHandler({ logSink: logCapture().sink, now: () => NOW }), [
    ['UserParameters that are not JSON', jobEvent('greenSlot=b'), /Swap UserParameters are not valid JSON/],
    ['UserParameters that are JSON null', jobEvent('null'), /UserParameters must be a JSON object \(got null\)/],
    ['a green slot that is not a or b', jobEvent({ ...swapParams, greenSlot: 'c' }), /greenSlot must be "a" or "b" \(got "c"\)/],
    ['UserParameters without imageDigest', jobEvent({ greenSlot: 'b', commit: 'c2', executionId: 'exec-2' }), /imageDigest must be a non-empty string/],
    ['an image digest that is not a sha256 digest', jobEvent({ ...swapParams, imageDigest: 'sha256:xyz' }), /imageDigest must be a sha256 digest/],
    ['a job without data', noData, /job job-1 has no data/],
  ]],
] as const)('%s with a malformed job', (_name, create, cases) => {
  test.each(cases)('%s: exactly one failure result, one sentence saying why, nothing written', async (_case, event, why) => {
    await expect(create()(event)).resolves.toBeUndefined();
    const message = expectOneFailureAndNoWrites();
    expectOneSentence(message);
    expect(message).toMatch(why);
  });
});

describe('Rollback invoke with a malformed event', () => {
  test.each([
    ['null', null],
    ['a string', 'rollback please'],
    ['no reason', { action: 'rollback' }],
    ['an empty reason', { action: 'rollback', reason: '  ' }],
    ['an expectedLiveSlot that is not a or b', { action: 'rollback', reason: 'x', expectedLiveSlot: 'c' }],
    ['an unknown action', { action: 'deploy', reason: 'x' }],
  ])('%s: refused with liveSlot null in one sentence, no AWS call', async (_case, event) => {
    const result = await createSwapHandler({ logSink: logCapture().sink, now: () => NOW })(event, { awsRequestId: 'req-1' } as never);
    expect(result).toMatchObject({ outcome: 'refused', liveSlot: null, liveDigest: null, previousDigest: null, state: 'old' });
    expectOneSentence((result as { message: string }).message);
    expect((result as { message: string }).message).toMatch(/^Rollback refused and nothing changed: /);
    expect(callCounts().total).toBe(0);
  });
});

describe('1 MB of malformed input', () => {
  const MB = 1024 * 1024;
  const huge = (c: string) => c.repeat(MB);
  const bakeConfig = { ...config, bake: { alarms: { a: ['shop-a'], b: ['shop-b'] }, sharedAlarms: [], swapFunctionName: 'shop-swap', windowSeconds: 600 } };
  const handlers = {
    DeployGreen: (sink: (l: string) => void) => createDeployGreenHandler({ logSink: sink, now: () => NOW }),
    Swap: (sink: (l: string) => void) => createSwapHandler({ logSink: sink, now: () => NOW }),
    Bake: (sink: (l: string) => void) => createBakeHandler({ logSink: sink, now: () => NOW, loadConfig: () => bakeConfig }),
  };
  const userParameters: Array<[string, string]> = [
    ['not JSON', huge('x')],
    ['JSON cut off inside a value', `{"imageUri":"${huge('a')}`],
    ['every field 1 MB long', JSON.stringify({ imageUri: huge('a'), imageDigest: `sha256:${huge('f')}`, commit: huge('c'), greenSlot: huge('b'), liveSlot: huge('l'), executionId: huge('e') })],
    ['50,000 fields, none of them expected', JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 'v'.repeat(16)])))],
  ];

  /** Every log line bounded, whatever the input. */
  function expectBoundedLines(lines: string[]): void {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
      expect(() => JSON.parse(line)).not.toThrow();
    }
  }

  describe.each(Object.entries(handlers))('%s', (_name, create) => {
    test.each(userParameters)('UserParameters %s: one failure, one whole sentence within the limit, bounded log lines', async (_case, raw) => {
      const lines: string[] = [];
      expect(raw.length).toBeGreaterThanOrEqual(MB);
      await create((l) => void lines.push(l))(jobEvent(raw));

      const message = expectOneFailureAndNoWrites();
      expectOneSentence(message);
      // Short enough that CodePipeline keeps it whole: the sentence is built from bounded echoes, not cut.
      expect(message!.length).toBeLessThan(MAX_FAILURE_MESSAGE / 2);
      expect(message).not.toMatch(/more characters\)\.$/);
      // A quoted value is closed and says how long it was.
      for (const m of message!.matchAll(/"([^"]*)…" \((\d+) characters\)/g)) expect(Number(m[2])).toBeGreaterThanOrEqual(MB);
      expectBoundedLines(lines);
    });
  });

  test('a rollback event of 1 MB fields is refused in one bounded sentence, with bounded log lines', async () => {
    const lines: string[] = [];
    const event = { action: 'rollback', reason: huge('r'), actor: huge('a'), requestId: huge('q'), expectedLiveSlot: huge('z') };

    const result = (await createSwapHandler({ logSink: (l) => void lines.push(l), now: () => NOW })(event, { awsRequestId: 'req-1' } as never)) as { outcome: string; message: string };

    expect(result.outcome).toBe('refused');
    expectOneSentence(result.message);
    expect(result.message.length).toBeLessThan(1000);
    expect(result.message).toMatch(/requestId must be .* \(got "q{64}…" \(1048576 characters\)\); expectedLiveSlot must be "a" or "b" \(got "z{64}…" \(1048576 characters\)\)/);
    expect(callCounts().total).toBe(0);
    expectBoundedLines(lines);
  });

  test('a well-formed rollback event with a 1 MB reason and actor still gets a bounded sentence and bounded log lines', async () => {
    const lines: string[] = [];

    const result = (await createSwapHandler({ logSink: (l) => void lines.push(l), now: () => NOW })({ action: 'rollback', reason: huge('r'), actor: huge('a') }, { awsRequestId: 'req-1' } as never)) as {
      message: string;
    };

    expectOneSentence(result.message);
    expect(result.message.length).toBeLessThan(MAX_FAILURE_MESSAGE);
    expectBoundedLines(lines);
  });
});
