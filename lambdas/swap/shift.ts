// A traffic shift inside the Swap action: the first step under the first invocation's lease, then
// a continuation chain that watches the candidate's alarms and takes each further step under the
// lease's operation hold (taken and given back per step, so an operator's promote, abort or
// rollback gets in between steps). Promote and abort, the operators' early ends, live here too.
import { ReleaseConfig, SlotName, TrafficShiftConfig, otherSlot } from '../core/config';
import { judgeAlarms, watchedAlarmNames } from '../core/decide-bake';
import {
  SHIFT_GRACE_SECONDS,
  ShiftToken,
  ShiftWatch,
  decideAbort,
  decideAfterShiftTransientError,
  decidePromote,
  decideShiftStart,
  decideShiftStep,
  decideShiftWatch,
  parseShiftToken,
  resumeToken,
  serialiseShiftToken,
  shiftAbortRequest,
  shiftSteps,
  shiftableFrom,
} from '../core/decide-shift';
import { errorSummary, isTransientError } from '../core/errors';
import { OperatorResult, RollbackRequest, SwapParameters } from '../core/events';
import { LeaseRecord } from '../core/lease';
import { Logger, ObservedRoutes, SwapPorts } from '../core/ports';
import { describeShare, resolveRoutes, shares, trafficText, viewTraffic } from '../core/routes';
import { JobOutcome, continues, failure, sentence } from '../adapters/job';
import { endHold } from '../adapters/lease';
import { freeLiveSlot } from '../adapters/scaling';
import { scheduleRetirement } from '../adapters/scheduler';
import { swapUnderLease } from './all-at-once';
import { applyReleasePlan, applyShiftStep, notify } from './apply';
import { withEvidenceProblem } from '../adapters/evidence-outcome';
import { recordMoveEvidence } from './evidence';
import { Deps, Ports, approverOf, auditMessage, auditSubject, beginSwapOperation, readStateLeniently } from './shared';

export { isShiftToken } from '../core/decide-shift';

const oldStateFailure = (reason: string, executionId: string) => failure(`Swap refused and nothing changed, so the system is in the old state: ${reason}`, executionId);

function carryOn(token: ShiftToken, summary: string, executionId: string): JobOutcome {
  return { kind: 'success', result: { summary, executionId, continuationToken: serialiseShiftToken(token) } };
}

function stepSummary(shift: TrafficShiftConfig, token: ShiftToken, toSlot: SlotName, digest: string): string {
  return `Step ${token.step} of ${shiftSteps(shift).length}: ${describeShare(toSlot, token.percent)} on ${digest} until ${token.dueAt}, watching the candidate's alarms`;
}

/**
 * The first invocation of a shifting Swap, under its operation hold: the first step from a
 * recorded release; all at once when nothing was released before; from where the routes are
 * when the stage is retried or the job delivered twice.
 */
export async function shiftStartUnderLease(request: SwapParameters, config: ReleaseConfig, shift: TrafficShiftConfig, ports: Ports, deps: Deps, log: Logger): Promise<JobOutcome> {
  const executionId = request.executionId;
  const [routes, stored, green, greenTag] = await Promise.all([
    ports.routes.read(),
    readStateLeniently(ports, log),
    ports.slots.observe(request.greenSlot),
    ports.images.tagged(config.slots[request.greenSlot].imageTag),
  ]);
  const resolved = resolveRoutes(config, routes, { shifting: true });
  if (!resolved.ok) return oldStateFailure(resolved.reason, executionId);
  const view = resolved.view;
  const state = stored.state;
  // (A retry of such a swap, committed but not recorded, takes the all-at-once idempotent path too.)
  if (!stored.malformed && (state === null || state.liveDigest === null) && view.shift === null) {
    log.info('nothing was released before, so there is nothing to shift from: swapping all at once');
    return swapUnderLease(request, config, ports, deps, log);
  }
  if (view.shift !== null || view.liveSlot === request.greenSlot) {
    // A retried stage, or this job delivered twice: the routes say where the shift stands.
    const record = state?.shift?.executionId === executionId ? state.shift : undefined;
    if (view.shift !== null && view.shift.toSlot === request.greenSlot && record !== undefined && (view.shift.percent === record.percent || view.shift.percent === record.fromPercent)) {
      const token = resumeToken(shift, record, view.shift.percent);
      return carryOn(token, stepSummary(shift, token, request.greenSlot, request.imageDigest), executionId);
    }
    const token: ShiftToken = { phase: 'shift', step: 1, percent: 1, dueAt: deps.now().toISOString(), since: deps.now().toISOString() };
    return stepUnderLease(token, request, config, shift, ports, deps, log, { routes, state: stored, green });
  }
  if (stored.malformed || !shiftableFrom(state, view, request)) {
    return oldStateFailure(`the state record does not describe slot ${view.liveSlot}, the live slot, so a traffic shift cannot start from it (run bluegreen status)`, executionId);
  }
  const plan = decideShiftStart({ config, shift, request, view, green, state, greenTag, now: deps.now() });
  if (plan.kind === 'refused') return oldStateFailure(plan.reason, executionId);
  const applied = await applyShiftStep(config, ports, plan, log);
  if (!applied.ok && applied.state === 'old') return failure(`Swap failed and the system is in the old state: ${applied.reason}; retry the Swap stage`, executionId);
  if (!applied.ok) log.warn('the first step landed but its labels did not; the next step writes them', { reason: applied.reason });
  const unpublished = await notify(
    ports,
    config.pipelineName,
    auditSubject('Shift', plan.toSlot, config.pipelineName),
    auditMessage({
      operation: 'shift',
      pipeline: config.pipelineName,
      executionId,
      by: await approverOf(ports, config, executionId, log),
      fromSlot: plan.fromSlot,
      toSlot: plan.toSlot,
      liveDigest: state.liveDigest,
      previousDigest: state.previousDigest,
      commit: request.commit,
      traffic: trafficText(shares(plan.toSlot, plan.record.shift!.percent)),
    }),
    log,
  );
  const summary = stepSummary(shift, plan.token, plan.toSlot, request.imageDigest);
  return carryOn(plan.token, unpublished ? `${summary}; ${unpublished}` : summary, executionId);
}

/**
 * One poll of a shift: the routes and the candidate's alarms (no lease); then, when the step is
 * due, an alarm fired, or the routes moved, the lease and the decision.
 */
export async function shiftPoll(rawToken: string, request: SwapParameters, config: ReleaseConfig, ports: Ports, deps: Deps, log: Logger): Promise<JobOutcome> {
  const executionId = request.executionId;
  const token = parseShiftToken(rawToken);
  const shift = config.trafficShift;
  if (shift === undefined) {
    return failure(`Swap failed: the traffic shift configuration was removed while the shift to slot ${request.greenSlot} ran, so its alarms cannot be watched; run bluegreen status, then bluegreen promote or abort`, executionId);
  }
  let watch: ShiftWatch;
  try {
    const names = watchedAlarmNames(shift, request.greenSlot);
    const [routes, alarms] = await Promise.all([ports.routes.read(), ports.alarms.describe(names)]);
    watch = decideShiftWatch(config, token, request, routes, judgeAlarms(names, alarms), deps.now());
  } catch (err) {
    // Production is split: an error that will not go away by itself stops the shift rather than leave it unwatched.
    watch = isTransientError(err) ? decideAfterShiftTransientError(token, deps.now(), errorSummary(err)) : { kind: 'abort', reason: `polling the shift failed (${errorSummary(err)})` };
  }
  if (watch.kind === 'continue') {
    log.info('shifting', { reason: watch.reason });
    return carryOn(token, `Shifting: ${watch.reason}`, executionId);
  }
  let held: Awaited<ReturnType<typeof beginSwapOperation>>;
  try {
    held = await beginSwapOperation(request, config, ports, deps, log);
  } catch (err) {
    // Without the hold nothing may move, not even back: the next poll asks again, until the grace is over.
    if (isTransientError(err) && deps.now().getTime() < Date.parse(token.dueAt) + SHIFT_GRACE_SECONDS * 1000) return carryOn(token, `Shifting: the slots could not be taken (${errorSummary(err)}); trying again`, executionId);
    return failure(`Swap failed: the traffic shift to slot ${request.greenSlot} could not take the slots (${errorSummary(err)}), so production stays where it is; run bluegreen status, then bluegreen promote or abort`, executionId);
  }
  if (held.kind === 'refused') return failure(`Swap failed: ${held.reason}`, executionId);
  if (held.kind === 'busy') {
    log.info('waiting for the slots', { reason: held.reason });
    return carryOn(token, `Shifting, waiting for the slots: ${held.reason}`, executionId);
  }
  let outcome: JobOutcome | undefined;
  try {
    outcome = await stoppingOnError(token, request, config, ports, deps, log, () =>
      watch.kind === 'abort' ? abortShift(watch.reason, request, config, ports, deps, log) : stepUnderLease(token, request, config, shift, ports, deps, log),
    );
    return outcome;
  } finally {
    // The release ends here when the chain does: with a bake only if the shift failed (Bake never runs then).
    const releaseEnds = !continues(outcome) && (!config.bakeAfterSwap || outcome?.kind !== 'success');
    await endHold(ports.lease, held.lease, { dropRelease: releaseEnds }, deps.now, log);
    if (releaseEnds) await freeLiveSlot(ports, config, log);
    // A shift that got to 100% without a bake ends the release with production on the candidate.
    if (releaseEnds && outcome?.kind === 'success') await scheduleRetirement(ports.retirement, config.previousSlotRetention, { executionId: request.executionId, liveSlot: request.greenSlot, targetArn: deps.selfArn }, deps.now(), log);
  }
}

/**
 * A step's reads and writes may fail: a transient error is another poll until the step is overdue
 * by the grace, anything else (or later) stops the shift, putting production back.
 */
async function stoppingOnError(token: ShiftToken, request: SwapParameters, config: ReleaseConfig, ports: Ports, deps: Deps, log: Logger, work: () => Promise<JobOutcome>): Promise<JobOutcome> {
  let error: string;
  try {
    return await work();
  } catch (err) {
    error = errorSummary(err);
    if (isTransientError(err) && deps.now().getTime() < Date.parse(token.dueAt) + SHIFT_GRACE_SECONDS * 1000) {
      log.warn('transient AWS error during a step; polling again', { error });
      return carryOn(token, `Shifting: transient AWS error, trying again: ${error}`, request.executionId);
    }
  }
  try {
    return await abortShift(`the step failed (${error})`, request, config, ports, deps, log);
  } catch (err) {
    return failure(`Swap failed: the traffic shift to slot ${request.greenSlot} had to stop (${error}) and putting production back failed too (${errorSummary(err)}); run bluegreen status, then bluegreen abort`, request.executionId);
  }
}

/** Reads already made under the same hold (the first invocation's), so they are not made twice. */
interface Observed {
  readonly routes: ObservedRoutes;
  readonly state: Awaited<ReturnType<typeof readStateLeniently>>;
  readonly green: Awaited<ReturnType<SwapPorts['slots']['observe']>>;
}

/** The next step, the last one, or what happened instead, under the operation hold. */
async function stepUnderLease(token: ShiftToken, request: SwapParameters, config: ReleaseConfig, shift: TrafficShiftConfig, ports: Ports, deps: Deps, log: Logger, seen?: Observed): Promise<JobOutcome> {
  const executionId = request.executionId;
  const [routes, stored, green] = seen ? [seen.routes, seen.state, seen.green] : await Promise.all([ports.routes.read(), readStateLeniently(ports, log), ports.slots.observe(request.greenSlot)]);
  if (stored.malformed) return abortShift('the state record is malformed or not sealed by the control plane, so the step cannot be recorded', request, config, ports, deps, log, routes);
  // The last step records the approver, as an all-at-once swap does.
  const lastComing = token.step + 1 >= shiftSteps(shift).length || token.percent !== resolvedPercent(config, routes);
  const approver = lastComing ? await approverOf(ports, config, executionId, log) : '';
  const now = deps.now();
  const decision = decideShiftStep({ config, shift, request, token, routes, green, state: stored.state, approver, now });
  // A step that did not land is taken again at the next poll, until the grace is over: then the
  // shift goes back (old state), or the job fails saying what to retry (production is on the candidate).
  const retryOrAbort = (reason: string, state: 'old' | 'new' = 'old'): Promise<JobOutcome> | JobOutcome => {
    if (now.getTime() < Date.parse(token.dueAt) + SHIFT_GRACE_SECONDS * 1000) return carryOn(token, `Shifting: the step did not land whole (${reason}); trying again`, executionId);
    if (state === 'new') return failure(`Swap failed and the system is in the new state: ${reason}; retry the Swap stage to finish`, executionId);
    return abortShift(`step ${token.step + 1} could not be written within ${SHIFT_GRACE_SECONDS} s (${reason})`, request, config, ports, deps, log);
  };
  switch (decision.kind) {
    case 'shift-step': {
      const applied = await applyShiftStep(config, ports, decision, log);
      if (!applied.ok && applied.state === 'old') return retryOrAbort(applied.reason);
      if (!applied.ok) log.warn('the step landed but its labels did not; the next step writes them', { reason: applied.reason });
      return carryOn(decision.token, stepSummary(shift, decision.token, decision.toSlot, request.imageDigest), executionId);
    }
    case 'swap':
    case 'promote':
    case 'already-swapped': {
      const applied = await applyReleasePlan(config, ports, decision, log);
      const evidence = applied.ok || applied.state === 'new' ? await recordMoveEvidence(ports, config, { operation: 'swap', executionId }, decision.nextState ?? stored.state, log) : null;
      // Production is where the shift ends either way: what did not land is written again at the next poll.
      if (!applied.ok) return retryOrAbort(applied.reason, applied.state);
      const by = decision.kind === 'already-swapped' && stored.state?.lastOperation === 'promote' ? `promoted by ${stored.state.changedBy}` : `approved by ${approver}`;
      const summary = `Production moved from slot ${decision.fromSlot} to slot ${decision.toSlot} (${request.imageDigest}) by a traffic shift, ${by}`;
      const unpublished =
        decision.kind === 'swap'
          ? await notify(
              ports,
              config.pipelineName,
              auditSubject('Swap', decision.toSlot, config.pipelineName),
              auditMessage({ operation: 'swap', pipeline: config.pipelineName, executionId, by: approver, fromSlot: decision.fromSlot, toSlot: decision.toSlot, liveDigest: decision.liveDigest, previousDigest: decision.previousDigest, commit: request.commit, traffic: `${decision.toSlot}=100` }),
              log,
            )
          : null;
      return withEvidenceProblem({ kind: 'success', result: { summary: unpublished ? `${summary}; ${unpublished}` : summary, executionId, outputVariables: { ...decision.outputs } } }, evidence);
    }
    case 'aborted':
      return failure(`Swap failed and nothing more was changed: ${decision.reason}`, executionId);
    case 'moved-on':
      log.info('the shift is past this poll\'s step; taking none', { step: decision.token.step, percent: decision.token.percent });
      return carryOn(decision.token, stepSummary(shift, decision.token, request.greenSlot, request.imageDigest), executionId);
    case 'abort':
      return abortShift(decision.reason, request, config, ports, deps, log, routes);
  }
}

/** The candidate's share the routes show, or -1 when they show no split. */
function resolvedPercent(config: ReleaseConfig, routes: ObservedRoutes): number {
  const resolved = resolveRoutes(config, routes, { shifting: true });
  return resolved.ok && resolved.view.shift !== null ? resolved.view.shift.percent : -1;
}

/** An alarm, or a refusal to go on: all of production back on the live slot (the caller holds the lease), and the job fails saying so. */
async function abortShift(reason: string, request: SwapParameters, config: ReleaseConfig, ports: Ports, deps: Deps, log: Logger, routes?: ObservedRoutes): Promise<JobOutcome> {
  const liveSlot = otherSlot(request.greenSlot);
  const abortRequest = shiftAbortRequest(request.executionId, liveSlot, reason);
  log.warn('the traffic shift stops; putting production back', { reason });
  const result = await abortUnderLease(abortRequest, `abort:${abortRequest.requestId}`, 'abort', config, ports, deps, log, routes);
  if (result.outcome === 'aborted' || result.outcome === 'already-done') {
    return failure(`Swap failed and production is back on slot ${result.liveSlot ?? liveSlot}: the traffic shift to slot ${request.greenSlot} stopped because ${reason}`, request.executionId);
  }
  return failure(`Swap failed: the traffic shift to slot ${request.greenSlot} had to stop (${reason}) but ${result.message.replace(/\.$/, '')}; run bluegreen status, then bluegreen abort`, request.executionId);
}

type Verdict = Pick<OperatorResult, 'liveSlot' | 'liveDigest' | 'previousDigest'>;

function refusedResult(what: string, message: string, view: Verdict, traffic?: string): OperatorResult {
  return { outcome: 'refused', message: sentence(`${what} refused and nothing changed: ${message}`), ...view, state: 'old', ...(traffic ? { traffic } : {}) };
}

const NO_VIEW: Verdict = { liveSlot: null, liveDigest: null, previousDigest: null };

/**
 * All of production back on the live slot, in one route write, under the caller's operation hold:
 * an operator's abort, a rollback during a shift (`operation: 'rollback'`), or the shift's own.
 */
export async function abortUnderLease(
  request: RollbackRequest,
  executionId: string,
  operation: 'abort' | 'rollback',
  config: ReleaseConfig,
  ports: Ports,
  deps: Deps,
  log: Logger,
  seenRoutes?: ObservedRoutes,
): Promise<OperatorResult> {
  const what = operation === 'abort' ? 'Abort' : 'Rollback';
  const routes = seenRoutes ?? (await ports.routes.read());
  const resolved = resolveRoutes(config, routes, { shifting: true });
  if (!resolved.ok) return refusedResult(what, resolved.reason, NO_VIEW);
  const view = resolved.view;
  const traffic = trafficText(viewTraffic(view));
  const [stored, live] = await Promise.all([readStateLeniently(ports, log), ports.slots.observe(view.liveSlot)]);
  if (stored.malformed) return refusedResult(what, 'the state record is malformed or not sealed by the control plane, so the live release is unknown', { ...NO_VIEW, liveSlot: view.liveSlot }, traffic);
  const decision = decideAbort({ config, request, executionId, routes, slot: live, state: stored.state, releaseHolder: null, now: deps.now() }, operation);
  const known: Verdict = { liveSlot: view.liveSlot, liveDigest: stored.state?.liveSlot === view.liveSlot ? stored.state.liveDigest : null, previousDigest: null };
  if (decision.kind === 'already-done') return { outcome: 'already-done', message: sentence(`Nothing to do: ${decision.reason}`), ...known, state: 'new', traffic };
  if (decision.kind === 'refused') return refusedResult(what, decision.reason, known, traffic);
  const applied = await applyReleasePlan(config, ports, decision, log);
  const evidence = applied.ok || applied.state === 'new' ? await recordMoveEvidence(ports, config, { operation, executionId, requestId: request.requestId }, decision.nextState, log) : null;
  const withEvidence = (message: string) => sentence(evidence ? `${message}; ${evidence}` : message);
  if (!applied.ok) {
    return { outcome: 'failed', message: withEvidence(`${what} failed and the system is in the ${applied.state} state: ${applied.reason}`), ...known, state: applied.state, traffic: applied.state === 'old' ? traffic : `${decision.toSlot}=100` };
  }
  const from = view.shift!;
  const by = request.actor ?? 'direct-invoke';
  const unpublished = await notify(
    ports,
    config.pipelineName,
    auditSubject(operation === 'abort' ? 'Abort' : 'Rollback', decision.toSlot, config.pipelineName),
    auditMessage({ operation, pipeline: config.pipelineName, executionId, by, fromSlot: decision.fromSlot, toSlot: decision.toSlot, liveDigest: decision.liveDigest, previousDigest: decision.previousDigest, commit: stored.state?.commit ?? null, reason: request.reason, traffic: `${decision.toSlot}=100` }),
    log,
  );
  const moved = `Production is back on slot ${decision.toSlot} (${decision.liveDigest}) alone: the traffic shift to slot ${from.toSlot} was stopped at ${from.percent}%`;
  return landed(operation === 'abort' ? 'aborted' : 'rolled-back', withEvidence(unpublished ? `${moved}, but ${unpublished}` : moved), decision);
}

/** All of production on the candidate now, skipping the remaining steps, after the same verification as a step. */
export async function promoteUnderLease(request: RollbackRequest, executionId: string, config: ReleaseConfig, ports: Ports, lease: LeaseRecord, deps: Deps, log: Logger): Promise<OperatorResult> {
  const routes = await ports.routes.read();
  const resolved = resolveRoutes(config, routes, { shifting: true });
  if (!resolved.ok) return refusedResult('Promote', resolved.reason, NO_VIEW);
  const view = resolved.view;
  const traffic = trafficText(viewTraffic(view));
  const [stored, candidate] = await Promise.all([readStateLeniently(ports, log), ports.slots.observe(view.idleSlot)]);
  if (stored.malformed) return refusedResult('Promote', 'the state record is malformed or not sealed by the control plane, so the candidate is unknown', { ...NO_VIEW, liveSlot: view.liveSlot }, traffic);
  const holderId = lease.release?.executionId;
  const releaseHolder = holderId === undefined ? null : { executionId: holderId, running: await ports.executions.inProgress(holderId) };
  const decision = decidePromote({ config, request, executionId, routes, slot: candidate, state: stored.state, releaseHolder, now: deps.now() });
  const known: Verdict = { liveSlot: view.liveSlot, liveDigest: stored.state?.liveSlot === view.liveSlot ? stored.state.liveDigest : null, previousDigest: stored.state?.previousDigest ?? null };
  if (decision.kind === 'already-done') return { outcome: 'already-done', message: sentence(`Nothing to do: ${decision.reason}`), ...known, state: 'new', traffic };
  if (decision.kind === 'refused') return refusedResult('Promote', decision.reason, known, traffic);
  const applied = await applyReleasePlan(config, ports, decision, log);
  const evidence = applied.ok || applied.state === 'new' ? await recordMoveEvidence(ports, config, { operation: 'promote', executionId, requestId: request.requestId }, decision.nextState, log) : null;
  const withEvidence = (message: string) => sentence(evidence ? `${message}; ${evidence}` : message);
  if (!applied.ok) {
    return { outcome: 'failed', message: withEvidence(`Promote failed and the system is in the ${applied.state} state: ${applied.reason}`), ...known, state: applied.state, traffic: applied.state === 'old' ? traffic : `${decision.toSlot}=100` };
  }
  const by = request.actor ?? 'direct-invoke';
  const unpublished = await notify(
    ports,
    config.pipelineName,
    auditSubject('Promote', decision.toSlot, config.pipelineName),
    auditMessage({ operation: 'promote', pipeline: config.pipelineName, executionId, by, fromSlot: decision.fromSlot, toSlot: decision.toSlot, liveDigest: decision.liveDigest, previousDigest: decision.previousDigest, commit: decision.nextState?.commit ?? null, reason: request.reason, traffic: `${decision.toSlot}=100` }),
    log,
  );
  const moved = `Production moved to slot ${decision.toSlot} (${decision.liveDigest}) alone, skipping the rest of the traffic shift from ${view.shift!.percent}%`;
  return landed('promoted', withEvidence(unpublished ? `${moved}, but ${unpublished}` : moved), decision);
}

/** An operator's move that landed: all of production on `decision.toSlot`. */
function landed(outcome: OperatorResult['outcome'], message: string, decision: { toSlot: SlotName; liveDigest: string | null; previousDigest: string | null }): OperatorResult {
  return { outcome, message, liveSlot: decision.toSlot, liveDigest: decision.liveDigest, previousDigest: decision.previousDigest, state: 'new', traffic: `${decision.toSlot}=100` };
}
