import {
  GetPipelineStateCommand, ListPipelineExecutionsCommand,
  type GetPipelineStateOutput, type PipelineExecutionSummary,
} from '@aws-sdk/client-codepipeline';
import type { AwsClients } from './aws';
import { listActionExecutions } from './control-plane';
import { CliError, errorName } from './errors';

/** The stage that holds the whole release, and its manual approval action, in every pipeline the construct builds. */
export const RELEASE_STAGE = 'Release';
export const APPROVAL_ACTION = 'Approve';

/** What a release is: exported by BuildAndScan and DeployGreen as pipeline variables. */
export interface ReleaseDetails {
  readonly commit?: string;
  readonly digest?: string;
  readonly scanSummary?: string;
  readonly testUrl?: string;
  /** One line that reaches green (`curl -H 'X-Release-Test: green' https://…` with a header test route). */
  readonly testCommand?: string;
  readonly greenSlot?: string;
}

export interface PendingApproval {
  readonly executionId: string;
  readonly stageName: string;
  readonly actionName: string;
  readonly token: string;
  readonly since?: string;
  readonly release: ReleaseDetails;
}

export interface RunningExecution {
  readonly executionId: string;
  readonly stage: string;
  /** The action running in that stage (DeployGreen, Approve, Swap, Bake), when one is. */
  readonly action?: string;
}

/** An execution waiting to enter a stage another execution holds (QUEUED mode). */
export interface QueuedExecution {
  readonly executionId: string;
  readonly stage: string;
}

const unknownPipeline = (name: string, region: string) =>
  new CliError(`unknown pipeline ${name} (no CodePipeline named ${name} in ${region}; is the stack deployed in this account and region?)`, 'unknown-pipeline');

export async function readPipelineState(aws: AwsClients, name: string): Promise<GetPipelineStateOutput> {
  try {
    return await aws.codepipeline.send(new GetPipelineStateCommand({ name }));
  } catch (err) {
    if (errorName(err) === 'PipelineNotFoundException') throw unknownPipeline(name, aws.region);
    throw err;
  }
}

/** Pure: the executions in progress, with the stage each one is in and the action running there. */
export function runningExecutions(state: GetPipelineStateOutput): RunningExecution[] {
  return (state.stageStates ?? [])
    .filter((s) => s.latestExecution?.status === 'InProgress' && s.latestExecution.pipelineExecutionId)
    .map((s) => {
      const action = (s.actionStates ?? []).find((a) => a.latestExecution?.status === 'InProgress')?.actionName;
      return { executionId: s.latestExecution!.pipelineExecutionId!, stage: s.stageName ?? '?', ...(action ? { action } : {}) };
    });
}

/** Pure: the executions waiting to enter a stage, in queue order (StageState.inboundExecutions). */
export function queuedExecutions(state: GetPipelineStateOutput): QueuedExecution[] {
  return (state.stageStates ?? []).flatMap((s) =>
    (s.inboundExecutions ?? []).filter((e) => e.pipelineExecutionId).map((e) => ({ executionId: e.pipelineExecutionId!, stage: s.stageName ?? '?' })),
  );
}

/** Pure: the approval waiting for an answer, without its release details. */
export function findPendingApproval(state: GetPipelineStateOutput): Omit<PendingApproval, 'release'> | null {
  const stage = (state.stageStates ?? []).find((s) => s.stageName === RELEASE_STAGE);
  const executionId = stage?.latestExecution?.pipelineExecutionId;
  if (!stage || !executionId) return null;
  for (const action of stage.actionStates ?? []) {
    const latest = action.latestExecution;
    if (action.actionName === APPROVAL_ACTION && latest?.status === 'InProgress' && latest.token) {
      return {
        executionId,
        stageName: RELEASE_STAGE,
        actionName: action.actionName,
        token: latest.token,
        since: latest.lastStatusChange?.toISOString(),
      };
    }
  }
  return null;
}

/** The pipeline variables an execution's actions exported (Build and DeployGreen). */
export async function readReleaseDetails(aws: AwsClients, pipelineName: string, executionId: string): Promise<ReleaseDetails> {
  const details = await listActionExecutions(aws, pipelineName, executionId);
  // Oldest first, so DeployGreen's values (after the build) win where both export one.
  details.sort((x, y) => (x.startTime?.getTime() ?? 0) - (y.startTime?.getTime() ?? 0));
  const vars: Record<string, string> = Object.assign({}, ...details.map((d) => d.output?.outputVariables ?? {}));
  return {
    commit: vars.COMMIT,
    digest: vars.IMAGE_DIGEST,
    scanSummary: vars.SCAN_SUMMARY,
    testUrl: vars.TEST_URL,
    testCommand: vars.TEST_COMMAND,
    greenSlot: vars.GREEN_SLOT,
  };
}

export async function readPendingApproval(aws: AwsClients, name: string, state?: GetPipelineStateOutput): Promise<PendingApproval | null> {
  const pending = findPendingApproval(state ?? (await readPipelineState(aws, name)));
  if (!pending) return null;
  return { ...pending, release: await readReleaseDetails(aws, name, pending.executionId) };
}

export async function listExecutions(aws: AwsClients, name: string, max: number): Promise<PipelineExecutionSummary[]> {
  try {
    const out = await aws.codepipeline.send(new ListPipelineExecutionsCommand({ pipelineName: name, maxResults: max }));
    return out.pipelineExecutionSummaries ?? [];
  } catch (err) {
    if (errorName(err) === 'PipelineNotFoundException') throw unknownPipeline(name, aws.region);
    throw err;
  }
}
