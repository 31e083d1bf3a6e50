import { randomUUID } from 'node:crypto';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { AwsClients } from '../aws';
import type { Context } from '../context';
import {
  decideRollback, executionLookup, otherSlot, proveApproved, readLease, readRoutes, releaseRecord, type RollbackResult, type SlotName,
} from '../control-plane';
import { discoverPipeline, type Pipeline } from '../discovery';
import { CliError, EXIT_FAILED, EXIT_OK, errorName, firstLine } from '../errors';
import { describeDigests, describeHealth, fields, shortCommit, shortDigest } from '../format';
import { observe, routeSlotsOf } from '../observe';

export interface RollbackOptions {
  readonly pipeline: string;
  readonly reason?: string;
  readonly yes?: boolean;
}

/**
 * A busy answer means another swap or rollback holds the slots: the swap function's reserved
 * concurrency (TooManyRequestsException) or the release lease (outcome "busy").
 */
const BUSY_RETRIES = [2_000, 4_000, 8_000, 16_000];
/** How long to watch the routes after the function answered. */
const FLIP_POLLS = 30;
const FLIP_INTERVAL_MS = 2_000;

const OUTCOMES = new Set(['rolled-back', 'already-done', 'refused', 'busy', 'failed']);

function parseRollbackResult(payload: Uint8Array | undefined, functionError: string | undefined): RollbackResult {
  const text = payload ? Buffer.from(payload).toString('utf8') : '';
  let doc: Record<string, unknown> | undefined;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  if (functionError) {
    const why = typeof doc?.errorMessage === 'string' ? firstLine(doc.errorMessage) : functionError;
    throw new CliError(`the swap function failed: ${why} (run bluegreen status to see which slot is live)`, 'swap-function-error');
  }
  if (!doc || typeof doc !== 'object' || !OUTCOMES.has(doc.outcome as string) || typeof doc.message !== 'string') {
    throw new CliError(`the swap function answered with something that is not a rollback result: ${text.slice(0, 200)}`, 'bad-response');
  }
  return doc as unknown as RollbackResult;
}

async function invokeSwap(ctx: Context, aws: AwsClients, functionName: string, event: object): Promise<RollbackResult> {
  const progress = ctx.progress();
  try {
    for (let attempt = 0; ; attempt++) {
      progress.start(`rolling back through ${functionName}…`);
      let busy: string;
      try {
        const out = await aws.lambda.send(new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(event)),
        }));
        const result = parseRollbackResult(out.Payload, out.FunctionError);
        if (result.outcome !== 'busy') return result;
        busy = result.message;
      } catch (err) {
        if (errorName(err) !== 'TooManyRequestsException') throw err;
        busy = 'the swap function is running another swap';
      }
      if (attempt >= BUSY_RETRIES.length) {
        throw new CliError(`another swap or rollback holds the slots of this pipeline (still busy after ${BUSY_RETRIES.reduce((a, b) => a + b, 0) / 1000} s: ${busy.replace(/\.$/, '')}); nothing was changed, retry in a minute`, 'busy');
      }
      progress.update(`another swap or rollback holds the slots; retrying in ${BUSY_RETRIES[attempt] / 1000} s…`);
      await ctx.sleep(BUSY_RETRIES[attempt]);
    }
  } finally {
    progress.stop();
  }
}

/** Bounded wait until production forwards to the slot the function reported live. */
async function waitForFlip(ctx: Context, aws: AwsClients, pipeline: Pipeline, target: SlotName): Promise<boolean> {
  const progress = ctx.progress();
  try {
    for (let i = 0; i < FLIP_POLLS; i++) {
      const routes = routeSlotsOf(pipeline.config, await readRoutes(aws, pipeline.config));
      if (routes.production === target) return true;
      if (i === 0) progress.start(`waiting for production to forward to slot ${target}…`);
      await ctx.sleep(FLIP_INTERVAL_MS);
    }
    return false;
  } finally {
    progress.stop();
  }
}

export async function rollback(ctx: Context, opts: RollbackOptions): Promise<number> {
  const aws = await ctx.aws();
  const pipeline = await discoverPipeline(aws, opts.pipeline);
  const functionName = pipeline.config.swapFunctionName;
  if (!functionName) {
    throw new CliError(`the config of pipeline ${pipeline.name} names no swap function (swapFunctionName); redeploy the stack with this version of the construct`, 'bad-config');
  }
  const obs = await observe(aws, pipeline);
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
  });
  if (preview.kind === 'refused') {
    throw new CliError(`refused: ${preview.reason}; production stays on slot ${live}`, 'refused');
  }
  await ctx.confirm(`roll back ${pipeline.name} to slot ${target}?`, opts.yes);

  const result = await invokeSwap(ctx, aws, functionName, event);
  const details = { result: { ...result }, requestId: event.requestId };
  if (result.outcome === 'refused') {
    throw new CliError(/refused/i.test(result.message) ? result.message : `refused: ${result.message}`, 'refused', EXIT_FAILED, details);
  }
  if (result.outcome === 'failed') {
    throw new CliError(`rollback failed: ${result.message} (the system is in the ${result.state} state${result.liveSlot ? `: production on slot ${result.liveSlot}` : ''})`, 'failed', EXIT_FAILED, details);
  }
  const expectedLive = result.liveSlot ?? target;
  const flipped = await waitForFlip(ctx, aws, pipeline, expectedLive);
  ctx.printJson({ pipeline: pipeline.name, ...result, requestId: event.requestId, routesFlipped: flipped });
  if (!flipped) {
    throw new CliError(`the swap function reported ${result.outcome}, but production still does not forward to slot ${expectedLive}; run bluegreen status`, 'not-flipped');
  }
  ctx.print(`${result.outcome === 'already-done' ? 'Already rolled back: production forwards' : 'Rolled back: production now forwards'}` +
    ` to slot ${expectedLive} (${shortDigest(result.liveDigest)}).\n  swap function: ${result.message}`);
  return EXIT_OK;
}
