// What the swap function adds to the evidence: the production swap of an execution (from the state
// record's own history entry, so a retried or redelivered Swap writes the same entry), and each
// rollback, in the documents of both releases it touches: the one production left and the one it
// went back to.
import { ReleaseConfig } from '../core/config';
import { EvidencePorts, SWAP_ENTRY_ID, rollbackEntryId, trafficEntry } from '../core/evidence';
import { Logger } from '../core/ports';
import { HistoryEntry, StateRecord } from '../core/state';
import { recordEvidence } from '../adapters/evidence';

const changeOf = (record: StateRecord | null, operation: HistoryEntry['operation'], executionId: string) =>
  record?.history.find((h) => h.operation === operation && h.executionId === executionId) ?? null;

/** `record`: the state record that holds this execution's swap (the plan's next record, or the stored one). */
export async function recordSwapEvidence(ports: EvidencePorts, config: ReleaseConfig, executionId: string, record: StateRecord | null, log: Logger): Promise<string | null> {
  const change = changeOf(record, 'swap', executionId);
  if (change === null) return null;
  return recordEvidence(ports.evidence, config.pipelineName, executionId, [trafficEntry(change, SWAP_ENTRY_ID, 'to')], log);
}

/** `before`: the record as the rollback found it (who was live, who it goes back to); `after`: the record it wrote. */
export async function recordRollbackEvidence(
  ports: EvidencePorts,
  config: ReleaseConfig,
  rollbackId: string,
  requestId: string,
  before: StateRecord | null,
  after: StateRecord | null,
  log: Logger,
): Promise<string | null> {
  const change = changeOf(after, 'rollback', rollbackId);
  if (change === null || before === null) return null;
  const id = rollbackEntryId(requestId);
  const problems = [
    await recordEvidence(ports.evidence, config.pipelineName, before.liveReleaseId, [trafficEntry(change, id, 'away')], log),
    await recordEvidence(ports.evidence, config.pipelineName, before.previousReleaseId, [trafficEntry(change, id, 'back')], log),
  ].filter((p): p is string => p !== null);
  return problems.length === 0 ? null : problems.join('; ');
}
