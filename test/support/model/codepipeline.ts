// CodePipeline as the release control plane sees it: pipelines with stages and actions,
// executions, Lambda jobs (every PutJob*Result attempt recorded, the accepted one being the job's
// result, continuations creating a new job like CodePipeline does), and manual approvals.
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
  /** Invoke actions: the Lambda function and the UserParameters template (`#{Ns.VAR}`). */
  functionName?: string;
  userParameters?: string;
}

export interface PipelineDefinition {
  name: string;
  stages: { name: string; actions: ActionDefinition[] }[];
}

export type ExecutionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped' | 'Superseded';

export interface ActionExecutionState {
  actionExecutionId: string;
  executionId: string;
  stageName: string;
  actionName: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';
  startTime: number;
  lastUpdateTime: number;
  updatedBy?: string;
  summary?: string;
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

  /** Starts an execution; Source and every Build action succeed at once with `buildVariables`. */
  startExecution(pipelineName: string, opts: { commit: string; buildVariables?: Record<string, string> }): ExecutionState {
    const def = this.pipeline(pipelineName);
    const id = `5f2c1b9e-0000-4000-8000-${this.ids.hex(12)}`;
    const exec: ExecutionState = {
      id,
      pipelineName,
      status: 'InProgress',
      startTime: this.world.now(),
      lastUpdateTime: this.world.now(),
      commit: opts.commit,
      actions: [],
    };
    this.executions.set(id, exec);
    for (const stage of def.stages) {
      for (const action of stage.actions) {
        if (action.category === 'Source') {
          this.actionSucceeded(this.startAction(exec, stage.name, action.name), { CommitId: opts.commit });
        } else if (action.category === 'Build') {
          this.actionSucceeded(this.startAction(exec, stage.name, action.name), opts.buildVariables ?? {});
        }
      }
    }
    return exec;
  }

  execution(id: string): ExecutionState {
    const exec = this.executions.get(id);
    if (!exec) throw new Error(`AwsWorld: no pipeline execution ${id}`);
    return exec;
  }

  /** Creates the job CodePipeline would send for an Invoke action (UserParameters resolved). */
  createJob(executionId: string, actionName: string): JobState {
    const exec = this.execution(executionId);
    const { stage, action } = this.action(exec.pipelineName, actionName);
    if (action.category !== 'Invoke') throw new Error(`AwsWorld: ${actionName} is not a Lambda invoke action`);
    const actionExec = this.startAction(exec, stage.name, action.name);
    return this.newJob(exec, stage.name, action, actionExec.actionExecutionId, this.resolveVariables(exec, action.userParameters ?? ''));
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

  /** Puts a manual approval action of the execution in progress and returns its token. */
  requestApproval(executionId: string, actionName = 'Approve'): string {
    const exec = this.execution(executionId);
    const { stage, action } = this.action(exec.pipelineName, actionName);
    const a = this.startAction(exec, stage.name, action.name);
    a.token = `7a1d3c5e-0000-4000-8000-${this.ids.hex(12)}`;
    return a.token;
  }

  /** Approves or rejects the pending approval of an execution as `by` (not an API call). */
  decide(executionId: string, status: 'Approved' | 'Rejected', by: string, summary = ''): void {
    const exec = this.execution(executionId);
    const pending = exec.actions.find((a) => a.token && a.status === 'InProgress');
    if (!pending) throw new Error(`AwsWorld: execution ${executionId} has no pending approval`);
    this.completeApproval(exec, pending, status, by, summary);
  }

  finishExecution(executionId: string, status: ExecutionStatus): void {
    const exec = this.execution(executionId);
    exec.status = status;
    exec.lastUpdateTime = this.world.now();
  }

  /** Every job the functions received (delivered at least once). */
  deliveredJobs(): JobState[] {
    return [...this.jobs.values()].filter((j) => j.deliveries > 0);
  }

  // ---- internals -------------------------------------------------------------------------------

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

  private startAction(exec: ExecutionState, stageName: string, actionName: string): ActionExecutionState {
    const a: ActionExecutionState = {
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

  private actionSucceeded(a: ActionExecutionState, outputVariables: Record<string, string>, summary?: string): void {
    a.status = 'Succeeded';
    a.outputVariables = outputVariables;
    a.summary = summary;
    a.lastUpdateTime = this.world.now();
    const exec = this.execution(a.executionId);
    const stages = this.pipeline(exec.pipelineName).stages;
    if (stages[stages.length - 1].name === a.stageName) this.finishExecution(exec.id, 'Succeeded');
  }

  private actionFailed(a: ActionExecutionState, summary: string): void {
    a.status = 'Failed';
    a.summary = summary;
    a.lastUpdateTime = this.world.now();
    this.finishExecution(a.executionId, 'Failed');
  }

  private completeApproval(exec: ExecutionState, a: ActionExecutionState, status: 'Approved' | 'Rejected', by: string, summary: string): void {
    a.updatedBy = by;
    a.token = undefined;
    if (status === 'Approved') this.actionSucceeded(a, {}, summary || `Approved by ${by}`);
    else this.actionFailed(a, summary || `Rejected by ${by}`);
    exec.lastUpdateTime = this.world.now();
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
      const stageStates: StageState[] = def.stages.map((stage) => {
        const runs = executions.flatMap((e) => e.actions).filter((a) => a.stageName === stage.name);
        const latest = runs.sort((x, y) => y.startTime - x.startTime)[0];
        return {
          stageName: stage.name,
          inboundTransitionState: { enabled: true },
          ...(latest
            ? { latestExecution: { pipelineExecutionId: latest.executionId, status: latest.status === 'Succeeded' ? 'Succeeded' : latest.status === 'Failed' ? 'Failed' : 'InProgress' } }
            : {}),
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
