// Taking and giving back the release lease (core/lease.ts) through the ports: read the newest
// generation, decide, create the next one; a lost race is read again and decided again.
import { randomUUID } from 'node:crypto';
import {
  LeaseOperation,
  LeaseRecord,
  OperationKind,
  activeOperation,
  claimRelease,
  describeHolder,
  nextLease,
  operationUntil,
} from '../core/lease';
import { ExecutionLookup, LeaseStore, Logger } from '../core/ports';

/** Rival writers are rare (the stage lock already serialises releases); a few rounds settle any race. */
const ROUNDS = 4;

export type LeaseWait = { readonly kind: 'wait'; readonly reason: string };
export type Held = { readonly kind: 'held'; readonly lease: LeaseRecord };

export type Ended = { readonly kind: 'ended'; readonly reason: string };

/**
 * The release lease for `executionId`: already held, taken (over from an ended holder), or a
 * reason to wait. An execution that has itself ended (a late duplicate of one of its jobs) never
 * takes it.
 */
export async function takeRelease(store: LeaseStore, executions: ExecutionLookup, executionId: string, now: () => Date, log: Logger): Promise<Held | LeaseWait | Ended> {
  for (let round = 0; round < ROUNDS; round++) {
    const lease = await store.read();
    let claim = claimRelease(lease, executionId, now());
    if (claim.kind === 'check-holder') claim = claimRelease(lease, executionId, now(), !(await executions.inProgress(claim.holder)));
    if (claim.kind === 'mine') return { kind: 'held', lease };
    if (claim.kind === 'wait') return claim;
    if (claim.kind !== 'take') continue;
    if (!(await executions.inProgress(executionId))) return { kind: 'ended', reason: `execution ${executionId} has ended, so it takes no lease` };
    const next = nextLease(lease, { release: { executionId, since: now().toISOString() } }, randomUUID(), now());
    if ((await store.write(next)) === 'written') {
      log.info('release lease taken', { generation: next.generation, takeover: claim.takeover });
      return { kind: 'held', lease: next };
    }
  }
  return { kind: 'wait', reason: 'other writers kept changing the release lease' };
}

/**
 * An exclusive hold on the slots for one swap or rollback. `check` sees the lease (and whether its
 * release holder is still running) and refuses with a reason, or allows; the release part of the
 * lease is kept as it is (a swap sets it to its own execution).
 */
export async function beginOperation(
  store: LeaseStore,
  executions: ExecutionLookup,
  op: { id: string; kind: OperationKind; timeoutSeconds: number; releaseFor?: string },
  check: (lease: LeaseRecord, holderRunning: boolean) => string | null,
  now: () => Date,
  log: Logger,
): Promise<Held | { readonly kind: 'busy'; readonly reason: string } | { readonly kind: 'refused'; readonly reason: string }> {
  for (let round = 0; round < ROUNDS; round++) {
    const lease = await store.read();
    const active = activeOperation(lease, now());
    if (active && active.id !== op.id) return { kind: 'busy', reason: `${describeHolder(lease, now())} holds the slots` };
    const holder = lease.release?.executionId;
    const holderRunning = holder !== undefined && holder !== op.releaseFor ? await executions.inProgress(holder) : holder !== undefined;
    // A swap for an execution that does not hold the lease yet must itself still be running: a late
    // duplicate of a finished execution's job never moves anything.
    if (op.releaseFor !== undefined && holder !== op.releaseFor && !(await executions.inProgress(op.releaseFor))) {
      return { kind: 'refused', reason: `execution ${op.releaseFor} has ended, so this job changes nothing` };
    }
    const refusal = check(lease, holderRunning);
    if (refusal !== null) return { kind: 'refused', reason: refusal };
    const operation: LeaseOperation = { id: op.id, kind: op.kind, until: operationUntil(now(), op.timeoutSeconds) };
    const release = op.releaseFor !== undefined ? { release: lease.release?.executionId === op.releaseFor ? lease.release : { executionId: op.releaseFor, since: now().toISOString() } } : {};
    const next = nextLease(lease, { ...release, operation }, randomUUID(), now());
    if ((await store.write(next)) === 'written') {
      log.info('operation lease taken', { generation: next.generation, operation: op.id });
      return { kind: 'held', lease: next };
    }
  }
  return { kind: 'busy', reason: 'other writers kept changing the release lease' };
}

/**
 * Gives back what `held` holds: the operation (always) and, with `dropRelease`, the release. No
 * read first: the next generation after ours can only be ours while we hold the operation, and if
 * someone else wrote it (our hold lapsed and was taken) there is nothing of ours left to give
 * back. Best effort: a failure only delays the next operation until the hold lapses.
 */
export async function endHold(store: LeaseStore, held: LeaseRecord, opts: { dropRelease: boolean }, now: () => Date, log: Logger): Promise<void> {
  const change = { operation: null, ...(opts.dropRelease ? { release: null } : {}) };
  try {
    if ((await store.write(nextLease(held, change, randomUUID(), now()))) === 'lost') log.warn('the lease moved on while the operation ran (its hold lapsed)');
  } catch (err) {
    log.warn('could not give the lease back; it lapses by itself', { error: (err as Error).message });
  }
}

/** Gives back the release lease of `executionId` if it still holds it and no operation runs (bake end, deploy failure). */
export async function dropRelease(store: LeaseStore, executionId: string, now: () => Date, log: Logger): Promise<void> {
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const lease = await store.read();
      if (lease.release?.executionId !== executionId || activeOperation(lease, now())) return;
      if ((await store.write(nextLease(lease, { release: null, operation: null }, randomUUID(), now()))) === 'written') {
        log.info('release lease given back', { executionId });
        return;
      }
    }
  } catch (err) {
    log.warn('could not give the release lease back; the next release takes it over once this execution has ended', { error: (err as Error).message });
  }
}
