// The evidence store over S3: one document per execution, changed only by conditional writes
// (If-None-Match to create it, If-Match on its ETag to change it), so two writers never lose each
// other's entries; an index marker per execution, written before its document, for `--since`.
import { EvidenceConfig, ReleaseConfig } from '../core/config';
import { errorSummary } from '../core/errors';
import {
  EvidenceDocument, EvidenceEntry, EvidenceStore, IndexedRelease, addEntries, evidenceKeys, parseEvidenceDocument, parseIndexKey,
} from '../core/evidence';
import { InputError } from '../core/config';
import { Logger } from '../core/ports';
import { ObjectStore, S3Send, s3ObjectStore } from './s3';

/** Read-modify-write rounds before a write gives up (each lost round means another writer got in). */
export const EVIDENCE_WRITE_ATTEMPTS = 5;
/** Documents read at once when listing releases. */
const READ_CONCURRENCY = 8;

export function evidenceStore(objects: ObjectStore, config: EvidenceConfig, pipeline: string, now: () => Date = () => new Date()): EvidenceStore {
  const keys = evidenceKeys(config.prefix);
  const read = async (executionId: string): Promise<{ doc: EvidenceDocument; etag: string } | null> => {
    const found = await objects.get(keys.document(executionId));
    return found === null ? null : { doc: parseEvidenceDocument(found.body), etag: found.etag };
  };
  return {
    async record(executionId, entries) {
      for (let attempt = 1; attempt <= EVIDENCE_WRITE_ATTEMPTS; attempt++) {
        // A document that cannot be read is never overwritten: parseEvidenceDocument throws.
        const current = await read(executionId);
        const merged = addEntries(current?.doc ?? null, entries, { pipeline, executionId, now: now() });
        if (merged.added.length === 0) return [];
        if (current === null) {
          // The marker first: a document is never left out of the index (a marker without a document is listed as missing).
          await objects.put(keys.index(new Date(merged.doc.startedAt), executionId), '');
        }
        const body = `${JSON.stringify(merged.doc, null, 2)}\n`;
        const written = await objects.put(keys.document(executionId), body, current === null ? { ifNoneMatch: '*' } : { ifMatch: current.etag });
        if (written === 'written') return merged.added;
      }
      throw new Error(`the evidence document of ${executionId} changed under ${EVIDENCE_WRITE_ATTEMPTS} writes in a row`);
    },
    async buildEvidence(executionId) {
      const found = await objects.get(keys.build(executionId));
      if (found === null) return null;
      try {
        return JSON.parse(found.body) as unknown;
      } catch (err) {
        throw new InputError(`the build evidence at ${keys.build(executionId)} is not JSON (${(err as Error).message})`);
      }
    },
    async read(executionId) {
      return (await read(executionId))?.doc ?? null;
    },
    async releases(since, until) {
      const startAfter = keys.index(since, '').slice(0, -1);
      const indexed = new Map<string, { executionId: string; startedAt: string }>();
      for (const key of await objects.list(keys.indexPrefix, startAfter)) {
        const entry = parseIndexKey(key, keys.indexPrefix);
        if (entry === null || Date.parse(entry.startedAt) < since.getTime()) continue;
        if (until !== undefined && Date.parse(entry.startedAt) >= until.getTime()) break;
        // A retried first write may leave a second marker: the first one stands.
        if (!indexed.has(entry.executionId)) indexed.set(entry.executionId, entry);
      }
      const list = [...indexed.values()];
      const out: IndexedRelease[] = [];
      for (let i = 0; i < list.length; i += READ_CONCURRENCY) {
        const docs = await Promise.all(list.slice(i, i + READ_CONCURRENCY).map((e) => read(e.executionId)));
        docs.forEach((d, j) => out.push({ ...list[i + j], doc: d?.doc ?? null }));
      }
      return out;
    },
  };
}

/** The metric a failed evidence write counts (CloudWatch embedded metric format, from the log line itself). */
export const EVIDENCE_METRIC = { namespace: 'BlueGreen', name: 'EvidenceWritesFailed', dimension: 'Pipeline' } as const;

/**
 * Writes evidence without ever failing the operation it records (production has already moved, or
 * the job must still get its result): a failure is a warning log line that is also a CloudWatch
 * metric, and a clause for the job summary or the rollback message. null when written (or none is
 * configured).
 */
export async function recordEvidence(
  store: EvidenceStore | null | undefined,
  pipelineName: string,
  executionId: string | null,
  entries: readonly EvidenceEntry[],
  log: Logger,
): Promise<string | null> {
  if (!store || executionId === null || entries.length === 0) return null;
  try {
    const added = await store.record(executionId, entries);
    if (added.length > 0) log.info('evidence recorded', { evidenceExecutionId: executionId, entries: added });
    return null;
  } catch (err) {
    const error = errorSummary(err);
    log.warn('could not record the release evidence', {
      error,
      evidenceExecutionId: executionId,
      entries: entries.map((e) => e.id),
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{ Namespace: EVIDENCE_METRIC.namespace, Dimensions: [[EVIDENCE_METRIC.dimension]], Metrics: [{ Name: EVIDENCE_METRIC.name, Unit: 'Count' }] }],
      },
      [EVIDENCE_METRIC.dimension]: pipelineName,
      [EVIDENCE_METRIC.name]: 1,
    });
    return `the evidence of ${executionId} could not be recorded (${error})`;
  }
}

/** The store the configuration names, over `send`; null when no evidence is configured. */
export function evidenceStoreFor(config: ReleaseConfig, send: S3Send, now?: () => Date): EvidenceStore | null {
  return config.evidence ? evidenceStore(s3ObjectStore(send, config.evidence.bucket), config.evidence, config.pipelineName, now) : null;
}
