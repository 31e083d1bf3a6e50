// Drift: every way the labels, the record and the running tasks disagree with the routes (the
// routes are the truth). Reported, never trusted.
import { ReleaseConfig, SlotName, otherSlot } from './config';
import { TAG_LIVE_SLOT, labelDrift } from './labels';
import { ObservedRoutes, ResourceTags } from './ports';
import { ruleSlot } from './routes';
import { StateRecord } from './state';

/** Which slot each route forwards to; null (with the reason in `problems`) when it forwards to no single slot. */
export interface RouteSlots {
  readonly production: SlotName | null;
  readonly test: SlotName | null;
  readonly problems: readonly string[];
}

/** A route names a slot only when it forwards to exactly that slot's target group. */
export function routeSlots(config: ReleaseConfig, routes: ObservedRoutes): RouteSlots {
  const production = ruleSlot(config, routes.production, 'production');
  const test = ruleSlot(config, routes.test, 'test');
  return {
    production: 'slot' in production ? production.slot : null,
    test: 'slot' in test ? test.slot : null,
    problems: [production, test].flatMap((r) => ('reason' in r ? [r.reason] : [])),
  };
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
  if (state && state.liveSlot !== live) {
    drift.push(`the state record says slot ${state.liveSlot} is live, but production forwards to slot ${live}`);
  }
  drift.push(...labelDrift(config, live, labels));
  const recorded = state?.liveSlot === live ? state.liveDigest : null;
  if (recorded && liveDigest !== null && liveDigest !== recorded) {
    drift.push(`live slot ${live} runs ${shortDigest(liveDigest)}, but the state record says ${shortDigest(recorded)}`);
  }
  return drift;
}
