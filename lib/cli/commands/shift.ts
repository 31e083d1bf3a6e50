import { randomUUID } from 'node:crypto';
import type { AwsClients } from '../aws';
import type { Context } from '../context';
import { decideAbort, decidePromote, describeShare, executionLookup, readLease, type SlotName } from '../control-plane';
import { discoverPipeline, type Pipeline } from '../discovery';
import { CliError, EXIT_FAILED, EXIT_OK } from '../errors';
import { describeDigests, describeHealth, fields, shortDigest, when } from '../format';
import { observe, type Observation } from '../observe';
import { invokeSwapFunction, swapFunctionOf, waitForProduction } from '../swap-function';

export interface ShiftCommandOptions {
  readonly pipeline: string;
  readonly reason?: string;
  readonly yes?: boolean;
}

/** A rollback during a shift is an abort with the rollback's name on it. */
type Action = 'promote' | 'abort' | 'rollback';

const WORDS: Record<Action, { title: string; doing: string; done: string; default: string }> = {
  promote: { title: 'Promote', doing: 'promoting', done: 'Promoted', default: 'promoted with the bluegreen CLI' },
  abort: { title: 'Abort the traffic shift of', doing: 'aborting the shift', done: 'Aborted', default: 'aborted with the bluegreen CLI' },
  rollback: { title: 'Roll back the traffic shift of', doing: 'rolling back', done: 'Rolled back', default: 'rollback with the bluegreen CLI' },
};

export const promote = (ctx: Context, opts: ShiftCommandOptions) => endShift(ctx, opts, 'promote');
export const abort = (ctx: Context, opts: ShiftCommandOptions) => endShift(ctx, opts, 'abort');

/**
 * Ends a traffic shift early through the swap function, under its lease and audit: promote puts
 * all of production on the candidate (after the same verification as a step), abort (or a
 * rollback during a shift) puts it all back on the live slot.
 */
export async function endShift(ctx: Context, opts: ShiftCommandOptions, action: Action, seen?: { aws: AwsClients; pipeline: Pipeline; obs: Observation }): Promise<number> {
  const aws = seen?.aws ?? (await ctx.aws());
  const pipeline = seen?.pipeline ?? (await discoverPipeline(aws, opts.pipeline));
  const functionName = swapFunctionOf(pipeline);
  const obs = seen?.obs ?? (await observe(aws, pipeline));
  const words = WORDS[action];
  const live = obs.liveSlot;
  const shift = obs.routes.shift;
  if (live === null || shift === null) {
    throw new CliError(`refused: no traffic shift is in progress in ${pipeline.name} (${live === null ? 'the production route forwards to no single slot' : `production serves slot ${live} alone`}; run bluegreen status)`, 'refused');
  }
  const target: SlotName = action === 'promote' ? shift.toSlot : live;
  const { state } = pipeline;
  const recorded = state?.shift?.toSlot === shift.toSlot ? state.shift : undefined;
  const reason = opts.reason ?? words.default;
  ctx.print(
    `${words.title} ${pipeline.name}: production ${describeShare(shift.toSlot, shift.percent)} → slot ${target} alone\n` +
      fields([
        ['live', `slot ${live}  ${describeDigests(obs.slots[live].digests)}  ${100 - shift.percent}%  ${describeHealth(obs.slots[live])}`],
        ['candidate', `slot ${shift.toSlot}  ${describeDigests(obs.slots[shift.toSlot].digests)}  ${shift.percent}%  ${describeHealth(obs.slots[shift.toSlot])}`],
        ...(recorded ? [['shift', `step ${recorded.step} of ${recorded.steps} since ${when(recorded.since)}, release ${recorded.executionId}`] as [string, string]] : []),
        ['reason', reason],
      ]),
  );
  const event = { action, reason, actor: await ctx.auditActor(), requestId: randomUUID(), expectedLiveSlot: live };
  // The swap function's own decision, made on what we see, so an action that cannot happen is
  // refused before anyone confirms it; the function decides again under its lock.
  const lease = await readLease(aws, pipeline.config);
  const holder = lease.release?.executionId;
  const releaseHolder = holder === undefined ? null : { executionId: holder, running: await executionLookup(aws, pipeline.name).inProgress(holder) };
  const input = {
    config: pipeline.config,
    request: { ...event, forRelease: null },
    executionId: `${action}:${event.requestId}`,
    routes: obs.routes.observed,
    slot: obs.observed[target],
    state,
    releaseHolder,
    now: new Date(),
  };
  const preview = action === 'promote' ? decidePromote(input) : decideAbort(input, action);
  if (preview.kind === 'refused') throw new CliError(`refused: ${preview.reason}; production stays ${describeShare(shift.toSlot, shift.percent)}`, 'refused');
  await ctx.confirm(`${action} ${pipeline.name}: all of production to slot ${target}?`, opts.yes);

  const result = await invokeSwapFunction(ctx, aws, functionName, event, words.doing);
  const details = { result: { ...result }, requestId: event.requestId };
  if (result.outcome === 'refused') throw new CliError(/refused/i.test(result.message) ? result.message : `refused: ${result.message}`, 'refused', EXIT_FAILED, details);
  if (result.outcome === 'failed') {
    throw new CliError(`${action} failed: ${result.message} (the system is in the ${result.state} state${result.traffic ? `: production ${result.traffic}` : ''})`, 'failed', EXIT_FAILED, details);
  }
  const expected = result.liveSlot ?? target;
  const flipped = await waitForProduction(ctx, aws, pipeline, expected);
  ctx.printJson({ pipeline: pipeline.name, ...result, requestId: event.requestId, routesFlipped: flipped });
  if (!flipped) throw new CliError(`the swap function reported ${result.outcome}, but production does not forward to slot ${expected} alone; run bluegreen status`, 'not-flipped');
  ctx.print(`${result.outcome === 'already-done' ? 'Already done: production forwards' : `${words.done}: production now forwards`} to slot ${expected} alone (${shortDigest(result.liveDigest)}).\n  swap function: ${result.message}`);
  return EXIT_OK;
}
