// Traffic shifting: the Swap action moves production to the candidate in weighted steps (canary,
// linear), each held while the candidate's alarms are watched, re-verifying the candidate before
// every increase. The test rule stays on the candidate until the last step, so the routes alone
// say which slot is live (the other one) and at what weight. Operators end a shift early with
// promote (all on the candidate now, after the same verification) or abort (all back, one route
// write); an alarm or a refusal at any step aborts it.
//
// Before each production write the record is written with the step: the ALB is then at the
// step's weights, or still at the ones before it, and the record knows both.
import { FieldProblems, ReleaseConfig, SlotName, TrafficShiftConfig, describe, otherSlot } from './config';
import { Refusal } from './decide-deploy';
import { AlreadyDone } from './decide-rollback';
import { ReleasePlan, SwapOutputs, TagRepair, tagRepair } from './decide-swap';
import { AlarmJudgement } from './decide-bake';
import { RollbackRequest, SwapParameters, parseJsonObject } from './events';
import { labelledResources, liveLabels } from './labels';
import { ObservedRoutes, ResourceTags, SlotObservation } from './ports';
import { RouteWrite, RoutesView, productionWrite, resolveRoutes, routeWrite, shares, trafficText, viewTraffic, writesToMakeLive } from './routes';
import { slotNotReadyReason } from './slot';
import { ShiftRecord, StateRecord, hasExecution, nextStateRecord } from './state';
import { listSome } from './text';

/** How long past a step's end transient errors may still delay it before the shift is aborted. */
export const SHIFT_GRACE_SECONDS = 120;

/** The candidate's share at each step: the configured percents, then 100. */
export function shiftSteps(shift: TrafficShiftConfig): number[] {
  return [...shift.percents, 100];
}

// ---------------------------------------------------------------- token

/** What the Swap job carries between the polls of a shift (CodePipeline continuation token). */
export interface ShiftToken {
  readonly phase: 'shift';
  /** The step the ALB is at (1-based) and the candidate's share there. */
  readonly step: number;
  readonly percent: number;
  /** When this step's hold ends and the next one is due. */
  readonly dueAt: string;
  readonly since: string;
}

export function serialiseShiftToken(token: ShiftToken): string {
  return JSON.stringify(token);
}

export function parseShiftToken(raw: string): ShiftToken {
  const doc = parseJsonObject(raw, 'The Swap continuation token fields');
  const p = new FieldProblems(doc);
  if (doc.phase !== 'shift') p.add(`phase must be "shift" (got ${describe(doc.phase)})`);
  const token: ShiftToken = {
    phase: 'shift',
    step: p.integer('step', 1, 100),
    percent: p.integer('percent', 1, 99),
    dueAt: p.string('dueAt'),
    since: p.string('since'),
  };
  for (const key of ['dueAt', 'since'] as const) {
    if (token[key] !== '' && Number.isNaN(Date.parse(token[key]))) p.add(`${key} must be an ISO-8601 time (got ${describe(token[key])})`);
  }
  p.throwIfAny('The Swap continuation token');
  return token;
}

/** The token of the step a record's write made: due when the step's hold ends. */
function tokenFor(shift: TrafficShiftConfig, record: ShiftRecord): ShiftToken {
  return { phase: 'shift', step: record.step, percent: record.percent, dueAt: new Date(Date.parse(record.at) + shift.holdSeconds * 1000).toISOString(), since: record.since };
}

/**
 * Where a shift stands when the routes split at `at`: the record's step, or, when its write has
 * not landed, the step before (due at once, so the next poll takes the step again).
 */
export function resumeToken(shift: TrafficShiftConfig, record: ShiftRecord, at: number): ShiftToken {
  if (at === record.percent) return tokenFor(shift, record);
  return { phase: 'shift', step: Math.max(1, record.step - 1), percent: at, dueAt: record.at, since: record.since };
}

// ---------------------------------------------------------------- plans

/** One step that keeps production split: the record first, then one weighted write. */
export interface ShiftStepPlan {
  readonly kind: 'shift-step';
  readonly fromSlot: SlotName;
  readonly toSlot: SlotName;
  /** The candidate's tag must name the digest it runs (first step only). */
  readonly repairTag: TagRepair | null;
  /** The test rule onto the candidate before production splits, when it is not there (first step only). */
  readonly testRepair: RouteWrite | null;
  /** Written before the production write: this step, and the share before it. */
  readonly record: StateRecord;
  readonly write: RouteWrite;
  readonly labelArns: readonly string[];
  readonly labels: ResourceTags;
  /** The next poll's token. */
  readonly token: ShiftToken;
}

/**
 * The last step (100%) or a promote: a release plan whose record says the shift is complete, with
 * the Swap's outputs; or, once the record says so (`already-swapped`), what is left: a test rule or labels
 * that did not land, written again (no record write, like the all-at-once idempotent path).
 */
export interface ShiftCompletion extends ReleasePlan {
  readonly kind: 'swap' | 'promote' | 'already-swapped';
  readonly outputs: SwapOutputs;
}

/** Production went back during the shift: the Swap job fails, with nothing to write. */
export interface ShiftEnded {
  readonly kind: 'aborted';
  readonly reason: string;
}

/** The poll moved on without a write: a duplicate delivery (or an earlier invocation) already took this step. */
export interface ShiftMovedOn {
  readonly kind: 'moved-on';
  readonly token: ShiftToken;
}

/** Going on would break a rule (an unready candidate, weights the record does not know): abort the shift. */
export interface ShiftAbort {
  readonly kind: 'abort';
  readonly reason: string;
}

function stepRecord(state: StateRecord, shift: ShiftRecord, change: Pick<ShiftRecord, 'percent' | 'fromPercent' | 'step'>, now: Date): StateRecord {
  return { ...state, shift: { ...shift, ...change, at: now.toISOString() } };
}

/**
 * A shift step's plan: the record (this step), the weighted write, and the labels with the new
 * split. `fromPercent` is where the ALB is now.
 */
function stepPlan(config: ReleaseConfig, shift: TrafficShiftConfig, state: StateRecord, record: ShiftRecord, fromPercent: number, step: number, now: Date, first: { repairTag: TagRepair | null; testRepair: RouteWrite | null }): ShiftStepPlan {
  const steps = shiftSteps(shift);
  const percent = steps[step - 1];
  const next = stepRecord(state, record, { percent, fromPercent, step }, now);
  return {
    kind: 'shift-step',
    fromSlot: otherSlot(record.toSlot),
    toSlot: record.toSlot,
    ...first,
    record: next,
    write: productionWrite(config, record.toSlot, percent, shift.stickinessSeconds),
    labelArns: labelledResources(config),
    labels: liveLabels(otherSlot(record.toSlot), state.liveDigest, record.executionId, shares(record.toSlot, percent)),
    token: tokenFor(shift, next.shift!),
  };
}

/**
 * All of production onto the candidate: the record first (the last step), production plain
 * onto the candidate, the test rule onto the slot it left; a failed test write puts the split back.
 */
function completion(
  config: ReleaseConfig,
  view: RoutesView,
  state: StateRecord,
  record: ShiftRecord,
  change: { operation: 'swap' | 'promote'; executionId: string; by: string; reason?: string },
  now: Date,
): ShiftCompletion {
  const toSlot = record.toSlot;
  const fromSlot = otherSlot(toSlot);
  const current = view.shift?.percent ?? (view.liveSlot === toSlot ? 100 : 0);
  return {
    kind: change.operation,
    fromSlot,
    toSlot,
    repairTag: null,
    ...(current < 100 ? { intent: stepRecord(state, record, { percent: 100, fromPercent: current, step: record.steps }, now) } : {}),
    writes: writesToMakeLive(config, view, toSlot),
    revert: productionWrite(config, toSlot, current, config.trafficShift?.stickinessSeconds ?? 0),
    labelArns: labelledResources(config),
    labels: liveLabels(toSlot, record.digest, change.executionId),
    nextState: nextStateRecord(state, {
      operation: change.operation,
      executionId: change.executionId,
      fromSlot,
      toSlot,
      liveDigest: record.digest,
      previousDigest: state.liveDigest,
      liveReleaseId: record.executionId,
      previousReleaseId: state.liveReleaseId,
      commit: record.commit,
      at: now.toISOString(),
      by: change.by,
      ...(change.reason !== undefined ? { reason: change.reason } : {}),
    }),
    liveDigest: record.digest,
    previousDigest: state.liveDigest,
    outputs: { LIVE_SLOT: toSlot, LIVE_DIGEST: record.digest, PREVIOUS_DIGEST: state.liveDigest ?? '' },
  };
}

/** The shift is recorded complete (by its last step or a promote): rules and labels put right, outputs as recorded. */
function finished(config: ReleaseConfig, view: RoutesView, state: StateRecord): ShiftCompletion {
  const toSlot = state.liveSlot;
  return {
    kind: 'already-swapped',
    fromSlot: otherSlot(toSlot),
    toSlot,
    repairTag: null,
    writes: writesToMakeLive(config, view, toSlot),
    revert: routeWrite(config, 'production', toSlot),
    labelArns: labelledResources(config),
    labels: liveLabels(toSlot, state.liveDigest, state.lastExecutionId),
    nextState: null,
    liveDigest: state.liveDigest,
    previousDigest: state.previousDigest,
    outputs: { LIVE_SLOT: toSlot, LIVE_DIGEST: state.liveDigest ?? '', PREVIOUS_DIGEST: state.previousDigest ?? '' },
  };
}

// ---------------------------------------------------------------- the first step

export interface ShiftStartInput {
  readonly config: ReleaseConfig;
  readonly shift: TrafficShiftConfig;
  readonly request: SwapParameters;
  readonly view: RoutesView;
  readonly green: SlotObservation;
  readonly state: StateRecord;
  readonly greenTag: string | null;
  readonly now: Date;
}

/**
 * The first step, from a recorded release that production serves alone: the candidate verified
 * like an all-at-once swap (the caller has checked the routes and the record agree).
 */
export function decideShiftStart(input: ShiftStartInput): ShiftStepPlan | Refusal {
  const { config, shift, request, view, green, state, now } = input;
  const toSlot = request.greenSlot;
  const notReady = slotNotReadyReason(green, request.imageDigest, config.repositoryName);
  if (notReady !== null) return { kind: 'refused', reason: notReady };
  const record: ShiftRecord = {
    executionId: request.executionId,
    toSlot,
    digest: request.imageDigest,
    commit: request.commit,
    percent: 0,
    fromPercent: 0,
    step: 1,
    steps: shiftSteps(shift).length,
    since: now.toISOString(),
    at: now.toISOString(),
  };
  return stepPlan(config, shift, state, record, 0, 1, now, {
    repairTag: tagRepair(config.slots[toSlot].imageTag, input.greenTag, request.imageDigest),
    testRepair: view.testSlot === toSlot ? null : routeWrite(config, 'test', toSlot),
  });
}

/** Whether a shift from `state` can start: production serves the recorded live release alone. */
export function shiftableFrom(state: StateRecord | null, view: RoutesView, request: SwapParameters): state is StateRecord {
  return state !== null && state.liveDigest !== null && view.shift === null && view.liveSlot === otherSlot(request.greenSlot) && state.liveSlot === view.liveSlot;
}

// ---------------------------------------------------------------- one poll

/** What a poll of a shift does next, from the routes and the alarms alone (no lease, no record). */
export type ShiftWatch =
  | { readonly kind: 'continue'; readonly reason: string }
  /** The step's hold is over and the alarms are quiet: take the next step under the lease. */
  | { readonly kind: 'step' }
  /** The routes are not where this poll's token left them: decide under the lease, with the record. */
  | { readonly kind: 'reconcile' }
  | { readonly kind: 'abort'; readonly reason: string };

export function decideShiftWatch(config: ReleaseConfig, token: ShiftToken, request: SwapParameters, routes: ObservedRoutes, alarms: AlarmJudgement, now: Date): ShiftWatch {
  const resolved = resolveRoutes(config, routes, { shifting: true });
  const view = resolved.ok ? resolved.view : null;
  if (view?.shift?.toSlot !== request.greenSlot || view.shift.percent !== token.percent) return { kind: 'reconcile' };
  const at = `slot ${request.greenSlot} at ${token.percent}% (step ${token.step})`;
  if (alarms.kind === 'fired') return { kind: 'abort', reason: `${alarms.fired} fired on ${at}` };
  if (alarms.kind === 'missing') return { kind: 'abort', reason: `the shift cannot watch alarm(s) ${listSome(alarms.names, 5)} on ${at} because they do not exist` };
  if (now.getTime() >= Date.parse(token.dueAt)) return { kind: 'step' };
  return { kind: 'continue', reason: `${at} until ${token.dueAt}; alarms quiet` };
}

/** A poll that could not read the routes or the alarms: again, until the step is overdue by the grace; then abort. */
export function decideAfterShiftTransientError(token: ShiftToken, now: Date, error: string): ShiftWatch {
  if (now.getTime() >= Date.parse(token.dueAt) + SHIFT_GRACE_SECONDS * 1000) {
    return { kind: 'abort', reason: `the candidate's alarms could not be read by ${SHIFT_GRACE_SECONDS} s after step ${token.step} ended (last poll: ${error})` };
  }
  return { kind: 'continue', reason: `transient AWS error, polling again: ${error}` };
}

export interface ShiftStepInput {
  readonly config: ReleaseConfig;
  readonly shift: TrafficShiftConfig;
  readonly request: SwapParameters;
  readonly token: ShiftToken;
  readonly routes: ObservedRoutes;
  readonly green: SlotObservation;
  readonly state: StateRecord | null;
  readonly approver: string;
  readonly now: Date;
}

/**
 * Under the lease, with the record: the next step (or the last), or what happened instead. The
 * routes decide; the token only says which step this poll expected, so a duplicated or late poll
 * never takes a step twice, and never moves production back.
 */
export function decideShiftStep(input: ShiftStepInput): ShiftStepPlan | ShiftCompletion | ShiftEnded | ShiftMovedOn | ShiftAbort {
  const { config, shift, request, token, state, now } = input;
  const toSlot = request.greenSlot;
  const resolved = resolveRoutes(config, input.routes, { shifting: true });
  if (!resolved.ok) return { kind: 'abort', reason: resolved.reason };
  const view = resolved.view;
  const record = state?.shift?.executionId === request.executionId && state.shift.toSlot === toSlot ? state.shift : null;

  if (view.shift === null && view.liveSlot === toSlot) {
    if (state?.liveReleaseId === request.executionId && state.liveSlot === toSlot && state.shift === undefined) return finished(config, view, state);
    // The last step's write landed but its record did not: finish it.
    if (record !== null && record.percent === 100 && state !== null) return completion(config, view, state, record, { operation: 'swap', executionId: request.executionId, by: input.approver }, now);
    return { kind: 'abort', reason: `production serves slot ${toSlot} alone but the state record does not say this release's shift got there` };
  }
  if (view.shift === null) {
    if (record === null || record.percent === 0) {
      const last = state?.history[0];
      const by = last && (last.operation === 'abort' || last.operation === 'rollback') ? ` by ${last.by}${last.reason ? ` (${last.reason})` : ''}` : '';
      return { kind: 'aborted', reason: `the traffic shift to slot ${toSlot} was aborted${by}: production serves slot ${view.liveSlot} alone` };
    }
    // The first step's write did not land: take it again.
    if (record.fromPercent !== 0) return { kind: 'abort', reason: `production serves slot ${view.liveSlot} alone, which is not a weight the state record knows for step ${record.step}` };
    return verifiedStep(input, view, state as StateRecord, record, 0, record.step);
  }
  if (view.shift.toSlot !== toSlot || record === null) {
    return { kind: 'abort', reason: `production splits traffic (${trafficText(viewTraffic(view))}) in a way the state record does not know for this release` };
  }
  const at = view.shift.percent;
  if (at !== record.percent && at !== record.fromPercent) {
    return { kind: 'abort', reason: `production sends ${at}% to slot ${toSlot}, but the state record knows ${record.fromPercent}% or ${record.percent}% for step ${record.step}` };
  }
  // The step the ALB is at: the record's, or the one before when the record's write has not landed.
  const landed = at === record.percent ? record.step : record.step - 1;
  // A duplicated or late poll: the shift is past this token's step. Take no step; go on from where the routes are.
  if (at !== token.percent) return { kind: 'moved-on', token: resumeToken(shift, record, at) };
  return verifiedStep(input, view, state as StateRecord, record, at, landed + 1);
}

/** Before every increase the candidate is verified again: steady, enough healthy targets, exactly the approved digest. */
function verifiedStep(input: ShiftStepInput, view: RoutesView, state: StateRecord, record: ShiftRecord, fromPercent: number, step: number): ShiftStepPlan | ShiftCompletion | ShiftAbort {
  const { config, shift, request, now } = input;
  const notReady = slotNotReadyReason(input.green, request.imageDigest, config.repositoryName);
  if (notReady !== null) return { kind: 'abort', reason: `the candidate failed its check before step ${step}: ${notReady}` };
  if (step >= shiftSteps(shift).length) return completion(config, view, state, record, { operation: 'swap', executionId: request.executionId, by: input.approver }, now);
  return stepPlan(config, shift, state, record, fromPercent, step, now, { repairTag: null, testRepair: null });
}

// ---------------------------------------------------------------- promote and abort

export interface ShiftCommandInput {
  readonly config: ReleaseConfig;
  readonly request: RollbackRequest;
  /** `promote:<requestId>`, `abort:<requestId>`, or the rollback's own id. */
  readonly executionId: string;
  readonly routes: ObservedRoutes;
  /** Promote: the candidate; abort: the live slot that takes production back. */
  readonly slot: SlotObservation;
  readonly state: StateRecord | null;
  /** The release that holds the lease, and whether its execution is still running. */
  readonly releaseHolder: { readonly executionId: string; readonly running: boolean } | null;
  readonly now: Date;
}

export type ShiftCommandDecision = ShiftCompletion | (ReleasePlan & { readonly kind: 'abort' }) | AlreadyDone | Refusal;

/** The shift under way, as routes and record agree on it; or why promote and abort cannot act. */
function shiftUnderWay(input: ShiftCommandInput, what: string): { view: RoutesView; state: StateRecord; record: ShiftRecord | null } | AlreadyDone | Refusal {
  const { config, request, state } = input;
  const resolved = resolveRoutes(config, input.routes, { shifting: true });
  if (!resolved.ok) return { kind: 'refused', reason: resolved.reason };
  const view = resolved.view;
  if (hasExecution(state, input.executionId)) return { kind: 'already-done', reason: `request ${request.requestId} was already applied; production is on slot ${view.liveSlot}` };
  if (request.expectedLiveSlot !== null && request.expectedLiveSlot !== view.liveSlot) {
    return { kind: 'refused', reason: `the caller expected slot ${request.expectedLiveSlot} to be live but production is on slot ${view.liveSlot}, so its view is stale` };
  }
  if (view.shift === null) return { kind: 'refused', reason: `no traffic shift is in progress (production serves slot ${view.liveSlot} alone), so there is nothing to ${what}` };
  if (state === null) return { kind: 'refused', reason: 'production splits traffic but there is no state record, so the live release is unknown' };
  if (state.liveSlot !== view.liveSlot) return { kind: 'refused', reason: `the state record says slot ${state.liveSlot} is live but the shift moves traffic away from slot ${view.liveSlot}` };
  const record = state.shift !== undefined && state.shift.toSlot === view.shift.toSlot ? state.shift : null;
  return { view, state, record };
}

/**
 * All of production on the candidate now, after the same verification as a step: only while the
 * shifting release still runs and holds the slots (an ended release is aborted, or released again).
 */
export function decidePromote(input: ShiftCommandInput): ShiftCommandDecision {
  const found = shiftUnderWay(input, 'promote');
  if ('kind' in found) return found;
  const { view, state, record } = found;
  if (record === null) return { kind: 'refused', reason: `the state record knows of no shift to slot ${view.shift!.toSlot}, so the digest to promote is unknown` };
  const holder = input.releaseHolder;
  if (holder?.executionId !== record.executionId || !holder.running) {
    return { kind: 'refused', reason: `release ${record.executionId}, which shifts production, no longer runs or holds the slots; abort the shift, or release again` };
  }
  if (input.slot.slot !== record.toSlot) return { kind: 'refused', reason: `observed slot ${input.slot.slot} instead of the candidate slot ${record.toSlot}` };
  const notReady = slotNotReadyReason(input.slot, record.digest, input.config.repositoryName);
  if (notReady !== null) return { kind: 'refused', reason: `slot ${record.toSlot} cannot take all of production: ${notReady}` };
  return completion(input.config, view, state, record, { operation: 'promote', executionId: input.executionId, by: input.request.actor ?? 'direct-invoke', reason: input.request.reason }, input.now);
}

/**
 * All of production back on the live slot now, in one route write (the test rule already points
 * at the candidate): whoever asks, whenever, as long as the live slot can take it back.
 */
export function decideAbort(input: ShiftCommandInput, operation: 'abort' | 'rollback' = 'abort'): ShiftCommandDecision {
  const found = shiftUnderWay(input, 'abort');
  if ('kind' in found) return found;
  const { view, state, record } = found;
  const fromSlot = view.liveSlot;
  const toSlot = view.idleSlot;
  if (input.slot.slot !== fromSlot) return { kind: 'refused', reason: `observed slot ${input.slot.slot} instead of the live slot ${fromSlot}` };
  if (state.liveDigest === null) return { kind: 'refused', reason: `the state record names no digest for slot ${fromSlot}, so it cannot be verified to take production back` };
  const notReady = slotNotReadyReason(input.slot, state.liveDigest, input.config.repositoryName);
  if (notReady !== null) return { kind: 'refused', reason: `slot ${fromSlot} cannot take all of production back: ${notReady}` };
  const current = view.shift!.percent;
  const stickiness = input.config.trafficShift?.stickinessSeconds ?? 0;
  return {
    kind: 'abort',
    fromSlot: toSlot,
    toSlot: fromSlot,
    repairTag: null,
    ...(record !== null ? { intent: stepRecord(state, record, { percent: 0, fromPercent: current, step: record.step }, input.now) } : {}),
    writes: writesToMakeLive(input.config, view, fromSlot),
    revert: productionWrite(input.config, toSlot, current, stickiness),
    labelArns: labelledResources(input.config),
    labels: liveLabels(fromSlot, state.liveDigest, input.executionId),
    nextState: nextStateRecord(state, {
      operation,
      executionId: input.executionId,
      fromSlot: toSlot,
      toSlot: fromSlot,
      liveDigest: state.liveDigest,
      // The candidate keeps its digest: the slot production left is what a later rollback finds.
      previousDigest: record?.digest ?? null,
      liveReleaseId: state.liveReleaseId,
      previousReleaseId: record?.executionId ?? null,
      commit: state.commit,
      at: input.now.toISOString(),
      by: input.request.actor ?? 'direct-invoke',
      reason: input.request.reason,
    }),
    liveDigest: state.liveDigest,
    previousDigest: record?.digest ?? null,
  };
}

/** The rollback event a shift sends itself on an alarm or a refusal: one request id per execution, so a repeat is a no-op. */
export function shiftAbortRequest(executionId: string, liveSlot: SlotName, reason: string): RollbackRequest {
  return { reason: `shift: ${reason}`, actor: `swap:${executionId}`, requestId: `shift:${executionId}`, expectedLiveSlot: liveSlot, forRelease: null };
}

/** Whether a token is a shift's (the Swap job's lease wait uses another). */
export function isShiftToken(raw: string): boolean {
  try {
    return (JSON.parse(raw) as { phase?: unknown }).phase === 'shift';
  } catch {
    return false;
  }
}
