// bluegreen status: live and green slots, drift, executions, the pending approval.
import { AwsWorld } from '../support/aws-model';
import { CliWorld } from './support/cli-world';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

afterAll(() => AwsWorld.uninstall());

describe('bluegreen status', () => {
  test('before the first release: slot a live with no tasks, nothing drifts, nothing pending', async () => {
    const w = new CliWorld();
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'app-pipeline (us-east-1)\n' +
        '  live (blue)  slot a  nothing released yet (production answers 503 until the first release)  no tasks\n' +
        '  green        slot b  no running tasks  no tasks\n' +
        '  test URL     http://app-alb-1234567890.us-east-1.elb.amazonaws.com:8080\n' +
        '  labels       agree with the routes\n' +
        '  execution    none yet\n' +
        '  lease        the slots are held by nobody\n' +
        '  approval     none pending\n',
    );
  });

  test('after releases, with one waiting for approval: digests, commit, health, stage and what is pending', async () => {
    const w = new CliWorld();
    const { v2 } = await w.twoReleases();
    const v3 = await w.pendingRelease('v3');
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect(r.code).toBe(0);
    const short = (d: string) => d.slice(0, 19);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe(`  live (blue)  slot a  ${short(v2.image.digest)}  commit ${v2.image.commit.slice(0, 10)}  2/2 targets healthy, steady`);
    expect(lines[2]).toBe(`  green        slot b  ${short(v3.image.digest)}  2/2 targets healthy, steady`);
    expect(r.stdout).toContain('  labels       agree with the routes\n');
    expect(r.stdout).toContain(`  execution    ${v3.execution.id} in stage Release (Approve)\n`);
    expect(r.stdout).toMatch(new RegExp(`  lease        the slots are held by release ${v3.execution.id} \\(since `));
    expect(r.stdout).toContain(`  approval     pending since 2025-01-01 `);
    expect(r.stdout).toContain(`for execution ${v3.execution.id}\n`);
    expect(r.stdout).toContain(`               commit ${v3.image.commit.slice(0, 10)}  digest ${short(v3.image.digest)}\n`);
    expect(r.stdout).toContain('               scan: 0 critical, 0 high, 2 medium; 0 secrets\n');
    expect(r.stdout).toContain('               answer with: bluegreen approve|reject --pipeline app-pipeline\n');
  });

  test('the hotfix path: releases queued behind a pending approval are listed, with how to let them through', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    const stuck = await w.pendingRelease('v3');
    const hotfix = w.driver.start('v4-hotfix');
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect(r.stdout).toContain(`  queued       ${hotfix.execution.id} waits to enter Release\n`);
    expect(r.stdout).toContain('1 release(s) wait behind this approval: for a hotfix, reject it (bluegreen reject --pipeline app-pipeline) and the next one deploys');
    const json = JSON.parse((await w.run(['status', '--pipeline', w.pipeline, '--json'])).stdout);
    expect(json.queued).toEqual([{ executionId: hotfix.execution.id, stage: 'Release' }]);

    expect((await w.run(['reject', '--pipeline', w.pipeline, '--yes'])).code).toBe(0);
    expect(w.world.codepipeline.execution(stuck.execution.id).status).toBe('Failed');
    expect(w.world.codepipeline.lockHolder(w.pipeline, 'Release')).toBe(hotfix.execution.id);
    expect(JSON.parse((await w.run(['status', '--pipeline', w.pipeline, '--json'])).stdout).queued).toEqual([]);
  });

  test('drift: a production rule moved by hand is reported loudly, line by line, and the routes win', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    // Someone points production at slot b in the console; labels and record still say a.
    w.world.elbv2.commands.ModifyRule({
      RuleArn: w.stack.config.productionRuleArn,
      Actions: [{ Type: 'forward', TargetGroupArn: w.stack.config.slots.b.targetGroupArn }],
    });
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/live \(blue\)\s+slot b /);
    expect(r.stdout).toContain('labels       DRIFT: the labels disagree with the routes (the routes are the truth)');
    expect(r.stdout).toContain('!! the test route forwards to slot b, the live slot, instead of slot a');
    expect(r.stdout).toContain('!! the state record says slot a is live, but production forwards to slot b');
    expect(r.stdout).toContain(`!! ${w.stack.config.slots.a.serviceArn} is labelled bluegreen:live-slot=a but the production route serves slot b`);

    const json = JSON.parse((await w.run(['status', '--pipeline', w.pipeline, '--json'])).stdout);
    expect(json.labelsAgree).toBe(false);
    expect(json.routes).toEqual({ production: 'b', test: 'b' });
    expect(json.drift).toHaveLength(6);
  });

  test('drift: a label changed by hand is named, even when the routes and the record agree', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    w.world.tags.put(w.stack.config.slots.b.targetGroupArn, { 'bluegreen:live-slot': 'b' });
    const r = await w.run(['status', '--pipeline', w.pipeline, '--json']);
    expect(JSON.parse(r.stdout).drift).toEqual([
      `${w.stack.config.slots.b.targetGroupArn} is labelled bluegreen:live-slot=b but the production route serves slot a`,
    ]);
  });

  test('--json: one document with the live and green slots, routes, drift, executions and approval', async () => {
    const w = new CliWorld();
    const { v1, v2 } = await w.twoReleases();
    const v3 = await w.pendingRelease('v3');
    const r = await w.run(['--json', 'status', '--pipeline', w.pipeline]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      pipeline: 'app-pipeline',
      region: 'us-east-1',
      released: true,
      live: { slot: 'a', digest: v2.image.digest, commit: v2.image.commit, recordedDigest: v2.image.digest, steady: true, healthyTargets: 2, targets: 2 },
      green: { slot: 'b', digest: v3.image.digest, testUrl: w.stack.config.testUrl },
      routes: { production: 'a', test: 'b' },
      labelsAgree: true,
      drift: [],
      executions: [{ executionId: v3.execution.id, stage: 'Release', action: 'Approve' }],
      queued: [],
      lease: { release: { executionId: v3.execution.id }, operation: null, holder: expect.stringMatching(new RegExp(`^release ${v3.execution.id}`)) },
      approval: {
        executionId: v3.execution.id,
        stage: 'Release',
        action: 'Approve',
        commit: v3.image.commit,
        digest: v3.image.digest,
        scanSummary: '0 critical, 0 high, 2 medium; 0 secrets',
        testUrl: w.stack.config.testUrl,
        greenSlot: 'b',
      },
      state: { liveSlot: 'a', liveDigest: v2.image.digest, previousDigest: v1.image.digest },
    });
    expect(json.approval.token).toBeUndefined();
  });
});
