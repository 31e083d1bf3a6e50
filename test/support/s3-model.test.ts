// The S3 model as the S3 API Reference describes the three operations, and the evidence store
// and recorder over it.
import { evidenceStore } from '../../lambdas/adapters/evidence';
import { s3ObjectStore } from '../../lambdas/adapters/s3';
import { createEvidenceRecorder } from '../../lambdas/evidence';
import { evidenceKeys } from '../../lambdas/core/evidence';
import { AwsWorld } from './aws-model';
import { MAX_KEYS, S3, serveS3, worldS3Send } from './model/s3';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/0b0e4e6d-5ea1-4000-8000-000000000002';

function s3World() {
  const world = new AwsWorld();
  const s3 = serveS3(world);
  s3.createBucket('artifacts', KEY);
  const send = worldS3Send(world);
  return { world, s3, send };
}

describe('the S3 model', () => {
  test('PutObject and GetObject: bucket default SSE-KMS, a new ETag per write, NoSuchKey and NoSuchBucket', async () => {
    const { send } = s3World();
    const put = await send('PutObject', { Bucket: 'artifacts', Key: 'a/b.json', Body: '{"x":1}', ContentType: 'application/json' });
    const got = await send('GetObject', { Bucket: 'artifacts', Key: 'a/b.json' });
    expect(await got.Body!.transformToString()).toBe('{"x":1}');
    expect(got.ETag).toBe(put.ETag);
    expect(got).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY });
    const again = await send('PutObject', { Bucket: 'artifacts', Key: 'a/b.json', Body: '{"x":1}', ContentType: 'application/json' });
    expect(again.ETag).not.toBe(put.ETag);
    await expect(send('GetObject', { Bucket: 'artifacts', Key: 'nope' })).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(send('GetObject', { Bucket: 'other', Key: 'x' })).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  test('conditional writes: If-None-Match "*" only creates, If-Match only replaces the version it names', async () => {
    const { send } = s3World();
    const base = { Bucket: 'artifacts', Key: 'doc', ContentType: 'application/json' };
    const created = await send('PutObject', { ...base, Body: '1', IfNoneMatch: '*' });
    await expect(send('PutObject', { ...base, Body: '2', IfNoneMatch: '*' })).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const replaced = await send('PutObject', { ...base, Body: '3', IfMatch: created.ETag });
    await expect(send('PutObject', { ...base, Body: '4', IfMatch: created.ETag })).rejects.toMatchObject({ name: 'PreconditionFailed' });
    await expect(send('PutObject', { ...base, Key: 'missing', Body: '5', IfMatch: replaced.ETag })).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(await (await send('GetObject', { Bucket: 'artifacts', Key: 'doc' })).Body!.transformToString()).toBe('3');
  });

  test('ListObjectsV2: UTF-8 binary order, at most 1,000 keys a page, continuation tokens, StartAfter, Prefix', async () => {
    const { s3, send } = s3World();
    const keys = Array.from({ length: 2345 }, (_, i) => `p/${String(i).padStart(5, '0')}`);
    for (const k of [...keys].reverse()) s3.putDirect('artifacts', k, '');
    s3.putDirect('artifacts', 'q/other', '');
    const first = await send('ListObjectsV2', { Bucket: 'artifacts', Prefix: 'p/' });
    expect(first.Contents).toHaveLength(MAX_KEYS);
    expect(first.IsTruncated).toBe(true);
    const second = await send('ListObjectsV2', { Bucket: 'artifacts', Prefix: 'p/', ContinuationToken: first.NextContinuationToken });
    expect(second.Contents![0].Key).toBe('p/01000');
    const after = await send('ListObjectsV2', { Bucket: 'artifacts', Prefix: 'p/', StartAfter: 'p/02340' });
    expect([after.Contents!.map((o) => o.Key), after.IsTruncated, after.NextContinuationToken]).toEqual([['p/02341', 'p/02342', 'p/02343', 'p/02344'], false, undefined]);
    await expect(send('ListObjectsV2', { Bucket: 'artifacts', Prefix: 'p/', ContinuationToken: 'bogus' })).rejects.toMatchObject({ name: 'InvalidArgument' });
    // The adapter reads every page.
    expect(await s3ObjectStore(send, 'artifacts').list('p/')).toEqual(keys);
  });

  test('its calls are logged and faultable like every modelled service', async () => {
    const { world, send } = s3World();
    world.faults.failNext(S3, 'PutObject', 'throttle');
    await expect(send('PutObject', { Bucket: 'artifacts', Key: 'k', Body: '', ContentType: 'text/plain' })).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(world.calls.map((c) => [c.service, c.command, c.error])).toEqual([['s3', 'PutObject', 'ThrottlingException']]);
  });
});

describe('the evidence store over S3', () => {
  const config = { bucket: 'artifacts', prefix: 'bluegreen-evidence/shop' };
  const end = (state: string) => [{ id: 'end', kind: 'end' as const, at: '2025-07-01T00:00:00.000Z', state }];

  test('lists the releases whose evidence began in [since, until) across pages, oldest first; a marker without its document is named', async () => {
    const { s3, send } = s3World();
    let clock = Date.UTC(2025, 5, 30);
    const store = evidenceStore(s3ObjectStore(send, 'artifacts'), config, 'shop', () => new Date(clock));
    const ids: string[] = [];
    for (let i = 0; i < 1100; i++) {
      clock += 3_600_000;
      const id = `exec-${String(i).padStart(4, '0')}`;
      ids.push(id);
      await store.record(id, end('SUCCEEDED'));
    }
    // A first write that created its marker and then failed: the index names it, no document.
    s3.putDirect('artifacts', evidenceKeys(config.prefix).index(new Date(Date.UTC(2025, 6, 2, 0, 30)), 'exec-lost'), '');

    const july = await store.releases(new Date('2025-07-01T00:00:00Z'), new Date('2025-08-01T00:00:00Z'));
    expect(july[0].executionId).toBe('exec-0023');
    expect(july).toHaveLength(24 * 31 + 1);
    expect(july.filter((r) => r.doc === null).map((r) => r.executionId)).toEqual(['exec-lost']);
    // 45 days after the first hour: the last 21 releases.
    expect((await store.releases(new Date('2025-08-14T00:00:00Z'))).map((r) => r.executionId)).toEqual(ids.slice(1079));
  });

  test('never overwrites a document it cannot read', async () => {
    const { s3, send } = s3World();
    const store = evidenceStore(s3ObjectStore(send, 'artifacts'), config, 'shop');
    s3.putDirect('artifacts', evidenceKeys(config.prefix).document('e1'), 'not json');
    await expect(store.record('e1', end('FAILED'))).rejects.toThrow(/not valid JSON/);
    expect(s3.body('artifacts', evidenceKeys(config.prefix).document('e1'))).toBe('not json');
  });
});

describe('the evidence recorder', () => {
  test('ignores what it does not record, saying why, without a write', async () => {
    const { world, send } = s3World();
    const cfg = { pipelineName: 'shop', evidence: { bucket: 'artifacts', prefix: 'bluegreen-evidence/shop' } };
    const logs: string[] = [];
    const recorder = createEvidenceRecorder({
      loadConfig: () => cfg as never,
      ports: () => ({ actions: async () => [], evidence: evidenceStore(s3ObjectStore(send, 'artifacts'), cfg.evidence, 'shop') }),
      logSink: (l) => void logs.push(l),
    });
    const event = (type: string, detail: Record<string, unknown>) => ({ source: 'aws.codepipeline', 'detail-type': type, detail: { 'execution-id': 'e1', pipeline: 'shop', ...detail } });
    expect(await recorder({ hello: 'world' })).toEqual({ ignored: expect.stringMatching(/not a CodePipeline event/) });
    expect(await recorder(event('CodePipeline Action Execution State Change', { pipeline: 'other', stage: 'Release', action: 'Approve', state: 'FAILED', type: { category: 'Approval' } }))).toEqual({ ignored: 'the event is about pipeline other, not shop' });
    expect(await recorder(event('CodePipeline Action Execution State Change', { stage: 'BuildAndScan', action: 'BuildAndScan', state: 'SUCCEEDED', type: { category: 'Build' } }))).toEqual({ ignored: 'action BuildAndScan in stage BuildAndScan is SUCCEEDED' });
    expect(await recorder(event('CodePipeline Action Execution State Change', { stage: 'Release', action: 'Approve', state: 'STARTED', type: { category: 'Approval' } }))).toEqual({ ignored: 'action Approve in stage Release is STARTED' });
    expect(await recorder(event('CodePipeline Pipeline Execution State Change', { state: 'FAILED' }))).toEqual({ ignored: 'execution e1 never reached the Release stage' });
    expect(world.calls.filter((c) => c.command === 'PutObject')).toEqual([]);
    expect(JSON.parse(logs[0])).toMatchObject({ level: 'warn', message: 'ignored: not a CodePipeline event this function records' });
  });
});
