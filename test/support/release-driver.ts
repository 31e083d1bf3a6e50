// Drives pipeline executions through the real handlers the way CodePipeline would: a job per
// Invoke action (re-invoked with the continuation token, the world ticking in between), a manual
// approval, and direct rollback invocations of the swap function. Handlers are passed in, so
// the same driver serves the handler suites and the CLI's.
import type { AwsWorld } from './aws-model';
import type { CodePipelineJobEvent, ExecutionState, JobState } from './model/codepipeline';
import type { LambdaHandler } from './model/small-services';
import type { RollbackResult } from '../../lambdas/core/events';
import type { BuiltImage, ReleaseStack, SlotName } from './release-stack';

export type { RollbackResult };

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
  | { kind: 'rollback'; functionName: string; event: RollbackEvent; result?: RollbackResult; thrown?: unknown };

export interface RollbackEvent {
  action: 'rollback';
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
  status: 'succeeded' | 'failed' | 'in-progress' | 'no-result';
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
   * delivery that left no result.
   */
  async deploy(release: Release, opts: { maxPolls?: number } = {}): Promise<JobOutcome> {
    const chain = release.deploy?.status === 'in-progress' ? release.deploy.jobIds : [];
    let jobId = release.pendingDeployJob ?? this.world.codepipeline.createJob(release.execution.id, 'DeployGreen').id;
    const maxPolls = opts.maxPolls ?? this.opts.maxPolls;
    for (let polls = 0; ; polls++) {
      const outcome = await this.deliverJob(this.stack.ids.deployFunctionName, this.handlers.deployGreen, jobId);
      chain.push(jobId);
      const job = this.world.codepipeline.job(jobId);
      if (!job.result || job.result.kind === 'failure' || !job.continuedBy) {
        release.pendingDeployJob = undefined;
        release.deploy = { ...resultOf(job, outcome.thrown), jobIds: chain };
        return release.deploy;
      }
      jobId = job.continuedBy;
      release.pendingDeployJob = jobId;
      if (polls + 1 >= maxPolls) {
        release.deploy = { status: 'in-progress', jobIds: chain };
        return release.deploy;
      }
      this.world.tick(this.opts.ticksBetweenPolls);
    }
  }

  /** Puts the approval in progress (if needed) and approves it; the digest becomes approved. */
  approve(release: Release, by = DEFAULT_APPROVER): void {
    this.decide(release, 'Approved', by);
    this.approved.add(release.deploy?.outputs?.IMAGE_DIGEST ?? release.image.digest);
  }

  reject(release: Release, by = DEFAULT_APPROVER): void {
    this.decide(release, 'Rejected', by);
  }

  /** Delivers a new Swap job of an approved release (call again for a stage retry). */
  async swap(release: Release): Promise<JobOutcome> {
    if (release.approval !== 'Approved') throw new Error('ReleaseDriver: swap before approval');
    const job = this.world.codepipeline.createJob(release.execution.id, 'Swap');
    const { thrown } = await this.deliverJob(this.stack.ids.swapFunctionName, this.handlers.swap, job.id);
    release.swap = { ...resultOf(this.world.codepipeline.job(job.id), thrown), jobIds: [job.id] };
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
    this.rollbackSeq += 1;
    const full: RollbackEvent = {
      action: 'rollback',
      reason: event.reason ?? 'error rate too high',
      actor: event.actor ?? 'arn:aws:sts::111122223333:assumed-role/OnCall/bob',
      requestId: event.requestId ?? `0e0e0e0e-0000-4000-8000-${this.rollbackSeq.toString(16).padStart(12, '0')}`,
      ...(event.expectedLiveSlot ? { expectedLiveSlot: event.expectedLiveSlot } : {}),
    };
    return this.deliverRollback(full);
  }

  /** Delivers an earlier event again, unchanged (same job id / same rollback request id). */
  async redeliver(delivery: Delivery | undefined = this.lastDelivery): Promise<JobOutcome | RollbackResult | undefined> {
    if (!delivery) throw new Error('ReleaseDriver: nothing delivered yet');
    if (delivery.kind === 'rollback') return this.deliverRollback(delivery.event);
    const handler = delivery.functionName === this.stack.ids.swapFunctionName ? this.handlers.swap : this.handlers.deployGreen;
    const { thrown } = await this.deliverJob(delivery.functionName, handler, delivery.jobId);
    return { ...resultOf(this.world.codepipeline.job(delivery.jobId), thrown), jobIds: [delivery.jobId] };
  }

  // ---- internals -------------------------------------------------------------------------------

  private decide(release: Release, status: 'Approved' | 'Rejected', by: string): void {
    if (release.deploy?.status !== 'succeeded') throw new Error('ReleaseDriver: approval before a successful deploy');
    this.world.codepipeline.requestApproval(release.execution.id);
    this.world.codepipeline.decide(release.execution.id, status, by);
    release.approval = status;
  }

  /** One asynchronous invocation: the first delivery plus Lambda's retries while the handler throws. */
  private async deliverJob(functionName: string, handler: LambdaHandler, jobId: string): Promise<{ thrown?: unknown }> {
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

  private async deliverRollback(event: RollbackEvent): Promise<RollbackResult | undefined> {
    const delivery: Delivery = { kind: 'rollback', functionName: this.stack.ids.swapFunctionName, event };
    this.deliveries.push(delivery);
    this.inFlight += 1;
    try {
      delivery.result = (await this.handlers.swap(event, this.context(delivery.functionName))) as RollbackResult;
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
