// What the swap function's operations share: its dependencies, the record read leniently, the
// approver, and the audit notification's subject and message.
import { ReleaseConfig } from '../core/config';
import { errorSummary } from '../core/errors';
import { Logger, SwapPorts } from '../core/ports';
import { StateRecord } from '../core/state';
import { clip } from '../core/text';
import { SwapParameters } from '../core/events';
import { HandlerDeps } from '../adapters/job';
import { EvidencePorts } from '../core/evidence';
import { beginOperation } from '../adapters/lease';

/** The swap function's ports: the release's, and the evidence record. */
export type Ports = SwapPorts & EvidencePorts;
/** `selfArn`: this function's own ARN, from the invocation (a retirement schedule's target). */
export type Deps = HandlerDeps<Ports> & { readonly selfArn?: string };

/** changedBy when the approver cannot be found. */
export const FALLBACK_APPROVER = 'codepipeline';
/** How much of an operator's actor and reason an audit message repeats. */
const MAX_AUDIT_FIELD = 2048;

/** The state record, or why it cannot be used (a malformed record is drift, not a reason to stop a swap). */
export async function readStateLeniently(ports: SwapPorts, log: Logger): Promise<{ state: StateRecord | null; malformed: boolean }> {
  try {
    return { state: await ports.state.read(), malformed: false };
  } catch (err) {
    if ((err as Error).name !== 'InputError') throw err;
    log.warn('the state record is malformed, so it is not trusted', { error: errorSummary(err) });
    return { state: null, malformed: true };
  }
}

export async function approverOf(ports: SwapPorts, config: ReleaseConfig, executionId: string, log: Logger): Promise<string> {
  try {
    const approver = await ports.approvals.approver(config.pipelineName, executionId);
    if (approver !== null) return approver;
    log.warn('no approval found for the execution; recording the pipeline as the actor');
  } catch (err) {
    log.warn('approver lookup failed; recording the pipeline as the actor', { error: errorSummary(err) });
  }
  return FALLBACK_APPROVER;
}

/** What changed first and the pipeline last, so a subject shortened to SNS's limit keeps its meaning. */
export function auditSubject(operation: 'Swap' | 'Rollback' | 'Shift' | 'Promote' | 'Abort', toSlot: string, pipelineName: string): string {
  return `${operation} to slot ${toSlot}: ${pipelineName}`;
}

export interface AuditFields {
  readonly operation: string;
  readonly pipeline: string;
  readonly executionId: string;
  readonly by: string;
  readonly fromSlot: string;
  readonly toSlot: string;
  readonly liveDigest: string | null;
  readonly previousDigest: string | null;
  readonly commit: string | null;
  readonly reason?: string;
  /** Each slot's share of production afterwards, when a traffic shift is involved (`a=90 b=10`). */
  readonly traffic?: string;
}

export function auditMessage(fields: AuditFields): string {
  // The actor and reason of an operator come from its event: bounded, so the message stays within SNS's 256 KB.
  const { reason, traffic, ...rest } = fields;
  const audit = { ...rest, by: clip(fields.by, MAX_AUDIT_FIELD), ...(reason ? { reason: clip(reason, MAX_AUDIT_FIELD) } : {}), ...(traffic ? { traffic } : {}) };
  return JSON.stringify(audit, null, 2);
}

/** The operation hold of a Swap job (its first invocation, or a step of its shift): refused while another running release holds the slots. */
export function beginSwapOperation(request: SwapParameters, config: ReleaseConfig, ports: SwapPorts, deps: Deps, log: Logger) {
  const executionId = request.executionId;
  return beginOperation(
    ports.lease,
    ports.executions,
    { id: `swap:${executionId}`, kind: 'swap', timeoutSeconds: config.operationTimeoutSeconds, releaseFor: executionId },
    (lease, holderRunning) =>
      lease.release !== null && lease.release.executionId !== executionId && holderRunning
        ? `release ${lease.release.executionId} holds the slots while this execution asks to swap, so two releases are in flight; only the holder may swap`
        : null,
    deps.now,
    log,
  );
}
