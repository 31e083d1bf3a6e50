import { RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { declaresArtifacts, loadBuildSpec } from './buildspec';
import type { SourceDescription } from '../pipeline-source';
import { DEFAULTS } from './defaults';
import { EvidenceBucket } from './evidence';
import { CODEBUILD_UNUSED, narrowRole } from './managed-policies';
import { bundlePath } from './package-files';
import { StateKey } from './state-key';

/** How the build scans and gates: these props, defaults applied by this part. */
export type GateSettings = Pick<
  BlueGreenPipelineProps,
  | 'gateFailOn'
  | 'gateIgnoreUnfixed'
  | 'gateAllowEmptyScan'
  | 'gateAllowListFile'
  | 'dockerfile'
  | 'dockerBuildContext'
  | 'trivyDbRepository'
  | 'trivyJavaDbRepository'
  | 'buildComputeType'
>;

export interface BuildAndScanProps {
  readonly pipelineName: string;
  readonly gate: GateSettings;
  readonly cpuArchitecture: ecs.CpuArchitecture;
  readonly repository: ecr.IRepository;
  readonly key: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** The state record the build reads (for the previous digest) and the key it is sealed with. */
  readonly stateParameterName: string;
  readonly stateParameterArn: string;
  readonly stateKey: StateKey;
  /** Where the build uploads its report, SBOM and build record, and the source they name. */
  readonly evidence: EvidenceBucket;
  readonly source: SourceDescription;
}

/**
 * Build and scan: the CodeBuild project that builds the image, scans it with Trivy, gates it with
 * the project's own parser and pushes it only when the gate passes, with its report group, log
 * group and the build tools it downloads.
 */
export class BuildAndScan {
  public readonly project: codebuild.PipelineProject;
  public readonly reportGroup: codebuild.ReportGroup;
  public readonly logGroup: logs.LogGroup;
  /** Whether the buildspec declares artifacts (the build action then has an output). */
  public readonly hasArtifacts: boolean;

  constructor(scope: Construct, props: BuildAndScanProps) {
    this.reportGroup = new codebuild.ReportGroup(scope, 'ScanReportGroup', { type: codebuild.ReportGroupType.TEST, removalPolicy: props.removalPolicy });
    const buildSpec = loadBuildSpec(this.reportGroup.reportGroupArn);
    this.hasArtifacts = declaresArtifacts(buildSpec);
    const buildTools = new s3assets.Asset(scope, 'BuildTools', { path: bundlePath('build-tools') });
    this.logGroup = new logs.LogGroup(scope, 'BuildLogGroup', { encryptionKey: props.logsKey, retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.project = new codebuild.PipelineProject(scope, 'BuildProject', {
      description: `Builds, scans and pushes the release image of ${props.pipelineName}`,
      buildSpec: codebuild.BuildSpec.fromObjectToYaml(buildSpec),
      environment: {
        buildImage:
          props.cpuArchitecture === ecs.CpuArchitecture.ARM64 ? codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0 : codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: props.gate.buildComputeType ?? codebuild.ComputeType.MEDIUM,
        // Docker needs it to build images; only this project has it.
        privileged: true,
      },
      environmentVariables: buildEnvironment(props, buildTools.s3ObjectUrl),
      cache: codebuild.Cache.local(codebuild.LocalCacheMode.DOCKER_LAYER, codebuild.LocalCacheMode.CUSTOM),
      encryptionKey: props.key,
      logging: { cloudWatch: { logGroup: this.logGroup } },
      timeout: DEFAULTS.buildTimeout,
    });
    this.reportGroup.grantWrite(this.project);
    narrowRole(this.project.role!, CODEBUILD_UNUSED);
    // The build downloads exactly this object; no read on the rest of the asset bucket.
    this.allow(['s3:GetObject'], [buildTools.bucket.arnForObjects(buildTools.s3ObjectKey)]);
    props.repository.grantPullPush(this.project);
    this.allow(['ecr:DescribeImages'], [props.repository.repositoryArn]);
    this.allow(['ssm:GetParameter'], [props.stateParameterArn]);
    props.stateKey.grantUnseal(this.project);
    props.evidence.grantBuildUpload(this.project);
  }

  private allow(actions: string[], resources: string[]): void {
    this.project.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
  }
}

/** The build's environment: where to push, where the tools are, and how the gate decides. */
function buildEnvironment(props: BuildAndScanProps, toolsUrl: string): Record<string, codebuild.BuildEnvironmentVariable> {
  const gate = props.gate;
  const plain = (value: string): codebuild.BuildEnvironmentVariable => ({ value });
  return {
    REPOSITORY_URI: plain(props.repository.repositoryUri),
    BG_TOOLS_S3_URI: plain(toolsUrl),
    GATE_FAIL_ON: plain(gate.gateFailOn ?? DEFAULTS.gateFailOn),
    GATE_IGNORE_UNFIXED: plain(String(gate.gateIgnoreUnfixed ?? DEFAULTS.gateIgnoreUnfixed)),
    GATE_ALLOW_EMPTY_SCAN: plain(String(gate.gateAllowEmptyScan ?? DEFAULTS.gateAllowEmptyScan)),
    GATE_ALLOW_LIST: plain(gate.gateAllowListFile ?? DEFAULTS.gateAllowListFile),
    DOCKERFILE: plain(gate.dockerfile ?? DEFAULTS.dockerfile),
    DOCKER_BUILD_CONTEXT: plain(gate.dockerBuildContext ?? DEFAULTS.dockerBuildContext),
    TRIVY_DB_REPOSITORY: plain(gate.trivyDbRepository ?? DEFAULTS.trivyDbRepository),
    TRIVY_JAVA_DB_REPOSITORY: plain(gate.trivyJavaDbRepository ?? DEFAULTS.trivyJavaDbRepository),
    BG_STATE_PARAMETER: plain(props.stateParameterName),
    BG_EVIDENCE_S3_URI: plain(props.evidence.buildUploadUri),
    BG_SOURCE_REPOSITORY: plain(props.source.repository),
    ...(props.source.branch !== undefined ? { BG_SOURCE_BRANCH: plain(props.source.branch) } : {}),
  };
}
