import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';

/** A customer-managed key with yearly rotation. */
export function rotatingKey(scope: Construct, id: string, description: string, removalPolicy: RemovalPolicy): kms.Key {
  return new kms.Key(scope, id, { description, enableKeyRotation: true, removalPolicy });
}

/** A key that CloudWatch Logs in this region may use for log groups of this account. */
export function logsKey(scope: Construct, id: string, removalPolicy: RemovalPolicy): kms.Key {
  const key = rotatingKey(scope, id, 'Encrypts the blue/green pipeline log groups', removalPolicy);
  const stack = Stack.of(scope);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        },
      },
    }),
  );
  return key;
}

/**
 * The log bucket: receives S3 server access logs, ALB access logs and VPC flow logs. Those
 * services deliver only to SSE-S3 buckets, so this one bucket is S3-managed; every other bucket
 * uses a customer-managed key.
 */
export function logBucket(scope: Construct, id: string, removalPolicy: RemovalPolicy): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
    lifecycleRules: [
      {
        id: 'ExpireLogs',
        expiration: DEFAULTS.logObjectExpiry,
        noncurrentVersionExpiration: DEFAULTS.noncurrentVersionExpiry,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
  });
}

/** A KMS-encrypted, versioned, private, TLS-only bucket that logs access to the log bucket. */
export function privateBucket(
  scope: Construct,
  id: string,
  options: { key: kms.IKey; logs: s3.IBucket; logPrefix: string; expiry: Duration; removalPolicy: RemovalPolicy },
): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: options.key,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: options.logs,
    serverAccessLogsPrefix: options.logPrefix,
    removalPolicy: options.removalPolicy,
    lifecycleRules: [
      {
        id: 'ExpireArtifacts',
        expiration: options.expiry,
        noncurrentVersionExpiration: DEFAULTS.noncurrentVersionExpiry,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
  });
}
