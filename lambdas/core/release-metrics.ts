// The release's own metrics, as CloudWatch embedded metric format (EMF) documents: log fields
// that CloudWatch Logs turns into metrics as the line arrives, so the control plane needs no
// cloudwatch:PutMetricData grant and no API call. The shape follows "Specification: Embedded
// metric format" (CloudWatch user guide): a root `_aws` member with `Timestamp` (epoch
// milliseconds) and `CloudWatchMetrics`, a list of directives each naming a `Namespace`,
// `Dimensions` (a list of dimension sets, each a list of root member names) and `Metrics`
// (`Name`, optional `Unit`); every name a directive refers to is a member of the root.
// CloudWatch does not graph what it already has (requests, latency, hosts, tasks): only what
// the control plane alone knows, which slot production is on and when it moved.
import { SlotName } from './config';
import { RouteWrite, shares } from './routes';

export const RELEASE_METRICS = {
  namespace: 'BlueGreen',
  /** Each slot's share of production, 0–100, after every production route write; dimensions Pipeline, Slot. */
  weight: 'ProductionWeight',
  /** 1 per production route write; dimensions Pipeline, Operation (the digest is a field of the line, not a dimension). */
  operations: 'Operations',
} as const;

/**
 * What moved production: a swap, a rollback, a step of a traffic shift, a shift's promote or
 * abort, a swap's idempotent retry, or the revert after a test rule write failed.
 */
export type ReleaseOperation = 'swap' | 'already-swapped' | 'rollback' | 'promote' | 'abort' | 'shift-step' | 'revert';

/** Every operation the Operations metric can carry (the dashboard graphs each). */
export const RELEASE_OPERATIONS: readonly ReleaseOperation[] = ['swap', 'rollback', 'shift-step', 'promote', 'abort', 'already-swapped', 'revert'];

/** Each slot's share of production once `write` (a production write) has landed. */
export function productionWeights(write: RouteWrite): Record<SlotName, number> {
  return write.split === undefined ? shares(write.slot, 100) : shares(write.split.toSlot, write.split.percent);
}

export interface ReleaseMetricsInput {
  readonly pipelineName: string;
  readonly operation: ReleaseOperation;
  readonly write: RouteWrite;
  /** The digest production moved to (or back to), for the release markers; null when the record names none. */
  readonly digest: string | null;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

function document(timestamp: number, dimensions: string[], metric: string, unit: string, members: Record<string, unknown>): Record<string, unknown> {
  return {
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: RELEASE_METRICS.namespace, Dimensions: [dimensions], Metrics: [{ Name: metric, Unit: unit }] }] },
    ...members,
  };
}

/**
 * The EMF documents of one production route write: one per slot with its weight (a document's
 * dimension values are single root members, so two slots take two documents) and one that counts
 * the operation and carries the digest.
 */
export function releaseMetricDocuments(input: ReleaseMetricsInput): Array<Record<string, unknown>> {
  const weights = productionWeights(input.write);
  const perSlot = (['a', 'b'] as const).map((slot) =>
    document(input.timestamp, ['Pipeline', 'Slot'], RELEASE_METRICS.weight, 'Percent', { Pipeline: input.pipelineName, Slot: slot, [RELEASE_METRICS.weight]: weights[slot] }),
  );
  const operation = document(input.timestamp, ['Pipeline', 'Operation'], RELEASE_METRICS.operations, 'Count', {
    Pipeline: input.pipelineName,
    Operation: input.operation,
    [RELEASE_METRICS.operations]: 1,
    digest: input.digest ?? '',
    weights,
  });
  return [...perSlot, operation];
}
