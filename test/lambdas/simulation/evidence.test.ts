// The evidence record written by the real handlers: DeployGreen, Swap (and its rollbacks), Bake,
// and the recorder CodePipeline's EventBridge events invoke, against the in-memory world with the
// artifact bucket in its S3 model.
import { AwsWorld } from '../../support/aws-model';
import { BakeWorld, addBake, uninstallCloudWatch } from '../../support/bake-world';
import { PipelineEventFeed, buildEvidenceOf, storedEvidence, uploadBuildEvidence } from '../../support/evidence-world';
import { useWorldClock } from '../../support/jest-world';
import { S3, serveS3 } from '../../support/model/s3';
import { Release } from '../../support/release-driver';
import { ReleaseHarness, createReleaseHarness } from '../../support/release-harness';
import { ARTIFACT_BUCKET, ARTIFACTS_KEY_ARN } from '../../support/release-stack';
import { EVIDENCE_METRIC } from '../../../lambdas/adapters/evidence';
import type { EvidenceEntry } from '../../../lambdas/core/evidence';

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
  jest.useRealTimers();
});

const APPROVER = 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/alice';
const ONCALL = 'arn:aws:sts::111122223333:assumed-role/OnCall/bob';

interface World {
  h: ReleaseHarness;
  bake: BakeWorld;
  feed: PipelineEventFeed;
}

function world(): World {
  const h = createReleaseHarness({ clock: useWorldClock, evidence: true });
  const bake = addBake(h, { windowSeconds: 60 });
  return { h, bake, feed: new PipelineEventFeed(h.world, h.stack, (l) => void h.logs.push(l)) };
}

/** Build (with its evidence upload) and deploy; the release then waits for its approval. */
async function deployed({ h, feed }: World, label: string): Promise<Release> {
  const release = h.driver.start(label);
  uploadBuildEvidence(h.world, h.stack, release);
  expect(await h.driver.deploy(release)).toMatchObject({ status: 'succeeded' });
  await feed.deliver();
  return release;
}

function answer({ h }: World, release: Release, status: 'Approved' | 'Rejected', comment: string, by = APPROVER): void {
  h.world.codepipeline.decide(release.execution.id, status, by, comment);
  release.approval = status;
  if (status === 'Approved') h.driver.approved.add(release.image.digest);
}

/** A whole release: deploy, approval with a comment, swap, a quiet bake, the execution's end. */
async function released(w: World, label: string): Promise<Release> {
  const release = await deployed(w, label);
  answer(w, release, 'Approved', `ship ${label}: CHG-1042`);
  await w.feed.deliver();
  expect(await w.h.driver.swap(release)).toMatchObject({ status: 'succeeded' });
  expect(await w.bake.run(release)).toMatchObject({ status: 'succeeded' });
  await w.feed.deliver();
  return release;
}

const doc = (w: World, release: Release) => storedEvidence(w.h.world, w.h.stack, release.execution.id);
const kinds = (entries: readonly EvidenceEntry[]) => entries.map((e) => (e.kind === 'traffic' ? `traffic:${e.operation}:${e.direction}` : e.kind));

describe('the evidence record', () => {
  test('a full release: build, deploy, approval, swap, bake and the end, in order, each once, in the KMS-encrypted artifact bucket', async () => {
    const w = world();
    const release = await released(w, 'v1');
    const d = doc(w, release)!;

    expect(kinds(d.entries)).toEqual(['build', 'deploy', 'approval', 'traffic:swap:to', 'bake', 'end']);
    expect(d).toMatchObject({ schema: 1, pipeline: 'app-pipeline', executionId: release.execution.id });
    const [build, deploy, approval, swap, bake, end] = d.entries;
    expect(build).toMatchObject({
      kind: 'build',
      problems: [],
      build: {
        ...buildEvidenceOf(w.h.stack, release),
        image: { uri: release.image.imageUri, digest: release.image.digest },
      },
      released: { imageUri: release.image.imageUri, digest: release.image.digest, commit: release.image.commit },
    });
    expect(deploy).toMatchObject({ kind: 'deploy', outcome: 'ready', slot: 'b', digest: release.image.digest, testUrl: w.h.stack.config.testUrl });
    expect(approval).toMatchObject({ kind: 'approval', action: 'Approve', status: 'Succeeded', by: APPROVER, comment: 'ship v1: CHG-1042' });
    expect(swap).toMatchObject({ kind: 'traffic', operation: 'swap', fromSlot: 'a', toSlot: 'b', digest: release.image.digest, by: APPROVER, changedBy: release.execution.id });
    expect(bake).toMatchObject({ kind: 'bake', outcome: 'passed', slot: 'b', digest: release.image.digest });
    expect(end).toMatchObject({ kind: 'end', state: 'SUCCEEDED' });
    // The approval's time is CodePipeline's record of when it was answered.
    const approved = w.h.world.codepipeline.execution(release.execution.id).actions.find((a) => a.actionName === 'Approve')!;
    expect(approval.at).toBe(new Date(approved.lastUpdateTime).toISOString());

    // One object per execution under a stable key, plus its index marker; encrypted with the artifacts key.
    const s3 = serveS3(w.h.world);
    const prefix = `bluegreen-evidence/app-pipeline`;
    expect(s3.keys(ARTIFACT_BUCKET, `${prefix}/executions/`)).toEqual([`${prefix}/executions/${release.execution.id}.json`]);
    expect(s3.keys(ARTIFACT_BUCKET, `${prefix}/index/`)).toEqual([`${prefix}/index/${d.startedAt.replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}_${release.execution.id}`]);
    expect(s3.buckets.get(ARTIFACT_BUCKET)!.objects.get(`${prefix}/executions/${release.execution.id}.json`)!.sseKmsKeyId).toBe(ARTIFACTS_KEY_ARN);
    w.h.check({ settled: true });
  });

  test('retried and duplicated work never duplicates an entry: a redelivered Swap job, duplicated events, a replayed rollback', async () => {
    const w = world();
    const v1 = await released(w, 'v1');
    const release = await released(w, 'v2');
    const s3Writes = () => w.h.world.calls.filter((c) => c.service === S3 && c.command === 'PutObject').length;
    const snapshot = () => [JSON.stringify(doc(w, v1)), JSON.stringify(doc(w, release)), s3Writes()];

    let before = snapshot();
    const swapDelivery = w.h.driver.deliveries.find((d) => d.kind === 'job' && d.functionName === w.h.stack.ids.swapFunctionName && d.event['CodePipeline.job'].data.pipelineContext.pipelineExecutionId === release.execution.id)!;
    await w.h.driver.redeliver(swapDelivery);
    await new PipelineEventFeed(w.h.world, w.h.stack, () => undefined).deliver({ duplicate: true }); // every event so far, twice
    expect(snapshot()).toEqual(before);

    expect(await w.h.driver.rollback({ reason: 'p99 latency doubled', actor: ONCALL })).toMatchObject({ outcome: 'rolled-back' });
    before = snapshot();
    expect(await w.h.driver.redeliver(w.h.driver.deliveries.find((d) => d.kind === 'rollback'))).toMatchObject({ outcome: 'already-done' });
    expect(snapshot()).toEqual(before);
  });

  test('a rejected release: its build, deploy, the rejection with who, when and why, and the end; production untouched', async () => {
    const w = world();
    const v1 = await released(w, 'v1');
    const v2 = await deployed(w, 'v2');
    answer(w, v2, 'Rejected', 'the migration is not reversible; CHG-1043 needs a rollback plan', 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/carol');
    await w.feed.deliver();

    const d = doc(w, v2)!;
    expect(kinds(d.entries)).toEqual(['build', 'deploy', 'approval', 'end']);
    expect(d.entries[2]).toMatchObject({
      kind: 'approval',
      status: 'Failed',
      by: 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/carol',
      comment: 'the migration is not reversible; CHG-1043 needs a rollback plan',
    });
    expect(d.entries[3]).toMatchObject({ kind: 'end', state: 'FAILED' });
    expect(w.h.stack.liveSlot()).toBe('b');
    // v1's record did not change.
    expect(kinds(doc(w, v1)!.entries)).toEqual(['build', 'deploy', 'approval', 'traffic:swap:to', 'bake', 'end']);
  });

  test('a rollback is recorded in both releases it touches: away from the live one, back to the previous one', async () => {
    const w = world();
    const v1 = await released(w, 'v1');
    const v2 = await released(w, 'v2');
    w.h.world.tick(40);

    const result = await w.h.driver.rollback({ reason: 'checkout errors after v2 (INC-77)', actor: ONCALL });
    expect(result).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });

    const away = doc(w, v2)!.entries.filter((e) => e.kind === 'traffic' && e.operation === 'rollback');
    const back = doc(w, v1)!.entries.filter((e) => e.kind === 'traffic' && e.operation === 'rollback');
    const expected = { fromSlot: 'a', toSlot: 'b', digest: v1.image.digest, by: ONCALL, reason: 'checkout errors after v2 (INC-77)' };
    expect(away).toEqual([expect.objectContaining({ ...expected, direction: 'away' })]);
    expect(back).toEqual([expect.objectContaining({ ...expected, direction: 'back' })]);
    expect(away[0].id).toBe(back[0].id);
    w.h.check({ settled: true });
  });

  test('a bake that fires rolls back, and both the bake outcome and the rollback are in the evidence', async () => {
    const w = world();
    const v1 = await released(w, 'v1');
    const v2 = await deployed(w, 'v2');
    answer(w, v2, 'Approved', 'ship v2');
    await w.feed.deliver();
    expect(await w.h.driver.swap(v2)).toMatchObject({ status: 'succeeded' });

    const outcome = await w.bake.run(v2, { beforePoll: (poll) => (poll === 2 ? w.bake.alarms.set('app-slot-a-5xx', 'ALARM') : undefined) });
    expect(outcome).toMatchObject({ status: 'failed' });
    await w.feed.deliver();

    const d = doc(w, v2)!;
    expect(kinds(d.entries)).toEqual(['build', 'deploy', 'approval', 'traffic:swap:to', 'traffic:rollback:away', 'bake', 'end']);
    expect(d.entries.find((e) => e.kind === 'bake')).toMatchObject({ outcome: 'rolled-back', slot: 'a', digest: v2.image.digest });
    expect(d.entries.find((e) => e.kind === 'traffic' && e.operation === 'rollback')).toMatchObject({ by: `bake:${v2.execution.id}`, reason: 'bake: alarm app-slot-a-5xx fired on slot a' });
    expect(kinds(doc(w, v1)!.entries)).toEqual(['build', 'deploy', 'approval', 'traffic:swap:to', 'bake', 'end', 'traffic:rollback:back']);
  });

  test('never holds a secret: typed credentials are redacted, and nothing of the job\'s artifact credentials is kept', async () => {
    const w = world();
    await released(w, 'v1');
    const v2 = await deployed(w, 'v2');
    const pasted = 'AKIAIOSFODNN7EXAMPLE';
    const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    answer(w, v2, 'Approved', `ok, deployer creds are ${pasted} / ${secretKey}`);
    expect(await w.h.driver.swap(v2)).toMatchObject({ status: 'succeeded' });
    await w.bake.run(v2);
    await w.h.driver.rollback({ reason: 'rolled back; token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked in logs, password=hunter2', actor: ONCALL });
    await w.feed.deliver();

    const text = JSON.stringify(doc(w, v2));
    const job = w.h.world.codepipeline.deliver([...w.h.world.codepipeline.jobs.keys()][0])['CodePipeline.job'].data.artifactCredentials;
    for (const secret of [pasted, secretKey, 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'hunter2', job.accessKeyId, job.secretAccessKey, job.sessionToken]) {
      expect(text).not.toContain(secret);
    }
    expect(doc(w, v2)!.entries.find((e) => e.kind === 'approval')).toMatchObject({ comment: 'ok, deployer creds are [redacted] / [redacted]' });
    expect(text).toContain('password=[redacted]');
  });

  test('a build without usable evidence is recorded as such, and the release goes on', async () => {
    const w = world();
    const cases: Array<[string, (r: Release) => void, RegExp]> = [
      ['missing', () => undefined, /the build left no evidence for this execution/],
      ['not JSON', (r) => uploadBuildEvidence(w.h.world, w.h.stack, r, '{"schema":1,'), /the build evidence could not be read .*not JSON/],
      ['another image', (r) => uploadBuildEvidence(w.h.world, w.h.stack, r, buildEvidenceOf(w.h.stack, r, { image: { uri: 'x', digest: `sha256:${'e'.repeat(64)}` } })), /is about digest sha256:e{64}, not sha256:/],
    ];
    for (const [what, upload, problem] of cases) {
      const release = w.h.driver.start(`v-${what}`);
      upload(release);
      expect(await w.h.driver.deploy(release)).toMatchObject({ status: 'succeeded' });
      expect([what, doc(w, release)!.entries[0]]).toEqual([what, expect.objectContaining({ kind: 'build', build: null, problems: [expect.stringMatching(problem)] })]);
      answer(w, release, 'Rejected', 'evidence test');
    }
  });

  test('a concurrent writer is never overwritten: a conditional write that loses reads again and keeps both entries', async () => {
    const w = world();
    const release = await deployed(w, 'v1');
    const s3 = serveS3(w.h.world);
    const key = `bluegreen-evidence/app-pipeline/executions/${release.execution.id}.json`;
    let raced = false;
    // Just before the approval's write lands, another writer (a rollback recording elsewhere) changes the document.
    w.h.world.authorize = (call) => {
      if (raced || call.service !== S3 || call.command !== 'PutObject' || (call.input as { Key: string }).Key !== key) return;
      raced = true;
      const current = JSON.parse(s3.body(ARTIFACT_BUCKET, key)!);
      current.entries.push({ id: 'end', kind: 'end', at: '2025-01-01T00:00:00.000Z', state: 'STOPPED' });
      s3.putDirect(ARTIFACT_BUCKET, key, JSON.stringify(current));
    };
    answer(w, release, 'Approved', 'go');
    await w.feed.deliver();

    expect(raced).toBe(true);
    expect(kinds(doc(w, release)!.entries).sort()).toEqual(['approval', 'build', 'deploy', 'end']);
    const puts = w.h.world.calls.filter((c) => c.service === S3 && c.command === 'PutObject' && (c.input as { Key: string }).Key === key);
    expect(puts.slice(-2).map((c) => [c.error, (c.input as { IfMatch?: string }).IfMatch !== undefined])).toEqual([['PreconditionFailed', true], [undefined, true]]);
  });

  test('an evidence write that fails never fails the release: the job succeeds, its summary and a metric say so', async () => {
    const w = world();
    await released(w, 'v1');
    const v2 = await deployed(w, 'v2');
    answer(w, v2, 'Approved', 'go');
    w.h.world.faults.when((c) => c.service === S3 && c.command === 'PutObject', 'unavailable', { times: 1 });

    const swap = await w.h.driver.swap(v2);

    expect(swap).toMatchObject({ status: 'succeeded' });
    expect(w.h.stack.liveSlot()).toBe('a');
    const job = w.h.world.codepipeline.job(swap.jobIds[0]);
    expect(job.result?.executionDetails?.summary).toMatch(/; the evidence of .* could not be recorded \(ServiceUnavailable: /);
    const line = w.h.logs.map((l) => JSON.parse(l)).find((l) => l[EVIDENCE_METRIC.name] === 1);
    expect(line).toMatchObject({ level: 'warn', Pipeline: 'app-pipeline', _aws: { CloudWatchMetrics: [{ Namespace: 'BlueGreen', Metrics: [{ Name: 'EvidenceWritesFailed' }] }] } });
    expect(doc(w, v2)!.entries.some((e) => e.kind === 'traffic')).toBe(false);
  });
});
