// Asking the swap function for an operator action (rollback, promote, abort) and watching the
// routes until they show it: what the rollback, promote and abort commands share.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { AwsClients } from './aws';
import type { Context } from './context';
import { readRoutes, type OperatorResult, type SlotName } from './control-plane';
import type { Pipeline } from './discovery';
import { CliError, errorName, firstLine } from './errors';
import { routeSlotsOf } from './observe';

/**
 * A busy answer means another swap or rollback holds the slots: the swap function's reserved
 * concurrency (TooManyRequestsException) or the release lease (outcome "busy").
 */
const BUSY_RETRIES = [2_000, 4_000, 8_000, 16_000];
/** How long to watch the routes after the function answered. */
const FLIP_POLLS = 30;
const FLIP_INTERVAL_MS = 2_000;

const OUTCOMES = new Set(['rolled-back', 'promoted', 'aborted', 'retired', 'already-done', 'refused', 'busy', 'in-progress', 'failed']);
/**
 * A rollback to a slot at zero answers "in progress" while the slot starts its tasks: asked again
 * (same request id) this often, for at most this long (a task's start, its health check grace and
 * two healthy checks take a few minutes; a deployment that cannot start fails sooner).
 */
export const IN_PROGRESS_POLL_MS = 10_000;
export const IN_PROGRESS_TIMEOUT_MS = 15 * 60_000;

/** The function configured for operator actions; older stacks did not store it. */
export function swapFunctionOf(pipeline: Pipeline): string {
  const functionName = pipeline.config.swapFunctionName;
  if (!functionName) {
    throw new CliError(`the config of pipeline ${pipeline.name} names no swap function (swapFunctionName); redeploy the stack with this version of the construct`, 'bad-config');
  }
  return functionName;
}

function parseOperatorResult(payload: Uint8Array | undefined, functionError: string | undefined): OperatorResult {
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
    throw new CliError(`the swap function answered with something that is not an operator result: ${text.slice(0, 200)}`, 'bad-response');
  }
  return doc as unknown as OperatorResult;
}

/** Invokes the swap function with `event`, asking again (same request id) while another operation holds the slots. */
export async function invokeSwapFunction(ctx: Context, aws: AwsClients, functionName: string, event: object, doing: string): Promise<OperatorResult> {
  const progress = ctx.progress();
  try {
    for (let attempt = 0; ; attempt++) {
      progress.start(`${doing} through ${functionName}…`);
      let busy: string;
      try {
        const out = await aws.lambda.send(new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(event)),
        }));
        const result = parseOperatorResult(out.Payload, out.FunctionError);
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

/**
 * `invokeSwapFunction`, asked again with the same event (its request id) while the function answers
 * "in progress": each answer is a new invocation, so none outlives the function's timeout.
 */
export async function invokeUntilSettled(ctx: Context, aws: AwsClients, functionName: string, event: { readonly requestId: string }, doing: string): Promise<OperatorResult> {
  let result = await invokeSwapFunction(ctx, aws, functionName, event, doing);
  for (let waited = 0; result.outcome === 'in-progress'; waited += IN_PROGRESS_POLL_MS) {
    if (waited >= IN_PROGRESS_TIMEOUT_MS) {
      throw new CliError(`still in progress after ${IN_PROGRESS_TIMEOUT_MS / 60_000} minutes and production has not moved (${result.message.replace(/\.$/, '')}); this request keeps the slots for up to 3 more minutes; then run bluegreen rollback again: a new request carries on from where the slot is`, 'in-progress');
    }
    ctx.print(`  … ${result.message}`);
    await ctx.sleep(IN_PROGRESS_POLL_MS);
    result = await invokeSwapFunction(ctx, aws, functionName, event, doing);
  }
  return result;
}

/** Bounded wait until production forwards to `target` alone (no traffic shift). */
export async function waitForProduction(ctx: Context, aws: AwsClients, pipeline: Pipeline, target: SlotName): Promise<boolean> {
  const progress = ctx.progress();
  try {
    for (let i = 0; i < FLIP_POLLS; i++) {
      const routes = routeSlotsOf(pipeline.config, await readRoutes(aws, pipeline.config));
      if (routes.production === target && routes.shift === null) return true;
      if (i === 0) progress.start(`waiting for production to forward to slot ${target}…`);
      await ctx.sleep(FLIP_INTERVAL_MS);
    }
    return false;
  } finally {
    progress.stop();
  }
}
