// Swap: after approval, move production to the green slot (CodePipeline job). Also serves the
// direct rollback invoke {"action":"rollback",…}, a re-swap to the previous slot.
import { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { InputError, ReleaseConfig, otherSlot } from '../core/config';
import { UNKNOWN_ACTOR, decideRollback, releaseView } from '../core/decide-rollback';
import { decideSwap, recordedPreviousDigest } from '../core/decide-swap';
import { errorSummary } from '../core/errors';
import { clip } from '../core/text';
import {
  InvocationContext,
  PipelineJob,
  RollbackRequest,
  RollbackResult,
  SwapParameters,
  isPipelineJobEvent,
  parseRollbackEvent,
  parseSwapParameters,
} from '../core/events';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ApprovalProof, proveApproved } from '../core/approval';
import { LeaseRecord } from '../core/lease';
import { Logger, SwapPorts } from '../core/ports';
import { approvalLookup, executionLookup, jobReporter } from '../adapters/codepipeline';
import { ecrImages } from '../adapters/ecr';
import { ecsSlots } from '../adapters/ecs';
import { elbRoutes } from '../adapters/elb';
import { snsNotifier } from '../adapters/sns';
import { ssmLeaseStore, ssmStateStore } from '../adapters/ssm';
import { beginOperation, endHold } from '../adapters/lease';
import { taggingLabels } from '../adapters/tagging';
import { resolveRoutes } from '../core/routes';
import { uniformDigest } from '../core/slot';
import { StateRecord, rollbackExecutionId } from '../core/state';
import { HandlerDeps, JobOutcome, failure, handlerDeps, runPipelineJob, sentence } from '../adapters/job';
import { createLogger } from '../adapters/log';
import { applyReleasePlan, notify } from './apply';
import { EvidencePorts } from '../core/evidence';
import { withEvidenceProblem } from '../adapters/evidence-outcome';
import { evidenceStoreFor } from '../adapters/evidence';
import { s3Send } from '../adapters/s3-client';
import { recordRollbackEvidence, recordSwapEvidence } from './evidence';

/** changedBy when the approver cannot be found. */
export const FALLBACK_APPROVER = 'codepipeline';
/** How much of a rollback's actor and reason an audit message repeats. */
const MAX_AUDIT_FIELD = 2048;

// Created once per container, only the clients this function uses.
const clients = {
  elbv2: new ElasticLoadBalancingV2Client({}),
  ecs: new ECSClient({}),
  ecr: new ECRClient({}),
  ssm: new SSMClient({}),
  tagging: new ResourceGroupsTaggingAPIClient({}),
  codepipeline: new CodePipelineClient({}),
  sns: new SNSClient({}),
  s3: new S3Client({}),
};

export function swapPorts(config: ReleaseConfig): SwapPorts & EvidencePorts {
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
  };
}

type Deps = HandlerDeps<SwapPorts & EvidencePorts>;

export function createSwapHandler(overrides: Partial<Deps> = {}) {
  const deps = handlerDeps({ ports: swapPorts, reporter: jobReporter(clients) }, overrides);
  return async (event: unknown, context?: InvocationContext): Promise<RollbackResult | void> => {
    if (isPipelineJobEvent(event)) {
      return runPipelineJob(event, 'swap', deps, (job, log) => swapJob(job, deps, log), (err) => `Swap failed before changing any route, so the system is in the old state: ${errorSummary(err)}`);
    }
    return rollback(event, context, deps);
  };
}

export const handler = createSwapHandler();

/** The state record, or why it cannot be used (a malformed record is drift, not a reason to stop a swap). */
async function readStateLeniently(ports: SwapPorts, log: Logger): Promise<{ state: StateRecord | null; malformed: boolean }> {
  try {
    return { state: await ports.state.read(), malformed: false };
  } catch (err) {
    if ((err as Error).name !== 'InputError') throw err;
    log.warn('the state record is malformed, so it is not trusted', { error: errorSummary(err) });
    return { state: null, malformed: true };
  }
}

/** How long a Swap job waits for another operation to let go of the slots before it fails. */
export const SWAP_LEASE_WAIT_SECONDS = 600;

async function swapJob(job: PipelineJob, deps: Deps, baseLog: Logger): Promise<JobOutcome> {
  const request = parseSwapParameters(job.userParameters, job.pipelineExecutionId);
  const executionId = request.executionId;
  const log = baseLog.child({ executionId, greenSlot: request.greenSlot, digest: request.imageDigest });
  const config = deps.loadConfig();
  const ports = deps.ports(config);
  const oldState = (reason: string) => failure(`Swap refused and nothing changed, so the system is in the old state: ${reason}`, executionId);

  const waitingSince = job.continuationToken !== undefined ? parseSwapWait(job.continuationToken) : deps.now().toISOString();
  const held = await beginOperation(
    ports.lease,
    ports.executions,
    { id: `swap:${executionId}`, kind: 'swap', timeoutSeconds: config.operationTimeoutSeconds, releaseFor: executionId },
    (lease, holderRunning) =>
      lease.release !== null && lease.release.executionId !== executionId && holderRunning
        ? `release ${lease.release.executionId} holds the slots while this execution asks to swap, so two releases are in flight; only the holder may swap`
        : null,
    deps.now,
    log,
  );
  if (held.kind === 'refused') return oldState(held.reason);
  if (held.kind === 'busy') {
    if (deps.now().getTime() - Date.parse(waitingSince) >= SWAP_LEASE_WAIT_SECONDS * 1000) {
      return oldState(`the slots stayed held for ${SWAP_LEASE_WAIT_SECONDS / 60} minutes (${held.reason}); retry the stage`);
    }
    log.info('waiting for the slots', { reason: held.reason });
    return { kind: 'success', result: { summary: `Waiting: ${held.reason}`, executionId, continuationToken: JSON.stringify({ waitingSince }) } };
  }
  const lease = held.lease;
  try {
    return await swapUnderLease(request, config, ports, deps, log);
  } finally {
    // Without a bake, the release ends with its swap; with one, Bake gives the release back.
    await endHold(ports.lease, lease, { dropRelease: !config.bakeAfterSwap }, deps.now, log);
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

async function swapUnderLease(request: SwapParameters, config: ReleaseConfig, ports: SwapPorts & EvidencePorts, deps: Deps, log: Logger): Promise<JobOutcome> {
  const executionId = request.executionId;
  const oldState = (reason: string) => failure(`Swap refused and nothing changed, so the system is in the old state: ${reason}`, executionId);
  const [routes, stored, green, greenTag] = await Promise.all([
    ports.routes.read(),
    readStateLeniently(ports, log),
    ports.slots.observe(request.greenSlot),
    ports.images.tagged(config.slots[request.greenSlot].imageTag),
  ]);
  const previous = await previousDigestOf(ports, config, stored, request, log);
  const approver = await approverOf(ports, config, executionId, log);
  const plan = decideSwap({
    config,
    request,
    routes,
    green,
    state: stored.state,
    previousDigest: previous.digest,
    previousReleaseId: previous.releaseId,
    greenTag,
    approver,
    now: deps.now(),
  });
  if (plan.kind === 'refused') return oldState(plan.reason);
  const previousDigest = previous.digest;

  const applied = await applyReleasePlan(ports, plan, log);
  const moved = applied.ok || applied.state === 'new';
  const evidence = moved ? await recordSwapEvidence(ports, config, executionId, plan.nextState ?? stored.state, log) : null;
  if (!applied.ok) {
    const next = applied.state === 'old' ? 'retry the Swap stage' : 'retry the Swap stage to finish';
    return withEvidenceProblem(failure(`Swap failed and the system is in the ${applied.state} state: ${applied.reason}; ${next}`, executionId), evidence);
  }
  const summary =
    plan.kind === 'already-swapped'
      ? `Production already served slot ${plan.toSlot} (${request.imageDigest}); finished the swap with ${applied.routeWrites} route write(s)`
      : `Production moved from slot ${plan.fromSlot} to slot ${plan.toSlot} (${request.imageDigest}), approved by ${approver}`;
  log.info(summary, { kind: plan.kind, previousDigest, approver });
  const unpublished =
    plan.kind === 'swap'
      ? await notify(ports, config.pipelineName, auditSubject('Swap', plan.toSlot, config.pipelineName), auditMessage('swap', config.pipelineName, executionId, approver, plan.fromSlot, plan.toSlot, request.imageDigest, previousDigest, request.commit), log)
      : null;
  const outcome: JobOutcome = { kind: 'success', result: { summary: unpublished ? `${summary}; ${unpublished}` : summary, executionId, outputVariables: { ...plan.outputs } } };
  return withEvidenceProblem(outcome, evidence);
}

/**
 * From the record when it can say (with the execution that released it); otherwise observed on the
 * old live slot (drift path only), and then with no release id: a rollback there cannot be proven.
 */
async function previousDigestOf(
  ports: SwapPorts,
  config: ReleaseConfig,
  stored: { state: StateRecord | null; malformed: boolean },
  request: SwapParameters,
  log: Logger,
): Promise<{ digest: string | null; releaseId: string | null }> {
  const known = stored.malformed ? { known: false as const } : recordedPreviousDigest(stored.state, request);
  if (known.known) return { digest: known.digest, releaseId: known.releaseId };
  const slot = otherSlot(request.greenSlot);
  const observed = uniformDigest((await ports.slots.observe(slot)).tasks, config.repositoryName);
  log.warn('the state record does not describe the live slot; observed its digest instead', { slot, observed });
  return { digest: observed, releaseId: null };
}

async function approverOf(ports: SwapPorts, config: ReleaseConfig, executionId: string, log: Logger): Promise<string> {
  try {
    const approver = await ports.approvals.approver(config.pipelineName, executionId);
    if (approver !== null) return approver;
    log.warn('no approval found for the execution; recording the pipeline as the actor');
  } catch (err) {
    log.warn('approver lookup failed; recording the pipeline as the actor', { error: errorSummary(err) });
  }
  return FALLBACK_APPROVER;
}

/** What changed first and the pipeline last, so a subject shortened to SNS's limit keeps its meaning. */
function auditSubject(operation: 'Swap' | 'Rollback', toSlot: string, pipelineName: string): string {
  return `${operation} to slot ${toSlot}: ${pipelineName}`;
}

function auditMessage(
  operation: string,
  pipelineName: string,
  executionId: string,
  by: string,
  fromSlot: string,
  toSlot: string,
  liveDigest: string | null,
  previousDigest: string | null,
  commit: string | null,
  reason?: string,
): string {
  // The actor and reason of a rollback come from its event: bounded, so the message stays within SNS's 256 KB.
  const audit = { operation, pipeline: pipelineName, executionId, by: clip(by, MAX_AUDIT_FIELD), fromSlot, toSlot, liveDigest, previousDigest, commit, ...(reason ? { reason: clip(reason, MAX_AUDIT_FIELD) } : {}) };
  return JSON.stringify(audit, null, 2);
}

// ------------------------------------------------------------------ rollback

async function rollback(event: unknown, context: InvocationContext | undefined, deps: Deps): Promise<RollbackResult> {
  let log = createLogger({ operation: 'rollback', jobId: null, executionId: null }, deps.logSink);
  const refused = (message: string, view: Pick<RollbackResult, 'liveSlot' | 'liveDigest' | 'previousDigest'>): RollbackResult => ({
    outcome: 'refused',
    message: sentence(message),
    ...view,
    state: 'old',
  });
  const unknownView = { liveSlot: null, liveDigest: null, previousDigest: null };
  let request: RollbackRequest;
  try {
    request = parseRollbackEvent(event, context?.awsRequestId ?? randomUUID());
  } catch (err) {
    log.warn('rollback refused: malformed event', { error: errorSummary(err) });
    return refused(`Rollback refused and nothing changed: ${(err as Error).message}`, unknownView);
  }
  const executionId = rollbackExecutionId(request.requestId);
  log = log.child({ executionId, actor: request.actor ?? UNKNOWN_ACTOR });
  let result: RollbackResult;
  try {
    result = await rollbackWith(request, executionId, deps, log);
  } catch (err) {
    result = { outcome: 'failed', message: sentence(`Rollback failed before changing any route, so the system is in the old state: ${errorSummary(err)}`), ...unknownView, state: 'old' };
  }
  (result.outcome === 'rolled-back' || result.outcome === 'already-done' ? log.info : log.warn)(result.message, { outcome: result.outcome, state: result.state });
  return result;
}

async function rollbackWith(request: RollbackRequest, executionId: string, deps: Deps, log: Logger): Promise<RollbackResult> {
  const config = deps.loadConfig();
  const ports = deps.ports(config);
  const unknownView = { liveSlot: null, liveDigest: null, previousDigest: null };
  const held = await beginOperation(
    ports.lease,
    ports.executions,
    { id: executionId, kind: 'rollback', timeoutSeconds: config.operationTimeoutSeconds },
    () => null,
    deps.now,
    log,
  );
  if (held.kind !== 'held') {
    return { outcome: 'busy', message: sentence(`Rollback not started and nothing changed: ${held.reason}; ask again shortly`), ...unknownView, state: 'old' };
  }
  try {
    return await rollbackUnderLease(request, executionId, config, ports, held.lease, deps, log);
  } finally {
    await endHold(ports.lease, held.lease, { dropRelease: false }, deps.now, log);
  }
}

async function rollbackUnderLease(
  request: RollbackRequest,
  executionId: string,
  config: ReleaseConfig,
  ports: SwapPorts & EvidencePorts,
  lease: LeaseRecord,
  deps: Deps,
  log: Logger,
): Promise<RollbackResult> {
  const refused = (message: string, view: Pick<RollbackResult, 'liveSlot' | 'liveDigest' | 'previousDigest'>): RollbackResult => ({
    outcome: 'refused',
    message: sentence(`Rollback refused and nothing changed: ${message}`),
    ...view,
    state: 'old',
  });
  const routes = await ports.routes.read();
  const resolved = resolveRoutes(config, routes);
  if (!resolved.ok) return refused(resolved.reason, { liveSlot: null, liveDigest: null, previousDigest: null });
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
  const decision = decideRollback({ config, request, routes, target, targetTag, state, releaseHolder, proof, now: deps.now() });
  if (decision.kind === 'already-done') {
    return { outcome: 'already-done', message: sentence(`Nothing to do: ${decision.reason}`), ...releaseView(liveSlot, state), state: 'new' };
  }
  if (decision.kind === 'refused') return refused(decision.reason, releaseView(liveSlot, state));
  const applied = await applyReleasePlan(ports, decision, log);
  const evidence = applied.ok || applied.state === 'new' ? await recordRollbackEvidence(ports, config, executionId, request.requestId, state, decision.nextState, log) : null;
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
    auditMessage('rollback', config.pipelineName, executionId, by, decision.fromSlot, decision.toSlot, decision.liveDigest, decision.previousDigest, decision.nextState?.commit ?? null, request.reason),
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
async function approvalProofOf(ports: SwapPorts, config: ReleaseConfig, state: StateRecord, log: Logger): Promise<ApprovalProof> {
  const digest = state.previousDigest as string;
  const history = state.previousReleaseId === null ? [] : await ports.approvals.releaseRecord(config.pipelineName, state.previousReleaseId);
  const proof = proveApproved(digest, state.previousReleaseId, history);
  log.info('rollback target approval', { digest, releaseId: state.previousReleaseId, ...(proof.proven ? { proven: proof.how } : { refused: proof.reason }) });
  return proof;
}
