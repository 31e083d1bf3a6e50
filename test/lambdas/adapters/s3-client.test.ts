import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { s3Send } from '../../../lambdas/adapters/s3-client';

describe('the S3 client behind the S3Send seam', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  test('each operation is sent as its own command, with the input as given, and answers with its output', async () => {
    s3.on(GetObjectCommand).resolves({ ETag: '"e1"' });
    s3.on(PutObjectCommand).resolves({ ETag: '"e2"' });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'k' }], IsTruncated: false });
    const send = s3Send(new S3Client({ region: 'eu-west-1' }));

    expect((await send('GetObject', { Bucket: 'b', Key: 'k' })).ETag).toBe('"e1"');
    const put = { Bucket: 'b', Key: 'k', Body: '{}', ContentType: 'application/json', IfNoneMatch: '*' as const };
    expect((await send('PutObject', put)).ETag).toBe('"e2"');
    expect((await send('ListObjectsV2', { Bucket: 'b', Prefix: 'p/', StartAfter: 'p/a' })).Contents).toEqual([{ Key: 'k' }]);

    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'b', Key: 'k' }]);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([put]);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([{ Bucket: 'b', Prefix: 'p/', StartAfter: 'p/a' }]);
  });

  test('a conditional write that loses reaches the store as the error S3 sent', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed' }));
    const send = s3Send(new S3Client({ region: 'eu-west-1' }));
    await expect(send('PutObject', { Bucket: 'b', Key: 'k', Body: '{}', ContentType: 'application/json', IfMatch: '"e1"' })).rejects.toMatchObject({ name: 'PreconditionFailed' });
  });
});
