// Job results, an execution's action executions, and the approval audit lookup (CodePipeline).
import {
  ActionExecutionDetail, GetPipelineExecutionCommand, ListActionExecutionsCommand, PutJobFailureResultCommand, PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { ObservedActionExecution } from '../core/approval';
import { ObservedActionRecord } from '../core/evidence';
import { ApprovalLookup, ExecutionLookup, JobReporter, JobSuccess } from '../core/ports';
import { clip } from '../core/text';
import { Clients, errorName } from './clients';

/** PutJobFailureResult's limit on FailureDetails.message (CodePipeline API reference: 1-5000 characters). */
export const MAX_FAILURE_MESSAGE = 5000;
/** PutJobSuccessResult's limit on ExecutionDetails.summary (CodePipeline API reference: 1-2048 characters). */
export const MAX_SUMMARY = 2048;

export function jobReporter(c: Clients<'codepipeline'>): JobReporter {
  return {
    async succeed(jobId: string, result: JobSuccess): Promise<void> {
      await c.codepipeline.send(
        new PutJobSuccessResultCommand({
          jobId,
          ...(result.continuationToken !== undefined ? { continuationToken: result.continuationToken } : {}),
          ...(result.outputVariables !== undefined ? { outputVariables: result.outputVariables } : {}),
          executionDetails: {
            summary: clip(result.summary, MAX_SUMMARY),
            ...(result.executionId !== undefined ? { externalExecutionId: result.executionId } : {}),
          },
        }),
      );
    },
    async fail(jobId: string, message: string, executionId?: string): Promise<void> {
      await c.codepipeline.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: {
            type: 'JobFailed',
            message: clip(message, MAX_FAILURE_MESSAGE),
            ...(executionId !== undefined ? { externalExecutionId: executionId } : {}),
          },
        }),
      );
    },
  };
}

/** Every action execution of one pipeline execution, all pages (the approval, the outputs). */
export async function listActionExecutions(
  c: Clients<'codepipeline'>, pipelineName: string, pipelineExecutionId: string,
): Promise<ActionExecutionDetail[]> {
  const details: ActionExecutionDetail[] = [];
  let nextToken: string | undefined;
  do {
    const out = await c.codepipeline.send(new ListActionExecutionsCommand({ pipelineName, filter: { pipelineExecutionId }, ...(nextToken ? { nextToken } : {}) }));
    details.push(...(out.actionExecutionDetails ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return details;
}

/** The identity that completed the execution's manual approval (its `updatedBy`). */
export async function findApprover(c: Clients<'codepipeline'>, pipelineName: string, pipelineExecutionId: string): Promise<string | null> {
  const approvals = (await listActionExecutions(c, pipelineName, pipelineExecutionId)).filter((d) => d.input?.actionTypeId?.category === 'Approval' && d.updatedBy);
  const succeeded = approvals.find((d) => d.status === 'Succeeded') ?? approvals[0];
  return succeeded?.updatedBy ?? null;
}

/** An execution's action executions as plain data; 'not-found' once CodePipeline no longer holds it. */
export async function releaseRecord(c: Clients<'codepipeline'>, pipelineName: string, pipelineExecutionId: string): Promise<ObservedActionExecution[] | 'not-found'> {
  try {
    return (await listActionExecutions(c, pipelineName, pipelineExecutionId)).map((d) => ({
      actionName: d.actionName ?? '',
      category: d.input?.actionTypeId?.category ?? '',
      status: d.status ?? '',
      outputVariables: { ...(d.output?.outputVariables ?? {}) },
    }));
  } catch (err) {
    if (errorName(err) === 'PipelineExecutionNotFoundException') return 'not-found';
    throw err;
  }
}

export function approvalLookup(c: Clients<'codepipeline'>): ApprovalLookup {
  return {
    approver: (pipelineName, executionId) => findApprover(c, pipelineName, executionId),
    releaseRecord: (pipelineName, executionId) => releaseRecord(c, pipelineName, executionId),
  };
}

/** GetPipelineExecution statuses of an execution that has not ended (CodePipeline API reference, PipelineExecution). */
const RUNNING = new Set(['InProgress', 'Stopping']);

export function executionLookup(c: Clients<'codepipeline'>, pipelineName: string): ExecutionLookup {
  return {
    async inProgress(pipelineExecutionId: string): Promise<boolean> {
      try {
        const out = await c.codepipeline.send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId }));
        return RUNNING.has(out.pipelineExecution?.status ?? '');
      } catch (err) {
        // A rollback's or an operator's lease names no pipeline execution: it is not running one.
        if (errorName(err) === 'PipelineExecutionNotFoundException') return false;
        throw err;
      }
    },
  };
}

/** An execution's action executions with who, when and why, as evidence keeps them. */
export async function actionRecords(c: Clients<'codepipeline'>, pipelineName: string, pipelineExecutionId: string): Promise<ObservedActionRecord[]> {
  return (await listActionExecutions(c, pipelineName, pipelineExecutionId)).map((d) => ({
    actionExecutionId: d.actionExecutionId ?? '',
    stageName: d.stageName ?? '',
    actionName: d.actionName ?? '',
    category: d.input?.actionTypeId?.category ?? '',
    status: d.status ?? '',
    lastUpdateTime: (d.lastUpdateTime ?? d.startTime ?? new Date(0)).toISOString(),
    updatedBy: d.updatedBy ?? null,
    summary: d.output?.executionResult?.externalExecutionSummary ?? null,
    externalExecutionId: d.output?.executionResult?.externalExecutionId ?? null,
  }));
}
