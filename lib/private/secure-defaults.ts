import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';

/** A customer-managed key with yearly rotation, whose grants only AWS services may create. */
export function rotatingKey(scope: Construct, id: string, description: string, removalPolicy: RemovalPolicy): kms.Key {
  const key = new kms.Key(scope, id, { description, enableKeyRotation: true, removalPolicy });
  key.addToResourcePolicy(grantsOnlyForAwsResources());
  return key;
}

/**
 * Denies kms:CreateGrant unless the grant is for an AWS service acting on the caller's behalf (ECR,
 * for one, creates a grant on the image key when it makes the repository): nobody can hand the
 * key's use on to another principal through a grant (Control Tower CT.KMS.PR.3).
 */
export function grantsOnlyForAwsResources(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'GrantsOnlyForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}

/** Where a bucket replicates to (`replicationBucket`), with the one role every bucket replicates with. */
export interface Replication {
  readonly destination: s3.IBucket;
  readonly role: iam.IRole;
}

/** The bucket props that replicate every object to the destination; SSE-KMS objects are encrypted there with its key. */
function replicationProps(replication: Replication | undefined, sourceKey?: kms.IKey): Partial<s3.BucketProps> {
  if (!replication) return {};
  const kmsObjects = sourceKey ? { sseKmsEncryptedObjects: true, kmsKey: replication.destination.encryptionKey } : {};
  return {
    replicationRole: replication.role,
    replicationRules: [{ id: 'Backup', destination: replication.destination, priority: 1, deleteMarkerReplication: false, ...kmsObjects }],
  };
}

/** Lets the replication role read `bucket`'s object versions and write them to the destination. */
function grantReplication(bucket: s3.Bucket, replication: Replication | undefined, sourceKey?: kms.IKey): s3.Bucket {
  if (replication) {
    bucket.grantReplicationPermission(replication.role, {
      sourceDecryptionKey: sourceKey,
      destinations: [{ bucket: replication.destination, encryptionKey: replication.destination.encryptionKey }],
    });
  }
  return bucket;
}

/**
 * Object-level events (created, deleted, restored) go to EventBridge's default bus, where a rule
 * can route a deletion or an overwrite to your SIEM (Control Tower CT.S3.PR.4). Set on the bucket
 * itself: aws-cdk-lib's `eventBridgeEnabled` would add a notifications function.
 */
function notifyEventBridge(bucket: s3.Bucket): s3.Bucket {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  return bucket;
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
export function logBucket(
  scope: Construct,
  id: string,
  options: { removalPolicy: RemovalPolicy; objectLock?: Duration; replication?: Replication; accessLogs?: s3.IBucket },
): s3.Bucket {
  const { removalPolicy, objectLock } = options;
  const lock = objectLock ? { objectLockEnabled: true, objectLockDefaultRetention: s3.ObjectLockRetention.compliance(objectLock) } : {};
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
    ...lock,
    ...replicationProps(options.replication),
    // An Object Lock bucket cannot take server access logs, but it can send its own elsewhere.
    serverAccessLogsBucket: options.accessLogs,
    serverAccessLogsPrefix: options.accessLogs ? 'log-bucket/' : undefined,
    lifecycleRules: [
      {
        id: 'ExpireLogs',
        expiration: DEFAULTS.logObjectExpiry,
        noncurrentVersionExpiration: DEFAULTS.noncurrentVersionExpiry,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
  });
  if (objectLock && options.replication) {
    // S3 replicates a locked object with its retention and legal hold, which it reads with the
    // replication role (S3 User Guide, "Object Lock considerations", using Object Lock with S3
    // Replication; AWS Knowledge Center, "cross-account replication ... with Object Lock").
    options.replication.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObjectRetention', 's3:GetObjectLegalHold'], resources: [bucket.arnForObjects('*')] }));
  }
  return notifyEventBridge(grantReplication(bucket, options.replication));
}

/** A KMS-encrypted, versioned, private, TLS-only bucket that logs access to the log bucket. */
export function privateBucket(
  scope: Construct,
  id: string,
  options: { key: kms.IKey; logs: s3.IBucket; logPrefix: string; lifecycle: s3.LifecycleRule; removalPolicy: RemovalPolicy; replication?: Replication },
): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
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
    ...replicationProps(options.replication, options.key),
    lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7), ...options.lifecycle }],
  });
  return notifyEventBridge(grantReplication(bucket, options.replication, options.key));
}
