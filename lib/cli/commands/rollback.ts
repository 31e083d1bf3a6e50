import { randomUUID } from 'node:crypto';
import type { Context } from '../context';
import { decideRollback, executionLookup, otherSlot, proveApproved, readLease, releaseRecord } from '../control-plane';
import { discoverPipeline } from '../discovery';
import { CliError, EXIT_FAILED, EXIT_OK } from '../errors';
import { describeDigests, describeHealth, fields, shortCommit, shortDigest } from '../format';
import { observe } from '../observe';
import { invokeUntilSettled, swapFunctionOf, waitForProduction } from '../swap-function';
import { endShift } from './shift';

export interface RollbackOptions {
  readonly pipeline: string;
  readonly reason?: string;
  readonly yes?: boolean;
}

export async function rollback(ctx: Context, opts: RollbackOptions): Promise<number> {
  const aws = await ctx.aws();
  const pipeline = await discoverPipeline(aws, opts.pipeline);
  const functionName = swapFunctionOf(pipeline);
  const obs = await observe(aws, pipeline);
  // During a traffic shift, going back means all of production back on the live slot: an abort.
  if (obs.routes.shift !== null) return endShift(ctx, opts, 'rollback', { aws, pipeline, obs });
  const live = obs.liveSlot;
  if (live === null) {
    throw new CliError(`refused: the production route of ${pipeline.name} forwards to no single slot, so there is nothing to roll back from (run bluegreen status)`, 'refused');
  }
  const target = otherSlot(live);
  const { state } = pipeline;
  const reason = opts.reason ?? 'rollback with the bluegreen CLI';
  ctx.print(
    `Roll back ${pipeline.name}: production slot ${live} → slot ${target}\n` +
      fields([
        ['live now', `slot ${live}  ${describeDigests(obs.slots[live].digests)}  commit ${shortCommit(state?.liveSlot === live ? state.commit : null)}`],
        ['back to', `slot ${target}  ${describeDigests(obs.slots[target].digests)}  ${describeHealth(obs.slots[target])}`],
        ['expected', `previous digest ${shortDigest(state?.previousDigest)}`],
        ['reason', reason],
      ]),
  );
  const event = { action: 'rollback', reason, actor: await ctx.auditActor(), requestId: randomUUID(), expectedLiveSlot: live };
  // The swap function's own decision, made on what we see, so a rollback that cannot happen is
  // refused before anyone confirms it; the function decides again under its lock.
  const lease = await readLease(aws, pipeline.config);
  const holder = lease.release?.executionId;
  const releaseHolder = holder === undefined ? null : { executionId: holder, running: await executionLookup(aws, pipeline.name).inProgress(holder) };
  const proof = state?.previousDigest
    ? proveApproved(state.previousDigest, state.previousReleaseId, state.previousReleaseId === null ? [] : await releaseRecord(aws, pipeline.name, state.previousReleaseId))
    : null;
  const preview = decideRollback({
    config: pipeline.config,
    request: { ...event, forRelease: null },
    routes: obs.routes.observed,
    target: obs.observed[target],
    // The CLI cannot read the registry; a tag that disagrees is the function's to repair or refuse.
    targetTag: state?.previousDigest ?? null,
    state,
    releaseHolder,
    proof,
    now: new Date(),
    canScaleUp: pipeline.config.previousSlotRetention !== undefined,
  });
  if (preview.kind === 'refused') {
    throw new CliError(`refused: ${preview.reason}; production stays on slot ${live}`, 'refused');
  }
  if (preview.kind === 'scale-up' || preview.kind === 'in-progress') {
    const now = preview.kind === 'scale-up' ? `runs no tasks (previousSlotRetention scaled it down): the rollback starts it again on ${shortDigest(state?.previousDigest)} at the live slot's count`
      : `is starting again on ${shortDigest(state?.previousDigest)} (a rollback began it)`;
    ctx.print(`Slot ${target} ${now}, and production moves once every task is healthy (a few minutes).`);
  }
  await ctx.confirm(`roll back ${pipeline.name} to slot ${target}?`, opts.yes);

  const result = await invokeUntilSettled(ctx, aws, functionName, event, 'rolling back');
  const details = { result: { ...result }, requestId: event.requestId };
  if (result.outcome === 'refused') {
    throw new CliError(/refused/i.test(result.message) ? result.message : `refused: ${result.message}`, 'refused', EXIT_FAILED, details);
  }
  if (result.outcome === 'failed') {
    throw new CliError(`rollback failed: ${result.message} (the system is in the ${result.state} state${result.liveSlot ? `: production on slot ${result.liveSlot}` : ''})`, 'failed', EXIT_FAILED, details);
  }
  const expectedLive = result.liveSlot ?? target;
  const flipped = await waitForProduction(ctx, aws, pipeline, expectedLive);
  ctx.printJson({ pipeline: pipeline.name, ...result, requestId: event.requestId, routesFlipped: flipped });
  if (!flipped) {
    throw new CliError(`the swap function reported ${result.outcome}, but production still does not forward to slot ${expectedLive}; run bluegreen status`, 'not-flipped');
  }
  ctx.print(`${result.outcome === 'already-done' ? 'Already rolled back: production forwards' : 'Rolled back: production now forwards'}` +
    ` to slot ${expectedLive} (${shortDigest(result.liveDigest)}).\n  swap function: ${result.message}`);
  return EXIT_OK;
}
