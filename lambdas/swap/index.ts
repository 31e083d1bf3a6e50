// Swap: after approval, move production to the green slot (CodePipeline job): all at once, or in
// weighted steps (a traffic shift, ./shift.ts). Also serves the direct invokes of operators and
// Bake: {"action":"rollback"|"promote"|"abort",…}.
import { randomUUID } from 'node:crypto';
import { InputError, ReleaseConfig, otherSlot } from '../core/config';
import { UNKNOWN_ACTOR, decideRollback, releaseView } from '../core/decide-rollback';
import { errorSummary } from '../core/errors';
import {
  InvocationContext,
  OperatorRequest,
  OperatorResult,
  PipelineJob,
  isPipelineJobEvent,
  parseOperatorEvent,
  parseSwapParameters,
} from '../core/events';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ApprovalProof, proveApproved } from '../core/approval';
import { LeaseRecord } from '../core/lease';
import { Logger } from '../core/ports';
import { approvalLookup, executionLookup, jobReporter } from '../adapters/codepipeline';
import { cloudWatchAlarms } from '../adapters/cloudwatch';
import { ecrImages } from '../adapters/ecr';
import { ecsSlots } from '../adapters/ecs';
import { elbRoutes } from '../adapters/elb';
import { snsNotifier } from '../adapters/sns';
import { ssmLeaseStore, ssmRollbackRequests, ssmStateStore } from '../adapters/ssm';
import { beginOperation, endHold } from '../adapters/lease';
import { taggingLabels } from '../adapters/tagging';
import { resolveRoutes } from '../core/routes';
import { StateRecord, rollbackExecutionId } from '../core/state';
import { JobOutcome, continues, failure, handlerDeps, runPipelineJob, sentence } from '../adapters/job';
import { freeLiveSlot, settleAfterRollback, slotScaling } from '../adapters/scaling';
import { aasSend } from '../adapters/scaling-client';
import { retirementScheduler, scheduleRetirement, unqualifiedFunctionArn } from '../adapters/scheduler';
import { schedulerSend } from '../adapters/scheduler-client';
import { inProgress, retireUnderLease, startScaleUp } from './retire';
import { requestedRollbackInvoke } from './requested';
import { parameterChangeOf } from '../core/requested';
import { createLogger } from '../adapters/log';
import { applyReleasePlan, notify } from './apply';
import { evidenceStoreFor } from '../adapters/evidence';
import { s3Send } from '../adapters/s3-client';
import { recordMoveEvidence } from './evidence';
import { Deps, FALLBACK_APPROVER, Ports, auditMessage, auditSubject, beginSwapOperation, readStateLeniently } from './shared';
import { swapUnderLease } from './all-at-once';
import { abortUnderLease, isShiftToken, promoteUnderLease, shiftPoll, shiftStartUnderLease } from './shift';

export { FALLBACK_APPROVER };

// Created once per container, only the clients this function uses.
const clients = {
  elbv2: new ElasticLoadBalancingV2Client({}),
  ecs: new ECSClient({}),
  ecr: new ECRClient({}),
  ssm: new SSMClient({}),
  tagging: new ResourceGroupsTaggingAPIClient({}),
  codepipeline: new CodePipelineClient({}),
  sns: new SNSClient({}),
  cloudwatch: new CloudWatchClient({}),
  s3: new S3Client({}),
};

const aas = aasSend();
const scheduler = schedulerSend();

export function swapPorts(config: ReleaseConfig): Ports {
  return {
    evidence: evidenceStoreFor(config, s3Send(clients.s3)),
    routes: elbRoutes(clients, config),
    slots: ecsSlots(clients, config),
    images: ecrImages(clients, config.repositoryName),
    labels: taggingLabels(clients),
    state: ssmStateStore(clients, config.stateParameterName, config.stateKeyArn),
    lease: ssmLeaseStore(clients, config.leaseParameterPath, config.stateKeyArn),
    executions: executionLookup(clients, config.pipelineName),
    notifier: config.notificationTopicArn ? snsNotifier(clients, config.notificationTopicArn) : null,
    approvals: approvalLookup(clients),
    alarms: cloudWatchAlarms(clients),
    ...(config.autoScaling ? { scaling: slotScaling(aas, config) } : {}),
    ...(config.previousSlotRetention ? { retirement: retirementScheduler(scheduler, config.previousSlotRetention, config.pipelineName) } : {}),
    ...(config.rollbackRequestParameterName ? { requests: ssmRollbackRequests(clients, config.rollbackRequestParameterName) } : {}),
  };
}

export function createSwapHandler(overrides: Partial<Deps> = {}) {
  const deps: Deps = { ...handlerDeps({ ports: swapPorts, reporter: jobReporter(clients) }, overrides), ...(overrides.selfArn ? { selfArn: overrides.selfArn } : {}) };
  return async (event: unknown, context?: InvocationContext): Promise<OperatorResult | void> => {
    const selfArn = unqualifiedFunctionArn(context?.invokedFunctionArn) ?? deps.selfArn;
    const invocation: Deps = selfArn === undefined ? deps : { ...deps, selfArn };
    if (isPipelineJobEvent(event)) {
      return runPipelineJob(event, 'swap', invocation, (job, log) => swapJob(job, invocation, log), (err) => `Swap failed before changing any route, so the system is in the old state: ${errorSummary(err)}`);
    }
    const change = parameterChangeOf(event);
    if (change !== null) {
      const log = createLogger({ operation: 'rollback-request', jobId: null, executionId: null }, deps.logSink);
      return requestedRollbackInvoke(event as Record<string, unknown>, change, invocation, (rollback) => operatorInvoke(rollback, context, invocation), log);
    }
    return operatorInvoke(event, context, invocation);
  };
}

export const handler = createSwapHandler();

/** How long a Swap job waits for another operation to let go of the slots before it fails. */
export const SWAP_LEASE_WAIT_SECONDS = 600;

async function swapJob(job: PipelineJob, deps: Deps, baseLog: Logger): Promise<JobOutcome> {
  const request = parseSwapParameters(job.userParameters, job.pipelineExecutionId);
  const executionId = request.executionId;
  const log = baseLog.child({ executionId, greenSlot: request.greenSlot, digest: request.imageDigest });
  const config = deps.loadConfig();
  const ports = deps.ports(config);
  if (job.continuationToken !== undefined && isShiftToken(job.continuationToken)) return shiftPoll(job.continuationToken, request, config, ports, deps, log);
  const oldState = (reason: string) => failure(`Swap refused and nothing changed, so the system is in the old state: ${reason}`, executionId);

  const waitingSince = job.continuationToken !== undefined ? parseSwapWait(job.continuationToken) : deps.now().toISOString();
  const held = await beginSwapOperation(request, config, ports, deps, log);
  if (held.kind === 'refused') return oldState(held.reason);
  if (held.kind === 'busy') {
    if (deps.now().getTime() - Date.parse(waitingSince) >= SWAP_LEASE_WAIT_SECONDS * 1000) {
      return oldState(`the slots stayed held for ${SWAP_LEASE_WAIT_SECONDS / 60} minutes (${held.reason}); retry the stage`);
    }
    log.info('waiting for the slots', { reason: held.reason });
    return { kind: 'success', result: { summary: `Waiting: ${held.reason}`, executionId, continuationToken: JSON.stringify({ waitingSince }) } };
  }
  let outcome: JobOutcome | undefined;
  try {
    outcome = config.trafficShift !== undefined ? await shiftStartUnderLease(request, config, config.trafficShift, ports, deps, log) : await swapUnderLease(request, config, ports, deps, log);
    return outcome;
  } finally {
    // Without a bake, the release ends with its swap; with one, Bake gives the release back. A
    // shift that goes on keeps it.
    const releaseEnds = !config.bakeAfterSwap && !continues(outcome);
    await endHold(ports.lease, held.lease, { dropRelease: releaseEnds }, deps.now, log);
    if (releaseEnds) await freeLiveSlot(ports, config, log);
    if (releaseEnds && outcome?.kind === 'success') await scheduleRetirement(ports.retirement, config.previousSlotRetention, { executionId, liveSlot: request.greenSlot, targetArn: deps.selfArn }, deps.now(), log);
  }
}

function parseSwapWait(raw: string): string {
  try {
    const doc = JSON.parse(raw) as { waitingSince?: unknown };
    if (typeof doc.waitingSince === 'string' && !Number.isNaN(Date.parse(doc.waitingSince))) return doc.waitingSince;
  } catch {
    // fall through
  }
  throw new InputError('The Swap continuation token is not one this function wrote.');
}

// ------------------------------------------------------------------ operators: rollback, promote, abort

const UNKNOWN_VIEW = { liveSlot: null, liveDigest: null, previousDigest: null };
const OPERATOR_NAMES = { rollback: 'Rollback', promote: 'Promote', abort: 'Abort', retire: 'Retire' } as const;
const ACTIONS = Object.keys(OPERATOR_NAMES) as (keyof typeof OPERATOR_NAMES)[];
const DONE: readonly OperatorResult['outcome'][] = ['rolled-back', 'promoted', 'aborted', 'retired', 'already-done', 'in-progress'];

async function operatorInvoke(event: unknown, context: InvocationContext | undefined, deps: Deps): Promise<OperatorResult> {
  const asked = (event as { action?: unknown } | null)?.action;
  // A malformed event is most likely a rollback's (the one action there was before the others).
  const action = ACTIONS.find((a) => a === asked) ?? 'rollback';
  let log = createLogger({ operation: action, jobId: null, executionId: null }, deps.logSink);
  let request: OperatorRequest;
  try {
    request = parseOperatorEvent(event, context?.awsRequestId ?? randomUUID());
  } catch (err) {
    log.warn(`${action} refused: malformed event`, { error: errorSummary(err) });
    return { outcome: 'refused', message: sentence(`${OPERATOR_NAMES[action]} refused and nothing changed: ${(err as Error).message}`), ...UNKNOWN_VIEW, state: 'old' };
  }
  const what = OPERATOR_NAMES[request.action];
  const executionId = request.action === 'rollback' ? rollbackExecutionId(request.requestId) : request.action === 'retire' ? `retire:${request.forRelease}` : `${request.action}:${request.requestId}`;
  log = log.child({ executionId, actor: request.actor ?? UNKNOWN_ACTOR });
  let result: OperatorResult;
  try {
    result = await underOperation(request, executionId, deps, log);
  } catch (err) {
    result = { outcome: 'failed', message: sentence(`${what} failed before changing any route, so the system is in the old state: ${errorSummary(err)}`), ...UNKNOWN_VIEW, state: 'old' };
  }
  (DONE.includes(result.outcome) ? log.info : log.warn)(result.message, { outcome: result.outcome, state: result.state });
  // Scheduler invokes asynchronously and nobody reads the answer: a retire that found the slots
  // held fails the invoke, so Lambda retries it (twice, over about three minutes).
  if (request.action === 'retire' && result.outcome === 'busy') throw new RetireLaterError(result.message);
  return result;
}

export class RetireLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetireLaterError';
  }
}

/** Every operator action runs under the lease's operation hold, like a swap. */
async function underOperation(request: OperatorRequest, executionId: string, deps: Deps, log: Logger): Promise<OperatorResult> {
  const config = deps.loadConfig();
  const ports = deps.ports(config);
  const held = await beginOperation(ports.lease, ports.executions, { id: executionId, kind: request.action, timeoutSeconds: config.operationTimeoutSeconds }, () => null, deps.now, log);
  if (held.kind !== 'held') {
    return { outcome: 'busy', message: sentence(`${OPERATOR_NAMES[request.action]} not started and nothing changed: ${held.reason}; ask again shortly`), ...UNKNOWN_VIEW, state: 'old' };
  }
  let result: OperatorResult | undefined;
  try {
    if (request.action === 'promote') result = await promoteUnderLease(request, executionId, config, ports, held.lease, deps, log);
    else if (request.action === 'abort') result = await abortUnderLease(request, executionId, 'abort', config, ports, deps, log);
    else if (request.action === 'retire') result = await retireUnderLease(request, config, ports, held.lease, deps, log);
    else result = await rollbackUnderLease(request, executionId, config, ports, held.lease, deps, log);
    return result;
  } finally {
    // A rollback scaling its target back up keeps the slots until it is asked again (the hold lapses by itself otherwise).
    if (result?.outcome !== 'in-progress') await endHold(ports.lease, held.lease, { dropRelease: false }, deps.now, log);
    // Between releases, an operator's rollback makes the other slot the previous one: it keeps its count, the new live slot scales freely.
    if (result?.outcome === 'rolled-back' && held.lease.release === null) await settleAfterRollback(ports, config, log);
  }
}

async function rollbackUnderLease(
  request: OperatorRequest,
  executionId: string,
  config: ReleaseConfig,
  ports: Ports,
  lease: LeaseRecord,
  deps: Deps,
  log: Logger,
): Promise<OperatorResult> {
  const refused = (message: string, view: Pick<OperatorResult, 'liveSlot' | 'liveDigest' | 'previousDigest'>): OperatorResult => ({
    outcome: 'refused',
    message: sentence(`Rollback refused and nothing changed: ${message}`),
    ...view,
    state: 'old',
  });
  const routes = await ports.routes.read();
  const shifting = resolveRoutes(config, routes, { shifting: true });
  // During a traffic shift, going back is the abort: all of production back on the live slot.
  if (shifting.ok && shifting.view.shift !== null) return abortUnderLease(request, executionId, 'rollback', config, ports, deps, log, routes);
  const resolved = resolveRoutes(config, routes);
  if (!resolved.ok) return refused(resolved.reason, UNKNOWN_VIEW);
  const liveSlot = resolved.view.liveSlot;
  const targetSlot = otherSlot(liveSlot);
  const [stored, target, targetTag] = await Promise.all([
    readStateLeniently(ports, log),
    ports.slots.observe(targetSlot),
    ports.images.tagged(config.slots[targetSlot].imageTag),
  ]);
  const state = stored.state;
  if (stored.malformed) return refused('the state record is malformed or not sealed by the control plane, so the rollback target is unknown', { liveSlot, liveDigest: null, previousDigest: null });
  const holderId = lease.release?.executionId;
  const releaseHolder = holderId === undefined ? null : { executionId: holderId, running: await ports.executions.inProgress(holderId) };
  const proof = state?.previousDigest ? await approvalProofOf(ports, config, state, log) : null;
  const canScaleUp = config.previousSlotRetention !== undefined;
  const decision = decideRollback({ config, request, routes, target, targetTag, state, releaseHolder, proof, now: deps.now(), canScaleUp });
  if (decision.kind === 'scale-up') return startScaleUp(decision, request, config, ports, state as StateRecord, deps, log);
  if (decision.kind === 'in-progress') return inProgress(request, decision.reason, releaseView(liveSlot, state));
  if (decision.kind === 'already-done') {
    return { outcome: 'already-done', message: sentence(`Nothing to do: ${decision.reason}`), ...releaseView(liveSlot, state), state: 'new' };
  }
  if (decision.kind === 'refused') return refused(decision.reason, releaseView(liveSlot, state));
  const applied = await applyReleasePlan(config, ports, decision, log);
  const evidence = applied.ok || applied.state === 'new' ? await recordMoveEvidence(ports, config, { operation: 'rollback', executionId, requestId: request.requestId }, decision.nextState, log) : null;
  const withEvidence = (message: string) => sentence(evidence ? `${message}; ${evidence}` : message);
  if (!applied.ok) {
    const view = applied.state === 'old' ? releaseView(liveSlot, state) : { liveSlot: decision.toSlot, liveDigest: decision.liveDigest, previousDigest: decision.previousDigest };
    return { outcome: 'failed', message: withEvidence(`Rollback failed and the system is in the ${applied.state} state: ${applied.reason}`), ...view, state: applied.state };
  }
  const by = request.actor ?? UNKNOWN_ACTOR;
  const unpublished = await notify(
    ports,
    config.pipelineName,
    auditSubject('Rollback', decision.toSlot, config.pipelineName),
    auditMessage({
      operation: 'rollback',
      pipeline: config.pipelineName,
      executionId,
      by,
      fromSlot: decision.fromSlot,
      toSlot: decision.toSlot,
      liveDigest: decision.liveDigest,
      previousDigest: decision.previousDigest,
      commit: decision.nextState?.commit ?? null,
      reason: request.reason,
    }),
    log,
  );
  const moved = `Production moved back from slot ${decision.fromSlot} to slot ${decision.toSlot} (${decision.liveDigest})`;
  return {
    outcome: 'rolled-back',
    message: withEvidence(unpublished ? `${moved}, but ${unpublished}` : moved),
    liveSlot: decision.toSlot,
    liveDigest: decision.liveDigest,
    previousDigest: decision.previousDigest,
    state: 'new',
  };
}

/** CodePipeline's own record of the execution that released the rollback target. */
async function approvalProofOf(ports: Ports, config: ReleaseConfig, state: StateRecord, log: Logger): Promise<ApprovalProof> {
  const digest = state.previousDigest as string;
  const history = state.previousReleaseId === null ? [] : await ports.approvals.releaseRecord(config.pipelineName, state.previousReleaseId);
  const proof = proveApproved(digest, state.previousReleaseId, history);
  log.info('rollback target approval', { digest, releaseId: state.previousReleaseId, ...(proof.proven ? { proven: proof.how } : { refused: proof.reason }) });
  return proof;
}

