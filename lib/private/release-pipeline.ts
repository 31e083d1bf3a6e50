import { Lazy, Tags } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { BakeWatching } from './bake';
import { BuildAndScan } from './build-and-scan';
import { ControlPlane } from './control-plane';
import { TEST_SUMMARY_VARIABLE } from '../release-tests';
import { DEFAULTS } from './defaults';
import { ACTION, CONFIG_PARAMETER_TAG, NAMESPACE, STAGE } from './names';
import { PreApprovalTests } from './pre-approval-tests';
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
  /** The tests between DeployGreen and Approve, when there are any. */
  readonly tests?: PreApprovalTests;
  /** The test route is a header on the production host: the approval shows the curl line, not a link. */
  readonly headerRoute: boolean;
}

/**
 * The pipeline: Source, BuildAndScan, and one Release stage (DeployGreen, Tests, Approve, Swap,
 * Bake in run order). CodePipeline locks a stage while an execution runs in it, so no other execution
 * touches the slots from DeployGreen until the bake has ended; QUEUED mode keeps the rest waiting.
 */
export class ReleasePipeline {
  public readonly pipeline: codepipeline.Pipeline;

  constructor(scope: Construct, props: ReleasePipelineProps) {
    const sourceOutput = new codepipeline.Artifact('Source');
    const buildOutput = props.build.hasArtifacts ? new codepipeline.Artifact('BuildOutput') : undefined;
    const invoke = invokeRole(scope, Lazy.string({ produce: () => this.pipeline.role.roleArn }));
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
              // CodePipeline gives an action its execution id only this way; the build files its evidence under it.
              environmentVariables: { BG_EXECUTION_ID: { value: '#{codepipeline.PipelineExecutionId}' } },
            }),
          ],
        },
        { stageName: STAGE.release, actions: releaseActions(props, invoke, sourceOutput) },
      ],
    });
    Tags.of(this.pipeline.node.defaultChild as codepipeline.CfnPipeline).add(CONFIG_PARAMETER_TAG, props.configParameterName);
  }
}

/**
 * The role the pipeline invokes the control-plane functions with: one for the three invoke actions,
 * as the pipeline may invoke each of them anyway, so its policy grants each function once.
 * Assumable only by the pipeline's role, as the action roles aws-cdk-lib creates: CodePipeline
 * assumes an action's role "through the roleArn for the pipeline" (CodePipeline API Reference,
 * ActionDeclaration, roleArn), and nobody else in the account may invoke Swap with it.
 */
function invokeRole(scope: Construct, pipelineRoleArn: string): iam.Role {
  return new iam.Role(scope, 'ReleaseInvokeRole', {
    assumedBy: new iam.ArnPrincipal(pipelineRoleArn),
    description: 'Invokes the control-plane functions of the Release stage',
  });
}

/** The Release stage's actions in run order; each reads the previous ones' variables. */
function releaseActions(props: ReleasePipelineProps, role: iam.IRole, source: codepipeline.Artifact): codepipeline.IAction[] {
  const invoke = (actionName: string, runOrder: number, lambda: lambda.IFunction, variablesNamespace: string, userParameters: Record<string, string>) =>
    new actions.LambdaInvokeAction({ actionName, runOrder, lambda, userParameters, variablesNamespace, role });
  const executionId = variable('codepipeline', 'PipelineExecutionId');
  const deploy = invoke(ACTION.deploy, 1, props.controlPlane.deployGreen.function, NAMESPACE.deploy, {
    imageUri: variable(NAMESPACE.build, 'IMAGE_URI'),
    imageDigest: variable(NAMESPACE.build, 'IMAGE_DIGEST'),
    commit: variable(NAMESPACE.build, 'COMMIT'),
  });
  const tests = props.tests ? [testsAction(props.tests, source)] : [];
  const after = 1 + tests.length;
  const approve = new actions.ManualApprovalAction({
    actionName: ACTION.approve,
    runOrder: after + 1,
    notificationTopic: props.topics.approvalTopic,
    additionalInformation: approvalMessage(props.pipelineName, props.tests !== undefined, props.headerRoute),
    // A header route's URL is production's: a link would show the live slot, not green.
    externalEntityLink: props.headerRoute ? undefined : variable(NAMESPACE.deploy, 'TEST_URL'),
    timeout: props.approvalTimeout ?? DEFAULTS.approvalTimeout,
  });
  const swap = invoke(ACTION.swap, after + 2, props.controlPlane.swap.function, NAMESPACE.swap, {
    greenSlot: variable(NAMESPACE.deploy, 'GREEN_SLOT'),
    imageDigest: variable(NAMESPACE.deploy, 'IMAGE_DIGEST'),
    commit: variable(NAMESPACE.deploy, 'COMMIT'),
    executionId,
  });
  if (!props.bake) return [deploy, ...tests, approve, swap];
  const bake = invoke(ACTION.bake, after + 3, props.bake.bake.function, NAMESPACE.bake, {
    liveSlot: variable(NAMESPACE.swap, 'LIVE_SLOT'),
    imageDigest: variable(NAMESPACE.swap, 'LIVE_DIGEST'),
    executionId,
  });
  return [deploy, ...tests, approve, swap, bake];
}

const variable = (namespace: string, name: string) => `#{${namespace}.${name}}`;

/**
 * The tests' CodeBuild action (a test action: the evidence record keeps its result): the source,
 * and where green is and what it runs, from DeployGreen's variables.
 */
function testsAction(tests: PreApprovalTests, input: codepipeline.Artifact): codepipeline.IAction {
  const from = (name: string) => ({ value: variable(NAMESPACE.deploy, name) });
  return new actions.CodeBuildAction({
    actionName: ACTION.tests,
    runOrder: 2,
    type: actions.CodeBuildActionType.TEST,
    project: tests.project,
    input,
    variablesNamespace: NAMESPACE.tests,
    environmentVariables: { TEST_URL: from('TEST_URL'), TEST_HEADER: from('TEST_HEADER'), IMAGE_DIGEST: from('IMAGE_DIGEST'), COMMIT: from('COMMIT') },
  });
}

/** The approval request text: every value comes from the execution's own pipeline variables. */
function approvalMessage(pipelineName: string, tested: boolean, headerRoute: boolean): string {
  return [
    `Release candidate for ${pipelineName}.`,
    `Commit: #{${NAMESPACE.build}.COMMIT}.`,
    `Image digest: #{${NAMESPACE.deploy}.IMAGE_DIGEST}.`,
    `Scan: #{${NAMESPACE.build}.SCAN_SUMMARY}.`,
    ...(tested ? [`Tests: #{${NAMESPACE.tests}.${TEST_SUMMARY_VARIABLE}}.`] : []),
    headerRoute
      ? `Try it on the green slot with #{${NAMESPACE.deploy}.TEST_COMMAND} before approving; rejecting leaves production untouched.`
      : `Try it on the green slot at #{${NAMESPACE.deploy}.TEST_URL} before approving; rejecting leaves production untouched.`,
  ].join(' ');
}
