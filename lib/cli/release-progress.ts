// `bluegreen status --watch`: one execution's way through the pipeline, action by action (build,
// DeployGreen, tests, Approve, the Swap's steps, Bake), from CodePipeline's own state. Pure.
import type { ActionExecutionDetail, GetPipelineStateOutput } from '@aws-sdk/client-codepipeline';
import { RELEASE_STAGE } from './pipeline';
import { when } from './format';

export interface ActionProgress {
  readonly stage: string;
  readonly action: string;
  /** not-started | InProgress | Succeeded | Failed | Abandoned */
  readonly status: string;
  readonly since: string | null;
  /** The latest word from the action: a Lambda job's summary (a swap step, a bake), an approver's comment. */
  readonly summary: string | null;
  /** A running action's own progress (a weighted shift's steps), when it reports one. */
  readonly percentComplete: number | null;
  readonly by: string | null;
}

export interface ReleaseProgress {
  readonly executionId: string;
  /** CodePipeline's status of the execution; `Queued` while it waits to enter the Release stage. */
  readonly status: string;
  readonly actions: readonly ActionProgress[];
  readonly done: boolean;
}

const FINAL = new Set(['Succeeded', 'Failed', 'Stopped', 'Superseded', 'Cancelled']);

/**
 * Every action of the pipeline in run order, with this execution's latest attempt at it. A running
 * action's summary comes from GetPipelineState (it shows a Lambda job's latest progress); finished
 * ones from ListActionExecutions.
 */
export function releaseProgress(executionId: string, executionStatus: string, state: GetPipelineStateOutput, details: readonly ActionExecutionDetail[]): ReleaseProgress {
  const latest = new Map<string, ActionExecutionDetail>();
  for (const d of [...details].sort((x, y) => (x.startTime?.getTime() ?? 0) - (y.startTime?.getTime() ?? 0))) latest.set(`${d.stageName}/${d.actionName}`, d);
  const queued = (state.stageStates ?? []).some((s) => (s.inboundExecutions ?? []).some((e) => e.pipelineExecutionId === executionId));
  const actions = (state.stageStates ?? []).flatMap((stage) =>
    (stage.actionStates ?? []).map((a): ActionProgress => {
      const d = latest.get(`${stage.stageName}/${a.actionName}`);
      const live = stage.latestExecution?.pipelineExecutionId === executionId && a.latestExecution?.actionExecutionId === d?.actionExecutionId ? a.latestExecution : undefined;
      return {
        stage: stage.stageName ?? '?',
        action: a.actionName ?? '?',
        status: d?.status ?? 'not-started',
        since: (d?.lastUpdateTime ?? d?.startTime)?.toISOString() ?? null,
        summary: live?.summary ?? d?.output?.executionResult?.externalExecutionSummary ?? null,
        percentComplete: d?.status === 'InProgress' ? live?.percentComplete ?? null : null,
        by: d?.updatedBy ?? null,
      };
    }),
  );
  return { executionId, status: queued && executionStatus === 'InProgress' ? 'Queued' : executionStatus, actions, done: FINAL.has(executionStatus) };
}

const MARK: Record<string, string> = { Succeeded: '✓', Failed: '✗', Abandoned: '⊘', InProgress: '…', 'not-started': '·' };

/** What a person reads; the Release stage's actions indented under it, the next step spelled out. */
export function renderProgress(pipeline: string, p: ReleaseProgress): string {
  const indentOf = (a: ActionProgress) => (a.stage === RELEASE_STAGE ? '    ' : '  ');
  // The state column lines up across both indents.
  const width = Math.max(...p.actions.map((a) => indentOf(a).length + a.action.length));
  const lines = [`${pipeline}  execution ${p.executionId}  ${p.status}`];
  let stage = '';
  for (const a of p.actions) {
    if (a.stage !== stage) {
      stage = a.stage;
      if (a.stage === RELEASE_STAGE) lines.push(`  ${RELEASE_STAGE}`);
    }
    const state = a.status === 'not-started' ? 'not started' : a.status === 'InProgress' ? (a.action === 'Approve' ? 'waiting for an answer' : 'running') : a.status.toLowerCase();
    const detail = [
      a.since && a.status !== 'not-started' ? (a.status === 'InProgress' ? `since ${when(a.since)}` : when(a.since)) : null,
      a.percentComplete !== null ? `${a.percentComplete}%` : null,
      a.by ? `by ${a.by}` : null,
      a.summary,
    ].filter(Boolean).join('  ');
    lines.push(`${indentOf(a)}${MARK[a.status] ?? '?'} ${a.action.padEnd(width - indentOf(a).length)}  ${state}${detail ? `  ${detail}` : ''}`);
  }
  const approve = p.actions.find((a) => a.action === 'Approve' && a.status === 'InProgress');
  if (approve) lines.push(`  next: bluegreen approve|reject --pipeline ${pipeline}`);
  return `${lines.join('\n')}\n`;
}
