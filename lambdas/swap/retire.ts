// The previous slot after a release (`previousSlotRetention`, core/retire.ts): the scheduled
// scale-down (`{"action":"retire"}`), and a rollback's scale-up of a target at zero. Both run under
// the lease's operation hold, like every other operator action.
import { ReleaseConfig, otherSlot } from '../core/config';
import { ScaleUpPlan, releaseView } from '../core/decide-rollback';
import { OperatorRequest, OperatorResult } from '../core/events';
import { LeaseRecord } from '../core/lease';
import { ImageNotFoundError, Logger } from '../core/ports';
import { RETIRE_ACTOR, decideRetire, retireScheduleName } from '../core/retire';
import { resolveRoutes } from '../core/routes';
import { heldAt } from '../core/scaling';
import { StateRecord } from '../core/state';
import { errorSummary } from '../core/errors';
import { sentence } from '../adapters/job';
import { notify } from './apply';
import { Deps, Ports, readStateLeniently } from './shared';

/** Bounds that keep a retired slot at zero: target tracking may not bring it back. */
const AT_ZERO = { min: 0, max: 0 };

export async function retireUnderLease(
  request: OperatorRequest,
  config: ReleaseConfig,
  ports: Ports,
  lease: LeaseRecord,
  deps: Deps,
  log: Logger,
): Promise<OperatorResult> {
  const slot = otherSlot(request.expectedLiveSlot ?? 'a');
  const [routes, stored, target] = await Promise.all([ports.routes.read(), readStateLeniently(ports, log), ports.slots.observe(slot)]);
  const resolved = resolveRoutes(config, routes);
  const view = releaseView(resolved.ok ? resolved.view.liveSlot : null, stored.state);
  const skipped = (reason: string): OperatorResult => ({ outcome: 'refused', message: sentence(`Retire skipped and nothing changed: ${reason}`), ...view, state: 'old' });
  if (stored.malformed) return skipped('the state record is malformed or not sealed by the control plane');
  // Only the control plane's own schedule retires a slot, and never before the retention has passed.
  const retention = config.previousSlotRetention;
  if (retention === undefined) return skipped('previousSlotRetention is not set for this pipeline, so nothing scales the previous slot down');
  if (request.requestId !== retireScheduleName(request.forRelease as string) || request.actor !== RETIRE_ACTOR) {
    return skipped(`the event is not the control plane's schedule for release ${request.forRelease} (request id ${request.requestId})`);
  }
  const since = stored.state === null ? Number.NaN : (deps.now().getTime() - Date.parse(stored.state.changedAt)) / 1000;
  if (stored.state !== null && since < retention.seconds) {
    return skipped(`production last moved ${Math.floor(since)} s ago, less than previousSlotRetention's ${retention.seconds} s`);
  }
  const holder = lease.release?.executionId;
  const runningRelease = holder !== undefined && (await ports.executions.inProgress(holder)) ? holder : null;
  const decision = decideRetire({ config, request, routes, state: stored.state, runningRelease, target });
  if (decision.kind === 'skip') return skipped(decision.reason);
  if (decision.kind === 'already-done') return { outcome: 'already-done', message: sentence(`Nothing to do: ${decision.reason}`), ...view, state: 'new' };
  const state = stored.state as StateRecord;
  const at = deps.now().toISOString();
  // The record first: a rollback that finds the slot at zero (or on its way back) reads it there.
  await ports.state.write({ ...state, previousScaledDownAt: at });
  if (ports.scaling !== undefined && config.autoScaling !== undefined) await ports.scaling.bound(slot, AT_ZERO);
  await ports.slots.scale(slot, 0);
  const what = `Slot ${slot} (the previous slot, ${decision.digest ?? 'no recorded digest'}) was scaled to zero after release ${request.forRelease}`;
  log.info('previous slot scaled to zero', { slot, digest: decision.digest, forRelease: request.forRelease, at });
  const unpublished = await notify(
    ports,
    config.pipelineName,
    `[bluegreen] ${config.pipelineName}: previous slot ${slot} scaled to zero`.slice(0, 100),
    `${what} (${request.reason}). A rollback now scales it back up to the live slot's count first, then moves production in one route write.`,
    log,
  );
  return { outcome: 'retired', message: sentence(unpublished ? `${what}, but ${unpublished}` : what), ...view, state: 'new' };
}

/**
 * The rollback target runs no tasks: point its tag at the previous digest (refused if the image is
 * gone), hold it at the live slot's count and start the tasks. The caller asks again with the same
 * request id; the hold stays with this request until then (it lapses by itself if nobody asks).
 */
export async function startScaleUp(
  plan: ScaleUpPlan,
  request: OperatorRequest,
  config: ReleaseConfig,
  ports: Ports,
  state: StateRecord,
  deps: Deps,
  log: Logger,
): Promise<OperatorResult> {
  const view = releaseView(otherSlot(plan.slot), state);
  if (plan.repairTag !== null) {
    try {
      await ports.images.tag(plan.repairTag.digest, plan.repairTag.tag);
    } catch (err) {
      if (!(err instanceof ImageNotFoundError) && (err as Error).name !== 'ImageNotFoundError') throw err;
      return { outcome: 'refused', message: sentence(`Rollback refused and nothing changed: slot ${plan.slot}'s previous digest ${plan.digest} is gone from the repository, so it cannot be started again`), ...view, state: 'old' };
    }
  }
  const live = otherSlot(plan.slot);
  const count = Math.max(1, (await ports.slots.describeServices([live]))[live]?.desiredCount ?? config.desiredCount);
  if (state.previousScaledDownAt === undefined) await ports.state.write({ ...state, previousScaledDownAt: deps.now().toISOString() });
  try {
    if (ports.scaling !== undefined && config.autoScaling !== undefined) await ports.scaling.bound(plan.slot, heldAt(config.autoScaling, count));
    await ports.slots.roll(plan.slot, count);
  } catch (err) {
    // The tag is on the previous digest and production has not moved: the next ask starts the slot again.
    log.warn('starting the rollback target failed; the next ask tries again', { slot: plan.slot, error: errorSummary(err) });
    return inProgress(request, `slot ${plan.slot} is at zero and starting it failed this time (${errorSummary(err)})`, view);
  }
  log.info('rollback target scaling back up', { slot: plan.slot, count, digest: plan.digest });
  return inProgress(request, `slot ${plan.slot} was at zero, so it is starting ${count} task(s) on ${plan.digest}`, view);
}

export function inProgress(request: OperatorRequest, what: string, view: Pick<OperatorResult, 'liveSlot' | 'liveDigest' | 'previousDigest'>): OperatorResult {
  return {
    outcome: 'in-progress',
    message: sentence(`Rollback in progress and production has not moved yet: ${what}; ask again with request id ${request.requestId}`),
    ...view,
    state: 'old',
    requestId: request.requestId,
  };
}
