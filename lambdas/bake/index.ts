// Bake: after the swap, watch the new live slot's alarms for a window (continuation tokens). On an
// alarm, ask the swap function for a rollback (same lock, same audit) and fail the execution.
import { S3Client } from '@aws-sdk/client-s3';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { BakeConfig, CONFIG_ENV, InputError, ReleaseConfig } from '../core/config';
import {
  BakeProgress,
  BakeToken,
  BakeVerdict,
  watchedAlarmNames,
  bakeRollbackEvent,
  decideAfterBakeTransientError,
  decideBakePoll,
  judgeBakeRollback,
  parseBakeParameters,
  parseBakeToken,
  planBakeStart,
  serialiseBakeToken,
} from '../core/decide-bake';
import { errorSummary, isTransientError } from '../core/errors';
import { InvocationContext, PipelineJob } from '../core/events';
import { BakePorts, Logger, RollbackInvocation } from '../core/ports';
import { cloudWatchAlarms } from '../adapters/cloudwatch';
import { jobReporter } from '../adapters/codepipeline';
import { elbRoutes } from '../adapters/elb';
import { HandlerDeps, JobOutcome, handlerDeps, pollOutcome, runPipelineJob } from '../adapters/job';
import { lambdaRollback } from '../adapters/lambda';
import { dropRelease } from '../adapters/lease';
import { freeLiveSlot, slotScaling } from '../adapters/scaling';
import { aasSend } from '../adapters/scaling-client';
import { retirementScheduler, scheduleRetirement } from '../adapters/scheduler';
import { schedulerSend } from '../adapters/scheduler-client';
import { ssmLeaseStore } from '../adapters/ssm';
import { BakeEntry, EvidencePorts, evidenceText } from '../core/evidence';
import { withEvidenceProblem } from '../adapters/evidence-outcome';
import { evidenceStoreFor, recordEvidence } from '../adapters/evidence';
import { s3Send } from '../adapters/s3-client';

const OPERATION = 'bake';

// Created once per container, only the clients this function uses.
const clients = {
  elbv2: new ElasticLoadBalancingV2Client({}),
  cloudwatch: new CloudWatchClient({}),
  lambda: new LambdaClient({}),
  ssm: new SSMClient({}),
  codepipeline: new CodePipelineClient({}),
  s3: new S3Client({}),
};

/** The bake section is required here: without it there is nothing to watch and no way back. */
export function bakeConfigOf(config: ReleaseConfig): BakeConfig {
  if (config.bake === undefined) throw new InputError(`${CONFIG_ENV} has no bake section, so the Bake function does not know which alarms to watch.`);
  return config.bake;
}

const aas = aasSend();
const scheduler = schedulerSend();

export function bakePorts(config: ReleaseConfig): BakePorts & EvidencePorts {
  return {
    evidence: evidenceStoreFor(config, s3Send(clients.s3)),
    routes: elbRoutes(clients, config),
    alarms: cloudWatchAlarms(clients),
    rollback: lambdaRollback(clients, bakeConfigOf(config).swapFunctionName),
    lease: ssmLeaseStore(clients, config.leaseParameterPath, config.stateKeyArn),
    ...(config.autoScaling ? { scaling: slotScaling(aas, config) } : {}),
    ...(config.previousSlotRetention ? { retirement: retirementScheduler(scheduler, config.previousSlotRetention, config.pipelineName) } : {}),
  };
}

type Deps = HandlerDeps<BakePorts & EvidencePorts>;

export function createBakeHandler(overrides: Partial<Deps> = {}) {
  const deps = handlerDeps({ ports: bakePorts, reporter: jobReporter(clients) }, overrides);
  return async (event: unknown, _context?: InvocationContext): Promise<void> =>
    runPipelineJob(
      event,
      OPERATION,
      deps,
      async (job, log) => {
        const params = parseBakeParameters(job.userParameters, job.pipelineExecutionId);
        const config = deps.loadConfig();
        const bake = bakeConfigOf(config);
        const ports = deps.ports(config);
        const outcome = job.continuationToken === undefined ? start(params, bake, deps) : await poll(job, params.executionId, config, bake, ports, deps, log);
        return outcome.kind === 'success' ? { kind: 'success', result: { ...outcome.result, executionId: params.executionId } } : { ...outcome, executionId: params.executionId };
      },
      (err) => `Bake failed before judging the release and changed nothing: ${errorSummary(err)}`,
    );
}

export const handler = createBakeHandler();

function start(params: ReturnType<typeof parseBakeParameters>, bake: BakeConfig, deps: Deps): JobOutcome {
  const token = planBakeStart(params, bake, deps.now());
  return {
    kind: 'success',
    result: {
      summary: `Baking slot ${token.slot} (${token.digest}) until ${token.until}, watching ${watchedAlarmNames(bake, token.slot).length} alarm(s)`,
      continuationToken: serialiseBakeToken(token),
    },
  };
}

async function poll(job: PipelineJob, executionId: string, config: ReleaseConfig, bake: BakeConfig, ports: BakePorts & EvidencePorts, deps: Deps, baseLog: Logger): Promise<JobOutcome> {
  const token = parseBakeToken(job.continuationToken as string);
  const log = baseLog.child({ slot: token.slot, digest: token.digest });
  let progress: BakeProgress;
  try {
    const [routes, alarms] = await Promise.all([ports.routes.read(), ports.alarms.describe(watchedAlarmNames(bake, token.slot))]);
    progress = decideBakePoll({ config, bake, token, routes, alarms, now: deps.now() });
  } catch (err) {
    if (!isTransientError(err)) throw err;
    progress = decideAfterBakeTransientError(token, deps.now(), errorSummary(err));
  }
  const verdict = progress.kind === 'rollback' ? await rollBack(token, executionId, progress, ports, deps, log) : progress;
  // The bake is the end of the release, whichever way it ends: the slots are free for the next one.
  if (verdict.kind !== 'continue') {
    await dropRelease(ports.lease, executionId, deps.now, log);
    await freeLiveSlot(ports, config, log);
  }
  // A bake that passed ends the release with production on the new slot: the other one may retire later.
  if (verdict.kind === 'succeed') {
    const retention = config.previousSlotRetention;
    await scheduleRetirement(ports.retirement, retention, { executionId, liveSlot: token.slot, targetArn: retention?.swapFunctionArn }, deps.now(), log);
  }
  const outcome = pollOutcome(verdict, serialiseBakeToken(token), { waiting: 'Baking', failed: 'Bake failed' }, log);
  if (verdict.kind === 'continue') return outcome;
  const entry: BakeEntry = {
    id: `bake:${job.id}`,
    kind: 'bake',
    at: deps.now().toISOString(),
    outcome: verdict.kind === 'succeed' ? 'passed' : progress.kind === 'rollback' ? 'rolled-back' : 'failed',
    slot: token.slot,
    digest: token.digest,
    message: evidenceText(verdict.kind === 'succeed' ? verdict.summary : verdict.reason) ?? '',
  };
  return withEvidenceProblem(outcome, await recordEvidence(ports.evidence, config.pipelineName, executionId, [entry], log));
}

async function rollBack(
  token: BakeToken,
  executionId: string,
  { fired, reason }: { fired: string; reason: string },
  ports: BakePorts,
  deps: Deps,
  log: Logger,
): Promise<BakeVerdict> {
  log.warn('alarm fired; asking the swap function to roll back', { reason });
  let invocation: RollbackInvocation;
  try {
    invocation = await ports.rollback.rollback(bakeRollbackEvent({ executionId, slot: token.slot, reason }));
  } catch (err) {
    // A lost response may hide a rollback that ran; asking again is safe (same request id), and the
    // next poll sees the routes either way. Any other error means the swap function never ran.
    invocation = isTransientError(err)
      ? { kind: 'busy', message: errorSummary(err) }
      : { kind: 'error', message: `the swap function could not be invoked: ${errorSummary(err)}` };
  }
  log.info('rollback answered', { invocation: invocation.kind, ...(invocation.kind === 'result' ? { outcome: invocation.result.outcome, state: invocation.result.state } : { message: invocation.message }) });
  return judgeBakeRollback(token, fired, invocation, deps.now());
}
