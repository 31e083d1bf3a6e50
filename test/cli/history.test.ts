// bluegreen history: releases from the pipeline's executions, swaps and rollbacks from the record.
import { AwsWorld } from '../support/aws-model';
import { CliWorld, ONCALL_ARN } from './support/cli-world';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

afterAll(() => AwsWorld.uninstall());

describe('bluegreen history', () => {
  test('lists releases, the swap each made, a rejected release and a rollback with who and why, newest first', async () => {
    const w = new CliWorld();
    const { v1, v2 } = await w.twoReleases();
    w.world.tick();
    await w.run(['rollback', '--pipeline', w.pipeline, '--reason', 'error rate', '--yes']);
    w.world.tick();
    const v3 = await w.pendingRelease('v3');
    await w.run(['reject', '--pipeline', w.pipeline, '--yes']);

    const json = JSON.parse((await w.run(['history', '--pipeline', w.pipeline, '--json'])).stdout);
    expect(json.pipeline).toBe('app-pipeline');
    expect(json.entries.map((e: { kind: string; executionId: string; status: string }) => [e.kind, e.status])).toEqual([
      ['release', 'Failed'],
      ['rollback', 'done'],
      ['release', 'Succeeded'],
      ['release', 'Succeeded'],
    ]);
    expect(json.entries[0]).toMatchObject({ executionId: v3.execution.id, commit: v3.image.commit, fromSlot: null });
    expect(json.entries[1]).toMatchObject({ fromSlot: 'a', toSlot: 'b', digest: v1.image.digest, by: ONCALL_ARN, reason: 'error rate' });
    expect(json.entries[2]).toMatchObject({ executionId: v2.execution.id, fromSlot: 'b', toSlot: 'a', digest: v2.image.digest, commit: v2.image.commit });
    expect(json.entries[3]).toMatchObject({ executionId: v1.execution.id, fromSlot: 'a', toSlot: 'b', digest: v1.image.digest });

    const text = await w.run(['history', '--pipeline', w.pipeline]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WHEN\s+WHAT\s+EXECUTION\s+STATUS\s+SLOTS\s+COMMIT\s+DIGEST\s+BY \/ REASON$/);
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(new RegExp(`^2025-01-01 \\d\\d:\\d\\dZ\\s+release\\s+${v3.execution.id}\\s+Failed\\s+-\\s+${v3.image.commit.slice(0, 10)}\\s+-\\s+-$`));
    expect(lines[2]).toMatch(/rollback\s+rollback:[0-9a-f-]{36}\s+done\s+a → b\s+/);
    expect(lines[2].slice(lines[2].lastIndexOf(' arn:') + 1)).toBe(`${ONCALL_ARN} "error rate"`);
    expect(lines[3]).toContain(`release   ${v2.execution.id}`);
    expect(lines[3]).toMatch(/Succeeded\s+b → a\s+/);
    expect(lines[3]).toContain('arn:aws:sts::111122223333:assumed-role/ReleaseManager/alice');
  });

  test('--limit keeps the newest entries', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    const json = JSON.parse((await w.run(['history', '--pipeline', w.pipeline, '--limit', '1', '--json'])).stdout);
    expect(json.entries).toHaveLength(1);
  });

  test('before the first release', async () => {
    const w = new CliWorld();
    const r = await w.run(['history', '--pipeline', w.pipeline]);
    expect(r).toMatchObject({ code: 0, stdout: 'app-pipeline: no releases yet\n', stderr: '' });
  });
});
