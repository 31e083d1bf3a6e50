// bluegreen approve / reject: show what is being approved, confirm, answer the pending approval.
import { AwsWorld } from '../support/aws-model';
import { CliWorld } from './support/cli-world';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

afterAll(() => AwsWorld.uninstall());

describe('bluegreen approve', () => {
  test('with --yes: shows commit, full digest, scan summary and test URL, then approves that execution', async () => {
    const w = new CliWorld();
    await w.driver.release('v1');
    const v2 = await w.pendingRelease('v2');
    const r = await w.run(['approve', '--pipeline', w.pipeline, '--comment', 'checked on the test URL', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Approve this release of app-pipeline?\n' +
        `  execution   ${v2.execution.id}\n` +
        `  commit      ${v2.image.commit}\n` +
        `  digest      ${v2.image.digest}\n` +
        '  scan        0 critical, 0 high, 2 medium; 0 secrets\n' +
        `  test URL    ${w.stack.config.testUrl}\n` +
        '  green slot  a (becomes live when the swap runs)\n' +
        `Approved execution ${v2.execution.id} (commit ${v2.image.commit.slice(0, 10)}); the pipeline goes on to the swap.\n`,
    );
    expect(w.approvalAction(v2.execution.id)).toMatchObject({ status: 'Succeeded', summary: 'checked on the test URL' });
    // The approval leaves production alone; the swap does the rest.
    expect(w.stack.liveSlot()).toBe('b');
  });

  test('asks on a terminal and approves on yes; the default summary names the person', async () => {
    const w = new CliWorld();
    const v1 = await w.pendingRelease('v1');
    const r = await w.run(['approve', '--pipeline', w.pipeline], { tty: true, confirm: () => true });
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([`approve execution ${v1.execution.id}?`]);
    expect(w.approvalAction(v1.execution.id)).toMatchObject({ status: 'Succeeded', summary: 'Approved with the bluegreen CLI by oncall-dana' });
  });

  test('a declined confirmation changes nothing and exits 1', async () => {
    const w = new CliWorld();
    const v1 = await w.pendingRelease('v1');
    const r = await w.run(['approve', '--pipeline', w.pipeline], { tty: true, confirm: () => false });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bluegreen: cancelled: nothing was changed\n');
    expect(w.approvalAction(v1.execution.id)).toMatchObject({ status: 'InProgress' });
  });

  test('without a terminal and without --yes it refuses to guess: exit 2, still pending', async () => {
    const w = new CliWorld();
    const v1 = await w.pendingRelease('v1');
    const r = await w.run(['approve', '--pipeline', w.pipeline]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bluegreen: confirmation needed: rerun with --yes\n');
    expect(w.approvalAction(v1.execution.id)).toMatchObject({ status: 'InProgress' });
    expect(w.world.callsSince(0, { service: 'codepipeline', command: 'PutApprovalResult' })).toHaveLength(0);
  });

  test('no pending approval: one clear line, exit 1', async () => {
    const w = new CliWorld();
    await w.driver.release('v1');
    const r = await w.run(['approve', '--pipeline', w.pipeline, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('bluegreen: no pending approval for pipeline app-pipeline (nothing is waiting in its Approve stage)\n');
  });

  test('answered by someone else while this person was reading: says so, changes nothing', async () => {
    const w = new CliWorld();
    const v1 = await w.pendingRelease('v1');
    const r = await w.run(['approve', '--pipeline', w.pipeline], {
      tty: true,
      confirm: () => {
        w.world.codepipeline.decide(v1.execution.id, 'Rejected', 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/erin');
        return true;
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`bluegreen: the approval for execution ${v1.execution.id} was already answered; nothing changed\n`);
    expect(w.approvalAction(v1.execution.id)).toMatchObject({ status: 'Failed' });
  });

  test('--json: the answer and what was approved, as one document', async () => {
    const w = new CliWorld();
    const v1 = await w.pendingRelease('v1');
    const r = await w.run(['approve', '--pipeline', w.pipeline, '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      pipeline: 'app-pipeline',
      result: 'Approved',
      executionId: v1.execution.id,
      commit: v1.image.commit,
      digest: v1.image.digest,
      scanSummary: '0 critical, 0 high, 2 medium; 0 secrets',
      testUrl: w.stack.config.testUrl,
      answeredAt: new Date(w.world.now()).toISOString(),
    });
  });

  test('--comment longer than CodePipeline accepts is a usage error', async () => {
    const w = new CliWorld();
    const r = await w.run(['approve', '--pipeline', w.pipeline, '--yes', '--comment', 'x'.repeat(513)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bluegreen: --comment is 513 characters; CodePipeline takes at most 512\n$/);
  });
});

describe('bluegreen reject', () => {
  test('rejects the pending release; production is untouched', async () => {
    const w = new CliWorld();
    await w.driver.release('v1');
    const v2 = await w.pendingRelease('v2');
    const before = w.world.countCalls().routeWrites;
    const r = await w.run(['reject', '--pipeline', w.pipeline, '--comment', 'login broken on the test URL', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Reject this release of app-pipeline\?\n/);
    expect(r.stdout).toContain(`Rejected execution ${v2.execution.id} (commit ${v2.image.commit.slice(0, 10)}); production is untouched.\n`);
    expect(w.approvalAction(v2.execution.id)).toMatchObject({ status: 'Failed', summary: 'login broken on the test URL' });
    expect(w.world.codepipeline.execution(v2.execution.id).status).toBe('Failed');
    expect(w.world.countCalls().routeWrites).toBe(before);
    expect(w.stack.liveSlot()).toBe('b');
  });

  test('no pending approval: exit 1 with the same clear line', async () => {
    const w = new CliWorld();
    const r = await w.run(['reject', '--pipeline', w.pipeline, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bluegreen: no pending approval for pipeline app-pipeline (nothing is waiting in its Approve stage)\n');
  });
});
