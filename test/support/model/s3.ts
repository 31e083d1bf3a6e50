// S3 as the evidence record uses it: buckets with default SSE-KMS encryption, and GetObject,
// PutObject (with conditional writes) and ListObjectsV2 (with pagination) as the Amazon S3 API
// Reference describes them. Added to a world with `serveS3(world)`: S3 is not one of the shared
// model's SDK-mocked services (the project has no S3 client package), so the handlers reach it
// through the `S3Send` seam of lambdas/adapters/s3.ts, and every call is still logged, faultable
// and authorizable through `world.dispatch`.
import { createHash } from 'node:crypto';
import type { S3Inputs, S3Send } from '../../../lambdas/adapters/s3';
import type { AwsWorld, ServiceKey } from '../aws-model';
import { awsError } from './errors';

export const S3 = 's3' as ServiceKey;

interface StoredObject {
  body: string;
  etag: string;
  lastModified: number;
  contentType: string;
  /** Bucket default encryption (PutObject: "Amazon S3 automatically encrypts all new objects"). */
  sseKmsKeyId: string;
}

interface Bucket {
  kmsKeyArn: string;
  objects: Map<string, StoredObject>;
}

/** ListObjectsV2: "returns some or all (up to 1,000) of the objects in a bucket" per request. */
export const MAX_KEYS = 1000;

const err = (name: string, message: string, status: number) => awsError(S3, name, message, { status });

export class S3Model {
  readonly buckets = new Map<string, Bucket>();
  private versions = 0;

  constructor(private readonly now: () => number) {}

  createBucket(name: string, kmsKeyArn: string): void {
    this.buckets.set(name, { kmsKeyArn, objects: new Map() });
  }

  bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw err('NoSuchBucket', 'The specified bucket does not exist', 404);
    return b;
  }

  /** The object's body (not an API call), or undefined. */
  body(bucket: string, key: string): string | undefined {
    return this.buckets.get(bucket)?.objects.get(key)?.body;
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...this.bucket(bucket).objects.keys()].filter((k) => k.startsWith(prefix)).sort(byteOrder);
  }

  /** Writes an object as another writer would (not an API call): e.g. the build's upload, or a race. */
  putDirect(bucket: string, key: string, body: string): void {
    this.write(this.bucket(bucket), key, body, 'application/json');
  }

  private write(b: Bucket, key: string, body: string, contentType: string): string {
    this.versions += 1;
    // An ETag is opaque for SSE-KMS objects (not the MD5 of the body); it changes with every write.
    const etag = `"${createHash('sha256').update(`${this.versions}:${body}`).digest('hex').slice(0, 32)}"`;
    b.objects.set(key, { body, etag, lastModified: this.now(), contentType, sseKmsKeyId: b.kmsKeyArn });
    return etag;
  }

  readonly commands = {
    GetObject: (input: S3Inputs['GetObject']) => {
      const o = this.bucket(input.Bucket).objects.get(input.Key);
      // With s3:ListBucket (the construct grants it), a missing key is 404 NoSuchKey (GetObject, "Permissions").
      if (!o) throw err('NoSuchKey', 'The specified key does not exist.', 404);
      return {
        Body: { transformToString: async () => o.body },
        ETag: o.etag,
        ContentType: o.contentType,
        LastModified: new Date(o.lastModified),
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: o.sseKmsKeyId,
      };
    },

    PutObject: (input: S3Inputs['PutObject']) => {
      const b = this.bucket(input.Bucket);
      if (typeof input.Body !== 'string') throw err('InvalidArgument', 'Body must be a string here', 400);
      const existing = b.objects.get(input.Key);
      // Conditional writes (S3 User Guide, "How to prevent object overwrites with conditional writes";
      // PutObject, IfMatch / IfNoneMatch): If-None-Match takes only "*"; If-Match needs the current ETag.
      if (input.IfNoneMatch !== undefined) {
        if (input.IfNoneMatch !== '*') throw err('NotImplemented', 'If-None-Match accepts only *', 501);
        if (existing) throw err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
      }
      if (input.IfMatch !== undefined) {
        if (!existing) throw err('NoSuchKey', 'The specified key does not exist.', 404);
        if (existing.etag !== input.IfMatch) throw err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
      }
      const etag = this.write(b, input.Key, input.Body, input.ContentType ?? 'binary/octet-stream');
      return { ETag: etag, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: b.kmsKeyArn };
    },

    ListObjectsV2: (input: S3Inputs['ListObjectsV2']) => {
      const maxKeys = input.MaxKeys ?? MAX_KEYS;
      if (!Number.isInteger(maxKeys) || maxKeys < 0) throw err('InvalidArgument', 'MaxKeys must be a non-negative integer', 400);
      // The continuation token is opaque to the caller: here the last key of the previous page.
      const after = input.ContinuationToken !== undefined ? decodeToken(input.ContinuationToken) : input.StartAfter;
      const keys = this.keys(input.Bucket, input.Prefix ?? '').filter((k) => after === undefined || byteOrder(k, after) > 0);
      const page = keys.slice(0, Math.min(maxKeys, MAX_KEYS));
      const truncated = keys.length > page.length;
      const b = this.bucket(input.Bucket);
      return {
        Name: input.Bucket,
        Prefix: input.Prefix,
        KeyCount: page.length,
        MaxKeys: maxKeys,
        IsTruncated: truncated,
        ...(input.ContinuationToken !== undefined ? { ContinuationToken: input.ContinuationToken } : {}),
        ...(input.StartAfter !== undefined ? { StartAfter: input.StartAfter } : {}),
        ...(truncated ? { NextContinuationToken: encodeToken(page[page.length - 1]) } : {}),
        Contents: page.map((Key) => {
          const o = b.objects.get(Key)!;
          return { Key, ETag: o.etag, Size: Buffer.byteLength(o.body), LastModified: new Date(o.lastModified), StorageClass: 'STANDARD' };
        }),
      };
    },
  };
}

/** "List results are always returned in UTF-8 binary order" (ListObjectsV2). */
function byteOrder(x: string, y: string): number {
  return Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'));
}

const encodeToken = (key: string) => Buffer.from(`after:${key}`).toString('base64');
function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith('after:')) throw err('InvalidArgument', 'The continuation token provided is incorrect', 400);
  return text.slice('after:'.length);
}

const models = new WeakMap<AwsWorld, S3Model>();

/** Adds S3 to `world` (once): its operations dispatched, logged and faultable like the rest. */
export function serveS3(world: AwsWorld): S3Model {
  let model = models.get(world);
  if (model) return model;
  model = new S3Model(() => world.now());
  for (const [name, fn] of Object.entries(model.commands)) world.extend(S3, name, fn);
  models.set(world, model);
  return model;
}

/** The `S3Send` the handlers and the CLI get in tests: every call goes through the world. */
export function worldS3Send(world: AwsWorld): S3Send {
  return ((operation, input) => world.dispatch(S3, operation, input)) as S3Send;
}
