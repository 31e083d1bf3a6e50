// The three S3 operations the evidence record needs, as plain data in the S3 API's own shapes
// (Amazon S3 API Reference: GetObject, PutObject, ListObjectsV2), behind one `send` function. The
// SDK client's `send(new XCommand(input))` fits it (see lambdas/README.md, "Evidence"); tests
// send to the in-memory model.

export interface S3Inputs {
  readonly GetObject: { readonly Bucket: string; readonly Key: string };
  readonly PutObject: {
    readonly Bucket: string;
    readonly Key: string;
    readonly Body: string;
    readonly ContentType: string;
    /** Write only if the object's ETag still is this (S3 conditional writes). */
    readonly IfMatch?: string;
    /** '*': write only if no object has this key. */
    readonly IfNoneMatch?: '*';
  };
  readonly ListObjectsV2: {
    readonly Bucket: string;
    readonly Prefix: string;
    readonly StartAfter?: string;
    readonly ContinuationToken?: string;
    readonly MaxKeys?: number;
  };
}

export interface S3Outputs {
  readonly GetObject: { readonly Body?: { transformToString(encoding?: string): Promise<string> }; readonly ETag?: string };
  readonly PutObject: { readonly ETag?: string };
  readonly ListObjectsV2: {
    readonly Contents?: readonly { readonly Key?: string }[];
    readonly IsTruncated?: boolean;
    readonly NextContinuationToken?: string;
  };
}

export type S3Operation = keyof S3Inputs;
export type S3Send = <O extends S3Operation>(operation: O, input: S3Inputs[O]) => Promise<S3Outputs[O]>;

export interface StoredObject {
  readonly body: string;
  readonly etag: string;
}

/** Objects of one bucket, as the evidence store uses them. */
export interface ObjectStore {
  /** null when there is no object under `key`. */
  get(key: string): Promise<StoredObject | null>;
  /** 'conflict' when the condition does not hold (the object changed, or appeared, meanwhile). */
  put(key: string, body: string, condition?: { readonly ifMatch: string } | { readonly ifNoneMatch: '*' }): Promise<'written' | 'conflict'>;
  /** Every key under `prefix` after `startAfter`, in S3's (UTF-8 binary) order, all pages. */
  list(prefix: string, startAfter?: string): Promise<string[]>;
}

const errorName = (err: unknown) => (err as { name?: unknown })?.name;

/**
 * PreconditionFailed (412): the condition was false. ConditionalRequestConflict (409): a concurrent
 * conditional write to the key won; "retry" (S3 User Guide, "How to prevent object overwrites with
 * conditional writes"). Both mean: read again.
 */
const CONDITION_ERRORS = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);

export function s3ObjectStore(send: S3Send, bucket: string): ObjectStore {
  return {
    async get(key) {
      try {
        const out = await send('GetObject', { Bucket: bucket, Key: key });
        return { body: (await out.Body?.transformToString('utf-8')) ?? '', etag: out.ETag ?? '' };
      } catch (err) {
        // Without s3:ListBucket a missing key is AccessDenied, not NoSuchKey (GetObject, "Permissions"):
        // the construct grants ListBucket on the evidence prefix so that absence is told apart.
        if (errorName(err) === 'NoSuchKey') return null;
        throw err;
      }
    },
    async put(key, body, condition) {
      try {
        await send('PutObject', {
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          ...(condition && 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : {}),
          ...(condition && 'ifNoneMatch' in condition ? { IfNoneMatch: condition.ifNoneMatch } : {}),
        });
        return 'written';
      } catch (err) {
        if (CONDITION_ERRORS.has(String(errorName(err)))) return 'conflict';
        throw err;
      }
    },
    async list(prefix, startAfter) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await send('ListObjectsV2', {
          Bucket: bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
        });
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
  };
}
