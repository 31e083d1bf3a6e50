// CodePipeline as the release control plane sees it: pipelines with stages and actions,
// executions, Lambda jobs (every PutJob*Result attempt recorded, the accepted one being the job's
// result, continuations creating a new job like CodePipeline does), and manual approvals.
//
// Executions move through the stages as CodePipeline moves them: "an execution enters one stage
// at a time and locks the stage while all action executions in the stage are running" (User
// Guide, "Stop a pipeline execution"); in QUEUED mode "executions are processed one by one in the
// order that they are queued" (User Guide, "Set or change the pipeline execution mode"), so an
// execution that finds the next stage locked waits as one of that stage's inbound executions
// (API reference, StageState.inboundExecutions). Actions of a stage run in runOrder; a failed
// action fails the execution and unlocks its stage.
import type {
  ActionExecutionDetail,
  GetJobDetailsCommandOutput,
  GetPipelineExecutionCommandOutput,
  GetPipelineStateCommandOutput,
  ListActionExecutionsCommandOutput,
  ListPipelineExecutionsCommandOutput,
  PutApprovalResultCommandOutput,
  StageState,
} from '@aws-sdk/client-codepipeline';
import { awsError } from './errors';
import { CommandFn, IdSource, ServiceModel, WorldRef } from './common';

export type ActionCategory = 'Source' | 'Build' | 'Invoke' | 'Approval';

export interface ActionDefinition {
  name: string;
  category: ActionCategory;
  provider: string;
  namespace?: string;
  /** Actions of a stage run in ascending runOrder (default 1). */
  runOrder?: number;
  /** Invoke actions: the Lambda function and the UserParameters template (`#{Ns.VAR}`). */
  functionName?: string;
  userParameters?: string;
}

export interface PipelineDefinition {
  name: string;
  stages: { name: string; actions: ActionDefinition[] }[];
}

export type ExecutionStatus = 'InProgress' | 'Stopping' | 'Succeeded' | 'Failed' | 'Stopped' | 'Superseded';

export interface ActionExecutionState {
  seq: number;
  actionExecutionId: string;
  executionId: string;
  stageName: string;
  actionName: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';
  startTime: number;
  lastUpdateTime: number;
  updatedBy?: string;
  summary?: string;
  /** ExecutionDetails.percentComplete of the latest job result (0-100). */
  percentComplete?: number;
  token?: string;
  outputVariables?: Record<string, string>;
  externalExecutionId?: string;
}

export interface ExecutionState {
  id: string;
  pipelineName: string;
  status: ExecutionStatus;
  startTime: number;
  lastUpdateTime: number;
  commit: string;
  actions: ActionExecutionState[];
  buildVariables: Record<string, string>;
  /** Where the execution is: in a stage (holding its lock) at a run order, or inbound to it. */
  position: { stage: number; runOrder: number; inbound: false } | { stage: number; inbound: true } | null;
}

export interface JobResult {
  kind: 'success' | 'failure';
  continuationToken?: string;
  outputVariables?: Record<string, string>;
  executionDetails?: { summary?: string; externalExecutionId?: string; percentComplete?: number };
  failure?: { type: string; message: string; externalExecutionId?: string };
  at: number;
}

export interface JobResultAttempt extends JobResult {
  accepted: boolean;
  /** Why CodePipeline refused the attempt (error name), when it did. */
  rejectedWith?: string;
}

export interface JobState {
  id: string;
  accountId: string;
  pipelineName: string;
  executionId: string;
  stageName: string;
  actionName: string;
  actionExecutionId: string;
  functionName: string;
  userParameters: string;
  continuationToken?: string;
  /** The job whose continuation created this one. */
  continuationOf?: string;
  /** The job CodePipeline created when this one answered with a continuation token. */
  continuedBy?: string;
  deliveries: number;
  attempts: JobResultAttempt[];
  result?: JobResult;
}

export interface CodePipelineJobEvent {
  'CodePipeline.job': {
    id: string;
    accountId: string;
    data: {
      actionConfiguration: { configuration: { FunctionName: string; UserParameters: string } };
      inputArtifacts: unknown[];
      outputArtifacts: unknown[];
      artifactCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expirationTime: number };
      continuationToken?: string;
      pipelineContext: {
        pipelineName: string;
        pipelineArn: string;
        pipelineExecutionId: string;
        stage: { name: string };
        action: { name: string; actionExecutionId: string };
      };
    };
  };
}

const runOrderOf = (a: ActionDefinition): number => a.runOrder ?? 1;
const lockKey = (pipelineName: string, stageName: string): string => `${pipelineName}/${stageName}`;

const FAILURE_TYPES = ['JobFailed', 'ConfigurationError', 'PermissionError', 'RevisionOutOfSync', 'RevisionUnavailable', 'SystemUnavailable'];
const err = (name: string, message: string) => awsError('codepipeline', name, message);

export class CodePipelineModel implements ServiceModel {
  readonly pipelines = new Map<string, PipelineDefinition>();
  readonly executions = new Map<string, ExecutionState>();
  readonly jobs = new Map<string, JobState>();
  /** Who calls PutApprovalResult through the API (the approver's IAM identity). */
  callerArn = 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/alice';
  private readonly ids = new IdSource();

  constructor(private readonly world: WorldRef) {}

  // ---- pipeline and execution lifecycle (what CodePipeline itself does) ------------------------

  addPipeline(def: PipelineDefinition): void {
    this.pipelines.set(def.name, def);
  }

  pipelineArn(name: string): string {
    return `arn:aws:codepipeline:${this.world.region}:${this.world.account}:${name}`;
  }

  /**
   * Starts an execution: Source and every Build action succeed at once with `buildVariables`, then
   * it enters the next stage, or waits inbound while another execution holds that stage.
   */
  startExecution(pipelineName: string, opts: { commit: string; buildVariables?: Record<string, string> }): ExecutionState {
    this.pipeline(pipelineName);
    const id = `5f2c1b9e-0000-4000-8000-${this.ids.hex(12)}`;
    const exec: ExecutionState = {
      id,
      pipelineName,
      status: 'InProgress',
      startTime: this.world.now(),
      lastUpdateTime: this.world.now(),
      commit: opts.commit,
      actions: [],
      buildVariables: opts.buildVariables ?? {},
      position: null,
    };
    this.executions.set(id, exec);
    this.enter(exec, 0);
    return exec;
  }

  execution(id: string): ExecutionState {
    const exec = this.executions.get(id);
    if (!exec) throw new Error(`AwsWorld: no pipeline execution ${id}`);
    return exec;
  }

  /** The stage (name) an execution holds, or waits for; null once it has ended. */
  stageOf(executionId: string): { stage: string; inbound: boolean } | null {
    const exec = this.execution(executionId);
    if (exec.position === null || (exec.status !== 'InProgress' && exec.status !== 'Stopping')) return null;
    return { stage: this.pipeline(exec.pipelineName).stages[exec.position.stage].name, inbound: exec.position.inbound };
  }

  /** The execution holding a stage's lock, if any. */
  lockHolder(pipelineName: string, stageName: string): string | undefined {
    return this.locks.get(lockKey(pipelineName, stageName));
  }

  /**
   * The job CodePipeline sent for an Invoke action of the execution that is running now (the last
   * of its continuation chain without a result). Throws when the action is not running: its stage
   * is locked by another execution, or an earlier action has not finished.
   */
  createJob(executionId: string, actionName: string): JobState {
    const job = this.pendingJob(executionId, actionName);
    if (!job) {
      const where = this.stageOf(executionId);
      throw new Error(
        `AwsWorld: action ${actionName} of execution ${executionId} is not running (${where === null ? 'the execution has ended' : where.inbound ? `it waits to enter ${where.stage}` : `it is in ${where.stage}`})`,
      );
    }
    return job;
  }

  /** The newest unanswered job of the action's running execution, or undefined. */
  pendingJob(executionId: string, actionName: string): JobState | undefined {
    const exec = this.execution(executionId);
    const running = [...exec.actions].reverse().find((a) => a.actionName === actionName && a.status === 'InProgress');
    if (!running) return undefined;
    return [...this.jobs.values()].filter((j) => j.actionExecutionId === running.actionExecutionId && !j.result).pop();
  }

  job(id: string): JobState {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`AwsWorld: no job ${id}`);
    return job;
  }

  /** The Lambda event for a job, counting one delivery. Call again to model a duplicate delivery. */
  deliver(jobId: string): CodePipelineJobEvent {
    const job = this.job(jobId);
    job.deliveries += 1;
    return this.jobEvent(job);
  }

  jobEvent(job: JobState): CodePipelineJobEvent {
    return {
      'CodePipeline.job': {
        id: job.id,
        accountId: job.accountId,
        data: {
          actionConfiguration: { configuration: { FunctionName: job.functionName, UserParameters: job.userParameters } },
          inputArtifacts: [],
          outputArtifacts: [],
          artifactCredentials: {
            accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
            secretAccessKey: 'example/secret/key/only/for/tests/0000000',
            sessionToken: 'example-session-token',
            expirationTime: this.world.now() + 3_600_000,
          },
          ...(job.continuationToken !== undefined ? { continuationToken: job.continuationToken } : {}),
          pipelineContext: {
            pipelineName: job.pipelineName,
            pipelineArn: this.pipelineArn(job.pipelineName),
            pipelineExecutionId: job.executionId,
            stage: { name: job.stageName },
            action: { name: job.actionName, actionExecutionId: job.actionExecutionId },
          },
        },
      },
    };
  }

  /** The token of the execution's pending manual approval (it starts when its run order comes). */
  requestApproval(executionId: string, actionName = 'Approve'): string {
    const pending = this.execution(executionId).actions.find((a) => a.actionName === actionName && a.status === 'InProgress' && a.token);
    if (!pending) throw new Error(`AwsWorld: execution ${executionId} has no pending approval ${actionName}`);
    return pending.token!;
  }

  /** Approves or rejects the pending approval of an execution as `by` (not an API call). */
  decide(executionId: string, status: 'Approved' | 'Rejected', by: string, summary = ''): void {
    const exec = this.execution(executionId);
    const pending = exec.actions.find((a) => a.token && a.status === 'InProgress');
    if (!pending) throw new Error(`AwsWorld: execution ${executionId} has no pending approval`);
    this.completeApproval(exec, pending, status, by, summary);
  }

  /** The approval's timeout passed: the action fails (User Guide, "Manual approval actions"). */
  expireApproval(executionId: string): void {
    const exec = this.execution(executionId);
    const pending = exec.actions.find((a) => a.token && a.status === 'InProgress');
    if (!pending) throw new Error(`AwsWorld: execution ${executionId} has no pending approval`);
    pending.token = undefined;
    this.actionFailed(pending, 'The approval action timed out.');
  }

  /** Ends an execution from outside (a test shortcut; StopPipelineExecution is the API). */
  finishExecution(executionId: string, status: ExecutionStatus): void {
    const exec = this.execution(executionId);
    exec.status = status;
    exec.lastUpdateTime = this.world.now();
    if (status !== 'InProgress' && status !== 'Stopping') this.release(exec);
  }

  /** Every job the functions received (delivered at least once). */
  deliveredJobs(): JobState[] {
    return [...this.jobs.values()].filter((j) => j.deliveries > 0);
  }

  // ---- the execution engine --------------------------------------------------------------------

  private readonly locks = new Map<string, string>();
  /** Start order of action executions (world time does not move between calls). */
  private actionSeq = 0;
  private readonly inbound = new Map<string, string[]>();

  /** Executions waiting to enter a stage, first in line first. */
  inboundOf(pipelineName: string, stageName: string): string[] {
    return [...(this.inbound.get(lockKey(pipelineName, stageName)) ?? [])];
  }

  private pipeline(name: string): PipelineDefinition {
    const def = this.pipelines.get(name);
    if (!def) throw err('PipelineNotFoundException', `Account '${this.world.account}' does not have a pipeline with name '${name}'`);
    return def;
  }

  private action(pipelineName: string, actionName: string) {
    for (const stage of this.pipeline(pipelineName).stages) {
      const action = stage.actions.find((a) => a.name === actionName);
      if (action) return { stage, action };
    }
    throw new Error(`AwsWorld: pipeline ${pipelineName} has no action ${actionName}`);
  }

  /** Enters stage `index` if nobody holds it, else waits inbound; past the last stage the execution succeeded. */
  private enter(exec: ExecutionState, index: number): void {
    const stages = this.pipeline(exec.pipelineName).stages;
    if (index >= stages.length) {
      exec.position = null;
      exec.status = 'Succeeded';
      exec.lastUpdateTime = this.world.now();
      return;
    }
    const key = lockKey(exec.pipelineName, stages[index].name);
    if (this.locks.has(key)) {
      exec.position = { stage: index, inbound: true };
      this.inbound.set(key, [...(this.inbound.get(key) ?? []), exec.id]);
      return;
    }
    this.locks.set(key, exec.id);
    exec.position = { stage: index, runOrder: Math.min(...stages[index].actions.map(runOrderOf)), inbound: false };
    this.runActions(exec);
  }

  /** Starts every action of the current run order; Source and Build actions succeed at once. */
  private runActions(exec: ExecutionState): void {
    const position = exec.position;
    if (position === null || position.inbound) return;
    const stage = this.pipeline(exec.pipelineName).stages[position.stage];
    for (const action of stage.actions.filter((a) => runOrderOf(a) === position.runOrder)) {
      const a = this.startAction(exec, stage.name, action.name);
      if (action.category === 'Source') this.markSucceeded(a, { CommitId: exec.commit });
      else if (action.category === 'Build') this.markSucceeded(a, exec.buildVariables);
      else if (action.category === 'Approval') a.token = `7a1d3c5e-0000-4000-8000-${this.ids.hex(12)}`;
      else this.startInvoke(exec, stage.name, action, a);
    }
    this.advance(exec);
  }

  /** When every action of the current run order succeeded: the next run order, or the next stage. */
  private advance(exec: ExecutionState): void {
    const position = exec.position;
    if (position === null || position.inbound || (exec.status !== 'InProgress' && exec.status !== 'Stopping')) return;
    const stage = this.pipeline(exec.pipelineName).stages[position.stage];
    const current = stage.actions.filter((a) => runOrderOf(a) === position.runOrder);
    const latest = (name: string) => [...exec.actions].reverse().find((a) => a.actionName === name && a.stageName === stage.name);
    if (!current.every((a) => latest(a.name)?.status === 'Succeeded')) return;
    if (exec.status === 'Stopping') {
      this.finishExecution(exec.id, 'Stopped');
      return;
    }
    const later = stage.actions.map(runOrderOf).filter((r) => r > position.runOrder);
    if (later.length > 0) {
      exec.position = { stage: position.stage, runOrder: Math.min(...later), inbound: false };
      this.runActions(exec);
      return;
    }
    exec.position = null;
    this.unlock(exec.pipelineName, stage.name, exec.id);
    this.enter(exec, position.stage + 1);
  }

  /** Leaves the stage an execution holds (or waits for) and lets the next inbound one in. */
  private release(exec: ExecutionState): void {
    const position = exec.position;
    if (position === null) return;
    const stageName = this.pipeline(exec.pipelineName).stages[position.stage].name;
    if (position.inbound) {
      const key = lockKey(exec.pipelineName, stageName);
      this.inbound.set(key, (this.inbound.get(key) ?? []).filter((id) => id !== exec.id));
      exec.position = null;
      return;
    }
    // A failed execution stays where it failed, so that its stage can be retried.
    exec.position = exec.status === 'Failed' ? position : null;
    this.unlock(exec.pipelineName, stageName, exec.id);
  }

  private unlock(pipelineName: string, stageName: string, executionId: string): void {
    const key = lockKey(pipelineName, stageName);
    if (this.locks.get(key) !== executionId) return;
    this.locks.delete(key);
    const queue = this.inbound.get(key) ?? [];
    const next = queue.shift();
    this.inbound.set(key, queue);
    if (next !== undefined) {
      const exec = this.execution(next);
      this.enter(exec, (exec.position as { stage: number }).stage);
    }
  }

  private startAction(exec: ExecutionState, stageName: string, actionName: string): ActionExecutionState {
    const a: ActionExecutionState = {
      seq: ++this.actionSeq,
      actionExecutionId: `9c8e7f6a-0000-4000-8000-${this.ids.hex(12)}`,
      executionId: exec.id,
      stageName,
      actionName,
      status: 'InProgress',
      startTime: this.world.now(),
      lastUpdateTime: this.world.now(),
    };
    exec.actions.push(a);
    return a;
  }

  private markSucceeded(a: ActionExecutionState, outputVariables: Record<string, string>, summary?: string): void {
    a.status = 'Succeeded';
    a.outputVariables = outputVariables;
    a.summary = summary;
    a.lastUpdateTime = this.world.now();
  }

  private actionSucceeded(a: ActionExecutionState, outputVariables: Record<string, string>, summary?: string): void {
    this.markSucceeded(a, outputVariables, summary);
    const exec = this.execution(a.executionId);
    exec.lastUpdateTime = this.world.now();
    this.advance(exec);
  }

  private actionFailed(a: ActionExecutionState, summary: string): void {
    a.status = 'Failed';
    a.summary = summary;
    a.lastUpdateTime = this.world.now();
    const exec = this.execution(a.executionId);
    if (exec.status === 'InProgress' || exec.status === 'Stopping') this.finishExecution(exec.id, 'Failed');
  }

  private completeApproval(exec: ExecutionState, a: ActionExecutionState, status: 'Approved' | 'Rejected', by: string, summary: string): void {
    a.updatedBy = by;
    a.token = undefined;
    exec.lastUpdateTime = this.world.now();
    if (status === 'Approved') this.actionSucceeded(a, {}, summary || `Approved by ${by}`);
    else this.actionFailed(a, summary || `Rejected by ${by}`);
  }

  /** RetryStageExecution (FAILED_ACTIONS): the failed actions of the execution's failed stage run again. */
  retryStage(executionId: string, stageName: string): void {
    const exec = this.execution(executionId);
    const position = exec.position;
    const stages = this.pipeline(exec.pipelineName).stages;
    if (exec.status !== 'Failed' || position === null || position.inbound || stages[position.stage].name !== stageName) {
      throw err('StageNotRetryableException', 'Unable to retry. The pipeline structure or stage state might have changed while actions awaited retry, or the stage contains no failed actions.');
    }
    const key = lockKey(exec.pipelineName, stageName);
    const lastIn = (e: ExecutionState) => Math.max(-1, ...e.actions.filter((a) => a.stageName === stageName).map((a) => a.seq));
    const latest = [...this.executions.values()].filter((e) => e.pipelineName === exec.pipelineName).sort((x, y) => lastIn(y) - lastIn(x))[0];
    if (this.locks.has(key) || latest?.id !== exec.id) {
      throw err('NotLatestPipelineExecutionException', 'The stage has failed in a later run of the pipeline and the pipelineExecutionId associated with the request is out of date.');
    }
    this.locks.set(key, exec.id);
    exec.status = 'InProgress';
    exec.lastUpdateTime = this.world.now();
    const stage = stages[position.stage];
    for (const def of stage.actions) {
      if ([...exec.actions].reverse().find((a) => a.actionName === def.name)?.status !== 'Failed') continue;
      const a = this.startAction(exec, stage.name, def.name);
      if (def.category === 'Approval') a.token = `7a1d3c5e-0000-4000-8000-${this.ids.hex(12)}`;
      else if (def.category === 'Invoke') this.startInvoke(exec, stage.name, def, a);
    }
  }

  /**
   * The Lambda job of an Invoke action. A variable that cannot be resolved fails the action
   * ("An action in this pipeline failed because one or more variables could not be resolved",
   * User Guide, "Variables reference").
   */
  private startInvoke(exec: ExecutionState, stageName: string, action: ActionDefinition, a: ActionExecutionState): void {
    let userParameters: string;
    try {
      userParameters = this.resolveVariables(exec, action.userParameters ?? '');
    } catch (e) {
      this.actionFailed(a, `An action in this pipeline failed because one or more variables could not be resolved: ${(e as Error).message}`);
      return;
    }
    this.newJob(exec, stageName, action, a.actionExecutionId, userParameters);
  }

  /** StopPipelineExecution: abandon stops at once; otherwise the execution stops once its running actions finish. */
  stopExecution(executionId: string, abandon: boolean): void {
    const exec = this.execution(executionId);
    if (exec.status !== 'InProgress') {
      throw err('PipelineExecutionNotStoppableException', 'Unable to stop the pipeline execution. The execution might already be in a Stopped state, or it might no longer be in progress.');
    }
    if (!abandon && exec.position !== null && !exec.position.inbound) {
      exec.status = 'Stopping';
      return;
    }
    for (const a of exec.actions) {
      if (a.status === 'InProgress') {
        a.status = 'Abandoned';
        a.token = undefined;
      }
    }
    this.finishExecution(exec.id, 'Stopped');
  }

  private newJob(exec: ExecutionState, stageName: string, action: ActionDefinition, actionExecutionId: string, userParameters: string): JobState {
    const job: JobState = {
      id: `3c4c0b6a-0000-4000-8000-${this.ids.hex(12)}`,
      accountId: this.world.account,
      pipelineName: exec.pipelineName,
      executionId: exec.id,
      stageName,
      actionName: action.name,
      actionExecutionId,
      functionName: action.functionName ?? action.name,
      userParameters,
      deliveries: 0,
      attempts: [],
    };
    this.jobs.set(job.id, job);
    return job;
  }

  private resolveVariables(exec: ExecutionState, template: string): string {
    const def = this.pipeline(exec.pipelineName);
    return template.replace(/#\{([A-Za-z0-9@_-]+)\.([A-Za-z0-9@_-]+)\}/g, (whole, ns: string, name: string) => {
      if (ns === 'codepipeline' && name === 'PipelineExecutionId') return exec.id;
      for (const stage of def.stages) {
        for (const action of stage.actions) {
          if (action.namespace !== ns) continue;
          const done = [...exec.actions].reverse().find((a) => a.actionName === action.name && a.status === 'Succeeded');
          const value = done?.outputVariables?.[name];
          if (value !== undefined) return value;
        }
      }
      // CodePipeline fails the action when a variable cannot be resolved; tests should not get here.
      throw new Error(`AwsWorld: cannot resolve ${whole} in execution ${exec.id}`);
    });
  }

  private recordAttempt(jobId: string, attempt: Omit<JobResultAttempt, 'accepted' | 'at'>): JobState {
    const job = this.jobs.get(jobId);
    if (!job) throw err('JobNotFoundException', `The job was not found: ${jobId}`);
    const at = this.world.now();
    if (job.result) {
      job.attempts.push({ ...attempt, at, accepted: false, rejectedWith: 'InvalidJobStateException' });
      throw err('InvalidJobStateException', `The job ${jobId} is not in a valid state to accept a result: ${job.result.kind === 'success' ? 'Succeeded' : 'Failed'}`);
    }
    job.attempts.push({ ...attempt, at, accepted: true });
    job.result = { ...attempt, at };
    return job;
  }

  private actionOf(job: JobState): ActionExecutionState {
    return this.execution(job.executionId).actions.find((a) => a.actionExecutionId === job.actionExecutionId)!;
  }

  // ---- API -------------------------------------------------------------------------------------

  readonly commands: Record<string, CommandFn> = {
    PutJobSuccessResult: (input: {
      jobId: string;
      continuationToken?: string;
      outputVariables?: Record<string, string>;
      executionDetails?: JobResult['executionDetails'];
      currentRevision?: unknown;
    }) => {
      if (input.continuationToken !== undefined && (input.continuationToken.length < 1 || input.continuationToken.length > 2048)) {
        throw err('ValidationException', 'continuationToken must be between 1 and 2048 characters long');
      }
      if (input.continuationToken !== undefined && input.outputVariables !== undefined) {
        throw err('ValidationException', 'outputVariables can be included only when there is no continuation token on the request');
      }
      for (const [k, v] of Object.entries(input.outputVariables ?? {})) {
        if (!/^[A-Za-z0-9@_-]+$/.test(k) || typeof v !== 'string') {
          throw err('ValidationException', `Invalid output variable ${k}: keys match [A-Za-z0-9@\\-_]+ and values are strings`);
        }
      }
      if (input.executionDetails?.summary !== undefined && input.executionDetails.summary.length > 2048) {
        throw err('ValidationException', 'executionDetails.summary must be at most 2048 characters long');
      }
      const job = this.recordAttempt(input.jobId, {
        kind: 'success',
        continuationToken: input.continuationToken,
        outputVariables: input.outputVariables,
        executionDetails: input.executionDetails,
      });
      const exec = this.execution(job.executionId);
      if (input.continuationToken !== undefined) {
        const { stage, action } = this.action(job.pipelineName, job.actionName);
        const next = this.newJob(exec, stage.name, action, job.actionExecutionId, job.userParameters);
        next.continuationToken = input.continuationToken;
        // The running action shows its job's latest word: GetPipelineState's ActionExecution
        // summary and percentComplete (API reference, ActionExecution; ExecutionDetails).
        const running = this.actionOf(job);
        if (input.executionDetails?.summary !== undefined) running.summary = input.executionDetails.summary;
        running.percentComplete = input.executionDetails?.percentComplete;
        next.continuationOf = job.id;
        job.continuedBy = next.id;
      } else {
        this.actionSucceeded(this.actionOf(job), input.outputVariables ?? {}, input.executionDetails?.summary);
      }
      return {};
    },

    PutJobFailureResult: (input: { jobId: string; failureDetails: { type: string; message: string; externalExecutionId?: string } }) => {
      const f = input.failureDetails;
      if (!f || !FAILURE_TYPES.includes(f.type)) {
        throw err('ValidationException', `failureDetails.type must be one of ${FAILURE_TYPES.join(', ')}`);
      }
      if (typeof f.message !== 'string' || f.message.length < 1 || f.message.length > 5000) {
        throw err('ValidationException', 'failureDetails.message must be between 1 and 5000 characters long');
      }
      const job = this.recordAttempt(input.jobId, { kind: 'failure', failure: { ...f } });
      this.actionFailed(this.actionOf(job), f.message);
      return {};
    },

    GetJobDetails: (input: { jobId: string }): GetJobDetailsCommandOutput => {
      const job = this.jobs.get(input.jobId);
      if (!job) throw err('JobNotFoundException', `The job was not found: ${input.jobId}`);
      const data = this.jobEvent(job)['CodePipeline.job'].data;
      return { jobDetails: { id: job.id, accountId: job.accountId, data: data as never }, $metadata: {} };
    },

    ListActionExecutions: (input: { pipelineName: string; filter?: { pipelineExecutionId?: string }; maxResults?: number }): ListActionExecutionsCommandOutput => {
      const def = this.pipeline(input.pipelineName);
      const actions = [...this.executions.values()]
        .filter((e) => e.pipelineName === def.name && (!input.filter?.pipelineExecutionId || e.id === input.filter.pipelineExecutionId))
        .flatMap((e) => e.actions)
        .sort((x, y) => y.startTime - x.startTime);
      if (input.filter?.pipelineExecutionId && !this.executions.has(input.filter.pipelineExecutionId)) {
        throw err('PipelineExecutionNotFoundException', `Pipeline execution ${input.filter.pipelineExecutionId} not found`);
      }
      const details: ActionExecutionDetail[] = actions.slice(0, input.maxResults ?? 100).map((a) => {
        const { action } = this.action(def.name, a.actionName);
        return {
          pipelineExecutionId: a.executionId,
          actionExecutionId: a.actionExecutionId,
          pipelineVersion: 1,
          stageName: a.stageName,
          actionName: a.actionName,
          startTime: new Date(a.startTime),
          lastUpdateTime: new Date(a.lastUpdateTime),
          ...(a.updatedBy ? { updatedBy: a.updatedBy } : {}),
          status: a.status,
          input: {
            actionTypeId: {
              category: action.category,
              owner: 'AWS',
              provider: action.provider,
              version: '1',
            },
            configuration: (action.functionName
              ? { FunctionName: action.functionName, UserParameters: action.userParameters ?? '' }
              : {}) as Record<string, string>,
            region: this.world.region,
            inputArtifacts: [],
            ...(action.namespace ? { namespace: action.namespace } : {}),
          },
          output: {
            outputArtifacts: [],
            executionResult: {
              externalExecutionId: a.externalExecutionId,
              externalExecutionSummary: a.summary,
            },
            outputVariables: { ...(a.outputVariables ?? {}) },
          },
        };
      });
      return { actionExecutionDetails: details, $metadata: {} };
    },

    GetPipelineState: (input: { name: string }): GetPipelineStateCommandOutput => {
      const def = this.pipeline(input.name);
      const executions = [...this.executions.values()].filter((e) => e.pipelineName === def.name);
      const stageStatus = (exec: ExecutionState, stageName: string): 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped' | 'Stopping' => {
        const runs = exec.actions.filter((a) => a.stageName === stageName);
        if (runs.some((a) => a.status === 'Failed') && exec.status === 'Failed') return 'Failed';
        if (exec.status === 'Stopped' && runs.some((a) => a.status === 'Abandoned' || a.status === 'InProgress')) return 'Stopped';
        if (this.lockHolder(def.name, stageName) === exec.id) return exec.status === 'Stopping' ? 'Stopping' : 'InProgress';
        return 'Succeeded';
      };
      const stageStates: StageState[] = def.stages.map((stage) => {
        const runs = executions.flatMap((e) => e.actions).filter((a) => a.stageName === stage.name);
        const holder = this.lockHolder(def.name, stage.name);
        const latestId = holder ?? runs.sort((x, y) => y.startTime - x.startTime)[0]?.executionId;
        const inbound = this.inboundOf(def.name, stage.name).map((pipelineExecutionId) => ({ pipelineExecutionId, status: 'InProgress' as const, type: 'STANDARD' as const }));
        return {
          stageName: stage.name,
          inboundTransitionState: { enabled: true },
          ...(latestId ? { latestExecution: { pipelineExecutionId: latestId, status: stageStatus(this.execution(latestId), stage.name) } } : {}),
          ...(inbound.length ? { inboundExecution: inbound[0], inboundExecutions: inbound } : {}),
          actionStates: stage.actions.map((action) => {
            const a = runs.filter((r) => r.actionName === action.name).sort((x, y) => y.startTime - x.startTime)[0];
            return {
              actionName: action.name,
              ...(a
                ? {
                    latestExecution: {
                      actionExecutionId: a.actionExecutionId,
                      status: a.status,
                      lastStatusChange: new Date(a.lastUpdateTime),
                      ...(a.summary ? { summary: a.summary } : {}),
                      ...(a.percentComplete !== undefined ? { percentComplete: a.percentComplete } : {}),
                      ...(a.token ? { token: a.token } : {}),
                      ...(a.updatedBy ? { lastUpdatedBy: a.updatedBy } : {}),
                    },
                  }
                : {}),
            };
          }),
        };
      });
      return {
        pipelineName: def.name,
        pipelineVersion: 1,
        stageStates,
        created: new Date(0),
        updated: new Date(0),
        $metadata: {},
      };
    },

    RetryStageExecution: (input: { pipelineName: string; stageName: string; pipelineExecutionId: string; retryMode: string }) => {
      if (input.retryMode !== 'FAILED_ACTIONS' && input.retryMode !== 'ALL_ACTIONS') throw err('ValidationException', 'retryMode must be FAILED_ACTIONS or ALL_ACTIONS');
      this.retryStage(input.pipelineExecutionId, input.stageName);
      return { pipelineExecutionId: input.pipelineExecutionId, $metadata: {} };
    },

    StopPipelineExecution: (input: { pipelineName: string; pipelineExecutionId: string; abandon?: boolean; reason?: string }) => {
      this.pipeline(input.pipelineName);
      const e = this.executions.get(input.pipelineExecutionId);
      if (!e || e.pipelineName !== input.pipelineName) throw err('PipelineExecutionNotFoundException', `Pipeline execution ${input.pipelineExecutionId} not found`);
      this.stopExecution(e.id, Boolean(input.abandon));
      return { pipelineExecutionId: e.id, $metadata: {} };
    },

    PutApprovalResult: (input: {
      pipelineName: string;
      stageName: string;
      actionName: string;
      result: { summary: string; status: 'Approved' | 'Rejected' };
      token: string;
    }): PutApprovalResultCommandOutput => {
      this.pipeline(input.pipelineName);
      const approvals = [...this.executions.values()]
        .filter((e) => e.pipelineName === input.pipelineName)
        .flatMap((e) => e.actions)
        .filter((a) => a.stageName === input.stageName && a.actionName === input.actionName);
      if (!approvals.length) throw err('ActionNotFoundException', `Action ${input.actionName} not found in stage ${input.stageName}`);
      const pending = approvals.find((a) => a.token === input.token && a.status === 'InProgress');
      if (!pending) {
        const latest = approvals.sort((x, y) => y.startTime - x.startTime)[0];
        if (latest.status !== 'InProgress') throw err('ApprovalAlreadyCompletedException', 'The approval action has already been completed.');
        throw err('InvalidApprovalTokenException', 'The approval token is not valid.');
      }
      this.completeApproval(this.execution(pending.executionId), pending, input.result.status, this.callerArn, input.result.summary);
      return { approvedAt: new Date(this.world.now()), $metadata: {} };
    },

    ListPipelineExecutions: (input: { pipelineName: string; maxResults?: number }): ListPipelineExecutionsCommandOutput => {
      this.pipeline(input.pipelineName);
      const summaries = [...this.executions.values()]
        .filter((e) => e.pipelineName === input.pipelineName)
        .sort((x, y) => y.startTime - x.startTime)
        .slice(0, input.maxResults ?? 100)
        .map((e) => ({
          pipelineExecutionId: e.id,
          status: e.status,
          startTime: new Date(e.startTime),
          lastUpdateTime: new Date(e.lastUpdateTime),
          sourceRevisions: [{ actionName: 'Source', revisionId: e.commit, revisionSummary: `commit ${e.commit}` }],
          trigger: { triggerType: 'Webhook' as const, triggerDetail: 'arn:aws:codeconnections:us-east-1:111122223333:connection/example' },
          executionMode: 'QUEUED' as const,
          executionType: 'STANDARD' as const,
        }));
      return { pipelineExecutionSummaries: summaries, $metadata: {} };
    },

    GetPipelineExecution: (input: { pipelineName: string; pipelineExecutionId: string }): GetPipelineExecutionCommandOutput => {
      this.pipeline(input.pipelineName);
      const e = this.executions.get(input.pipelineExecutionId);
      if (!e || e.pipelineName !== input.pipelineName) {
        throw err('PipelineExecutionNotFoundException', `Pipeline execution ${input.pipelineExecutionId} not found`);
      }
      return {
        pipelineExecution: {
          pipelineName: e.pipelineName,
          pipelineVersion: 1,
          pipelineExecutionId: e.id,
          status: e.status,
          artifactRevisions: [{ name: 'SourceArtifact', revisionId: e.commit, revisionSummary: `commit ${e.commit}`, created: new Date(e.startTime) }],
          variables: [],
          trigger: { triggerType: 'Webhook', triggerDetail: 'arn:aws:codeconnections:us-east-1:111122223333:connection/example' },
          executionMode: 'QUEUED',
          executionType: 'STANDARD',
        },
        $metadata: {},
      };
    },
  };
}
