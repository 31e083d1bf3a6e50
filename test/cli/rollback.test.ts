// bluegreen rollback: a re-swap through the swap function, with its lock and audit trail.
import { AwsWorld } from '../support/aws-model';
import { awsError } from '../support/model/errors';
import { CliWorld, ONCALL_ARN } from './support/cli-world';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

afterAll(() => AwsWorld.uninstall());

const busy = () => awsError('lambda', 'TooManyRequestsException', 'Rate Exceeded.', { status: 429 });

describe('bluegreen rollback', () => {
  test('re-swaps through the real swap function, waits for the route, and reports it', async () => {
    const w = new CliWorld();
    const { v1, v2 } = await w.twoReleases();
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--reason', '5xx after v2', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Roll back app-pipeline: production slot a → slot b\n' +
        `  live now  slot a  ${v2.image.digest.slice(0, 19)}  commit ${v2.image.commit.slice(0, 10)}\n` +
        `  back to   slot b  ${v1.image.digest.slice(0, 19)}  2/2 targets healthy, steady\n` +
        `  expected  previous digest ${v1.image.digest.slice(0, 19)}\n` +
        '  reason    5xx after v2\n' +
        `Rolled back: production now forwards to slot b (${v1.image.digest.slice(0, 19)}).\n` +
        `  swap function: ${(w.world.lambda.invocations[0].result as { message: string }).message}\n`,
    );
    // Non-TTY progress: plain lines only, no spinner control characters.
    expect(r.stderr).toBe('rolling back through app-pipeline-swap…\n');
    expect(w.stack.liveSlot()).toBe('b');
    expect(w.stack.testSlot()).toBe('a');

    const [invocation] = w.world.lambda.invocations;
    expect(invocation.functionName).toBe('app-pipeline-swap');
    expect(invocation.event).toEqual({
      action: 'rollback',
      reason: '5xx after v2',
      actor: ONCALL_ARN,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      expectedLiveSlot: 'a',
    });
    // The same audit trail as the pipeline: the record names who and why.
    expect(w.stack.state()).toMatchObject({
      liveSlot: 'b',
      liveDigest: v1.image.digest,
      previousDigest: v2.image.digest,
      lastOperation: 'rollback',
      changedBy: ONCALL_ARN,
    });
    expect(w.stack.state()!.history[0]).toMatchObject({ operation: 'rollback', fromSlot: 'a', toSlot: 'b', by: ONCALL_ARN, reason: '5xx after v2' });
    expect(w.stack.labels()[w.stack.config.slots.a.serviceArn]['bluegreen:live-slot']).toBe('b');

    // And status agrees afterwards.
    const status = JSON.parse((await w.run(['status', '--pipeline', w.pipeline, '--json'])).stdout);
    expect(status).toMatchObject({ live: { slot: 'b', digest: v1.image.digest }, drift: [] });
  });

  test('records the local user as the actor, with a note, when STS cannot say who the caller is', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    w.world.faults.failNext('sts', 'GetCallerIdentity', 'unavailable');
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--reason', 'pager', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'bluegreen: note: could not read your AWS identity (Service is unavailable. Please try again later.); recording the local user oncall-dana as the actor\n' +
        'rolling back through app-pipeline-swap…\n',
    );
    expect((w.world.lambda.invocations[0].event as { actor: string }).actor).toBe('oncall-dana');
    expect(w.stack.state()).toMatchObject({ liveSlot: 'b', lastOperation: 'rollback', changedBy: 'oncall-dana' });
    expect(w.world.callsSince(0, { service: 'sts', command: 'GetCallerIdentity' })).toHaveLength(1);
  });

  test('--json: the function\'s RollbackResult, the request id, and whether the route flipped', async () => {
    const w = new CliWorld();
    const { v1, v2 } = await w.twoReleases();
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      pipeline: 'app-pipeline',
      outcome: 'rolled-back',
      message: expect.any(String),
      liveSlot: 'b',
      liveDigest: v1.image.digest,
      previousDigest: v2.image.digest,
      state: 'new',
      requestId: (w.world.lambda.invocations[0].event as { requestId: string }).requestId,
      routesFlipped: true,
    });
    expect((w.world.lambda.invocations[0].event as { reason: string }).reason).toBe('rollback with the bluegreen CLI');
  });

  test('refuses clearly when the previous slot cannot take traffic, before asking and without invoking', async () => {
    const w = new CliWorld();
    const { v1 } = await w.twoReleases();
    // The previous slot was scaled in: nothing to send production back to.
    w.world.ecs.runNow(w.stack.config.slots.b.serviceArn, v1.image.digest, 0);
    const r = await w.run(['rollback', '--pipeline', w.pipeline], { tty: true, confirm: () => true });
    expect(r.code).toBe(1);
    expect(r.asked).toEqual([]);
    expect(r.stderr).toBe('bluegreen: refused: slot b cannot take production back: slot b has no tasks (desired count 0), so scale it back up first (with previousSlotRetention, a rollback does that itself); production stays on slot a\n');
    expect(w.world.lambda.invocations).toHaveLength(0);
    expect(w.stack.liveSlot()).toBe('a');
  });

  test('refuses when nothing has been released yet', async () => {
    const w = new CliWorld();
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bluegreen: refused: no release has been recorded yet, so there is nothing to roll back to; production stays on slot a\n');
  });

  test('the swap function\'s own refusal (someone rolled back first) is reported, exit 1, nothing more changes', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    const r = await w.run(['rollback', '--pipeline', w.pipeline], {
      tty: true,
      // Another on-call engineer rolls back while this one reads the prompt.
      confirm: async () => {
        await w.driver.rollback({ reason: 'first responder' });
        return true;
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bluegreen: Rollback refused and nothing changed: the caller expected slot a to be live but production is on slot b, so its view is stale\.\n$/);
    expect(w.stack.liveSlot()).toBe('b');
    expect(w.stack.state()!.history[0]).toMatchObject({ operation: 'rollback', reason: 'first responder' });

    // For scripts: the function's RollbackResult rides along in the --json error.
    const again = await w.run(['rollback', '--pipeline', w.pipeline, '--json'], { confirm: async () => (await w.driver.rollback({ reason: 'second responder' }), true) });
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({
      error: {
        code: 'refused',
        message: expect.stringMatching(/^Rollback refused and nothing changed: the caller expected slot b to be live but production is on slot a/),
        result: expect.objectContaining({ outcome: 'refused', liveSlot: 'a', state: 'old' }),
        requestId: expect.any(String),
      },
    });
  });

  test('another swap running (reserved concurrency 1): retries with the same request id, then succeeds', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    w.world.faults.failNext('lambda', 'Invoke', busy, { times: 2 });
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'rolling back through app-pipeline-swap…\n' +
        'another swap or rollback holds the slots; retrying in 2 s…\n' +
        'rolling back through app-pipeline-swap…\n' +
        'another swap or rollback holds the slots; retrying in 4 s…\n' +
        'rolling back through app-pipeline-swap…\n',
    );
    const invokes = w.world.callsSince(0, { service: 'lambda', command: 'Invoke' });
    expect(invokes).toHaveLength(3);
    const ids = invokes.map((c) => JSON.parse(Buffer.from((c.input as { Payload: Uint8Array }).Payload).toString()).requestId);
    expect(new Set(ids).size).toBe(1);
    expect(w.stack.liveSlot()).toBe('b');
  });

  test('another swap that keeps running: gives up with a clear message, nothing changed', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    w.world.faults.failNext('lambda', 'Invoke', busy, { times: Infinity });
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').slice(-2)[0]).toBe(
      'bluegreen: another swap or rollback holds the slots of this pipeline (still busy after 30 s: the swap function is running another swap); nothing was changed, retry in a minute',
    );
    expect(w.world.callsSince(0, { service: 'lambda', command: 'Invoke' })).toHaveLength(5);
    expect(w.stack.liveSlot()).toBe('a');
  });

  test('a crash of the swap function is one line, not a stack trace', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    w.world.extend('lambda', 'Invoke', () => ({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: Buffer.from(JSON.stringify({ errorType: 'Error', errorMessage: 'Task timed out after 60.00 seconds', trace: ['at x', 'at y'] })),
    }));
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bluegreen: the swap function failed: Task timed out after 60.00 seconds (run bluegreen status to see which slot is live)\n');
    expect(r.stderr).not.toMatch(/at y/);
  });

  test('waits (bounded) until production really forwards to the slot the function reported', async () => {
    const w = new CliWorld();
    const { v1 } = await w.twoReleases();
    const { productionRuleArn, slots } = w.stack.config;
    const rolledBack = { outcome: 'rolled-back', message: 'Production moved back.', liveSlot: 'b', liveDigest: v1.image.digest, previousDigest: null, state: 'new' };
    // A function that answers before the route change is visible: the flip lands two ticks later.
    w.world.extend('lambda', 'Invoke', () => {
      const flipAt = w.world.now() + 2 * w.world.tickMs;
      w.world.onClock((now) => {
        if (now === flipAt) w.world.elbv2.commands.ModifyRule({ RuleArn: productionRuleArn, Actions: [{ Type: 'forward', TargetGroupArn: slots.b.targetGroupArn }] });
      });
      return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(rolledBack)) };
    });
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('rolling back through app-pipeline-swap…\nwaiting for production to forward to slot b…\n');
    expect(r.stdout).toContain('Rolled back: production now forwards to slot b');
    expect(w.world.callsSince(0, { service: 'elbv2', command: 'DescribeRules' }).length).toBeGreaterThanOrEqual(3);

    // A function that claims success while the route never moves: the wait ends, exit 1.
    const stuck = new CliWorld();
    await stuck.twoReleases();
    stuck.world.extend('lambda', 'Invoke', () => ({ StatusCode: 200, Payload: Buffer.from(JSON.stringify(rolledBack)) }));
    const s = await stuck.run(['rollback', '--pipeline', stuck.pipeline, '--yes']);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/bluegreen: the swap function reported rolled-back, but production still does not forward to slot b; run bluegreen status\n$/);
  });

  test('on a terminal: asks once, and shows a spinner while waiting that it clears afterwards', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--reason', 'pager'], { tty: true, confirm: () => true });
    expect(r.code).toBe(0);
    expect(r.asked).toEqual(['roll back app-pipeline to slot b?']);
    expect(r.stderr).toContain('\r\x1b[2K⠋ rolling back through app-pipeline-swap…');
    expect(r.stderr.endsWith('\r\x1b[2K')).toBe(true);
  });

  test('without a terminal and without --yes: exit 2, no invoke', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    const r = await w.run(['rollback', '--pipeline', w.pipeline]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bluegreen: confirmation needed: rerun with --yes\n');
    expect(w.world.lambda.invocations).toHaveLength(0);
  });
});
