// A rollback asked for by writing the rollback request parameter (/bluegreen/<pipeline>/rollback-request),
// from a chat channel or a terminal: Parameter Store records who wrote each version
// (DescribeParameters: LastModifiedUser), so the rollback names the person whose IAM role wrote it,
// not an actor the request claims. EventBridge delivers the write (a "Parameter Store Change"
// event, Systems Manager User Guide, "Monitoring Systems Manager events with Amazon EventBridge")
// to the swap function. Pure: the handler brings the parameter's newest version.
import { describe, isRecord } from './config';
import { WrittenRequest } from './ports';
import { clipText } from './state';

/** A request older than this when it is read is refused: an event that arrives that late asks for nothing. */
export const MAX_REQUEST_AGE_SECONDS = 900;
/** How often a request that found the slots held, or a rollback in progress, is asked again, and for how long. */
export const ASK_AGAIN_SECONDS = 60;
export const MAX_ASKS = 20;

export interface ParameterChange {
  readonly name: string;
  readonly operation: string;
  /** How many times the control plane has asked again on this request's behalf (at most MAX_ASKS). */
  readonly asks: number;
  /** With an ask again: the version it asks for (a newer version supersedes it), and when it was first acted on. */
  readonly version: number | null;
  readonly since: string | null;
}

/** The change a "Parameter Store Change" event describes, or null when the event is not one. */
export function parameterChangeOf(event: unknown): ParameterChange | null {
  if (!isRecord(event) || event.source !== 'aws.ssm' || event['detail-type'] !== 'Parameter Store Change' || !isRecord(event.detail)) return null;
  const { name, operation } = event.detail;
  if (typeof name !== 'string' || typeof operation !== 'string') return null;
  const asks = typeof event.bluegreenAsks === 'number' && Number.isInteger(event.bluegreenAsks) && event.bluegreenAsks >= 0 ? Math.min(event.bluegreenAsks, MAX_ASKS) : 0;
  const version = typeof event.bluegreenVersion === 'number' && Number.isInteger(event.bluegreenVersion) ? event.bluegreenVersion : null;
  const since = typeof event.bluegreenSince === 'string' && !Number.isNaN(Date.parse(event.bluegreenSince)) ? event.bluegreenSince : null;
  return { name, operation, asks, version, since };
}

/** The rollback event a written request stands for, or why it asks for nothing. */
export function requestedRollback(
  change: ParameterChange,
  parameterName: string | undefined,
  written: WrittenRequest | null,
  /** The last move of production (the state record's changedAt and lastExecutionId), null when nothing was released. */
  lastMove: { readonly at: string; readonly executionId: string } | null,
  now: Date,
): { readonly kind: 'rollback'; readonly event: Record<string, string> } | { readonly kind: 'ignored' | 'refused'; readonly reason: string } {
  if (parameterName === undefined || change.name !== parameterName) return { kind: 'ignored', reason: `the change is to ${describe(change.name)}, not this pipeline's rollback request parameter` };
  if (change.operation !== 'Create' && change.operation !== 'Update') return { kind: 'ignored', reason: `a ${change.operation} of the rollback request asks for nothing` };
  if (written === null) return { kind: 'ignored', reason: `${parameterName} does not exist (any more)` };
  if (change.version !== null && change.version !== written.version) return { kind: 'ignored', reason: `version ${change.version} of ${parameterName} was superseded by version ${written.version}` };
  if (written.by === null) return { kind: 'refused', reason: `Parameter Store names no writer of ${parameterName} version ${written.version}, so the rollback could not name who asked` };
  const age = written.at === null ? Infinity : (now.getTime() - Date.parse(written.at)) / 1000;
  if (age > MAX_REQUEST_AGE_SECONDS + change.asks * ASK_AGAIN_SECONDS) {
    return { kind: 'refused', reason: `version ${written.version} of ${parameterName} was written at ${written.at ?? 'an unknown time'}, too long ago to act on; write it again to ask` };
  }
  // Asked for the production of its time: once anyone else has moved production since (a rollback,
  // a release), it asks for nothing. Its own rollback, landed, is answered as done.
  const requestId = `request-v${written.version}-${Math.floor(Date.parse(written.at as string) / 1000)}`;
  const asOf = change.since ?? written.at;
  if (lastMove !== null && asOf !== null && Date.parse(lastMove.at) > Date.parse(asOf) && lastMove.executionId !== `rollback:${requestId}`) {
    return { kind: 'refused', reason: `production moved at ${lastMove.at} (${lastMove.executionId}), after version ${written.version} of ${parameterName} was written at ${written.at}; write it again to ask for a rollback from where production is now` };
  }
  return {
    kind: 'rollback',
    // The version and its time: a parameter deleted and written again starts its versions at 1 again.
    event: { action: 'rollback', reason: clipText(written.value.trim() || 'rollback requested'), actor: written.by, requestId },
  };
}
