// Rollback decision: a re-swap to the non-live slot, allowed only while that slot still runs
// exactly the recorded previous digest, healthy and steady.
import { ApprovalProof } from './approval';
import { ReleaseConfig, SlotName, otherSlot } from './config';
import { Refusal } from './decide-deploy';
import { ReleasePlan, tagRepair } from './decide-swap';
import { RollbackRequest, RollbackResult } from './events';
import { labelledResources, liveLabels } from './labels';
import { ObservedRoutes, SlotObservation } from './ports';
import { resolveRoutes, routeWrite, writesToMakeLive } from './routes';
import { scaleUpPhase } from './retire';
import { slotNotReadyReason } from './slot';
import { StateRecord, commitOfDigest, hasExecution, nextStateRecord, rollbackExecutionId } from './state';

export interface RollbackInput {
  readonly config: ReleaseConfig;
  readonly request: RollbackRequest;
  readonly routes: ObservedRoutes;
  /** The non-live slot, observed. */
  readonly target: SlotObservation;
  /** The digest the target slot's tag names now (null: no tag). */
  readonly targetTag: string | null;
  readonly state: StateRecord | null;
  /** The release that holds the lease, and whether its execution is still running; null when none does. */
  readonly releaseHolder: { readonly executionId: string; readonly running: boolean } | null;
  /** Whether the record's previous digest is proven approved (core/approval.ts); null when there is none to prove. */
  readonly proof: ApprovalProof | null;
  readonly now: Date;
  /** The control plane may scale the target up (`previousSlotRetention`); else a target at zero is refused. */
  readonly canScaleUp?: boolean;
}

/** A rollback target at zero: bring it back on the previous digest first, then ask again. */
export interface ScaleUpPlan {
  readonly kind: 'scale-up';
  readonly slot: SlotName;
  readonly digest: string;
  readonly repairTag: ReturnType<typeof tagRepair>;
}

export interface AlreadyDone {
  readonly kind: 'already-done';
  readonly reason: string;
}

export type RollbackDecision =
  | (ReleasePlan & { readonly kind: 'rollback' })
  | ScaleUpPlan
  | { readonly kind: 'in-progress'; readonly reason: string }
  | AlreadyDone
  | Refusal;

/** Default actor when the event names none. */
export const UNKNOWN_ACTOR = 'direct-invoke';

export function decideRollback(input: RollbackInput): RollbackDecision {
  const { config, request, routes, target, state } = input;
  const executionId = rollbackExecutionId(request.requestId);
  const resolved = resolveRoutes(config, routes);
  if (!resolved.ok) return { kind: 'refused', reason: resolved.reason };
  const { liveSlot } = resolved.view;
  if (hasExecution(state, executionId)) {
    return { kind: 'already-done', reason: `rollback request ${request.requestId} was already applied; production is on slot ${liveSlot}` };
  }
  if (request.expectedLiveSlot !== null && request.expectedLiveSlot !== liveSlot) {
    return { kind: 'refused', reason: `the caller expected slot ${request.expectedLiveSlot} to be live but production is on slot ${liveSlot}, so its view is stale` };
  }
  const holder = input.releaseHolder;
  if (request.forRelease !== null && holder?.executionId !== request.forRelease) {
    return { kind: 'refused', reason: `release ${request.forRelease} no longer holds the slots (its bake has ended), so its automatic rollback changes nothing` };
  }
  // A release that has not swapped yet is deploying onto the very slot a rollback would go to.
  // (A release whose shift an operator promoted is live under the promote's id: its release id says it swapped.)
  if (holder !== null && holder.running && !hasExecution(state, holder.executionId) && state?.liveReleaseId !== holder.executionId) {
    return {
      kind: 'refused',
      reason: `release ${holder.executionId} holds the slots and is deploying to slot ${otherSlot(liveSlot)}, the rollback target; reject or stop it first`,
    };
  }
  if (state === null) return { kind: 'refused', reason: 'no release has been recorded yet, so there is nothing to roll back to' };
  if (state.liveSlot !== liveSlot) {
    return { kind: 'refused', reason: `the state record says slot ${state.liveSlot} is live but production is on slot ${liveSlot} (label drift), so the rollback target is unknown` };
  }
  if (state.previousDigest === null) return { kind: 'refused', reason: `no previous digest is recorded for slot ${otherSlot(liveSlot)}, so there is nothing to roll back to` };
  const toSlot = otherSlot(liveSlot);
  if (target.slot !== toSlot) return { kind: 'refused', reason: `observed slot ${target.slot} instead of the rollback target slot ${toSlot}` };
  const notReady = slotNotReadyReason(target, state.previousDigest, config.repositoryName);
  const phase = notReady === null ? null : scaleUpPhase(target, state, input.targetTag, config.repositoryName);
  if (notReady !== null && (phase === null || !input.canScaleUp)) {
    const hint = phase === 'scaled-down' ? ', so scale it back up first (with previousSlotRetention, a rollback does that itself)' : '';
    return { kind: 'refused', reason: `slot ${toSlot} cannot take production back: ${notReady}${hint}` };
  }
  if (input.proof === null || !input.proof.proven) {
    return { kind: 'refused', reason: `slot ${toSlot}'s ${state.previousDigest} is not proven approved: ${input.proof?.proven === false ? input.proof.reason : 'no proof was given'}` };
  }
  if (phase === 'scaled-down') {
    const repairTag = tagRepair(config.slots[toSlot].imageTag, input.targetTag, state.previousDigest);
    return { kind: 'scale-up', slot: toSlot, digest: state.previousDigest, repairTag };
  }
  if (phase === 'scaling-up') return { kind: 'in-progress', reason: `slot ${toSlot} is scaling back up on ${state.previousDigest} (${notReady})` };

  const liveDigest = state.previousDigest;
  const previousDigest = state.liveDigest;
  return {
    kind: 'rollback',
    fromSlot: liveSlot,
    toSlot,
    repairTag: tagRepair(config.slots[toSlot].imageTag, input.targetTag, liveDigest),
    writes: writesToMakeLive(config, resolved.view, toSlot),
    revert: routeWrite(config, 'production', liveSlot),
    labelArns: labelledResources(config),
    labels: liveLabels(toSlot, liveDigest, executionId),
    nextState: nextStateRecord(state, {
      operation: 'rollback',
      executionId,
      fromSlot: liveSlot,
      toSlot,
      liveDigest,
      previousDigest,
      liveReleaseId: state.previousReleaseId,
      previousReleaseId: state.liveReleaseId,
      commit: commitOfDigest(state, liveDigest),
      at: input.now.toISOString(),
      by: request.actor ?? UNKNOWN_ACTOR,
      reason: request.reason,
    }),
    liveDigest,
    previousDigest,
  };
}

/** liveSlot / liveDigest / previousDigest as far as routes and record agree. */
export function releaseView(liveSlot: SlotName | null, state: StateRecord | null): Pick<RollbackResult, 'liveSlot' | 'liveDigest' | 'previousDigest'> {
  const agrees = liveSlot !== null && state !== null && state.liveSlot === liveSlot;
  return { liveSlot, liveDigest: agrees ? state.liveDigest : null, previousDigest: agrees ? state.previousDigest : null };
}
