// A rollback asked for through the rollback request parameter (core/requested.ts): EventBridge
// invokes the swap function asynchronously with the "Parameter Store Change" event, so nobody waits
// for the answer. The answer goes to the audit topic (and so to the chat channel), and a request
// that found the slots held, or a rollback scaling its target back up, is asked again a minute
// later: by a one-time schedule of the control plane's where there is one, else by Lambda's own
// retries of an asynchronous invoke (an error thrown).
import { OperatorResult } from '../core/events';
import { Logger } from '../core/ports';
import { ASK_AGAIN_SECONDS, MAX_ASKS, ParameterChange, requestedRollback } from '../core/requested';
import { atExpression } from '../core/retire';
import { sentence } from '../adapters/job';
import { notify } from './apply';
import { Deps, readStateLeniently } from './shared';

const NOT_DONE: readonly OperatorResult['outcome'][] = ['refused', 'failed'];

export class AskAgainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AskAgainError';
  }
}

export async function requestedRollbackInvoke(
  event: Record<string, unknown>,
  change: ParameterChange,
  deps: Deps,
  invoke: (rollback: Record<string, string>) => Promise<OperatorResult>,
  log: Logger,
): Promise<OperatorResult> {
  const config = deps.loadConfig();
  const ports = deps.ports(config);
  const written = ports.requests ? await ports.requests.latest() : null;
  const state = written === null ? null : (await readStateLeniently(ports, log)).state;
  const asked = requestedRollback(change, config.rollbackRequestParameterName, written, state && { at: state.changedAt, executionId: state.lastExecutionId }, deps.now());
  const unknown = { liveSlot: null, liveDigest: null, previousDigest: null, state: 'old' as const };
  if (asked.kind !== 'rollback') {
    log.warn(`rollback request ${asked.kind}`, { reason: asked.reason, parameter: change.name });
    const result: OperatorResult = { outcome: 'refused', message: sentence(`Rollback request ${asked.kind === 'ignored' ? 'ignored' : 'refused'} and nothing changed: ${asked.reason}`), ...unknown };
    if (asked.kind === 'refused') await notify(ports, config.pipelineName, `[bluegreen] ${config.pipelineName}: rollback request refused`, result.message, log);
    return result;
  }
  const who = asked.event.actor;
  const result = await invoke(asked.event);
  if (result.outcome === 'busy' || result.outcome === 'in-progress') {
    if (change.asks >= MAX_ASKS) {
      const message = sentence(`Rollback requested by ${who} given up after ${MAX_ASKS} asks a minute apart: ${result.message}`);
      await notify(ports, config.pipelineName, `[bluegreen] ${config.pipelineName}: rollback request given up`, message, log);
      return { ...result, outcome: 'failed', message };
    }
    const again = { ...event, bluegreenAsks: change.asks + 1, bluegreenVersion: written!.version, bluegreenSince: change.since ?? deps.now().toISOString() };
    if (ports.retirement !== undefined && deps.selfArn !== undefined) {
      const at = new Date(deps.now().getTime() + ASK_AGAIN_SECONDS * 1000);
      await ports.retirement.schedule({
        name: `ask-${asked.event.requestId}-${change.asks + 1}`,
        expression: atExpression(at),
        targetArn: deps.selfArn,
        input: JSON.stringify(again),
        description: `Asks again for the rollback ${who} requested (${asked.event.requestId})`,
      });
      log.info('rollback request asked again later', { requestId: asked.event.requestId, at: at.toISOString(), asks: change.asks + 1 });
      return result;
    }
    // No schedule of our own: Lambda retries a failed asynchronous invoke (twice, a minute and two minutes later).
    throw new AskAgainError(`${result.message} (asked again by Lambda's retry)`);
  }
  if (NOT_DONE.includes(result.outcome)) {
    await notify(ports, config.pipelineName, `[bluegreen] ${config.pipelineName}: rollback request not done`, `Rollback requested by ${who} not done. ${result.message}`, log);
  }
  return result;
}
