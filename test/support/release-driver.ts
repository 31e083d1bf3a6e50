// Drives pipeline executions through the real handlers the way CodePipeline would: a job per
// Invoke action (re-invoked with the continuation token, the world ticking in between), a manual
// approval, and direct rollback invocations of the swap function. Handlers are passed in, so
// the same driver serves the handler suites and the CLI's.
import type { AwsWorld } from './aws-model';
import type { CodePipelineJobEvent, ExecutionState, JobState } from './model/codepipeline';
import type { LambdaHandler } from './model/small-services';
import type { OperatorResult, RollbackResult } from '../../lambdas/core/events';
import { stageOfAction, type BuiltImage, type ReleaseStack, type SlotName } from './release-stack';

export type { OperatorResult, RollbackResult };

export interface ReleaseHandlers {
  deployGreen: LambdaHandler;
  swap: LambdaHandler;
}

export interface DriverOptions {
  /** World ticks between two deliveries of a continuation chain (default 1). */
  ticksBetweenPolls?: number;
  /** Deliveries of one DeployGreen chain before `deploy()` returns `in-progress` (default 500). */
  maxPolls?: number;
  /**
   * Lambda's retries of an asynchronous invocation (CodePipeline invokes its Lambda actions
   * asynchronously): a job handler that throws gets the same event again, up to this many
   * times (default 2, Lambda's default).
   */
  asyncRetries?: number;
  /**
   * Called when a handler invocation is over, Lambda's retries included (e.g. to check invariants;
   * see `inFlight` for races).
   */
  afterInvocation?: (delivery: Delivery) => void;
}

export type Delivery =
  | { kind: 'job'; functionName: string; jobId: string; event: CodePipelineJobEvent; thrown?: unknown }
  | { kind: 'rollback'; functionName: string; event: RollbackEvent; result?: OperatorResult; thrown?: unknown };

/** A direct invoke of the swap function: a rollback, or an operator's promote or abort of a traffic shift. */
export interface RollbackEvent {
  action: 'rollback' | 'promote' | 'abort';
  reason: string;
  actor?: string;
  requestId?: string;
  expectedLiveSlot?: SlotName;
}

export interface Release {
  image: BuiltImage;
  execution: ExecutionState;
  /** The DeployGreen job to deliver next (set while the deploy is in progress). */
  pendingDeployJob?: string;
  deploy?: JobOutcome;
  approval?: 'Approved' | 'Rejected';
  swap?: JobOutcome;
}

export interface JobOutcome {
  /** 'queued': the action is not running (its stage is locked by another execution, or the execution ended). */
  status: 'succeeded' | 'failed' | 'in-progress' | 'no-result' | 'queued';
  /** Every job of the chain, first to last. */
  jobIds: string[];
  outputs?: Record<string, string>;
  message?: string;
  /** What the handler threw, if it threw. */
  thrown?: unknown;
}

const DEFAULT_APPROVER = 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/alice';

export class ReleaseDriver {
  /** Digests an approver approved (invariant 1's allow-list). */
  readonly approved = new Set<string>();
  readonly deliveries: Delivery[] = [];
  /** Handler invocations running now (several when a test races them). */
  inFlight = 0;
  private readonly opts: Required<Omit<DriverOptions, 'afterInvocation'>> & Pick<DriverOptions, 'afterInvocation'>;
  private rollbackSeq = 0;
  private readonly otherHandlers = new Map<string, LambdaHandler>();

  /** Another job handler (Bake), so that `redeliver` reaches it. */
  registerHandler(functionName: string, handler: LambdaHandler): void {
    this.otherHandlers.set(functionName, handler);
  }

  constructor(
    readonly world: AwsWorld,
    readonly stack: ReleaseStack,
    readonly handlers: ReleaseHandlers,
    opts: DriverOptions = {},
  ) {
    this.opts = {
      ticksBetweenPolls: opts.ticksBetweenPolls ?? 1,
      maxPolls: opts.maxPolls ?? 500,
      asyncRetries: opts.asyncRetries ?? 2,
      afterInvocation: opts.afterInvocation,
    };
  }

  get lastDelivery(): Delivery | undefined {
    return this.deliveries[this.deliveries.length - 1];
  }

  /** A commit was pushed: the Build stage produced `label`'s image and the execution reaches DeployGreen. */
  start(label: string): Release {
    const image = this.stack.build(label);
    const execution = this.world.codepipeline.startExecution(this.stack.pipelineName, {
      commit: image.commit,
      buildVariables: {
        IMAGE_URI: image.imageUri,
        IMAGE_DIGEST: image.digest,
        COMMIT: image.commit,
        SCAN_SUMMARY: '0 critical, 0 high, 2 medium; 0 secrets',
      },
    });
    return { image, execution };
  }

  /**
   * Runs (or continues) the DeployGreen chain until a terminal result, `maxPolls` deliveries, or a
   * delivery that left no result. 'queued' when CodePipeline has not started the action (another
   * execution holds its stage).
   */
  async deploy(release: Release, opts: { maxPolls?: number } = {}): Promise<JobOutcome> {
    const chain = release.deploy?.status === 'in-progress' ? release.deploy.jobIds : [];
    const first = release.pendingDeployJob ?? this.pendingOrRetried(release, 'DeployGreen')?.id;
    if (first === undefined) {
      release.deploy = { status: 'queued', jobIds: chain };
      return release.deploy;
    }
    const outcome = await this.runChain(this.stack.ids.deployFunctionName, this.handlers.deployGreen, first, chain, opts.maxPolls ?? this.opts.maxPolls);
    release.pendingDeployJob = outcome.status === 'in-progress' ? this.nextJob(outcome) : undefined;
    release.deploy = outcome;
    return outcome;
  }

  /** Approves the execution's pending approval; the digest becomes approved. */
  approve(release: Release, by = DEFAULT_APPROVER): void {
    this.decide(release, 'Approved', by);
    this.approved.add(release.deploy?.outputs?.IMAGE_DIGEST ?? release.image.digest);
  }

  reject(release: Release, by = DEFAULT_APPROVER): void {
    this.decide(release, 'Rejected', by);
  }

  /**
   * Delivers the Swap job CodePipeline sends after the approval, and its continuations (a Swap
   * that waits for the slots). Called again after a failed Swap, it retries the stage.
   */
  async swap(release: Release, opts: { maxPolls?: number } = {}): Promise<JobOutcome> {
    if (release.approval !== 'Approved') throw new Error('ReleaseDriver: swap before approval');
    const job = this.pendingOrRetried(release, 'Swap');
    if (!job) {
      release.swap = { status: 'queued', jobIds: [] };
      return release.swap;
    }
    release.swap = await this.runChain(this.stack.ids.swapFunctionName, this.handlers.swap, job.id, [], opts.maxPolls ?? this.opts.maxPolls);
    return release.swap;
  }

  /** Build, deploy, approve and swap in one go; throws unless every step succeeds. */
  async release(label: string): Promise<Release> {
    const release = this.start(label);
    const deploy = await this.deploy(release);
    if (deploy.status !== 'succeeded') throw new Error(`ReleaseDriver: deploy of ${label} ${deploy.status}: ${deploy.message ?? String(deploy.thrown)}`);
    this.approve(release);
    const swap = await this.swap(release);
    if (swap.status !== 'succeeded') throw new Error(`ReleaseDriver: swap of ${label} ${swap.status}: ${swap.message ?? String(swap.thrown)}`);
    return release;
  }

  /** Invokes the swap function with a rollback event, as the CLI or an operator would. */
  async rollback(event: Partial<Omit<RollbackEvent, 'action'>> = {}): Promise<RollbackResult | undefined> {
    return (await this.operator('rollback', event)) as RollbackResult | undefined;
  }

  /** Invokes the swap function with any direct event (a schedule's `retire`, a malformed one). */
  async invokeSwap(event: Record<string, unknown>): Promise<OperatorResult | undefined> {
    return this.deliverRollback(event as unknown as RollbackEvent);
  }

  /** `bluegreen promote`: all of production on the shift's candidate now. */
  promote(event: Partial<Omit<RollbackEvent, 'action'>> = {}): Promise<OperatorResult | undefined> {
    return this.operator('promote', { reason: 'looks good', ...event });
  }

  /** `bluegreen abort`: all of production back on the live slot now. */
  abort(event: Partial<Omit<RollbackEvent, 'action'>> = {}): Promise<OperatorResult | undefined> {
    return this.operator('abort', { reason: 'latency up', ...event });
  }

  private async operator(action: RollbackEvent['action'], event: Partial<Omit<RollbackEvent, 'action'>>): Promise<OperatorResult | undefined> {
    this.rollbackSeq += 1;
    const full: RollbackEvent = {
      action,
      reason: event.reason ?? 'error rate too high',
      actor: event.actor ?? 'arn:aws:sts::111122223333:assumed-role/OnCall/bob',
      requestId: event.requestId ?? `0e0e0e0e-0000-4000-8000-${this.rollbackSeq.toString(16).padStart(12, '0')}`,
      ...(event.expectedLiveSlot ? { expectedLiveSlot: event.expectedLiveSlot } : {}),
    };
    return this.deliverRollback(full);
  }

  /** Delivers an earlier event again, unchanged (same job id / same rollback request id). */
  async redeliver(delivery: Delivery | undefined = this.lastDelivery): Promise<JobOutcome | OperatorResult | undefined> {
    if (!delivery) throw new Error('ReleaseDriver: nothing delivered yet');
    if (delivery.kind === 'rollback') return this.deliverRollback(delivery.event);
    const handler =
      this.otherHandlers.get(delivery.functionName) ?? (delivery.functionName === this.stack.ids.swapFunctionName ? this.handlers.swap : this.handlers.deployGreen);
    const { thrown } = await this.deliverJob(delivery.functionName, handler, delivery.jobId);
    return { ...resultOf(this.world.codepipeline.job(delivery.jobId), thrown), jobIds: [delivery.jobId] };
  }

  // ---- internals -------------------------------------------------------------------------------

  private decide(release: Release, status: 'Approved' | 'Rejected', by: string): void {
    if (release.deploy?.status !== 'succeeded') throw new Error('ReleaseDriver: approval before a successful deploy');
    this.world.codepipeline.decide(release.execution.id, status, by);
    release.approval = status;
  }

  /** The action's running job; after the action failed, the job of a retry of its stage (RetryStageExecution). */
  private pendingOrRetried(release: Release, action: 'DeployGreen' | 'Swap'): JobState | undefined {
    const cp = this.world.codepipeline;
    const job = cp.pendingJob(release.execution.id, action);
    if (job || cp.execution(release.execution.id).status !== 'Failed') return job;
    const failed = [...cp.execution(release.execution.id).actions].reverse().find((a) => a.status === 'Failed');
    if (failed?.actionName !== action) return undefined;
    cp.retryStage(release.execution.id, stageOfAction(this.stack.layout, action));
    return cp.pendingJob(release.execution.id, action);
  }

  /** Delivers a job and its continuations (a tick between polls) until a terminal result or `maxPolls`. */
  private async runChain(functionName: string, handler: LambdaHandler, first: string, chain: string[], maxPolls: number): Promise<JobOutcome> {
    let jobId = first;
    for (let polls = 0; ; polls++) {
      const outcome = await this.deliverJob(functionName, handler, jobId);
      chain.push(jobId);
      const job = this.world.codepipeline.job(jobId);
      if (!job.result || job.result.kind === 'failure' || !job.continuedBy) return { ...resultOf(job, outcome.thrown), jobIds: chain };
      jobId = job.continuedBy;
      if (polls + 1 >= maxPolls) return { status: 'in-progress', jobIds: chain };
      this.world.tick(this.opts.ticksBetweenPolls);
    }
  }

  /** The job a chain that is still in progress continues with. */
  private nextJob(outcome: JobOutcome): string | undefined {
    const last = outcome.jobIds[outcome.jobIds.length - 1];
    return last === undefined ? undefined : this.world.codepipeline.job(last).continuedBy;
  }

  /** One asynchronous invocation: the first delivery plus Lambda's retries while the handler throws. */
  async deliverJob(functionName: string, handler: LambdaHandler, jobId: string): Promise<{ thrown?: unknown }> {
    let thrown: unknown;
    let delivery: Delivery | undefined;
    for (let attempt = 0; attempt <= this.opts.asyncRetries; attempt++) {
      const event = this.world.codepipeline.deliver(jobId);
      delivery = { kind: 'job', functionName, jobId, event };
      this.deliveries.push(delivery);
      this.inFlight += 1;
      try {
        await handler(event, this.context(functionName));
        thrown = undefined;
      } catch (e) {
        thrown = delivery.thrown = e;
      } finally {
        this.inFlight -= 1;
      }
      if (thrown === undefined) break;
    }
    this.opts.afterInvocation?.(delivery!);
    return { thrown };
  }

  private async deliverRollback(event: RollbackEvent): Promise<OperatorResult | undefined> {
    const delivery: Delivery = { kind: 'rollback', functionName: this.stack.ids.swapFunctionName, event };
    this.deliveries.push(delivery);
    this.inFlight += 1;
    try {
      delivery.result = (await this.handlers.swap(event, this.context(delivery.functionName))) as OperatorResult;
    } catch (e) {
      delivery.thrown = e;
    } finally {
      this.inFlight -= 1;
    }
    this.opts.afterInvocation?.(delivery);
    return delivery.result;
  }

  private context(functionName: string) {
    const deadline = this.world.now() + 60_000;
    return {
      awsRequestId: `0c0c0c0c-0000-4000-8000-${this.deliveries.length.toString(16).padStart(12, '0')}`,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.world.region}:${this.world.account}:function:${functionName}`,
      memoryLimitInMB: '256',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(1, deadline - this.world.now()),
    };
  }
}

function resultOf(job: JobState, thrown: unknown): Omit<JobOutcome, 'jobIds'> {
  if (!job.result) return { status: 'no-result', thrown };
  if (job.result.kind === 'failure') return { status: 'failed', message: job.result.failure?.message, thrown };
  if (job.continuedBy) return { status: 'in-progress', thrown };
  return { status: 'succeeded', outputs: job.result.outputVariables ?? {}, thrown };
}
