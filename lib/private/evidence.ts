import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EvidenceConfig, ReleaseConfigDocument } from '../../lambdas/core/config';
import { FINAL_ACTION_STATES, FINAL_EXECUTION_STATES } from '../../lambdas/core/evidence';
import { ControlPlaneFunction, SharedFunctionProps } from './control-plane-function';
import { Replication, privateBucket } from './secure-defaults';

export interface EvidenceBucketProps {
  readonly pipelineName: string;
  readonly key: kms.IKey;
  readonly logs: s3.IBucket;
  readonly removalPolicy: RemovalPolicy;
  /** How long a release's record is kept; absent: until you delete it. */
  readonly retention?: Duration;
  /** Where the bucket replicates to (`replicationBucket`). */
  readonly replication?: Replication;
}

/**
 * The evidence record's own bucket: one JSON document per release under
 * `bluegreen-evidence/<pipeline>/executions/`, an index for listing by time, and the build's
 * uploads (Trivy report, SBOM, build record) under `builds/`. Apart from the artifact bucket, so
 * that CodePipeline's artifact expiry never reaches it and the build, which may write artifacts,
 * may write only its own uploads here.
 */
export class EvidenceBucket {
  public readonly bucket: s3.Bucket;
  public readonly prefix: string;
  private recordPolicy?: iam.ManagedPolicy;

  constructor(
    private readonly scope: Construct,
    private readonly props: EvidenceBucketProps,
  ) {
    this.prefix = `bluegreen-evidence/${props.pipelineName}`;
    const expire = props.retention ? { expiration: props.retention, noncurrentVersionExpiration: props.retention } : {};
    // Every write of a record is a version: earlier states stay readable (and tampering shows).
    this.bucket = privateBucket(scope, 'EvidenceBucket', {
      key: props.key,
      logs: props.logs,
      logPrefix: 'evidence-bucket/',
      lifecycle: { id: 'KeepEvidence', ...expire },
      removalPolicy: props.removalPolicy,
      replication: props.replication,
    });
  }

  /** Where the control plane writes, as its configuration names it. */
  public get location(): EvidenceConfig {
    return { bucket: this.bucket.bucketName, prefix: this.prefix };
  }

  /**
   * Read, merge and write release records (conditional writes) and their index. ListBucket on the
   * bucket makes a record that does not exist yet a 404, not a 403 ("If you have the
   * s3:ListBucket permission on the bucket, Amazon S3 returns 404", GetObject, Permissions): a
   * condition on s3:prefix would not apply to that check, so it is the bucket's, unconditioned.
   */
  public grantRecord(fn: ControlPlaneFunction, options: { readonly readBuilds?: boolean } = {}): void {
    // One policy for every writer of the records, so each wildcard is in the template once.
    this.recordPolicy ??= new iam.ManagedPolicy(this.scope, 'EvidenceRecordPolicy', {
      description: `Reads and writes the release evidence records of ${this.props.pipelineName}`,
      statements: [
        new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [this.keys('executions'), this.keys('index')] }),
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.props.key.keyArn] }),
      ],
    });
    this.recordPolicy.attachToRole(fn.role);
    fn.function.node.addDependency(this.recordPolicy);
    if (options.readBuilds) fn.allow(['s3:GetObject'], [this.keys('builds')]);
  }

  /** The build's uploads only: its report, SBOM and build record. */
  public grantBuildUpload(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.keys('builds')] }));
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [this.props.key.keyArn] }));
  }

  /** What `bluegreen evidence` reads: every record, the index and the build uploads. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const allow = (actions: string[], resourceArns: string[]) => iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
    return allow(['s3:GetObject'], [this.bucket.arnForObjects(`${this.prefix}/*`)])
      .combine(allow(['s3:ListBucket'], [this.bucket.bucketArn]))
      .combine(allow(['kms:Decrypt'], [this.props.key.keyArn]));
  }

  /** The build's upload location, `s3://<bucket>/<prefix>/builds`. */
  public get buildUploadUri(): string {
    return `s3://${this.bucket.bucketName}/${this.prefix}/builds`;
  }

  /** The folders the grants name (the review of IAM wildcards vouches for them). */
  public get ownedWildcardArns(): string[] {
    return [this.keys('executions'), this.keys('index'), this.keys('builds'), this.bucket.arnForObjects(`${this.prefix}/*`)];
  }

  private keys(folder: 'executions' | 'index' | 'builds'): string {
    return this.bucket.arnForObjects(`${this.prefix}/${folder}/*`);
  }
}

export interface EvidenceRecorderProps {
  readonly pipelineName: string;
  readonly pipelineArn: string;
  readonly config: ReleaseConfigDocument;
  readonly evidence: EvidenceBucket;
  readonly shared: SharedFunctionProps;
}

/**
 * What no job handler sees: the approval (approved, rejected or timed out), the test actions and
 * how the execution ended. CodePipeline's own events invoke the recorder, which reads who did
 * what from the execution's action history.
 */
export class EvidenceRecorder {
  public readonly recorder: ControlPlaneFunction;

  constructor(scope: Construct, props: EvidenceRecorderProps) {
    this.recorder = new ControlPlaneFunction(scope, 'EvidenceRecorder', {
      ...props.shared,
      bundle: 'evidence',
      description: `Records approvals and execution outcomes of ${props.pipelineName} in its release evidence`,
      timeout: Duration.minutes(1),
      environment: { BLUEGREEN_CONFIG: Stack.of(scope).toJsonString(props.config) },
    });
    this.recorder.allow(['codepipeline:ListActionExecutions'], [props.pipelineArn]);
    props.evidence.grantRecord(this.recorder);
    const target = new targets.LambdaFunction(this.recorder.function, { deadLetterQueue: props.shared.deadLetterQueue, retryAttempts: 4 });
    // One rule for both kinds: an action or an execution of this pipeline reaching a final state
    // (the recorder keeps the Release stage's actions and ignores the rest).
    new events.Rule(scope, 'EvidenceEvents', {
      description: `Release evidence of ${props.pipelineName}: Release actions and executions ending`,
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Action Execution State Change', 'CodePipeline Pipeline Execution State Change'],
        detail: { pipeline: [props.pipelineName], state: [...new Set([...FINAL_ACTION_STATES, ...FINAL_EXECUTION_STATES])] },
      },
      targets: [target],
    });
  }

  /** Wildcard ARNs under what this part owns, for the IAM wildcard review. */
  public get ownedWildcardArns(): string[] {
    return [`${this.recorder.function.functionArn}:*`];
  }
}
