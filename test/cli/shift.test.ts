// bluegreen promote / abort, status during a traffic shift, and rollback during a shift: through
// the real swap function, its lease and audit trail.
import { AwsWorld } from '../support/aws-model';
import { uninstallCloudWatch } from '../support/bake-world';
import { CliWorld, ONCALL_ARN } from './support/cli-world';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
});

const LINEAR = { percents: [20, 40, 60, 80], holdSeconds: 60 };

/** v1 live on slot b, v2 approved and its Swap one step in: a=20 b=80. */
async function midShift() {
  const w = new CliWorld({ trafficShift: LINEAR });
  const v1 = await w.driver.release('v1');
  const v2 = w.driver.start('v2');
  await w.driver.deploy(v2);
  w.driver.approve(v2);
  await w.driver.swap(v2, { maxPolls: 1 });
  return { w, v1, v2 };
}

const short = (d: string) => d.slice(0, 19);

describe('bluegreen status during a traffic shift', () => {
  test('each slot with its share, the step, and how to end it now', async () => {
    const { w, v1, v2 } = await midShift();
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe(`  live (blue)  slot b  ${short(v1.image.digest)}  commit ${v1.image.commit.slice(0, 10)}  80%  2/2 targets healthy, steady`);
    expect(lines[2]).toBe(`  candidate    slot a  ${short(v2.image.digest)}  20%  2/2 targets healthy, steady`);
    expect(lines[3]).toBe('  shifting     a=20 b=80: step 1 of 5 since 2025-01-01 00:01Z, to slot a; bluegreen promote|abort --pipeline app-pipeline ends it now');
    expect(r.stdout).toContain('  labels       agree with the routes\n');
    const json = JSON.parse((await w.run(['status', '--pipeline', w.pipeline, '--json'])).stdout);
    expect(json).toMatchObject({ traffic: { a: 20, b: 80 }, shift: { toSlot: 'a', percent: 20, step: 1, steps: 5, executionId: v2.execution.id }, live: { slot: 'b' }, drift: [] });
  });
});

describe('bluegreen promote', () => {
  test('all of production on the candidate now, through the swap function, after its checks; the Swap job then succeeds', async () => {
    const { w, v1, v2 } = await midShift();
    const r = await w.run(['promote', '--pipeline', w.pipeline, '--reason', 'canary clean', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Promote app-pipeline: production a=20 b=80 → slot a alone\n' +
        `  live       slot b  ${short(v1.image.digest)}  80%  2/2 targets healthy, steady\n` +
        `  candidate  slot a  ${short(v2.image.digest)}  20%  2/2 targets healthy, steady\n` +
        `  shift      step 1 of 5 since 2025-01-01 00:01Z, release ${v2.execution.id}\n` +
        '  reason     canary clean\n' +
        `Promoted: production now forwards to slot a alone (${short(v2.image.digest)}).\n` +
        `  swap function: ${(w.world.lambda.invocations[0].result as { message: string }).message}\n`,
    );
    expect(r.stderr).toBe('promoting through app-pipeline-swap…\n');
    expect(w.world.lambda.invocations[0].event).toEqual({ action: 'promote', reason: 'canary clean', actor: ONCALL_ARN, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), expectedLiveSlot: 'b' });
    expect(w.stack.traffic()).toEqual({ a: 100, b: 0 });
    expect(w.stack.state()).toMatchObject({ liveSlot: 'a', lastOperation: 'promote', changedBy: ONCALL_ARN });
    expect(w.stack.state()!.history[0]).toMatchObject({ operation: 'promote', by: ONCALL_ARN, reason: 'canary clean' });
    expect((await w.driver.swap(v2)).status).toBe('succeeded');
    expect(JSON.parse((await w.run(['status', '--pipeline', w.pipeline, '--json'])).stdout)).toMatchObject({ traffic: { a: 100, b: 0 }, shift: null, drift: [] });
  });

  test('refused before asking when the candidate cannot take all of production', async () => {
    const { w } = await midShift();
    w.world.ecs.liveTasks(w.stack.config.slots.a.serviceArn)[0].health = 'unhealthy';
    const r = await w.run(['promote', '--pipeline', w.pipeline], { tty: true, confirm: () => true });
    expect(r.code).toBe(1);
    expect(r.asked).toEqual([]);
    expect(r.stderr).toBe('bluegreen: refused: slot a cannot take all of production: slot a has 1 healthy target(s), needs 2; production stays a=20 b=80\n');
    expect(w.world.lambda.invocations).toHaveLength(0);
  });

  test('with no shift in progress: refused, nothing invoked', async () => {
    const w = new CliWorld({ trafficShift: LINEAR });
    await w.driver.release('v1');
    for (const command of ['promote', 'abort']) {
      const r = await w.run([command, '--pipeline', w.pipeline, '--yes']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('bluegreen: refused: no traffic shift is in progress in app-pipeline (production serves slot b alone; run bluegreen status)\n');
    }
    expect(w.world.lambda.invocations).toHaveLength(0);
  });
});

describe('bluegreen abort, and rollback during a shift', () => {
  test.each([
    ['abort', 'Abort the traffic shift of', 'aborting the shift', 'Aborted', 'aborted'],
    ['rollback', 'Roll back the traffic shift of', 'rolling back', 'Rolled back', 'rolled-back'],
  ])('%s: all of production back on the live slot in one route write, asked first', async (command, title, doing, done, outcome) => {
    const { w, v1, v2 } = await midShift();
    const from = w.world.calls.length;
    const r = await w.run([command, '--pipeline', w.pipeline, '--reason', 'p99 up'], { tty: false, confirm: () => true });
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([`${command} app-pipeline: all of production to slot b?`]);
    expect(r.stdout.split('\n')[0]).toBe(`${title} app-pipeline: production a=20 b=80 → slot b alone`);
    expect(r.stdout).toContain(`${done}: production now forwards to slot b alone (${short(v1.image.digest)}).\n`);
    expect(r.stderr).toBe(`${doing} through app-pipeline-swap…\n`);
    expect(w.world.lambda.invocations[0].result).toMatchObject({ outcome, traffic: 'b=100', previousDigest: v2.image.digest });
    expect(w.world.callsSince(from, { service: 'elbv2', command: 'ModifyRule' })).toHaveLength(1);
    expect(w.stack.traffic()).toEqual({ a: 0, b: 100 });
    expect((await w.driver.swap(v2)).status).toBe('failed');
  });
});

describe('a header test route in the CLI', () => {
  test('approve and status say how to reach green with the header', async () => {
    const w = new CliWorld({ testHeader: { name: 'X-Release-Test', value: 'green' } });
    await w.driver.release('v1');
    await w.pendingRelease('v2');
    const curl = "curl -H 'X-Release-Test: green' http://app-alb-1234567890.us-east-1.elb.amazonaws.com";
    const approve = await w.run(['approve', '--pipeline', w.pipeline], { confirm: () => false });
    expect(approve.stdout).toContain(`  try it      ${curl}\n`);
    const status = await w.run(['status', '--pipeline', w.pipeline]);
    expect(status.stdout).toContain('  test URL     http://app-alb-1234567890.us-east-1.elb.amazonaws.com with header X-Release-Test: green\n');
    expect(status.stdout).toContain(`               try it: ${curl}\n`);
  });
});
