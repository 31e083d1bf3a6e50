// Swap decision: verify the approved digest on the green slot, compare-and-swap on the observed
// routes, and plan the writes, labels and record. The idempotent path finishes a swap that already
// committed (production on green) without writing production again.
import { ReleaseConfig, SlotName, otherSlot } from './config';
import { Refusal } from './decide-deploy';
import { SwapParameters } from './events';
import { labelledResources, liveLabels } from './labels';
import { ObservedRoutes, ResourceTags, SlotObservation } from './ports';
import { RouteWrite, resolveRoutes, routeWrite, writesToMakeLive } from './routes';
import { digestMismatchReason, slotNotReadyReason } from './slot';
import { StateRecord, initialStateView, nextStateRecord } from './state';

/** Previous digest (and the execution that released it): known from the record, or unknown (the caller observes the old live slot). */
export type KnownDigest = { readonly known: true; readonly digest: string | null; readonly releaseId: string | null } | { readonly known: false };

/** True when the record's last change is this swap. */
export function swapRecorded(state: StateRecord | null, request: SwapParameters): state is StateRecord {
  return state !== null && state.lastExecutionId === request.executionId && state.liveSlot === request.greenSlot;
}

/**
 * What the non-green slot runs, as far as the record can tell: its previous digest when the record
 * already holds this swap, else the record's live digest when the record agrees that slot was live.
 * An absent record means "slot a live, nothing released".
 */
export function recordedPreviousDigest(state: StateRecord | null, request: SwapParameters): KnownDigest {
  if (swapRecorded(state, request)) return { known: true, digest: state.previousDigest, releaseId: state.previousReleaseId };
  const view = state ?? initialStateView();
  if (view.liveSlot === otherSlot(request.greenSlot)) return { known: true, digest: view.liveDigest, releaseId: view.liveReleaseId };
  return { known: false };
}

export interface SwapOutputs {
  readonly LIVE_SLOT: string;
  readonly LIVE_DIGEST: string;
  readonly PREVIOUS_DIGEST: string;
}

/** A slot tag that does not name what its slot runs, put right before production moves there. */
export interface TagRepair {
  readonly tag: string;
  readonly digest: string;
}

export interface ReleasePlan {
  readonly kind: 'swap' | 'already-swapped' | 'rollback' | 'promote' | 'abort';
  readonly fromSlot: SlotName;
  readonly toSlot: SlotName;
  /** The new live slot's tag must name the digest it runs (the slot-tag rule); set when it does not. */
  readonly repairTag: TagRepair | null;
  /**
   * Written before the route writes when production leaves a traffic shift: the shift's last step
   * (all on the candidate, or all back), so the record knows both weights production may be at.
   */
  readonly intent?: StateRecord;
  /** In order; production first (the commit point). Empty on the idempotent path when both rules are in place. */
  readonly writes: readonly RouteWrite[];
  /** Puts production back on `fromSlot` if a later write fails. */
  readonly revert: RouteWrite;
  readonly labelArns: readonly string[];
  readonly labels: ResourceTags;
  /** null when the record already describes this change. */
  readonly nextState: StateRecord | null;
  readonly liveDigest: string | null;
  readonly previousDigest: string | null;
}

export interface SwapPlan extends ReleasePlan {
  readonly outputs: SwapOutputs;
}

export interface SwapInput {
  readonly config: ReleaseConfig;
  readonly request: SwapParameters;
  readonly routes: ObservedRoutes;
  readonly green: SlotObservation;
  readonly state: StateRecord | null;
  /** What the non-green slot runs: from recordedPreviousDigest, or observed when the record could not say. */
  readonly previousDigest: string | null;
  /** The execution that released previousDigest, when the record says; null when it was observed. */
  readonly previousReleaseId: string | null;
  /** The digest the green slot's tag names now (null: no tag). */
  readonly greenTag: string | null;
  readonly approver: string;
  readonly now: Date;
}

/** Set when `tag` names anything but `digest`, which every task of its slot was just seen to run. */
export function tagRepair(tag: string, tagged: string | null, digest: string): TagRepair | null {
  return tagged === digest ? null : { tag, digest };
}

export function decideSwap(input: SwapInput): SwapPlan | Refusal {
  const { config, request, routes, green, state } = input;
  const toSlot = request.greenSlot;
  const fromSlot = otherSlot(toSlot);
  if (green.slot !== toSlot) return { kind: 'refused', reason: `observed slot ${green.slot} instead of the green slot ${toSlot}` };
  const resolved = resolveRoutes(config, routes);
  if (!resolved.ok) return { kind: 'refused', reason: resolved.reason };
  const view = resolved.view;

  let kind: ReleasePlan['kind'];
  if (view.liveSlot === fromSlot) {
    kind = 'swap';
    const notReady = slotNotReadyReason(green, request.imageDigest, config.repositoryName);
    if (notReady !== null) return { kind: 'refused', reason: notReady };
  } else {
    // Production already forwards to green: only a retry of this very release may finish here.
    const mismatch = digestMismatchReason(toSlot, green.tasks, request.imageDigest, config.repositoryName);
    if (mismatch !== null) {
      return { kind: 'refused', reason: `production already forwards to slot ${toSlot}, which is not running the approved digest (${mismatch}), so this view is stale` };
    }
    kind = 'already-swapped';
  }

  const previousDigest = input.previousDigest;
  const nextState = swapRecorded(state, request)
    ? null
    : nextStateRecord(state, {
        operation: 'swap',
        executionId: request.executionId,
        fromSlot,
        toSlot,
        liveDigest: request.imageDigest,
        previousDigest,
        liveReleaseId: request.executionId,
        previousReleaseId: previousDigest === null ? null : input.previousReleaseId,
        commit: request.commit,
        at: input.now.toISOString(),
        by: input.approver,
      });
  return {
    kind,
    fromSlot,
    toSlot,
    repairTag: tagRepair(config.slots[toSlot].imageTag, input.greenTag, request.imageDigest),
    writes: writesToMakeLive(config, view, toSlot),
    revert: routeWrite(config, 'production', fromSlot),
    labelArns: labelledResources(config),
    labels: liveLabels(toSlot, request.imageDigest, request.executionId),
    nextState,
    liveDigest: request.imageDigest,
    previousDigest,
    outputs: { LIVE_SLOT: toSlot, LIVE_DIGEST: request.imageDigest, PREVIOUS_DIGEST: previousDigest ?? '' },
  };
}
