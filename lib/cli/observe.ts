import type { AwsClients } from './aws';
import {
  labelDrift, labelledResources, observeSlot, otherSlot, readLabels, readRoutes, releaseDigests, ruleSlot, TAG_LIVE_SLOT,
  uniformDigest, unsteadyReason,
  type ObservedRoutes, type ReleaseConfig, type ResourceTags, type SlotName, type SlotObservation, type StateRecord,
} from './control-plane';
import type { Pipeline } from './discovery';

/** Which slot each route forwards to; null (with the reason) when it forwards to no single slot. */
export interface RouteSlots {
  readonly production: SlotName | null;
  readonly test: SlotName | null;
  readonly problems: readonly string[];
  /** The rules as read, for the core's decisions. */
  readonly observed: ObservedRoutes;
}

/** What a slot is running and whether it can take traffic, as people read it. */
export interface SlotStatus {
  readonly slot: SlotName;
  readonly desired: number;
  readonly running: number;
  /** null when steady (one deployment, completed, running = desired > 0); otherwise why not. */
  readonly unsteady: string | null;
  /** Distinct release-image digests reported by the running tasks. */
  readonly digests: readonly string[];
  readonly healthyTargets: number;
  readonly targets: number;
}

/** What is live right now, read from the routes (the truth) and compared with the labels. */
export interface Observation {
  readonly routes: RouteSlots;
  /** The slot production forwards to; null when it forwards to no single slot. */
  readonly liveSlot: SlotName | null;
  /** The raw observations, for the core's judgements. */
  readonly observed: { readonly a: SlotObservation; readonly b: SlotObservation };
  readonly slots: { readonly a: SlotStatus; readonly b: SlotStatus };
  readonly labels: Readonly<Record<string, ResourceTags>>;
  /** Each disagreement between the routes and the labels, the record or the running tasks. */
  readonly drift: readonly string[];
}

export async function observe(aws: AwsClients, pipeline: Pipeline): Promise<Observation> {
  const { config, state } = pipeline;
  const [routes, a, b, labels] = await Promise.all([
    readRoutes(aws, config),
    observeSlot(aws, config, 'a'),
    observeSlot(aws, config, 'b'),
    readLabels(aws, labelledResources(config)),
  ]);
  const slots = { a: summariseSlot(a, config.repositoryName), b: summariseSlot(b, config.repositoryName) };
  const routeSlots = routeSlotsOf(config, routes);
  const liveDigest = routeSlots.production === null ? null : uniformDigest(routeSlots.production === 'a' ? a.tasks : b.tasks, config.repositoryName);
  return {
    routes: routeSlots,
    liveSlot: routeSlots.production,
    observed: { a, b },
    slots,
    labels,
    drift: findDrift(config, routeSlots, state, labels, liveDigest),
  };
}

/** Pure: a route names a slot only when it forwards to exactly that slot's target group. */
export function routeSlotsOf(config: ReleaseConfig, routes: ObservedRoutes): RouteSlots {
  const production = ruleSlot(config, routes.production, 'production');
  const test = ruleSlot(config, routes.test, 'test');
  return {
    production: 'slot' in production ? production.slot : null,
    test: 'slot' in test ? test.slot : null,
    problems: [production, test].flatMap((r) => ('reason' in r ? [r.reason] : [])),
    observed: routes,
  };
}

/** Pure: the people-facing summary of one slot. */
export function summariseSlot(o: SlotObservation, repositoryName: string): SlotStatus {
  const digests = new Set(o.tasks.filter((t) => t.lastStatus === 'RUNNING').flatMap((t) => releaseDigests(t, repositoryName)));
  return {
    slot: o.slot,
    desired: o.service?.desiredCount ?? 0,
    running: o.service?.runningCount ?? 0,
    unsteady: unsteadyReason(o.slot, o.service),
    digests: [...digests].filter((d): d is string => d !== null),
    healthyTargets: o.targets.filter((t) => t.state === 'healthy').length,
    targets: o.targets.length,
  };
}

const short = (digest: string) => (digest.startsWith('sha256:') ? digest.slice(0, 19) : digest);

/**
 * Pure: every way the labels, the record and the running tasks disagree with the routes. Before
 * the first release there are no labels and no record, and that is not drift.
 */
export function findDrift(
  config: ReleaseConfig,
  routes: RouteSlots,
  state: StateRecord | null,
  labels: Readonly<Record<string, ResourceTags>>,
  liveDigest: string | null,
): string[] {
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
    drift.push(`live slot ${live} runs ${short(liveDigest)}, but the state record says ${short(recorded)}`);
  }
  return drift;
}
