// Labels: tags derived from the routes, written to both services and both target groups.
import { ReleaseConfig, SLOT_NAMES, SlotName, isSlotName } from './config';
import { ResourceTags } from './ports';

export const TAG_SLOT = 'bluegreen:slot';
export const TAG_LIVE_SLOT = 'bluegreen:live-slot';
export const TAG_LIVE_DIGEST = 'bluegreen:live-digest';
export const TAG_CHANGED_BY_EXECUTION = 'bluegreen:changed-by-execution';
/** Tag value for "no digest known" (tag values cannot be null). */
export const NO_DIGEST = 'none';

/** The four labelled resources: both services, both target groups. */
export function labelledResources(config: ReleaseConfig): string[] {
  return SLOT_NAMES.flatMap((s) => [config.slots[s].serviceArn, config.slots[s].targetGroupArn]);
}

/** The tags every labelled resource gets after a change. */
export function liveLabels(liveSlot: SlotName, liveDigest: string | null, executionId: string): ResourceTags {
  return {
    [TAG_LIVE_SLOT]: liveSlot,
    [TAG_LIVE_DIGEST]: liveDigest ?? NO_DIGEST,
    // Tag values allow letters, digits, spaces and _ . : / = + - @ only.
    [TAG_CHANGED_BY_EXECUTION]: executionId.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256),
  };
}

/** Per resource, how its tags disagree with the routes' live slot. Empty = no drift. */
export function labelDrift(config: ReleaseConfig, liveSlot: SlotName, tagsByArn: Readonly<Record<string, ResourceTags>>): string[] {
  const problems: string[] = [];
  for (const slot of SLOT_NAMES) {
    for (const arn of [config.slots[slot].serviceArn, config.slots[slot].targetGroupArn]) {
      const tags = tagsByArn[arn];
      if (tags === undefined) {
        problems.push(`${arn} has no readable tags`);
        continue;
      }
      if (tags[TAG_SLOT] !== slot) problems.push(`${arn} is tagged ${TAG_SLOT}=${tags[TAG_SLOT] ?? '(none)'}, expected ${slot}`);
      const labelled = tags[TAG_LIVE_SLOT];
      if (labelled !== liveSlot) {
        problems.push(`${arn} is labelled ${TAG_LIVE_SLOT}=${isSlotName(labelled) ? labelled : labelled ?? '(none)'} but the production route serves slot ${liveSlot}`);
      }
    }
  }
  return problems;
}
