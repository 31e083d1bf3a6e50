import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import { EvidenceBucket } from './evidence';
import { REPLICATION_UNUSED, narrowRole } from './managed-policies';
import { logBucket, logsKey, privateBucket, rotatingKey } from './secure-defaults';
import { StateKey } from './state-key';

export interface StorageProps {
  readonly pipelineName: string;
  readonly removalPolicy: RemovalPolicy;
  /** The log bucket's Object Lock retention (`objectLock`). */
  readonly objectLock?: Duration;
  /** Where the artifact and log buckets replicate to (`replicationBucket`). */
  readonly replicationBucket?: s3.IBucket;
  /** How long release evidence is kept; absent: until you delete it. */
  readonly evidenceRetention?: Duration;
}

/** One customer-managed key per kind of data, rotation on (the image repository's is the registry's). */
export interface StorageKeys {
  readonly artifacts: kms.Key;
  /** The approval and audit topics (and the dead-letter queue). */
  readonly notifications: kms.Key;
  readonly logs: kms.Key;
}

/**
 * Encryption and storage: the keys, the key that seals the state record and the lease, the
 * access-log bucket, the artifact bucket and the evidence bucket.
 */
export class Storage {
  public readonly keys: StorageKeys;
  /** Seals the state record and the lease; the roles that hold the lease are its sealers (`addSealer`, `sealStatement`). */
  public readonly stateKey: StateKey;
  public readonly logBucket: s3.Bucket;
  /**
   * The artifact bucket's server access logs, when the log bucket has Object Lock: "S3 buckets with
   * Object Lock can't be used as destination buckets for server access logs" (S3 User Guide,
   * "Object Lock considerations").
   */
  public readonly accessLogBucket?: s3.Bucket;
  public readonly artifactBucket: s3.Bucket;
  /** The evidence record of every release. */
  public readonly evidence: EvidenceBucket;
  private readonly replicationBucket?: s3.IBucket;

  constructor(scope: Construct, props: StorageProps) {
    const { removalPolicy } = props;
    this.replicationBucket = props.replicationBucket;
    this.keys = {
      artifacts: rotatingKey(scope, 'ArtifactsKey', 'Encrypts the blue/green pipeline artifacts', removalPolicy),
      notifications: rotatingKey(scope, 'NotificationsKey', 'Encrypts the blue/green approval and audit topics', removalPolicy),
      logs: logsKey(scope, 'LogsKey', removalPolicy),
    };
    this.stateKey = new StateKey(scope, 'StateKey', { removalPolicy });
    const replication = props.replicationBucket ? { destination: props.replicationBucket, role: replicationRole(scope) } : undefined;
    this.accessLogBucket = props.objectLock ? logBucket(scope, 'AccessLogBucket', { removalPolicy, replication }) : undefined;
    this.logBucket = logBucket(scope, 'LogBucket', { removalPolicy, objectLock: props.objectLock, replication, accessLogs: this.accessLogBucket });
    this.artifactBucket = privateBucket(scope, 'ArtifactBucket', {
      key: this.keys.artifacts,
      logs: this.accessLogBucket ?? this.logBucket,
      replication,
      logPrefix: 'artifact-bucket/',
      lifecycle: { id: 'ExpireArtifacts', expiration: DEFAULTS.artifactExpiry, noncurrentVersionExpiration: DEFAULTS.noncurrentVersionExpiry },
      removalPolicy,
    });
    this.evidence = new EvidenceBucket(scope, {
      pipelineName: props.pipelineName,
      key: this.keys.artifacts,
      logs: this.accessLogBucket ?? this.logBucket,
      replication,
      removalPolicy,
      retention: props.evidenceRetention,
    });
  }

  /** Wildcard ARNs under what this part owns, for the IAM wildcard review. */
  public get ownedWildcardArns(): string[] {
    const replicated = this.replicationBucket ? [this.logBucket, ...(this.accessLogBucket ? [this.accessLogBucket] : []), this.evidence.bucket, this.replicationBucket] : [];
    return [this.artifactBucket.arnForObjects('*'), ...this.evidence.ownedWildcardArns, ...replicated.map((b) => b.arnForObjects('*'))];
  }
}

/** The one role the three buckets replicate with. */
function replicationRole(scope: Construct): iam.Role {
  const role = new iam.Role(scope, 'ReplicationRole', {
    assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
    description: 'Replicates the artifact, log and evidence buckets to the replicationBucket',
  });
  narrowRole(role, REPLICATION_UNUSED);
  return role;
}
