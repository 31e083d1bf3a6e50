// Who may move a slot's count, and when (docs/design.md, "Auto scaling: the control plane holds
// each slot's floor"). Application Auto Scaling moves a count to fit its scalable target's bounds
// whenever they are registered (API Reference, RegisterScalableTarget), so the bounds are the
// control plane's to set: a floor at a slot's count stops every scale-in below it.
import { AutoScalingConfig, SlotName, otherSlot } from './config';

/** The custom resource that registers a slot's scalable target (lambdas/infra-owner/slot-scaling.ts). */
export const SLOT_SCALING_RESOURCE_TYPE = 'Custom::BlueGreenSlotScaling';

/** A scalable target's MinCapacity and MaxCapacity. */
export interface ScalingBounds {
  readonly min: number;
  readonly max: number;
}

/** The slot may scale out, never in below `count`. */
export function heldAt(scaling: AutoScalingConfig, count: number): ScalingBounds {
  return { min: count, max: Math.max(count, scaling.maxCapacity) };
}

/** The live slot between releases: within the configured bounds. */
export function free(scaling: AutoScalingConfig): ScalingBounds {
  return { min: scaling.minCapacity, max: scaling.maxCapacity };
}

/**
 * What the infra owner registers for a stack operation: bounds around the slot's count, so that a
 * `cdk deploy` moves no count (invariant 6). A new target is held at the count; an existing one
 * keeps a floor no higher than the count and gets a ceiling no lower.
 */
export function aroundCount(scaling: AutoScalingConfig, count: number, registered: ScalingBounds | null): ScalingBounds {
  return { min: Math.min(registered?.min ?? count, count), max: Math.max(scaling.maxCapacity, count) };
}

/**
 * DeployGreen, once the candidate rolls to `candidateCount`: the candidate held at what the swap
 * will verify, the live slot at its own count (it becomes the previous slot, a rollback target).
 */
export function releaseFloors(scaling: AutoScalingConfig, candidate: SlotName, candidateCount: number, liveCount: number): Record<SlotName, ScalingBounds> {
  return { [candidate]: heldAt(scaling, candidateCount), [otherSlot(candidate)]: heldAt(scaling, liveCount) } as Record<SlotName, ScalingBounds>;
}
