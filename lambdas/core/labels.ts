// Labels: tags derived from the routes, written to both services and both target groups.
import { ReleaseConfig, SLOT_NAMES, SlotName, isSlotName } from './config';
import { ResourceTags } from './ports';
import { shares, trafficText } from './routes';

export const TAG_SLOT = 'bluegreen:slot';
export const TAG_LIVE_SLOT = 'bluegreen:live-slot';
export const TAG_LIVE_DIGEST = 'bluegreen:live-digest';
export const TAG_CHANGED_BY_EXECUTION = 'bluegreen:changed-by-execution';
/** Each slot's share of production: `b=100`, or `a=90 b=10` during a traffic shift. */
export const TAG_TRAFFIC = 'bluegreen:traffic';
/** Tag value for "no digest known" (tag values cannot be null). */
export const NO_DIGEST = 'none';

/** The four labelled resources: both services, both target groups. */
export function labelledResources(config: ReleaseConfig): string[] {
  return SLOT_NAMES.flatMap((s) => [config.slots[s].serviceArn, config.slots[s].targetGroupArn]);
}

/** Each slot's share when `liveSlot` takes all of production. */
export function allOn(liveSlot: SlotName): Record<SlotName, number> {
  return shares(liveSlot, 100);
}

/** The tags every labelled resource gets after a change; `traffic` defaults to all on the live slot. */
export function liveLabels(liveSlot: SlotName, liveDigest: string | null, executionId: string, traffic: Readonly<Record<SlotName, number>> = allOn(liveSlot)): ResourceTags {
  return {
    [TAG_LIVE_SLOT]: liveSlot,
    [TAG_LIVE_DIGEST]: liveDigest ?? NO_DIGEST,
    // Tag values allow letters, digits, spaces and _ . : / = + - @ only.
    [TAG_CHANGED_BY_EXECUTION]: executionId.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256),
    [TAG_TRAFFIC]: trafficText(traffic),
  };
}

/**
 * Per resource, how its tags disagree with the routes' live slot and, where a resource says it,
 * their split (`traffic`: each slot's share as the routes have it). Empty = no drift.
 */
export function labelDrift(config: ReleaseConfig, liveSlot: SlotName, tagsByArn: Readonly<Record<string, ResourceTags>>, traffic: Readonly<Record<SlotName, number>> = allOn(liveSlot)): string[] {
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
      // Labels written before the traffic tag existed carry none; that is not drift. A wrong live slot says it already.
      const split = tags[TAG_TRAFFIC];
      if (labelled === liveSlot && split !== undefined && split !== trafficText(traffic)) {
        problems.push(`${arn} is labelled ${TAG_TRAFFIC}=${split} but production sends ${trafficText(traffic)}`);
      }
    }
  }
  return problems;
}
