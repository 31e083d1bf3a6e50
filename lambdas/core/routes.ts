// Which slot is live, judged only from the observed listener rules (the source of truth).
import { ReleaseConfig, SlotName, otherSlot, slotOfTargetGroup } from './config';
import { ObservedRoutes, ObservedRule } from './ports';

export interface RoutesView {
  /** The slot the production rule forwards to (blue). */
  readonly liveSlot: SlotName;
  /** The other slot (green, or the rollback target). */
  readonly idleSlot: SlotName;
  /** The slot the test rule forwards to; null when it forwards to anything else. */
  readonly testSlot: SlotName | null;
  /** True when the test rule does not forward to exactly the idle slot. */
  readonly testRouteStale: boolean;
}

export type RoutesResolution = { readonly ok: true; readonly view: RoutesView } | { readonly ok: false; readonly reason: string };

export type RuleRole = 'production' | 'test';

/** One ModifyRule: make `ruleArn` forward to `slot`'s target group. */
export interface RouteWrite {
  readonly rule: RuleRole;
  readonly ruleArn: string;
  readonly slot: SlotName;
  readonly targetGroupArn: string;
}

/** The slot a rule forwards to, or a reason why it forwards to no single slot. */
export function ruleSlot(config: ReleaseConfig, rule: ObservedRule, role: RuleRole): { slot: SlotName } | { reason: string } {
  const tgs = rule.forwardTargetGroupArns;
  if (tgs.length === 0) return { reason: `the ${role} rule ${rule.ruleArn} does not forward to any target group` };
  if (tgs.length > 1) return { reason: `the ${role} rule ${rule.ruleArn} splits traffic across ${tgs.length} target groups instead of forwarding to one slot` };
  const slot = slotOfTargetGroup(config, tgs[0]);
  if (slot === null) return { reason: `the ${role} rule ${rule.ruleArn} forwards to ${tgs[0]}, which is neither slot's target group` };
  return { slot };
}

export function resolveRoutes(config: ReleaseConfig, routes: ObservedRoutes): RoutesResolution {
  const production = ruleSlot(config, routes.production, 'production');
  if ('reason' in production) return { ok: false, reason: production.reason };
  const liveSlot = production.slot;
  const idleSlot = otherSlot(liveSlot);
  const test = ruleSlot(config, routes.test, 'test');
  const testSlot = 'slot' in test ? test.slot : null;
  return { ok: true, view: { liveSlot, idleSlot, testSlot, testRouteStale: testSlot !== idleSlot } };
}

export function routeWrite(config: ReleaseConfig, rule: RuleRole, slot: SlotName): RouteWrite {
  return {
    rule,
    ruleArn: rule === 'production' ? config.productionRuleArn : config.testRuleArn,
    slot,
    targetGroupArn: config.slots[slot].targetGroupArn,
  };
}

/**
 * The writes that make `newLive` live, in the contract's order: production first (the commit
 * point), then the test rule to the other slot. Rules already in place are left alone, which also
 * repairs a stale test rule.
 */
export function writesToMakeLive(config: ReleaseConfig, view: RoutesView, newLive: SlotName): RouteWrite[] {
  const writes: RouteWrite[] = [];
  if (view.liveSlot !== newLive) writes.push(routeWrite(config, 'production', newLive));
  if (view.testSlot !== otherSlot(newLive)) writes.push(routeWrite(config, 'test', otherSlot(newLive)));
  return writes;
}
