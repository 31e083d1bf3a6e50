// Which slot is live, judged only from the observed listener rules (the source of truth).
import { ReleaseConfig, SLOT_NAMES, SlotName, otherSlot, slotOfTargetGroup } from './config';
import { ObservedRoutes, ObservedRule, WeightedTargetGroup } from './ports';

/** A traffic shift under way: production splits its traffic between the two slots. */
export interface ShiftView {
  /** The candidate: the slot the shift moves production to (the test rule forwards there). */
  readonly toSlot: SlotName;
  /** The candidate's share of production, 1..99 percent. */
  readonly percent: number;
}

export interface RoutesView {
  /** The slot the production rule forwards to (blue); during a shift, the slot it moves away from. */
  readonly liveSlot: SlotName;
  /** The other slot (green, or the rollback target); during a shift, the candidate. */
  readonly idleSlot: SlotName;
  /** The slot the test rule forwards to; null when it forwards to anything else. */
  readonly testSlot: SlotName | null;
  /** True when the test rule does not forward to exactly the idle slot. */
  readonly testRouteStale: boolean;
  /** Set while production splits traffic (only when the caller asked for shifts to be resolved). */
  readonly shift: ShiftView | null;
}

export type RoutesResolution = { readonly ok: true; readonly view: RoutesView } | { readonly ok: false; readonly reason: string };

export type RuleRole = 'production' | 'test';

/** One ModifyRule: make `ruleArn` forward to `slot`'s target group, or split production by weight. */
export interface RouteWrite {
  readonly rule: RuleRole;
  readonly ruleArn: string;
  /** The slot the rule forwards to; for a split, the slot that keeps 100 − `split.percent`. */
  readonly slot: SlotName;
  readonly targetGroupArn: string;
  /** A weighted production write of a traffic shift. */
  readonly split?: { readonly toSlot: SlotName; readonly percent: number; readonly stickinessSeconds: number };
}

/** The slot a rule forwards to, or a reason why it forwards to no single slot. */
export function ruleSlot(config: ReleaseConfig, rule: ObservedRule, role: RuleRole): { slot: SlotName } | { reason: string } {
  const tgs = rule.forwardTargetGroupArns;
  if (tgs.length === 0) return { reason: `the ${role} rule ${rule.ruleArn} does not forward to any target group` };
  if (tgs.length > 1) {
    const split = splitOf(config, rule);
    if (split !== null && 'percents' in split) {
      return { reason: `the ${role} rule ${rule.ruleArn} splits traffic (${trafficText(split.percents)}): a traffic shift is in progress; promote or abort it first` };
    }
    return { reason: `the ${role} rule ${rule.ruleArn} splits traffic across ${tgs.length} target groups instead of forwarding to one slot` };
  }
  const slot = slotOfTargetGroup(config, tgs[0]);
  if (slot === null) return { reason: `the ${role} rule ${rule.ruleArn} forwards to ${tgs[0]}, which is neither slot's target group` };
  return { slot };
}

/** Each slot's share, as `a=90 b=10` (a slot at 0% is left out), the form the labels and messages use. */
export function trafficText(percents: Readonly<Record<SlotName, number>>): string {
  return SLOT_NAMES.filter((s) => percents[s] > 0).map((s) => `${s}=${percents[s]}`).join(' ');
}

/**
 * How a rule that forwards to several target groups splits traffic between the two slots: null
 * when it forwards to one (or none), a reason when the split is not one of the two slots'.
 */
export function splitOf(config: ReleaseConfig, rule: ObservedRule): { percents: Record<SlotName, number> } | { reason: string } | null {
  const tgs = rule.forwardTargetGroupArns;
  if (tgs.length < 2) return null;
  const slots = tgs.map((tg) => slotOfTargetGroup(config, tg));
  if (tgs.length > 2 || slots.includes(null) || slots[0] === slots[1]) {
    return { reason: `the production rule ${rule.ruleArn} splits traffic across ${tgs.length} target groups that are not the two slots` };
  }
  const weights = rule.weights;
  if (weights === undefined || weights.length !== 2 || !weights.every((w) => Number.isInteger(w) && w > 0)) {
    return { reason: `the production rule ${rule.ruleArn} splits traffic between the slots with unknown weights` };
  }
  const [first, second] = slots as SlotName[];
  // The ALB takes any weights from 0 to 999; a share is rounded to whole percents within 1..99 (both are above 0).
  const share = Math.min(99, Math.max(1, Math.round((100 * weights[0]) / (weights[0] + weights[1]))));
  return { percents: { [first]: share, [second]: 100 - share } as Record<SlotName, number> };
}

/**
 * The routes as the control plane judges them. A production rule that splits traffic is refused,
 * unless the caller resolves shifts (`shifting`): then the test rule names the candidate (a shift
 * keeps it on the candidate until the last step), and the other slot is the live one.
 */
export function resolveRoutes(config: ReleaseConfig, routes: ObservedRoutes, opts: { shifting?: boolean } = {}): RoutesResolution {
  const test = ruleSlot(config, routes.test, 'test');
  const testSlot = 'slot' in test ? test.slot : null;
  const split = splitOf(config, routes.production);
  if (split !== null) {
    if ('reason' in split) return { ok: false, reason: split.reason };
    if (!opts.shifting) return { ok: false, reason: (ruleSlot(config, routes.production, 'production') as { reason: string }).reason };
    if (testSlot === null) {
      return { ok: false, reason: `the production rule splits traffic (${trafficText(split.percents)}) and ${(test as { reason: string }).reason}, so the shift's candidate slot is unknown` };
    }
    return {
      ok: true,
      view: { liveSlot: otherSlot(testSlot), idleSlot: testSlot, testSlot, testRouteStale: false, shift: { toSlot: testSlot, percent: split.percents[testSlot] } },
    };
  }
  const production = ruleSlot(config, routes.production, 'production');
  if ('reason' in production) return { ok: false, reason: production.reason };
  const liveSlot = production.slot;
  const idleSlot = otherSlot(liveSlot);
  return { ok: true, view: { liveSlot, idleSlot, testSlot, testRouteStale: testSlot !== idleSlot, shift: null } };
}

/** Each slot's share of production when `toSlot` takes `percent` of it and the other slot the rest. */
export function shares(toSlot: SlotName, percent: number): Record<SlotName, number> {
  return { [toSlot]: percent, [otherSlot(toSlot)]: 100 - percent } as Record<SlotName, number>;
}

/** Each slot's share of production in a view: the live slot alone, or the shift's split. */
export function viewTraffic(view: RoutesView): Record<SlotName, number> {
  return shares(view.shift?.toSlot ?? view.idleSlot, view.shift?.percent ?? 0);
}

export function routeWrite(config: ReleaseConfig, rule: RuleRole, slot: SlotName): RouteWrite {
  return {
    rule,
    ruleArn: rule === 'production' ? config.productionRuleArn : config.testRuleArn,
    slot,
    targetGroupArn: config.slots[slot].targetGroupArn,
  };
}

/** The production rule split: `percent` on `toSlot`, the rest on the other slot; 0 and 100 are plain forwards. */
export function productionWrite(config: ReleaseConfig, toSlot: SlotName, percent: number, stickinessSeconds: number): RouteWrite {
  if (percent <= 0) return routeWrite(config, 'production', otherSlot(toSlot));
  if (percent >= 100) return routeWrite(config, 'production', toSlot);
  return { ...routeWrite(config, 'production', otherSlot(toSlot)), split: { toSlot, percent, stickinessSeconds } };
}

/** The target groups and weights of a split write (weights are percents: within the ALB's 0..999). */
export function weightedTargetGroups(config: ReleaseConfig, write: RouteWrite): WeightedTargetGroup[] {
  if (write.split === undefined) return [{ targetGroupArn: write.targetGroupArn, weight: 1 }];
  return [
    { targetGroupArn: write.targetGroupArn, weight: 100 - write.split.percent },
    { targetGroupArn: config.slots[write.split.toSlot].targetGroupArn, weight: write.split.percent },
  ];
}

/** `percent` of production on `toSlot`, for messages: `slot a` (0), `slot b` (100), or `a=90 b=10`. */
export function describeShare(toSlot: SlotName, percent: number): string {
  if (percent <= 0) return `slot ${otherSlot(toSlot)}`;
  if (percent >= 100) return `slot ${toSlot}`;
  return trafficText(shares(toSlot, percent));
}

/** What a write does, for logs and messages: `slot b`, or `a=90 b=10`. */
export function describeWrite(write: RouteWrite): string {
  return write.split === undefined ? `slot ${write.slot}` : describeShare(write.split.toSlot, write.split.percent);
}

/** Whether an observed rule is exactly what `write` makes it (a lost response can hide a write that landed). */
export function ruleMatchesWrite(config: ReleaseConfig, rule: ObservedRule, write: RouteWrite): boolean {
  const expected = weightedTargetGroups(config, write);
  if (rule.forwardTargetGroupArns.length !== expected.length) return false;
  return expected.every((g, i) => rule.forwardTargetGroupArns[i] === g.targetGroupArn && (expected.length === 1 || rule.weights?.[i] === g.weight));
}

/**
 * The writes that make `newLive` live, in the contract's order: production first (the commit
 * point), then the test rule to the other slot. Rules already in place are left alone, which also
 * repairs a stale test rule; a split production rule is always written.
 */
export function writesToMakeLive(config: ReleaseConfig, view: RoutesView, newLive: SlotName): RouteWrite[] {
  const writes: RouteWrite[] = [];
  if (view.liveSlot !== newLive || view.shift !== null) writes.push(routeWrite(config, 'production', newLive));
  if (view.testSlot !== otherSlot(newLive)) writes.push(routeWrite(config, 'test', otherSlot(newLive)));
  return writes;
}
