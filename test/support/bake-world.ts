// The Bake stage in the in-memory world, without touching the shared model: CloudWatch alarms
// added with `world.extend`, a Bake action appended to the seeded pipeline, and a driver for the
// Bake job's continuation chain. The swap function the Bake handler invokes is the real swap
// handler the release stack registers with the Lambda model.
import { CloudWatchClient, DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import { AwsStub, mockClient } from 'aws-sdk-client-mock';
import { bakePorts, createBakeHandler } from '../../lambdas/bake';
import { slotScaling } from '../../lambdas/adapters/scaling';
import { worldAasSend } from './model/aas';
import { evidenceStoreFor } from '../../lambdas/adapters/evidence';
import { worldS3Send } from './model/s3';
import { BakeConfig, ReleaseConfig } from '../../lambdas/core/config';
import { retirementScheduler } from '../../lambdas/adapters/scheduler';
import { worldSchedulerSend } from './model/scheduler';
import { watchAlarmName } from '../../lib/private/bake-alarms';
import type { AwsWorld, ServiceKey } from './aws-model';
import { AlarmModel } from './cloudwatch-model';
import type { LambdaHandler } from './model/small-services';
import type { JobOutcome, Release } from './release-driver';
import type { ReleaseHarness } from './release-harness';
import type { SlotName } from './release-stack';

/** CloudWatch is not one of the shared model's services; its calls are still logged and faultable. */
export const CLOUDWATCH = 'cloudwatch' as ServiceKey;
export const BAKE_USER_PARAMETERS = '{"liveSlot":"#{Swap.LIVE_SLOT}","imageDigest":"#{Swap.LIVE_DIGEST}","executionId":"#{codepipeline.PipelineExecutionId}"}';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let cloudwatchStub: AwsStub<any, any, any> | undefined;
let current: AwsWorld | undefined;

/** Routes every CloudWatchClient to the newest world (created once per process, like `install()`). */
function installCloudWatch(world: AwsWorld): void {
  current = world;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  cloudwatchStub ??= mockClient(CloudWatchClient as any);
  cloudwatchStub.send.callsFake(
    (command: { input: unknown; constructor: { name: string } }) =>
      current!.dispatch(CLOUDWATCH, command.constructor.name.replace(/Command$/, ''), command.input) as Promise<never>,
  );
}

export function uninstallCloudWatch(): void {
  cloudwatchStub?.restore();
  cloudwatchStub = undefined;
}

export interface BakeWorld {
  readonly alarms: AlarmModel;
  readonly config: ReleaseConfig;
  readonly bake: BakeConfig;
  readonly handler: LambdaHandler;
  readonly functionName: string;
  /** Runs the Bake job chain of an execution whose Swap succeeded, a tick between polls. */
  run(release: Release, opts?: { maxPolls?: number; beforePoll?: (poll: number) => Promise<void> | void; check?: boolean }): Promise<JobOutcome>;
  /** Delivers a Bake job again, unchanged (a duplicate delivery). */
  redeliver(jobId: string): Promise<void>;
}

/** The metric alarms of a slot (`app-slot-<x>-5xx`, `-unhealthy`) and the user's own (`app-errors`). */
export const slotAlarmNames = (slot: SlotName): string[] => [`app-slot-${slot}-5xx`, `app-slot-${slot}-unhealthy`];
export const SHARED_ALARMS = ['app-errors'];

/**
 * The alarms as the construct lays them out: each slot's metric alarms under one composite alarm
 * per slot, the user's under one more, and Bake's configuration naming only the composites.
 */
export function addAlarms(alarms: AlarmModel, pipelineName: string): { a: string[]; b: string[]; shared: string[] } {
  for (const name of [...slotAlarmNames('a'), ...slotAlarmNames('b'), ...SHARED_ALARMS]) alarms.addMetric(name);
  const anyOf = (names: string[]) => `(${names.map((n) => `ALARM("${alarms.arnOf(n)}")`).join(' OR ')})`;
  const watched = watchedNames(pipelineName);
  alarms.addComposite(watched.a[0], anyOf(slotAlarmNames('a')));
  alarms.addComposite(watched.b[0], anyOf(slotAlarmNames('b')));
  alarms.addComposite(watched.shared[0], anyOf(SHARED_ALARMS));
  return watched;
}

/** The composite alarms' names, as the construct gives them. */
export function watchedNames(pipelineName: string): { a: string[]; b: string[]; shared: string[] } {
  return { a: [watchAlarmName(pipelineName, 'slot-a')], b: [watchAlarmName(pipelineName, 'slot-b')], shared: [watchAlarmName(pipelineName, 'shared')] };
}

/** Routes the world's CloudWatch DescribeAlarms to `alarms` (calls logged and faultable like the rest). */
export function serveAlarms(world: AwsWorld, alarms: AlarmModel): void {
  world.extend(CLOUDWATCH, 'DescribeAlarms', (input) => alarms.describe(input as DescribeAlarmsCommandInput));
  installCloudWatch(world);
}

/**
 * Adds Bake to a release harness: alarms, the pipeline's Bake action, and the real Bake handler.
 * `grant` is the Resource list of Bake's cloudwatch:DescribeAlarms permission (default "*", as the
 * construct grants it).
 */
export function addBake(h: ReleaseHarness, opts: { windowSeconds?: number; grant?: readonly string[] } = {}): BakeWorld {
  const { world, stack } = h;
  // A traffic shift's harness already serves the construct's alarms: Bake watches the same ones.
  const alarms = h.alarms ?? new AlarmModel({ region: world.region, account: world.account, now: () => world.now() });
  alarms.grant = opts.grant ?? ['*'];
  const watched = h.alarms ? watchedNames(stack.pipelineName) : addAlarms(alarms, stack.pipelineName);
  h.alarms = alarms;
  const bake: BakeConfig = { alarms: { a: watched.a, b: watched.b }, sharedAlarms: watched.shared, swapFunctionName: stack.ids.swapFunctionName, windowSeconds: opts.windowSeconds ?? 120 };
  const retention = stack.config.previousSlotRetention;
  // Only Bake's copy names the swap function for the retirement schedule (the swap function knows itself).
  const swapFunctionArn = `arn:aws:lambda:${world.region}:${world.account}:function:${stack.ids.swapFunctionName}`;
  const config: ReleaseConfig = { ...stack.config, bakeAfterSwap: true, bake, ...(retention ? { previousSlotRetention: { ...retention, swapFunctionArn } } : {}) };
  serveAlarms(world, alarms);
  const functionName = `${stack.pipelineName}-bake`;
  const action = { name: 'Bake', category: 'Invoke' as const, provider: 'Lambda', namespace: 'Bake', functionName, userParameters: BAKE_USER_PARAMETERS };
  const stages = world.codepipeline.pipelines.get(stack.pipelineName)!.stages;
  // The last action of the Release stage, as the construct builds it (or a stage of its own).
  const releaseStage = stages.find((st) => st.name === 'Release');
  if (releaseStage) releaseStage.actions.push({ ...action, runOrder: releaseStage.actions.length + 1 });
  else stages.push({ name: 'Bake', actions: [action] });
  // With a bake, the swap leaves the release lease to Bake, which gives it back when the window ends.
  process.env.BLUEGREEN_CONFIG = JSON.stringify({ ...stack.config, bakeAfterSwap: true });
  const logSink = (line: string) => void h.logs.push(line);
  // Only Bake's copy of the configuration carries the bake section, as the construct does it.
  const handler = world.actingAs('Bake', createBakeHandler({ loadConfig: () => config, logSink, now: () => new Date(world.now()), ports: (c) => ({ ...bakePorts(c), evidence: evidenceStoreFor(c, worldS3Send(world)), ...(c.autoScaling ? { scaling: slotScaling(worldAasSend(world), c) } : {}), ...(c.previousSlotRetention ? { retirement: retirementScheduler(worldSchedulerSend(world), c.previousSlotRetention, c.pipelineName) } : {}) }) }));
  world.lambda.register(functionName, handler);
  h.driver.registerHandler(functionName, handler);

  // CodePipeline invokes Lambda actions asynchronously: a handler that throws gets Lambda's retries.
  const deliver = async (jobId: string) => {
    await h.driver.deliverJob(functionName, handler, jobId);
  };

  return {
    alarms,
    config,
    bake,
    handler,
    functionName,
    async run(release, runOpts = {}) {
      const jobIds: string[] = [];
      let jobId = world.codepipeline.createJob(release.execution.id, 'Bake').id;
      for (let poll = 0; poll < (runOpts.maxPolls ?? 200); poll++) {
        await runOpts.beforePoll?.(poll);
        await deliver(jobId);
        jobIds.push(jobId);
        if (runOpts.check ?? true) h.check();
        const job = world.codepipeline.job(jobId);
        if (!job.result) return { status: 'no-result', jobIds };
        if (job.result.kind === 'failure') return { status: 'failed', message: job.result.failure?.message, jobIds };
        if (!job.continuedBy) return { status: 'succeeded', outputs: job.result.outputVariables ?? {}, jobIds };
        jobId = job.continuedBy;
        world.tick();
      }
      return { status: 'in-progress', jobIds };
    },
    redeliver: deliver,
  };
}
