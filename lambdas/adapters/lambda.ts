// Invoking the swap function with a rollback event (Lambda), so the bake's rollback takes the same
// code path, lock (reserved concurrency 1) and audit trail as any other rollback.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { asRollbackResult } from '../core/decide-bake';
import { RollbackInvocation, RollbackPort } from '../core/ports';
import { errorName } from './clients';

/** Raised by Invoke when the function's reserved concurrency is taken: another swap is running. */
const BUSY = new Set(['TooManyRequestsException']);

export async function invokeRollback(c: { lambda: LambdaClient }, functionName: string, event: Record<string, unknown>): Promise<RollbackInvocation> {
  let out;
  try {
    out = await c.lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(event)) }));
  } catch (err) {
    const name = errorName(err);
    if (name !== undefined && BUSY.has(name)) return { kind: 'busy', message: `${name}: ${(err as Error).message}` };
    throw err;
  }
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  let payload: unknown;
  try {
    payload = text === '' ? null : JSON.parse(text);
  } catch {
    payload = text;
  }
  if (out.FunctionError) {
    const detail = payload !== null && typeof payload === 'object' ? (payload as { errorType?: string; errorMessage?: string }) : {};
    return { kind: 'error', message: `the swap function ${functionName} threw ${detail.errorType ?? out.FunctionError}: ${detail.errorMessage ?? 'no message'}` };
  }
  const result = asRollbackResult(payload);
  if (result === null) return { kind: 'error', message: `the swap function ${functionName} answered something that is not a rollback result` };
  return { kind: 'result', result };
}

export function lambdaRollback(c: { lambda: LambdaClient }, functionName: string): RollbackPort {
  return { rollback: (event) => invokeRollback(c, functionName, event) };
}
