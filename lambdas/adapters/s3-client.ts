// The S3 SDK client behind the `S3Send` seam (lambdas/adapters/s3.ts): one command per operation.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Inputs, S3Operation, S3Outputs, S3Send } from './s3';

const COMMANDS: { readonly [O in S3Operation]: (input: S3Inputs[O]) => GetObjectCommand | PutObjectCommand | ListObjectsV2Command } = {
  GetObject: (input) => new GetObjectCommand(input),
  PutObject: (input) => new PutObjectCommand(input),
  ListObjectsV2: (input) => new ListObjectsV2Command(input),
};

export function s3Send(client: S3Client): S3Send {
  return async <O extends S3Operation>(operation: O, input: S3Inputs[O]) =>
    (await client.send(COMMANDS[operation](input) as GetObjectCommand)) as unknown as S3Outputs[O];
}
