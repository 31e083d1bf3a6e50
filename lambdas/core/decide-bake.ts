// Bake decisions: after a swap, watch the new live slot's alarms for a window; on alarm, ask the
// swap function for a rollback and say what it came to. Parsers for Bake's parameters and token
// live here too, so everything Bake reads is in one place.
import { AlarmWatch, BakeConfig, FieldProblems, ReleaseConfig, SlotName, describe, isRecord, isSlotName, otherSlot } from './config';
import { RollbackResult, parseJsonObject } from './events';
import { ObservedAlarm, ObservedRoutes, RollbackInvocation } from './ports';
import { resolveRoutes } from './routes';
import { DIGEST_PATTERN } from './state';
import { asClause, listSome } from './text';

/** How long after the window transient errors may still delay the verdict. */
export const BAKE_GRACE_SECONDS = 120;

// ---------------------------------------------------------------- parameters and token

export interface BakeParameters {
  readonly liveSlot: SlotName;
  readonly imageDigest: string;
  readonly executionId: string;
}

const UNRESOLVED = 'an unresolved #{…} variable means the Swap stage did not export it';

/** `{"liveSlot":"#{Swap.LIVE_SLOT}","imageDigest":"#{Swap.LIVE_DIGEST}","executionId":"#{codepipeline.PipelineExecutionId}"}` */
export function parseBakeParameters(raw: string | undefined, fallbackExecutionId?: string): BakeParameters {
  const doc = parseJsonObject(raw, 'Bake UserParameters');
  const p = new FieldProblems(doc);
  if (!isSlotName(doc.liveSlot)) p.add(`liveSlot must be "a" or "b" (got ${describe(doc.liveSlot)}; ${UNRESOLVED})`);
  const imageDigest = p.string('imageDigest', DIGEST_PATTERN, `a sha256 digest (sha256:<64 hex>); ${UNRESOLVED}`);
  let executionId = typeof doc.executionId === 'string' && !doc.executionId.includes('#{') ? doc.executionId.trim() : '';
  if (executionId === '') executionId = fallbackExecutionId ?? '';
  if (executionId === '') p.add('executionId is missing and the job carries no pipelineContext.pipelineExecutionId');
  else if (!/^[A-Za-z0-9._:-]{1,100}$/.test(executionId)) p.add(`executionId must be a pipeline execution id (got ${describe(executionId)})`);
  p.throwIfAny('Bake UserParameters');
  return { liveSlot: doc.liveSlot as SlotName, imageDigest, executionId };
}

/** What Bake carries between its polls (CodePipeline continuation token). */
export interface BakeToken {
  readonly slot: SlotName;
  readonly digest: string;
  readonly startedAt: string;
  /** End of the window (ISO-8601). */
  readonly until: string;
}

export function serialiseBakeToken(token: BakeToken): string {
  return JSON.stringify(token);
}

export function parseBakeToken(raw: string): BakeToken {
  const doc = parseJsonObject(raw, 'The Bake continuation token fields');
  const p = new FieldProblems(doc);
  if (!isSlotName(doc.slot)) p.add(`slot must be "a" or "b" (got ${describe(doc.slot)})`);
  const token: BakeToken = {
    slot: isSlotName(doc.slot) ? doc.slot : 'a',
    digest: p.string('digest', DIGEST_PATTERN, 'a sha256 digest'),
    startedAt: p.string('startedAt'),
    until: p.string('until'),
  };
  for (const key of ['startedAt', 'until'] as const) {
    if (token[key] !== '' && Number.isNaN(Date.parse(token[key]))) p.add(`${key} must be an ISO-8601 time (got ${describe(token[key])})`);
  }
  p.throwIfAny('The Bake continuation token');
  return token;
}

/** The window starts at the first invocation. */
export function planBakeStart(params: BakeParameters, bake: BakeConfig, now: Date): BakeToken {
  return {
    slot: params.liveSlot,
    digest: params.imageDigest,
    startedAt: now.toISOString(),
    until: new Date(now.getTime() + bake.windowSeconds * 1000).toISOString(),
  };
}

/** The alarms watched on `slot` (while it bakes, or takes a step of a traffic shift): its own, then the shared ones (no duplicates). */
export function watchedAlarmNames(watch: AlarmWatch, slot: SlotName): string[] {
  return [...new Set([...watch.alarms[slot], ...watch.sharedAlarms])];
}

/** What the watched alarms say: all quiet, one fired (named for people), or some do not exist. */
export type AlarmJudgement =
  | { readonly kind: 'quiet' }
  | { readonly kind: 'fired'; readonly fired: string }
  | { readonly kind: 'missing'; readonly names: readonly string[] };

/**
 * A firing alarm wins; an alarm that does not exist fails closed (nobody can vouch for a slot that
 * could not be watched); `INSUFFICIENT_DATA` is quiet.
 */
export function judgeAlarms(watched: readonly string[], alarms: readonly ObservedAlarm[]): AlarmJudgement {
  const byName = new Map(alarms.map((a) => [a.name, a]));
  const firing = watched.map((name) => byName.get(name)).find((a) => a?.state === 'ALARM');
  if (firing !== undefined) return { kind: 'fired', fired: firedAlarms(firing) };
  const missing = watched.filter((name) => !byName.has(name));
  return missing.length > 0 ? { kind: 'missing', names: missing } : { kind: 'quiet' };
}

// ---------------------------------------------------------------- one poll

export type BakeOutputs = {
  readonly BAKED_SLOT: string;
};

export type BakeProgress =
  | { readonly kind: 'continue'; readonly reason: string }
  | { readonly kind: 'succeed'; readonly outputs: BakeOutputs; readonly summary: string }
  | { readonly kind: 'fail'; readonly reason: string }
  /** `fired` names what fired: `alarm <name>`, or `alarms <name>, <name> and N more`. */
  | { readonly kind: 'rollback'; readonly fired: string; readonly reason: string };

/** Where a poll ends once any rollback has been asked for. */
export type BakeVerdict = Exclude<BakeProgress, { readonly kind: 'rollback' }>;

export interface BakePollInput {
  readonly config: ReleaseConfig;
  readonly bake: BakeConfig;
  readonly token: BakeToken;
  readonly routes: ObservedRoutes;
  readonly alarms: readonly ObservedAlarm[];
  readonly now: Date;
}

function windowOver(token: BakeToken, now: Date, graceSeconds = 0): boolean {
  return now.getTime() >= Date.parse(token.until) + graceSeconds * 1000;
}

/**
 * Production must still be on the baked slot (else someone rolled back: nothing more to watch);
 * a firing alarm asks for a rollback; a window that ends quietly succeeds. An alarm that does not
 * exist fails closed: the bake cannot vouch for a slot it could not watch.
 */
export function decideBakePoll(input: BakePollInput): BakeProgress {
  const { config, bake, token, routes, alarms, now } = input;
  const resolved = resolveRoutes(config, routes);
  if (!resolved.ok) return { kind: 'fail', reason: `the routes cannot be judged, so the bake stopped without acting: ${resolved.reason}` };
  if (resolved.view.liveSlot !== token.slot) {
    return {
      kind: 'fail',
      reason: `production no longer forwards to slot ${token.slot} but to slot ${resolved.view.liveSlot} (rolled back during the bake), so the release did not bake and nothing more was changed`,
    };
  }
  const watched = watchedAlarmNames(bake, token.slot);
  const judged = judgeAlarms(watched, alarms);
  if (judged.kind === 'fired') return { kind: 'rollback', fired: judged.fired, reason: `bake: ${judged.fired} fired on slot ${token.slot}` };
  if (judged.kind === 'missing') {
    return { kind: 'fail', reason: `the bake cannot watch alarm(s) ${listSome(judged.names, 5)} because they do not exist, so production stays on slot ${token.slot} unverified` };
  }
  if (windowOver(token, now)) {
    return {
      kind: 'succeed',
      outputs: { BAKED_SLOT: token.slot },
      summary: `Slot ${token.slot} (${token.digest}) baked until ${token.until} with no alarm among ${watched.length} watched`,
    };
  }
  return { kind: 'continue', reason: `slot ${token.slot} baking until ${token.until}; ${watched.length} alarm(s) quiet` };
}

/** How many of a composite alarm's firing children a reason names. */
const NAMED_CHILDREN = 3;

/**
 * What fired, for people: a composite alarm (the construct watches one per slot) names the alarms
 * whose ALARM state set it off, so the rollback reason says which one fired, not the composite.
 */
function firedAlarms(alarm: ObservedAlarm): string {
  const names = alarm.firedBy !== undefined && alarm.firedBy.length > 0 ? alarm.firedBy : [alarm.name];
  return names.length === 1 ? `alarm ${names[0]}` : `alarms ${listSome(names, NAMED_CHILDREN)}`;
}

/** A throttle or 5xx during a poll is worth another poll until the window end plus the grace. */
export function decideAfterBakeTransientError(token: BakeToken, now: Date, error: string): BakeVerdict {
  if (windowOver(token, now, BAKE_GRACE_SECONDS)) {
    return { kind: 'fail', reason: `the alarms of slot ${token.slot} could not be read by the end of the bake window ${token.until} (last poll: ${error}), so production stays on slot ${token.slot} unverified` };
  }
  return { kind: 'continue', reason: `transient AWS error, polling again: ${error}` };
}

/** The rollback event Bake sends the swap function: one request id per execution, so repeats are no-ops. */
export function bakeRollbackEvent(params: { executionId: string; slot: SlotName; reason: string }): Record<string, unknown> {
  return {
    action: 'rollback',
    reason: params.reason,
    actor: `bake:${params.executionId}`,
    requestId: `bake:${params.executionId}`,
    expectedLiveSlot: params.slot,
    forRelease: params.executionId,
  };
}

/** What the rollback invocation came to, as the bake's verdict (always a failure, or a retry when busy). */
export function judgeBakeRollback(token: BakeToken, fired: string, invocation: RollbackInvocation, now: Date): BakeVerdict {
  const from = token.slot;
  const alarmReason = `${fired} fired on slot ${from}`;
  const to = otherSlot(from);
  if (invocation.kind === 'busy') {
    if (windowOver(token, now, BAKE_GRACE_SECONDS)) {
      return { kind: 'fail', reason: `${alarmReason} but the swap function could not take the rollback before the end of the bake window (${asClause(invocation.message)}), so production is still on slot ${from} and needs a manual rollback` };
    }
    return { kind: 'continue', reason: `${alarmReason}; the swap function could not take the rollback yet (${asClause(invocation.message)}), asking again on the next poll` };
  }
  if (invocation.kind === 'error') {
    return { kind: 'fail', reason: `${alarmReason} and the automatic rollback failed (${asClause(invocation.message)}); the system's state is unknown, check with bluegreen status` };
  }
  const result: RollbackResult = invocation.result;
  const message = result.message.replace(/\.\s*$/, '');
  // 'in-progress': the previous slot is scaling back up (it was at zero); the next poll asks again, as for 'busy'.
  if (result.outcome === 'busy' || result.outcome === 'in-progress') return judgeBakeRollback(token, fired, { kind: 'busy', message }, now);
  switch (result.outcome) {
    case 'rolled-back':
    case 'already-done':
      return { kind: 'fail', reason: `${alarmReason}, so the release was rolled back: production is on slot ${result.liveSlot ?? to} (${result.liveDigest ?? 'previous digest'}) again` };
    case 'refused':
      return { kind: 'fail', reason: `${alarmReason} but the automatic rollback was refused (${asClause(message)}), so production stays on slot ${result.liveSlot ?? from} and needs attention` };
    case 'failed':
      return { kind: 'fail', reason: `${alarmReason} and the automatic rollback failed (${asClause(message)}); the system is in the ${result.state} state, production on slot ${result.liveSlot ?? 'unknown'}` };
  }
}

/** A RollbackResult as answered by the swap function, or null when the payload is anything else. */
export function asRollbackResult(value: unknown): RollbackResult | null {
  if (!isRecord(value)) return null;
  const outcomes = ['rolled-back', 'already-done', 'refused', 'busy', 'in-progress', 'failed'];
  if (!outcomes.includes(value.outcome as string) || typeof value.message !== 'string') return null;
  if (value.state !== 'old' && value.state !== 'new') return null;
  if (value.liveSlot !== null && !isSlotName(value.liveSlot)) return null;
  return value as unknown as RollbackResult;
}
