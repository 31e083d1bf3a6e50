// Swap all at once: one production write (the commit point), the test rule after it, labels and
// record. Also how a traffic shift starts when nothing was released before (nothing to shift from).
import { ReleaseConfig, otherSlot } from '../core/config';
import { decideSwap, recordedPreviousDigest } from '../core/decide-swap';
import { SwapParameters } from '../core/events';
import { Logger } from '../core/ports';
import { uniformDigest } from '../core/slot';
import { StateRecord } from '../core/state';
import { JobOutcome, failure } from '../adapters/job';
import { applyReleasePlan, notify } from './apply';
import { withEvidenceProblem } from '../adapters/evidence-outcome';
import { recordMoveEvidence } from './evidence';
import { Deps, Ports, approverOf, auditMessage, auditSubject, readStateLeniently } from './shared';

/** The whole move in one go: verify, production then test, labels, record (the contract's Swap). */
export async function swapUnderLease(request: SwapParameters, config: ReleaseConfig, ports: Ports, deps: Deps, log: Logger): Promise<JobOutcome> {
  const executionId = request.executionId;
  const oldState = (reason: string) => failure(`Swap refused and nothing changed, so the system is in the old state: ${reason}`, executionId);
  const [routes, stored, green, greenTag] = await Promise.all([
    ports.routes.read(),
    readStateLeniently(ports, log),
    ports.slots.observe(request.greenSlot),
    ports.images.tagged(config.slots[request.greenSlot].imageTag),
  ]);
  const previous = await previousDigestOf(ports, config, stored, request, log);
  const approver = await approverOf(ports, config, executionId, log);
  const plan = decideSwap({
    config,
    request,
    routes,
    green,
    state: stored.state,
    previousDigest: previous.digest,
    previousReleaseId: previous.releaseId,
    greenTag,
    approver,
    now: deps.now(),
  });
  if (plan.kind === 'refused') return oldState(plan.reason);
  const previousDigest = previous.digest;

  const applied = await applyReleasePlan(config, ports, plan, log);
  const moved = applied.ok || applied.state === 'new';
  const evidence = moved ? await recordMoveEvidence(ports, config, { operation: 'swap', executionId }, plan.nextState ?? stored.state, log) : null;
  if (!applied.ok) {
    const next = applied.state === 'old' ? 'retry the Swap stage' : 'retry the Swap stage to finish';
    return withEvidenceProblem(failure(`Swap failed and the system is in the ${applied.state} state: ${applied.reason}; ${next}`, executionId), evidence);
  }
  const summary =
    plan.kind === 'already-swapped'
      ? `Production already served slot ${plan.toSlot} (${request.imageDigest}); finished the swap with ${applied.routeWrites} route write(s)`
      : `Production moved from slot ${plan.fromSlot} to slot ${plan.toSlot} (${request.imageDigest}), approved by ${approver}`;
  log.info(summary, { kind: plan.kind, previousDigest, approver });
  const unpublished =
    plan.kind === 'swap'
      ? await notify(
          ports,
          config.pipelineName,
          auditSubject('Swap', plan.toSlot, config.pipelineName),
          auditMessage({ operation: 'swap', pipeline: config.pipelineName, executionId, by: approver, fromSlot: plan.fromSlot, toSlot: plan.toSlot, liveDigest: request.imageDigest, previousDigest, commit: request.commit }),
          log,
        )
      : null;
  const outcome: JobOutcome = { kind: 'success', result: { summary: unpublished ? `${summary}; ${unpublished}` : summary, executionId, outputVariables: { ...plan.outputs } } };
  return withEvidenceProblem(outcome, evidence);
}

/**
 * From the record when it can say (with the execution that released it); otherwise observed on the
 * old live slot (drift path only), and then with no release id: a rollback there cannot be proven.
 */
async function previousDigestOf(
  ports: Ports,
  config: ReleaseConfig,
  stored: { state: StateRecord | null; malformed: boolean },
  request: SwapParameters,
  log: Logger,
): Promise<{ digest: string | null; releaseId: string | null }> {
  const known = stored.malformed ? { known: false as const } : recordedPreviousDigest(stored.state, request);
  if (known.known) return { digest: known.digest, releaseId: known.releaseId };
  const slot = otherSlot(request.greenSlot);
  const observed = uniformDigest((await ports.slots.observe(slot)).tasks, config.repositoryName);
  log.warn('the state record does not describe the live slot; observed its digest instead', { slot, observed });
  return { digest: observed, releaseId: null };
}

