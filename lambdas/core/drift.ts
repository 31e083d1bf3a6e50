// Drift: every way the labels, the record and the running tasks disagree with the routes (the
// routes are the truth). Reported, never trusted.
import { ReleaseConfig, SlotName, otherSlot } from './config';
import { TAG_LIVE_SLOT, labelDrift } from './labels';
import { ObservedRoutes, ResourceTags } from './ports';
import { ShiftView, resolveRoutes, ruleSlot, trafficText, viewTraffic } from './routes';
import { StateRecord } from './state';

/**
 * Which slot each route forwards to; null (with the reason in `problems`) when it forwards to no
 * single slot. During a traffic shift `production` is the slot the shift moves away from, and
 * `shift` says where the rest goes.
 */
export interface RouteSlots {
  readonly production: SlotName | null;
  readonly test: SlotName | null;
  readonly shift: ShiftView | null;
  readonly problems: readonly string[];
}

/** A route names a slot only when it forwards to exactly that slot's target group, or production splits between the two. */
export function routeSlots(config: ReleaseConfig, routes: ObservedRoutes): RouteSlots {
  const test = ruleSlot(config, routes.test, 'test');
  const testSlot = 'slot' in test ? test.slot : null;
  const testProblems = 'reason' in test ? [test.reason] : [];
  const resolved = resolveRoutes(config, routes, { shifting: true });
  if (resolved.ok) return { production: resolved.view.liveSlot, test: testSlot, shift: resolved.view.shift, problems: testProblems };
  // Production forwards to no single slot and is no split the test rule can explain.
  const production = ruleSlot(config, routes.production, 'production') as { reason: string };
  return { production: null, test: testSlot, shift: null, problems: [production.reason, ...testProblems] };
}

export interface DriftInput {
  readonly config: ReleaseConfig;
  readonly routes: RouteSlots;
  /** The state record; null when absent (nothing released yet) or unreadable. */
  readonly state: StateRecord | null;
  /** Tags of the labelled resources, by ARN. */
  readonly labels: Readonly<Record<string, ResourceTags>>;
  /** The one release digest the live slot's tasks run; null when unknown or mixed. */
  readonly liveDigest: string | null;
}

/** `sha256:` and the first 12 hex digits: enough to tell releases apart at a glance. */
export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice(0, 'sha256:'.length + 12) : digest;
}

/**
 * Each disagreement, one sentence each; empty = no drift. Before the first release there are no
 * labels and no record, and that is not drift.
 */
export function findDrift({ config, routes, state, labels, liveDigest }: DriftInput): string[] {
  const drift = [...routes.problems];
  const live = routes.production;
  if (live !== null && routes.test !== null && routes.test !== otherSlot(live)) {
    drift.push(`the test route forwards to slot ${routes.test}, the live slot, instead of slot ${otherSlot(live)}`);
  }
  const released = state !== null || Object.values(labels).some((tags) => tags[TAG_LIVE_SLOT] !== undefined);
  if (!released || live === null) return drift;
  const traffic = viewTraffic({ liveSlot: live, idleSlot: otherSlot(live), testSlot: routes.test, testRouteStale: false, shift: routes.shift });
  if (state && state.liveSlot !== live) {
    drift.push(`the state record says slot ${state.liveSlot} is live, but production forwards to slot ${live}`);
  }
  drift.push(...shiftDrift(state, routes.shift, traffic));
  drift.push(...labelDrift(config, live, labels, traffic));
  const recorded = state?.liveSlot === live ? state.liveDigest : null;
  if (recorded && liveDigest !== null && liveDigest !== recorded) {
    drift.push(`live slot ${live} runs ${shortDigest(liveDigest)}, but the state record says ${shortDigest(recorded)}`);
  }
  return drift;
}

/**
 * A split the record does not know, or a recorded shift step the routes are not at (neither the
 * step's weights nor the ones before it: the record is written before each step's route write).
 */
function shiftDrift(state: StateRecord | null, shift: ShiftView | null, traffic: Record<SlotName, number>): string[] {
  const recorded = state?.shift;
  if (recorded === undefined) {
    return shift === null ? [] : [`production splits traffic (${trafficText(traffic)}) but the state record knows of no traffic shift`];
  }
  const share = traffic[recorded.toSlot];
  if (share === recorded.percent) return [];
  const step = `step ${recorded.step} of ${recorded.steps} of the traffic shift to slot ${recorded.toSlot}`;
  if (share === recorded.fromPercent) return [`${step} (${recorded.fromPercent}% → ${recorded.percent}%) is recorded but has not landed: production sends ${trafficText(traffic)}`];
  return [`the state record says ${step} puts ${recorded.percent}% on slot ${recorded.toSlot}, but production sends ${trafficText(traffic)}`];
}
