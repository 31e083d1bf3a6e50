// The CLI with `previousSlotRetention`: status shows the previous slot warm or scaled to zero (with
// the rollback's way back), and rollback scales a slot at zero back up, asking the swap function
// again while it answers "in progress", then waits for the route like any rollback.
import { AwsWorld } from '../support/aws-model';
import { CliWorld } from './support/cli-world';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

afterAll(() => AwsWorld.uninstall());

const RETENTION = 3600;
const short = (digest: string) => digest.slice(0, 19);

async function retired(w: CliWorld): Promise<void> {
  w.world.tick(RETENTION / 15 + 2);
  expect(await w.fireSchedules()).toContainEqual(expect.objectContaining({ outcome: 'retired' }));
}

describe('bluegreen with previousSlotRetention', () => {
  test('status: the previous slot warm with its tasks, then scaled to zero with the rollback\'s way back', async () => {
    const w = new CliWorld({ previousSlotRetentionSeconds: RETENTION });
    await w.twoReleases();
    const warm = await w.run(['status', '--pipeline', w.pipeline]);
    expect(warm.stdout).toContain('  rollback     slot b warm with 2 task(s): one route write (previousSlotRetention scales it to zero 1h after a release)\n');
    expect(JSON.parse((await w.run(['status', '--pipeline', w.pipeline, '--json'])).stdout).previousSlot).toEqual({
      slot: 'b', state: 'warm', tasks: 2, scaledDownAt: null, retentionSeconds: RETENTION, rollback: 'one route write', rollbackEtaSeconds: 0, startsTasks: 0,
    });

    await retired(w);
    const down = await w.run(['status', '--pipeline', w.pipeline]);
    const at = w.stack.state()!.previousScaledDownAt!;
    expect(down.stdout).toContain(`  rollback     slot b scaled to zero at ${at.slice(0, 16).replace('T', ' ')}Z: a rollback starts 2 task(s) first, about 3 minutes, then one route write\n`);
    expect(JSON.parse((await w.run(['status', '--pipeline', w.pipeline, '--json'])).stdout).previousSlot).toMatchObject({ slot: 'b', state: 'scaled-down', tasks: 0, scaledDownAt: at, rollback: 'scale-up first', startsTasks: 2 });
  });

  test('rollback: says the slot starts first, asks again while in progress, and reports the flip', async () => {
    const w = new CliWorld({ previousSlotRetentionSeconds: RETENTION });
    const { v1 } = await w.twoReleases();
    await retired(w);
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--reason', 'checkout errors', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Slot b runs no tasks (previousSlotRetention scaled it down): the rollback starts it again on');
    expect(r.stdout).toMatch(/ {2}… Rollback in progress and production has not moved yet: slot b was at zero, so it is starting 2 task\(s\) on sha256:[0-9a-f]{64}; ask again with request id [0-9a-f-]{36}\.\n/);
    expect(r.stdout).toContain(`Rolled back: production now forwards to slot b (${short(v1.image.digest)}).`);
    const events = w.world.lambda.invocations.map((i) => i.event as { action: string; requestId: string });
    const rollbacks = events.filter((e) => e.action === 'rollback');
    expect(rollbacks.length).toBeGreaterThan(2);
    // Every ask is the same request: one rollback, however many invocations it took.
    expect(new Set(rollbacks.map((e) => e.requestId)).size).toBe(1);
    expect(w.stack.liveSlot()).toBe('b');
    expect(w.stack.state()).toMatchObject({ liveSlot: 'b', liveDigest: v1.image.digest, lastOperation: 'rollback' });
  });

  test('rollback: refused by the swap function (the CLI cannot read the registry) when the previous digest is gone from the repository', async () => {
    const w = new CliWorld({ previousSlotRetentionSeconds: RETENTION });
    const { v1 } = await w.twoReleases();
    await retired(w);
    const repo = w.world.ecr.repositories.get(w.stack.config.repositoryName)!;
    repo.images.delete(v1.image.digest);
    for (const [tag, digest] of [...repo.tags]) if (digest === v1.image.digest) repo.tags.delete(tag);
    const r = await w.run(['rollback', '--pipeline', w.pipeline, '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/previous digest sha256:[0-9a-f]{64} is gone from the repository/);
    expect(w.world.lambda.invocations.filter((i) => (i.event as { action: string }).action === 'rollback')).toHaveLength(1);
    expect(w.stack.liveSlot()).toBe('a');
  });
});
