// bluegreen status --watch: one execution followed through deploy, approval and swap until it
// ends, or until Ctrl-C; redrawn on a terminal, a block per change elsewhere.
import { AwsWorld } from '../support/aws-model';
import type { Release } from '../support/release-driver';
import { CliWorld } from './support/cli-world';

afterAll(() => AwsWorld.uninstall());

const ALICE = 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/alice';

/** The world moving on while the CLI watches: at wait 2 the approval is given, at wait 4 the swap runs. */
function releaseGoesOn(w: CliWorld, release: Release, answer: 'Approved' | 'Rejected' = 'Approved') {
  return async (n: number) => {
    if (n === 2) {
      w.world.codepipeline.decide(release.execution.id, answer, ALICE, 'CHG-7');
      release.approval = answer;
      w.driver.approved.add(release.image.digest);
    }
    if (n === 4 && answer === 'Approved') expect(await w.driver.swap(release)).toMatchObject({ status: 'succeeded' });
  };
}

const blocks = (stdout: string) => stdout.trimEnd().split('\n\n');

describe('bluegreen status --watch', () => {
  test('off a terminal: a new block per change, through approval and swap, until the execution succeeds (exit 0)', async () => {
    const w = new CliWorld();
    await w.driver.release('v1');
    const v2 = await w.pendingRelease('v2');

    const r = await w.run(['status', '--pipeline', w.pipeline, '--watch', '--interval', '2'], { onSleep: releaseGoesOn(w, v2) });

    expect([r.code, r.stderr]).toEqual([0, '']);
    const [waiting, swapping, done, ...more] = blocks(r.stdout);
    expect(more).toEqual([]);
    expect(waiting.split('\n')).toEqual([
      `app-pipeline  execution ${v2.execution.id}  InProgress`,
      expect.stringMatching(/^  ✓ Source {9}succeeded  2025-01-01 \d\d:\d\dZ$/),
      expect.stringMatching(/^  ✓ BuildAndScan +succeeded  2025-01-01 \d\d:\d\dZ$/),
      '  Release',
      expect.stringMatching(/^    ✓ DeployGreen +succeeded  2025-01-01 \d\d:\d\dZ  Slot a runs sha256:[0-9a-f]{64} on 2 healthy task\(s\); try it: curl http:\/\/\S+$/),
      expect.stringMatching(/^    … Approve +waiting for an answer  since 2025-01-01 \d\d:\d\dZ$/),
      '    · Swap         not started',
      '  next: bluegreen approve|reject --pipeline app-pipeline',
    ]);
    expect(swapping).toContain(`    ✓ Approve      succeeded  `);
    expect(swapping).toContain(`  by ${ALICE}  CHG-7`);
    expect(swapping).toMatch(/    … Swap +running  since /);
    expect(done.split('\n')[0]).toBe(`app-pipeline  execution ${v2.execution.id}  Succeeded`);
    expect(done).toMatch(/    ✓ Swap +succeeded  2025-01-01 \d\d:\d\dZ  Production moved from slot b to slot a/);
  });

  test('a running action shows its job\'s latest word: the deploy rolling, a step of a swap', async () => {
    const w = new CliWorld();
    await w.driver.release('v1');
    const v2 = w.driver.start('v2');
    expect(await w.driver.deploy(v2, { maxPolls: 1 })).toMatchObject({ status: 'in-progress' });
    // A Swap reporting a weighted step the way its job would (a continuation with a summary and percentComplete).
    const stop = new AbortController();
    const r = await w.run(['status', '--pipeline', w.pipeline, '--watch', '--json'], {
      interrupt: stop.signal,
      onSleep: async (n) => {
        if (n === 1) await w.driver.deploy(v2);
        if (n === 2) stop.abort();
      },
    });
    const first = JSON.parse(r.stdout.split('\n')[0]);
    expect(first.actions.find((a: { action: string }) => a.action === 'DeployGreen')).toMatchObject({ status: 'InProgress', summary: expect.stringMatching(/^Rolling slot a to sha256:[0-9a-f]{64} with 2 task\(s\), deadline /) });

    w.world.codepipeline.decide(v2.execution.id, 'Approved', ALICE, 'go');
    const swapJob = w.world.codepipeline.pendingJob(v2.execution.id, 'Swap')!;
    await w.world.dispatch('codepipeline', 'PutJobSuccessResult', { jobId: swapJob.id, continuationToken: '{"step":2}', executionDetails: { summary: 'Shifted 25% of production to slot a (step 2 of 4)', percentComplete: 50 } });
    const text = await w.run(['status', '--pipeline', w.pipeline, '--watch'], { onSleep: () => w.world.codepipeline.finishExecution(v2.execution.id, 'Stopped') });
    expect(text.stdout).toMatch(/    … Swap +running  since 2025-01-01 \d\d:\d\dZ  50%  Shifted 25% of production to slot a \(step 2 of 4\)\n/);
    expect(text.code).toBe(1);
  });

  test('a rejected release ends the watch with exit 1, the failed approval shown', async () => {
    const w = new CliWorld();
    const v1 = await w.pendingRelease('v1');
    const r = await w.run(['status', '--pipeline', w.pipeline, '--watch'], { onSleep: releaseGoesOn(w, v1, 'Rejected') });
    expect(r.code).toBe(1);
    const last = blocks(r.stdout).pop()!;
    expect(last.split('\n')[0]).toBe(`app-pipeline  execution ${v1.execution.id}  Failed`);
    expect(last).toMatch(/    ✗ Approve +failed  2025-01-01 \d\d:\d\dZ  by arn:\S+alice  CHG-7/);
  });

  test('Ctrl-C ends it cleanly (exit 0, nothing half-written); on a terminal each refresh redraws the block in place', async () => {
    const w = new CliWorld();
    await w.pendingRelease('v1');
    const ctrlC = new AbortController();
    const r = await w.run(['status', '--pipeline', w.pipeline, '--watch'], { tty: true, interrupt: ctrlC.signal, onSleep: (n) => (n === 3 ? ctrlC.abort() : undefined) });

    expect([r.code, r.stderr]).toEqual([0, '']);
    const frames = r.stdout.split(/\x1b\[\d+A\x1b\[0J/);
    expect(frames).toHaveLength(3);
    const lines = frames[0].split('\n').length - 1;
    // Each redraw moves up exactly over the previous frame.
    expect(r.stdout).toContain(`\x1b[${lines}A\x1b[0J`);
    expect(frames[2]).toMatch(/\n\x1b\[2mrefreshed \d{4}-\d\d-\d\d \d\d:\d\dZ, every 5s; Ctrl-C to stop\x1b\[0m\n$/);
    expect(frames[2]).toContain('    … Approve ');
  });

  test('with --json: one JSON object per change; --execution follows the one given', async () => {
    const w = new CliWorld();
    const v1 = await w.driver.release('v1');
    const v2 = await w.pendingRelease('v2');
    const r = await w.run(['status', '--pipeline', w.pipeline, '--watch', '--json'], { onSleep: releaseGoesOn(w, v2) });
    const docs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(docs.map((d) => [d.executionId, d.status, d.actions.find((a: { action: string }) => a.action === 'Approve').status])).toEqual([
      [v2.execution.id, 'InProgress', 'InProgress'],
      [v2.execution.id, 'InProgress', 'Succeeded'],
      [v2.execution.id, 'Succeeded', 'Succeeded'],
    ]);
    const old = await w.run(['status', '--pipeline', w.pipeline, '--watch', '--execution', v1.execution.id, '--json']);
    expect(old.code).toBe(0);
    expect(JSON.parse(old.stdout)).toMatchObject({ executionId: v1.execution.id, status: 'Succeeded', done: true });
    expect(await w.run(['status', '--pipeline', w.pipeline, '--execution', v1.execution.id])).toMatchObject({ code: 2, stderr: 'bluegreen: --execution goes with --watch\n' });
  });
});
