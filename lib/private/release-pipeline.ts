import { Tags } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { BakeWatching } from './bake';
import { BuildAndScan } from './build-and-scan';
import { ControlPlane } from './control-plane';
import { DEFAULTS } from './defaults';
import { ACTION, CONFIG_PARAMETER_TAG, NAMESPACE, STAGE } from './names';
import { Topics } from './topics';

export interface ReleasePipelineProps extends Pick<BlueGreenPipelineProps, 'source' | 'approvalTimeout'> {
  readonly pipelineName: string;
  readonly configParameterName: string;
  readonly artifactBucket: s3.IBucket;
  readonly build: BuildAndScan;
  readonly controlPlane: ControlPlane;
  readonly topics: Topics;
  /** Absent when `bakeTime` is 0: the Release stage ends with Swap. */
  readonly bake?: BakeWatching;
}

/**
 * The pipeline: Source, BuildAndScan, and one Release stage (DeployGreen, Approve, Swap, Bake in
 * run order). CodePipeline locks a stage while an execution runs in it, so no other execution
 * touches the slots from DeployGreen until the bake has ended; QUEUED mode keeps the rest waiting.
 */
export class ReleasePipeline {
  public readonly pipeline: codepipeline.Pipeline;

  constructor(scope: Construct, props: ReleasePipelineProps) {
    const sourceOutput = new codepipeline.Artifact('Source');
    const buildOutput = props.build.hasArtifacts ? new codepipeline.Artifact('BuildOutput') : undefined;
    this.pipeline = new codepipeline.Pipeline(scope, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      artifactBucket: props.artifactBucket,
      restartExecutionOnUpdate: false,
      stages: [
        { stageName: STAGE.source, actions: [props.source.bind(sourceOutput, NAMESPACE.source)] },
        {
          stageName: STAGE.build,
          actions: [
            new actions.CodeBuildAction({
              actionName: STAGE.build,
              project: props.build.project,
              input: sourceOutput,
              outputs: buildOutput ? [buildOutput] : undefined,
              variablesNamespace: NAMESPACE.build,
            }),
          ],
        },
        { stageName: STAGE.release, actions: releaseActions(props) },
      ],
    });
    Tags.of(this.pipeline.node.defaultChild as codepipeline.CfnPipeline).add(CONFIG_PARAMETER_TAG, props.configParameterName);
  }
}

/** The Release stage's actions in run order; each reads the previous ones' variables. */
function releaseActions(props: ReleasePipelineProps): codepipeline.IAction[] {
  const deploy = new actions.LambdaInvokeAction({
    actionName: ACTION.deploy,
    runOrder: 1,
    lambda: props.controlPlane.deployGreen.function,
    userParameters: {
      imageUri: `#{${NAMESPACE.build}.IMAGE_URI}`,
      imageDigest: `#{${NAMESPACE.build}.IMAGE_DIGEST}`,
      commit: `#{${NAMESPACE.build}.COMMIT}`,
    },
    variablesNamespace: NAMESPACE.deploy,
  });
  const approve = new actions.ManualApprovalAction({
    actionName: ACTION.approve,
    runOrder: 2,
    notificationTopic: props.topics.approvalTopic,
    additionalInformation: approvalMessage(props.pipelineName),
    externalEntityLink: `#{${NAMESPACE.deploy}.TEST_URL}`,
    timeout: props.approvalTimeout ?? DEFAULTS.approvalTimeout,
  });
  const swap = new actions.LambdaInvokeAction({
    actionName: ACTION.swap,
    runOrder: 3,
    lambda: props.controlPlane.swap.function,
    userParameters: {
      greenSlot: `#{${NAMESPACE.deploy}.GREEN_SLOT}`,
      imageDigest: `#{${NAMESPACE.deploy}.IMAGE_DIGEST}`,
      commit: `#{${NAMESPACE.deploy}.COMMIT}`,
      executionId: '#{codepipeline.PipelineExecutionId}',
    },
    variablesNamespace: NAMESPACE.swap,
  });
  if (!props.bake) return [deploy, approve, swap];
  const bake = new actions.LambdaInvokeAction({
    actionName: ACTION.bake,
    runOrder: 4,
    lambda: props.bake.bake.function,
    userParameters: {
      liveSlot: `#{${NAMESPACE.swap}.LIVE_SLOT}`,
      imageDigest: `#{${NAMESPACE.swap}.LIVE_DIGEST}`,
      executionId: '#{codepipeline.PipelineExecutionId}',
    },
    variablesNamespace: NAMESPACE.bake,
  });
  return [deploy, approve, swap, bake];
}

/** The approval request text: every value comes from the execution's own pipeline variables. */
function approvalMessage(pipelineName: string): string {
  return [
    `Release candidate for ${pipelineName}.`,
    `Commit: #{${NAMESPACE.build}.COMMIT}.`,
    `Image digest: #{${NAMESPACE.deploy}.IMAGE_DIGEST}.`,
    `Scan: #{${NAMESPACE.build}.SCAN_SUMMARY}.`,
    `Try it on the green slot at #{${NAMESPACE.deploy}.TEST_URL} before approving; rejecting leaves production untouched.`,
  ].join(' ');
}
