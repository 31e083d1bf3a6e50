// The release lease: the control plane's own lock on the slots, on top of CodePipeline's stage
// lock, so that serialisation never rests on pipeline semantics alone.
//
// * `release`: the pipeline execution that holds the slots, from its DeployGreen until its bake
//   ends or it fails. Another execution's DeployGreen waits while the holder is in progress and
//   takes the lease over once it has ended (GetPipelineExecution says so).
// * `operation`: the route-moving operation running now (a swap or a rollback), exclusive, with an
//   expiry past the swap function's timeout, so a crashed holder can never wedge the slots.
//
// SSM has no conditional overwrite: PutParameter either overwrites unconditionally or, without
// Overwrite, fails with ParameterAlreadyExists when the name exists (SSM API reference,
// PutParameter). That create-if-absent is the one atomic compare-and-set it offers, so the lease
// is a sequence of generations, /bluegreen/<pipeline>/lease/<generation>, and every change
// creates the next generation: of two writers that read the same generation, exactly one wins.
import { FieldProblems, InputError, at, describe, isRecord } from './config';

export interface LeaseRelease {
  readonly executionId: string;
  /** ISO-8601: when this execution took the lease. */
  readonly since: string;
}

/**
 * A swap (its traffic shift steps included), a rollback, an operator ending a shift early, or the
 * scheduled scale-down of the previous slot (`previousSlotRetention`).
 */
export type OperationKind = 'swap' | 'rollback' | 'promote' | 'abort' | 'retire';
const OPERATION_KINDS: readonly OperationKind[] = ['swap', 'rollback', 'promote', 'abort', 'retire'];

export interface LeaseOperation {
  /** `swap:<executionId>`, `<kind>:<requestId>` for an operator's rollback, promote or abort, or `retire:<executionId>`. */
  readonly id: string;
  readonly kind: OperationKind;
  /** ISO-8601: after this the holder's invocation is certainly over (its function timeout has passed). */
  readonly until: string;
}

export interface LeaseRecord {
  readonly schema: 1;
  /** 0 = never taken (no parameter exists yet). */
  readonly generation: number;
  readonly release: LeaseRelease | null;
  readonly operation: LeaseOperation | null;
  /** Unique per write, so a writer whose response was lost can tell whether its create landed. */
  readonly writer: string;
  readonly at: string;
}

export const LEASE_SCHEMA = 1;

export function freeLease(): LeaseRecord {
  return { schema: 1, generation: 0, release: null, operation: null, writer: 'none', at: new Date(0).toISOString() };
}

/** Zero-padded, so that names sort in generation order. */
export function leaseParameterName(prefix: string, generation: number): string {
  return `${prefix}/${String(generation).padStart(10, '0')}`;
}

export function generationOfName(name: string): number | null {
  const m = /\/(\d{10})$/.exec(name);
  return m ? Number(m[1]) : null;
}

export function serialiseLease(lease: LeaseRecord): string {
  return JSON.stringify(lease);
}

export function parseLease(raw: string, generation: number): LeaseRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new InputError(`Lease generation ${generation} is not valid JSON: ${(err as Error).message}.`);
  }
  if (!isRecord(doc)) throw new InputError(`Lease generation ${generation} must be a JSON object (got ${describe(doc)}).`);
  const p = new FieldProblems(doc);
  if (doc.schema !== LEASE_SCHEMA) p.add(`schema must be ${LEASE_SCHEMA} (got ${describe(doc.schema)})`);
  if (doc.generation !== generation) p.add(`generation must be ${generation}, the parameter's own (got ${describe(doc.generation)})`);
  const release = doc.release === null ? null : { executionId: p.string('release.executionId'), since: p.string('release.since') };
  let operation: LeaseOperation | null = null;
  if (doc.operation !== null) {
    const kind = at(doc, 'operation.kind');
    if (!OPERATION_KINDS.includes(kind as OperationKind)) p.add(`operation.kind must be one of ${OPERATION_KINDS.join(', ')} (got ${describe(kind)})`);
    operation = { id: p.string('operation.id'), kind: kind as OperationKind, until: p.string('operation.until') };
    if (operation.until !== '' && Number.isNaN(Date.parse(operation.until))) p.add('operation.until must be an ISO-8601 time');
  }
  const lease: LeaseRecord = { schema: 1, generation, release, operation, writer: p.string('writer'), at: p.string('at') };
  p.throwIfAny(`Lease generation ${generation}`);
  return lease;
}

/** The operation that still holds the slots at `now`, or null (none, or its holder's time is up). */
export function activeOperation(lease: LeaseRecord, now: Date): LeaseOperation | null {
  return lease.operation !== null && Date.parse(lease.operation.until) > now.getTime() ? lease.operation : null;
}

/** One phrase for messages: who holds the slots. */
export function describeHolder(lease: LeaseRecord, now: Date): string {
  const op = activeOperation(lease, now);
  if (op) return `${op.kind === 'abort' ? 'an abort' : `a ${op.kind}`} (${op.id}) until ${op.until}`;
  if (lease.release) return `release ${lease.release.executionId} (since ${lease.release.since})`;
  return 'nobody';
}

/**
 * What an execution may do about the release lease: it holds it already, may take it (free, or
 * its holder has ended: `holderEnded` answers that once the caller has asked CodePipeline), must
 * ask CodePipeline first, or must wait.
 */
export type ReleaseClaim =
  | { readonly kind: 'mine' }
  | { readonly kind: 'take'; readonly takeover: string | null }
  | { readonly kind: 'check-holder'; readonly holder: string }
  | { readonly kind: 'wait'; readonly reason: string };

export function claimRelease(lease: LeaseRecord, executionId: string, now: Date, holderEnded?: boolean): ReleaseClaim {
  const op = activeOperation(lease, now);
  if (op) return { kind: 'wait', reason: `${describeHolder(lease, now)} holds the slots` };
  const holder = lease.release?.executionId ?? null;
  if (holder === executionId) return { kind: 'mine' };
  if (holder === null) return { kind: 'take', takeover: null };
  if (holderEnded === undefined) return { kind: 'check-holder', holder };
  if (holderEnded) return { kind: 'take', takeover: holder };
  return { kind: 'wait', reason: `release ${holder} holds the slots and is still in progress` };
}

/** The next generation, with `change` applied, written by `writer` at `now`. */
export function nextLease(
  lease: LeaseRecord,
  change: { release?: LeaseRelease | null; operation?: LeaseOperation | null },
  writer: string,
  now: Date,
): LeaseRecord {
  return {
    schema: 1,
    generation: lease.generation + 1,
    release: change.release !== undefined ? change.release : lease.release,
    operation: change.operation !== undefined ? change.operation : lease.operation,
    writer,
    at: now.toISOString(),
  };
}

/** How long after an operation starts its holder is certainly gone: the function's timeout plus a margin. */
export function operationUntil(now: Date, functionTimeoutSeconds: number): string {
  return new Date(now.getTime() + (functionTimeoutSeconds + 60) * 1000).toISOString();
}
