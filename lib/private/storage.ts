import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import { EvidenceBucket } from './evidence';
import { logBucket, logsKey, privateBucket, rotatingKey } from './secure-defaults';
import { StateKey } from './state-key';

export interface StorageProps {
  readonly pipelineName: string;
  readonly removalPolicy: RemovalPolicy;
  /** How long release evidence is kept; absent: until you delete it. */
  readonly evidenceRetention?: Duration;
}

/** One customer-managed key per kind of data, rotation on. */
export interface StorageKeys {
  readonly artifacts: kms.Key;
  readonly images: kms.Key;
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
  /** Seals the state record and the lease; the control-plane parts are given `grantSeal`. */
  public readonly stateKey: StateKey;
  public readonly logBucket: s3.Bucket;
  public readonly artifactBucket: s3.Bucket;
  /** The evidence record of every release. */
  public readonly evidence: EvidenceBucket;

  constructor(scope: Construct, props: StorageProps) {
    const { removalPolicy } = props;
    this.keys = {
      artifacts: rotatingKey(scope, 'ArtifactsKey', 'Encrypts the blue/green pipeline artifacts', removalPolicy),
      images: rotatingKey(scope, 'ImageKey', 'Encrypts the blue/green image repository', removalPolicy),
      notifications: rotatingKey(scope, 'NotificationsKey', 'Encrypts the blue/green approval and audit topics', removalPolicy),
      logs: logsKey(scope, 'LogsKey', removalPolicy),
    };
    this.stateKey = new StateKey(scope, 'StateKey', { removalPolicy });
    this.logBucket = logBucket(scope, 'LogBucket', removalPolicy);
    this.artifactBucket = privateBucket(scope, 'ArtifactBucket', {
      key: this.keys.artifacts,
      logs: this.logBucket,
      logPrefix: 'artifact-bucket/',
      expiry: DEFAULTS.artifactExpiry,
      removalPolicy,
    });
    this.evidence = new EvidenceBucket(scope, {
      pipelineName: props.pipelineName,
      key: this.keys.artifacts,
      logs: this.logBucket,
      removalPolicy,
      retention: props.evidenceRetention,
    });
  }

  /** Wildcard ARNs under what this part owns, for the IAM wildcard review. */
  public get ownedWildcardArns(): string[] {
    return [this.artifactBucket.arnForObjects('*'), ...this.evidence.ownedWildcardArns];
  }
}
