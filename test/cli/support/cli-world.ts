// Runs the `bluegreen` CLI in-process against the shared in-memory AWS model, with the real
// DeployGreen and Swap handlers behind CodePipeline and Lambda Invoke.
import { createDeployGreenHandler, deployPorts } from '../../../lambdas/deploy-green';
import { createSwapHandler, swapPorts } from '../../../lambdas/swap';
import { evidenceStoreFor } from '../../../lambdas/adapters/evidence';
import type { ReleaseConfig } from '../../../lambdas/core/config';
import { PipelineEventFeed } from '../../support/evidence-world';
import { worldS3Send } from '../../support/model/s3';
import { main } from '../../../lib/cli/main';
import { retirementScheduler } from '../../../lambdas/adapters/scheduler';
import { SchedulerModel, serveScheduler, worldSchedulerSend } from '../../support/model/scheduler';
import { AwsWorld } from '../../support/aws-model';
import { addAlarms, serveAlarms } from '../../support/bake-world';
import { AlarmModel } from '../../support/cloudwatch-model';
import { ReleaseDriver } from '../../support/release-driver';
import { seedReleaseStack, type ReleaseStack, type SeedOptions } from '../../support/release-stack';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The questions the CLI asked. */
  readonly asked: string[];
}

export interface RunOptions {
  /** Pretend to be on a terminal (prompts and spinner). */
  readonly tty?: boolean;
  /** Answers confirmations; runs between the CLI's look and its change. */
  readonly confirm?: (question: string) => boolean | Promise<boolean>;
  /** Runs at each wait of the CLI (after the world's tick), with the wait's number from 1: the world moving on meanwhile. */
  readonly onSleep?: (n: number) => void | Promise<void>;
  /** Aborting it is Ctrl-C. */
  readonly interrupt?: AbortSignal;
}

/** The on-call engineer's AWS identity (STS GetCallerIdentity); their local $USER is oncall-dana. */
export const ONCALL_ARN = 'arn:aws:sts::111122223333:assumed-role/OnCall/dana';

export class CliWorld {
  readonly world = new AwsWorld();
  readonly stack: ReleaseStack;
  readonly driver: ReleaseDriver;
  /** The handlers' structured log lines (kept off the test output). */
  readonly handlerLog: string[] = [];
  /** The construct's alarms, when the pipeline shifts traffic (the shift watches them). */
  readonly alarms: AlarmModel | null = null;

  /** With `evidence`: CodePipeline's events for the evidence recorder (deliver them after a step). */
  readonly events: PipelineEventFeed | undefined;

  /** With `previousSlotRetentionSeconds`: EventBridge Scheduler, whose due schedules `fireSchedules()` runs. */
  readonly scheduler: SchedulerModel | null = null;

  constructor(opts: Pick<SeedOptions, 'trafficShift' | 'testHeader' | 'previousSlotRetentionSeconds'> & { evidence?: boolean } = {}) {
    const logSink = (line: string) => void this.handlerLog.push(line);
    // The handlers stamp the record with world time, so it lines up with the pipeline's executions.
    const now = () => new Date(this.world.now());
    const evidence = (config: ReleaseConfig) => ({
      evidence: evidenceStoreFor(config, worldS3Send(this.world), now),
      ...(config.previousSlotRetention ? { retirement: retirementScheduler(worldSchedulerSend(this.world), config.previousSlotRetention, config.pipelineName) } : {}),
    });
    const deployGreen = this.world.actingAs('DeployGreen', createDeployGreenHandler({ logSink, now, ports: (config) => ({ ...deployPorts(config), ...evidence(config) }) }));
    const swap = this.world.actingAs('Swap', createSwapHandler({ logSink, now, ports: (config) => ({ ...swapPorts(config), ...evidence(config) }) }));
    this.stack = seedReleaseStack(this.world, { handlers: { deployGreen, swap }, evidence: opts.evidence, trafficShift: opts.trafficShift, testHeader: opts.testHeader, previousSlotRetentionSeconds: opts.previousSlotRetentionSeconds });
    const retention = this.stack.config.previousSlotRetention;
    if (retention) this.scheduler = serveScheduler(this.world, [retention.scheduleGroupName]);
    this.events = opts.evidence ? new PipelineEventFeed(this.world, this.stack, logSink) : undefined;
    this.world.sts.callerArn = ONCALL_ARN;
    this.world.install();
    if (opts.trafficShift) {
      this.alarms = new AlarmModel({ region: this.world.region, account: this.world.account, now: () => this.world.now() });
      this.alarms.grant = ['*'];
      addAlarms(this.alarms, this.stack.pipelineName);
      serveAlarms(this.world, this.alarms);
    }
    this.driver = new ReleaseDriver(this.world, this.stack, { deployGreen, swap });
  }

  /** Scheduler invokes the swap function for every schedule due at the world's time; returns the answers. */
  async fireSchedules(): Promise<unknown[]> {
    const answers: unknown[] = [];
    for (const due of this.scheduler?.due() ?? []) {
      answers.push(await this.driver.invokeSwap(JSON.parse(due.input.Target.Input)));
      this.scheduler!.completed(due);
    }
    return answers;
  }

  get pipeline(): string {
    return this.stack.pipelineName;
  }

  /** `bluegreen …argv`; every wait of the CLI advances the world by one tick. */
  async run(argv: string[], opts: RunOptions = {}): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const asked: string[] = [];
    let sleeps = 0;
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      isTTY: opts.tty ?? false,
      env: { USER: 'oncall-dana' },
      sleep: async () => {
        this.world.tick();
        await opts.onSleep?.(++sleeps);
      },
      s3: worldS3Send(this.world),
      ...(opts.interrupt ? { interrupt: opts.interrupt } : {}),
      ...(opts.confirm
        ? {
          confirm: async (q: string) => {
            asked.push(q);
            return opts.confirm!(q);
          },
        }
        : {}),
    });
    return { code, stdout, stderr, asked };
  }

  /** Two releases: v1 then v2. Slot a is live with v2, slot b keeps v1 warm (the rollback target). */
  async twoReleases() {
    const v1 = await this.driver.release('v1');
    const v2 = await this.driver.release('v2');
    return { v1, v2 };
  }

  /** A release built, deployed to the idle slot, and waiting in the Approve stage. */
  async pendingRelease(label: string) {
    const release = this.driver.start(label);
    const deploy = await this.driver.deploy(release);
    if (deploy.status !== 'succeeded') throw new Error(`deploy of ${label} ${deploy.status}: ${deploy.message}`);
    this.world.codepipeline.requestApproval(release.execution.id);
    return release;
  }

  approvalAction(executionId: string) {
    return this.world.codepipeline.execution(executionId).actions.find((a) => a.actionName === 'Approve');
  }
}
