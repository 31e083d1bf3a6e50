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

const OUTCOMES = new Set(['rolled-back', 'promoted', 'aborted', 'already-done', 'refused', 'busy', 'failed']);

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
