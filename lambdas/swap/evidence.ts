// What the swap function adds to the evidence: each move of production, from the state record's own
// history entry (so a retried or redelivered job or invoke writes the same entry), in the document
// of every release it touches. A swap or promote: the release production went to. A rollback or an
// abort: the release production left and the one it went back to.
import { ReleaseConfig } from '../core/config';
import { EvidencePorts, SWAP_ENTRY_ID, TrafficEntry, operatorEntryId, trafficEntry } from '../core/evidence';
import { Logger } from '../core/ports';
import { Operation, StateRecord } from '../core/state';
import { recordEvidence } from '../adapters/evidence';

/** One move of production as the state record holds it: its operation and the execution id it was recorded under. */
export interface Move {
  readonly operation: Operation;
  readonly executionId: string;
  /** The operator request behind a rollback, promote or abort; absent for a pipeline's own swap. */
  readonly requestId?: string;
}

/** `after`: the state record that holds the move (the plan's next record, or the stored one when it was already made). */
export async function recordMoveEvidence(ports: EvidencePorts, config: ReleaseConfig, move: Move, after: StateRecord | null, log: Logger): Promise<string | null> {
  const change = after?.history.find((h) => h.operation === move.operation && h.executionId === move.executionId) ?? null;
  if (change === null || after === null) return null;
  const id = move.requestId === undefined ? SWAP_ENTRY_ID : operatorEntryId(move.operation, move.requestId);
  const documents: [string | null, TrafficEntry['direction']][] =
    move.operation === 'swap' || move.operation === 'promote'
      ? [[move.operation === 'swap' ? move.executionId : after.liveReleaseId, 'to']]
      : [
          [after.previousReleaseId, 'away'],
          [after.liveReleaseId, 'back'],
        ];
  const problems: string[] = [];
  for (const [releaseId, direction] of documents) {
    const problem = await recordEvidence(ports.evidence, config.pipelineName, releaseId, [trafficEntry(change, id, direction)], log);
    if (problem !== null) problems.push(problem);
  }
  return problems.length === 0 ? null : problems.join('; ');
}
