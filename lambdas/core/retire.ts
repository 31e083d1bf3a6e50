// The previous slot after a release (`previousSlotRetention`, docs/design.md "The previous slot
// after a release"): a one-time schedule scales it to zero some time after the release ends, and a
// rollback to a slot at zero scales it back up first. Pure: the handlers bring the observations.
import { createHash } from 'node:crypto';
import { ReleaseConfig, RetentionConfig, SlotName, otherSlot } from './config';
import { OperatorRequest } from './events';
import { ObservedRoutes, SlotObservation } from './ports';
import { resolveRoutes } from './routes';
import { releaseDigests } from './slot';
import { StateRecord } from './state';

/** Who a scheduled scale-down is recorded as. */
export const RETIRE_ACTOR = 'previousSlotRetention';

/**
 * A schedule's name: 1-64 of [0-9a-zA-Z-_.] (EventBridge Scheduler API Reference, CreateSchedule:
 * Name). One per release, so a retried Bake creates nothing twice (ConflictException).
 */
export function retireScheduleName(executionId: string): string {
  const name = `retire-${executionId}`;
  if (/^[0-9a-zA-Z._-]{1,64}$/.test(name)) return name;
  return `retire-${createHash('sha256').update(executionId).digest('hex').slice(0, 40)}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, whole seconds rounded up (User Guide, "Schedule types": one-time schedules). */
export function atExpression(when: Date): string {
  const seconds = Math.ceil(when.getTime() / 1000) * 1000;
  return `at(${new Date(seconds).toISOString().slice(0, 19)})`;
}

/** The event the schedule sends the swap function: the release, and the slot it made live. */
export function retireEvent(executionId: string, liveSlot: SlotName, retention: RetentionConfig): Record<string, string> {
  return {
    action: 'retire',
    requestId: retireScheduleName(executionId),
    forRelease: executionId,
    expectedLiveSlot: liveSlot,
    actor: RETIRE_ACTOR,
    reason: `slot ${otherSlot(liveSlot)} was kept warm for ${retention.seconds} s after release ${executionId} ended`,
  };
}

export interface RetireInput {
  readonly config: ReleaseConfig;
  readonly request: OperatorRequest;
  readonly routes: ObservedRoutes;
  readonly state: StateRecord | null;
  /** The release that holds the lease, when its execution is still running. */
  readonly runningRelease: string | null;
  /** The slot to retire, observed. */
  readonly target: SlotObservation;
}

export type RetireDecision =
  | { readonly kind: 'retire'; readonly slot: SlotName; readonly digest: string | null }
  | { readonly kind: 'already-done'; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string };

/**
 * Scale the previous slot down only while it is still this release's previous slot and nothing
 * else is under way: no release holds the slots, production is not split, the routes and the
 * record agree that `forRelease` made the other slot live, and the slot runs the recorded
 * previous digest (or nothing). Anything else means a later release or a rollback has moved on.
 */
export function decideRetire(input: RetireInput): RetireDecision {
  const { config, request, state, target } = input;
  const release = request.forRelease as string;
  const slot = otherSlot(request.expectedLiveSlot as SlotName);
  if (input.runningRelease !== null) return { kind: 'skip', reason: `release ${input.runningRelease} holds the slots, so slot ${slot} is not release ${release}'s to scale down` };
  const resolved = resolveRoutes(config, input.routes, { shifting: true });
  if (!resolved.ok) return { kind: 'skip', reason: resolved.reason };
  if (resolved.view.shift !== null) return { kind: 'skip', reason: 'production is split between the slots (a traffic shift), so neither slot is idle' };
  if (resolved.view.liveSlot !== request.expectedLiveSlot) {
    return { kind: 'skip', reason: `production is on slot ${resolved.view.liveSlot} now, not slot ${request.expectedLiveSlot} as release ${release} left it` };
  }
  if (state === null || state.liveSlot !== resolved.view.liveSlot || state.liveReleaseId !== release) {
    return { kind: 'skip', reason: `production no longer runs release ${release} (a later release or a rollback has moved it), so slot ${slot} is not its previous slot` };
  }
  if (target.service === null || target.service.status !== 'ACTIVE') return { kind: 'skip', reason: `slot ${slot}'s service is ${target.service?.status ?? 'gone'}` };
  if (target.service.desiredCount === 0) return { kind: 'already-done', reason: `slot ${slot} already runs no tasks` };
  // Scaled down once already: tasks there now are a rollback bringing it back, never ours to stop.
  if (state.previousScaledDownAt !== undefined) return { kind: 'already-done', reason: `slot ${slot} was scaled down at ${state.previousScaledDownAt}; what runs there now is a rollback's` };
  const others = [...new Set(target.tasks.flatMap((t) => releaseDigests(t, config.repositoryName)).filter((d) => d !== null && d !== state.previousDigest))];
  if (others.length > 0) return { kind: 'skip', reason: `slot ${slot} runs ${others.sort().join(', ')}, not the previous release's ${state.previousDigest ?? 'digest'}` };
  return { kind: 'retire', slot, digest: state.previousDigest };
}

/**
 * Where a rollback target stands when it cannot take production yet: 'scaled-down' (no tasks
 * wanted; scale it up first), 'scaling-up' (the control plane scaled it down and something has
 * asked for tasks since, all on the previous digest: a scale-up under way), or null (not ready
 * for another reason, which the rollback reports).
 */
export function scaleUpPhase(target: SlotObservation, state: StateRecord, targetTag: string | null, repositoryName: string): 'scaled-down' | 'scaling-up' | null {
  const service = target.service;
  if (service === null || service.status !== 'ACTIVE' || state.previousDigest === null) return null;
  if (service.desiredCount === 0) return 'scaled-down';
  if (state.previousScaledDownAt === undefined || targetTag !== state.previousDigest) return null;
  if (service.deployments.some((d) => d.rolloutState === 'FAILED')) return null;
  const digests = target.tasks.flatMap((t) => releaseDigests(t, repositoryName));
  return digests.every((d) => d === null || d === state.previousDigest) ? 'scaling-up' : null;
}
