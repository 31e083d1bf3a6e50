// Bake decisions and parsers: pure functions over plain data, no mocks.
import { BakeConfig, ReleaseConfig, parseReleaseConfig } from '../../../lambdas/core/config';
import {
  BAKE_GRACE_SECONDS,
  BakeToken,
  asRollbackResult,
  watchedAlarmNames,
  bakeRollbackEvent,
  decideAfterBakeTransientError,
  decideBakePoll,
  judgeBakeRollback,
  parseBakeParameters,
  parseBakeToken,
  planBakeStart,
  serialiseBakeToken,
} from '../../../lambdas/core/decide-bake';
import { RollbackResult } from '../../../lambdas/core/events';
import { ObservedAlarm, RollbackInvocation } from '../../../lambdas/core/ports';
import { D1, D2, config, routes } from './fixtures';

const bake: BakeConfig = {
  alarms: { a: ['shop-a-5xx', 'shop-a-latency'], b: ['shop-b-5xx', 'shop-b-latency'] },
  sharedAlarms: ['shop-errors'],
  swapFunctionName: 'shop-swap',
  windowSeconds: 600,
};
const bakeConfig: ReleaseConfig = { ...config, bake };
const T0 = new Date('2025-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const token: BakeToken = { slot: 'b', digest: D2, startedAt: T0.toISOString(), until: at(600).toISOString() };
const quiet = (names: string[]): ObservedAlarm[] => names.map((name) => ({ name, state: 'OK', reason: null }));

describe('the bake section of BLUEGREEN_CONFIG', () => {
  const raw = (over: Record<string, unknown>) => JSON.stringify({ ...config, bake: { ...bake, ...over } });

  test('a complete section parses to the same values', () => {
    expect(parseReleaseConfig(JSON.stringify(bakeConfig)).bake).toEqual(bake);
  });

  test('a configuration without it has no bake key at all', () => {
    expect('bake' in parseReleaseConfig(JSON.stringify(config))).toBe(false);
  });

  test.each([
    ['a window of zero seconds', { windowSeconds: 0 }, /bake\.windowSeconds must be an integer from 1 to 82800 \(got number 0\)/],
    ['a fractional window', { windowSeconds: 1.5 }, /bake\.windowSeconds must be an integer/],
    ['a missing swap function', { swapFunctionName: undefined }, /bake\.swapFunctionName must be a non-empty string \(got nothing\)/],
    ['a swap function with a space', { swapFunctionName: 'my swap' }, /bake\.swapFunctionName must be a Lambda function name or ARN/],
    ['alarms that are not a list', { sharedAlarms: 'shop-errors' }, /bake\.sharedAlarms must be a list of alarm names/],
    ['an empty alarm name', { alarms: { a: [''], b: ['x'] } }, /bake\.alarms\.a\[0\] must be a CloudWatch alarm name/],
    ['no alarms object', { alarms: undefined }, /bake\.alarms must be an object \{a, b\}/],
    ['no alarm at all on one slot', { alarms: { a: ['x'], b: [] }, sharedAlarms: [] }, /bake would watch no alarm on slot b/],
    ['an unknown field', { windowMinutes: 10 }, /bake\.windowMinutes is not a known field/],
  ])('%s is refused with a message naming the field', (_name, over, message) => {
    expect(() => parseReleaseConfig(raw(over))).toThrow(message);
  });

  test('a section that is not an object is refused', () => {
    expect(() => parseReleaseConfig(JSON.stringify({ ...config, bake: [] }))).toThrow(/bake must be an object \(got an array\)/);
  });
});

describe('Bake UserParameters and continuation token', () => {
  const params = { liveSlot: 'b', imageDigest: D2, executionId: 'e-1' };

  test('resolved parameters parse', () => {
    expect(parseBakeParameters(JSON.stringify(params))).toEqual({ liveSlot: 'b', imageDigest: D2, executionId: 'e-1' });
  });

  test('an unresolved execution id falls back to the pipeline context', () => {
    expect(parseBakeParameters(JSON.stringify({ ...params, executionId: '#{codepipeline.PipelineExecutionId}' }), 'ctx-9').executionId).toBe('ctx-9');
  });

  test.each([
    ['missing parameters', undefined, /Bake UserParameters are missing/],
    ['not JSON', '{liveSlot', /Bake UserParameters are not valid JSON/],
    ['an unresolved slot', JSON.stringify({ ...params, liveSlot: '#{Swap.LIVE_SLOT}' }), /liveSlot must be "a" or "b" .*did not export it/],
    ['a tag instead of a digest', JSON.stringify({ ...params, imageDigest: 'latest' }), /imageDigest must be a sha256 digest/],
    ['no execution id anywhere', JSON.stringify({ ...params, executionId: '' }), /executionId is missing/],
  ])('%s fail closed', (_name, raw, message) => {
    expect(() => parseBakeParameters(raw)).toThrow(message);
  });

  test('the window runs from the first invocation for the configured seconds, and the token round-trips', () => {
    const planned = planBakeStart({ liveSlot: 'b', imageDigest: D2, executionId: 'e-1' }, bake, T0);
    expect(planned).toEqual(token);
    expect(parseBakeToken(serialiseBakeToken(planned))).toEqual(planned);
  });

  test('a token with a bad time or slot is refused', () => {
    expect(() => parseBakeToken(JSON.stringify({ ...token, until: 'soon' }))).toThrow(/until must be an ISO-8601 time/);
    expect(() => parseBakeToken(JSON.stringify({ ...token, slot: 'c' }))).toThrow(/slot must be "a" or "b"/);
  });
});

describe('one bake poll', () => {
  const watchedB = watchedAlarmNames(bake, 'b');
  const poll = (over: Partial<Parameters<typeof decideBakePoll>[0]> = {}) =>
    decideBakePoll({ config: bakeConfig, bake, token, routes: routes('b', 'a'), alarms: quiet(watchedB), now: at(60), ...over });

  test('the baked slot watches its own alarms and the shared ones, not the other slot\'s', () => {
    expect(watchedB).toEqual(['shop-b-5xx', 'shop-b-latency', 'shop-errors']);
  });

  test.each([
    ['quiet alarms inside the window wait', {}, { kind: 'continue' }],
    ['INSUFFICIENT_DATA is not an alarm', { alarms: watchedB.map((name) => ({ name, state: 'INSUFFICIENT_DATA', reason: null })) }, { kind: 'continue' }],
    ['quiet alarms at the window end succeed', { now: at(600) }, { kind: 'succeed', outputs: { BAKED_SLOT: 'b' } }],
    [
      'the slot\'s own alarm asks for a rollback',
      { alarms: [...quiet(watchedB.slice(1)), { name: 'shop-b-5xx', state: 'ALARM', reason: 'Threshold Crossed' }] },
      { kind: 'rollback', fired: 'alarm shop-b-5xx', reason: 'bake: alarm shop-b-5xx fired on slot b' },
    ],
    [
      'a shared alarm asks for a rollback, even after the window end',
      { now: at(900), alarms: [...quiet(watchedB.slice(0, 2)), { name: 'shop-errors', state: 'ALARM', reason: null }] },
      { kind: 'rollback', fired: 'alarm shop-errors' },
    ],
    [
      'a composite alarm names the alarm under it that fired',
      { alarms: [...quiet(watchedB.slice(1)), { name: 'shop-b-5xx', state: 'ALARM', reason: null, firedBy: ['shop-b-target-5xx'] }] },
      { kind: 'rollback', fired: 'alarm shop-b-target-5xx', reason: 'bake: alarm shop-b-target-5xx fired on slot b' },
    ],
    [
      'a composite alarm set off by many names the first three and counts the rest',
      { alarms: [...quiet(watchedB.slice(0, 2)), { name: 'shop-errors', state: 'ALARM', reason: null, firedBy: ['e1', 'e2', 'e3', 'e4', 'e5'] }] },
      { kind: 'rollback', fired: 'alarms e1, e2, e3, and 2 more', reason: 'bake: alarms e1, e2, e3, and 2 more fired on slot b' },
    ],
    [
      'the other slot\'s alarm is ignored',
      { alarms: [...quiet(watchedB), { name: 'shop-a-5xx', state: 'ALARM', reason: null }] },
      { kind: 'continue' },
    ],
  ])('%s', (_name, over, expected) => {
    expect(poll(over)).toMatchObject(expected);
  });

  test('production on the other slot (an operator rolled back) fails without asking for a rollback', () => {
    const progress = poll({ routes: routes('a', 'b'), alarms: [{ name: 'shop-b-5xx', state: 'ALARM', reason: null }] });
    expect(progress).toEqual({
      kind: 'fail',
      reason: 'production no longer forwards to slot b but to slot a (rolled back during the bake), so the release did not bake and nothing more was changed',
    });
  });

  test('routes that name no slot fail without acting', () => {
    expect(poll({ routes: routes(['arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/x/9'], 'a') })).toMatchObject({
      kind: 'fail',
      reason: expect.stringMatching(/^the routes cannot be judged, so the bake stopped without acting: the production rule .* neither slot's target group$/),
    });
  });

  test('a watched alarm that does not exist fails closed, even at the window end', () => {
    expect(poll({ now: at(600), alarms: quiet(['shop-b-5xx', 'shop-b-latency']) })).toEqual({
      kind: 'fail',
      reason: 'the bake cannot watch alarm(s) shop-errors because they do not exist, so production stays on slot b unverified',
    });
  });

  test('a transient error is another poll until the window end plus the grace, then a failure', () => {
    expect(decideAfterBakeTransientError(token, at(600 + BAKE_GRACE_SECONDS - 1), 'ThrottlingException: slow down')).toEqual({
      kind: 'continue',
      reason: 'transient AWS error, polling again: ThrottlingException: slow down',
    });
    expect(decideAfterBakeTransientError(token, at(600 + BAKE_GRACE_SECONDS), 'ThrottlingException: slow down')).toMatchObject({
      kind: 'fail',
      reason: expect.stringContaining('could not be read by the end of the bake window'),
    });
  });
});

describe('the automatic rollback', () => {
  const reason = 'bake: alarm shop-b-5xx fired on slot b';
  const fired = 'alarm shop-b-5xx fired on slot b';
  const result = (over: Partial<RollbackResult>): RollbackInvocation => ({
    kind: 'result',
    result: { outcome: 'rolled-back', message: 'Production moved back from slot b to slot a.', liveSlot: 'a', liveDigest: D1, previousDigest: D2, state: 'new', ...over },
  });

  test('the event names the execution as actor and request id, and the slot it expects live', () => {
    expect(bakeRollbackEvent({ executionId: 'e-1', slot: 'b', reason })).toEqual({
      action: 'rollback',
      reason,
      actor: 'bake:e-1',
      requestId: 'bake:e-1',
      expectedLiveSlot: 'b',
      forRelease: 'e-1',
    });
  });

  test.each([
    ['rolled back', result({}), `${fired}, so the release was rolled back: production is on slot a (${D1}) again`],
    ['already rolled back by this request', result({ outcome: 'already-done', state: 'new' }), `${fired}, so the release was rolled back: production is on slot a (${D1}) again`],
    [
      'refused',
      result({ outcome: 'refused', message: 'Rollback refused and nothing changed: slot a cannot take production back: 0 of 2 tasks run.', liveSlot: 'b', state: 'old' }),
      `${fired} but the automatic rollback was refused (Rollback refused and nothing changed: slot a cannot take production back: 0 of 2 tasks run), so production stays on slot b and needs attention`,
    ],
    [
      'failed half-way',
      result({ outcome: 'failed', message: 'Rollback failed and the system is in the old state: ModifyRule denied.', liveSlot: 'b', state: 'old' }),
      `${fired} and the automatic rollback failed (Rollback failed and the system is in the old state: ModifyRule denied); the system is in the old state, production on slot b`,
    ],
    ['threw', { kind: 'error', message: 'the swap function shop-swap threw Error: boom' } as RollbackInvocation, `${fired} and the automatic rollback failed (the swap function shop-swap threw Error: boom); the system's state is unknown, check with bluegreen status`],
  ])('%s: the bake fails saying so', (_name, invocation, message) => {
    expect(judgeBakeRollback(token, 'alarm shop-b-5xx', invocation, at(60))).toEqual({ kind: 'fail', reason: message });
  });

  test('a busy swap function is asked again on the next poll, until the window end plus the grace', () => {
    const busy: RollbackInvocation = { kind: 'busy', message: 'TooManyRequestsException: Rate Exceeded.' };
    expect(judgeBakeRollback(token, 'alarm shop-b-5xx', busy, at(60))).toMatchObject({ kind: 'continue', reason: expect.stringContaining('asking again on the next poll') });
    expect(judgeBakeRollback(token, 'alarm shop-b-5xx', busy, at(600 + BAKE_GRACE_SECONDS))).toMatchObject({
      kind: 'fail',
      reason: expect.stringContaining('production is still on slot b and needs a manual rollback'),
    });
  });

  test('only a well-formed RollbackResult is taken as one', () => {
    expect(asRollbackResult({ outcome: 'refused', message: 'No.', liveSlot: null, liveDigest: null, previousDigest: null, state: 'old' })).not.toBeNull();
    expect(asRollbackResult(null)).toBeNull();
    expect(asRollbackResult({ outcome: 'maybe', message: 'x', liveSlot: 'a', state: 'old' })).toBeNull();
    expect(asRollbackResult({ outcome: 'refused', message: 'x', liveSlot: 'c', state: 'old' })).toBeNull();
    expect(asRollbackResult({ errorType: 'Error', errorMessage: 'boom' })).toBeNull();
  });
});
