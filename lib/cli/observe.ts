import type { AwsClients } from './aws';
import {
  findDrift, labelledResources, observeSlot, readLabels, readRoutes, releaseDigests, routeSlots, uniformDigest, unsteadyReason,
  type CoreRouteSlots, type ObservedRoutes, type ReleaseConfig, type ResourceTags, type SlotName, type SlotObservation,
} from './control-plane';
import type { Pipeline } from './discovery';

/** Which slot each route forwards to (see the core's `routeSlots`), with the rules as read. */
export interface RouteSlots extends CoreRouteSlots {
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
  const [observedRoutes, a, b, labels] = await Promise.all([
    readRoutes(aws, config),
    observeSlot(aws, config, 'a'),
    observeSlot(aws, config, 'b'),
    readLabels(aws, labelledResources(config)),
  ]);
  const slots = { a: summariseSlot(a, config.repositoryName), b: summariseSlot(b, config.repositoryName) };
  const slotsOfRoutes = routeSlotsOf(config, observedRoutes);
  const live = slotsOfRoutes.production;
  const liveDigest = live === null ? null : uniformDigest(live === 'a' ? a.tasks : b.tasks, config.repositoryName);
  return {
    routes: slotsOfRoutes,
    liveSlot: live,
    observed: { a, b },
    slots,
    labels,
    drift: findDrift({ config, routes: slotsOfRoutes, state, labels, liveDigest }),
  };
}

/** Pure: the core's route slots, keeping the rules as read. */
export function routeSlotsOf(config: ReleaseConfig, routes: ObservedRoutes): RouteSlots {
  return { ...routeSlots(config, routes), observed: routes };
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
