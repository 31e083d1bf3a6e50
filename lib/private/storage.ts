import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import { logBucket, logsKey, privateBucket, rotatingKey } from './secure-defaults';
import { StateKey } from './state-key';

export interface StorageProps {
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Encryption and storage: one customer-managed key per kind of data (artifacts, images,
 * notifications, logs, the sealed state record), the access-log bucket and the artifact bucket.
 */
export class Storage {
  public readonly artifactsKey: kms.Key;
  public readonly imageKey: kms.Key;
  public readonly notificationsKey: kms.Key;
  public readonly logsKey: kms.Key;
  /** Seals the state record and the lease; the control-plane parts are given `grantSeal`. */
  public readonly stateKey: StateKey;
  public readonly logBucket: s3.Bucket;
  public readonly artifactBucket: s3.Bucket;

  constructor(scope: Construct, props: StorageProps) {
    const { removalPolicy } = props;
    this.artifactsKey = rotatingKey(scope, 'ArtifactsKey', 'Encrypts the blue/green pipeline artifacts', removalPolicy);
    this.imageKey = rotatingKey(scope, 'ImageKey', 'Encrypts the blue/green image repository', removalPolicy);
    this.notificationsKey = rotatingKey(scope, 'NotificationsKey', 'Encrypts the blue/green approval and audit topics', removalPolicy);
    this.logsKey = logsKey(scope, 'LogsKey', removalPolicy);
    this.stateKey = new StateKey(scope, 'StateKey', { removalPolicy });
    this.logBucket = logBucket(scope, 'LogBucket', removalPolicy);
    this.artifactBucket = privateBucket(scope, 'ArtifactBucket', {
      key: this.artifactsKey,
      logs: this.logBucket,
      logPrefix: 'artifact-bucket/',
      expiry: DEFAULTS.artifactExpiry,
      removalPolicy,
    });
  }

  /** Wildcard ARNs under what this part owns, for the IAM wildcard review. */
  public get ownedWildcardArns(): string[] {
    return [this.artifactBucket.arnForObjects('*')];
  }
}
