import type { PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import type { Context } from '../context';
import type { HistoryEntry } from '../control-plane';
import { discoverPipeline } from '../discovery';
import { EXIT_OK } from '../errors';
import { shortCommit, shortDigest, table, when } from '../format';
import { listExecutions } from '../pipeline';

export interface HistoryRow {
  readonly at: string | null;
  readonly kind: 'release' | HistoryEntry['operation'];
  readonly executionId: string;
  /** Pipeline execution status; `done` for a change recorded without one (a rollback, promote or abort). */
  readonly status: string;
  readonly fromSlot: string | null;
  readonly toSlot: string | null;
  readonly commit: string | null;
  readonly digest: string | null;
  readonly by: string | null;
  readonly reason: string | null;
}

/**
 * Pure: one timeline from the state record (swaps, rollbacks, promotes and aborts: who and why) and the pipeline's
 * executions (every release attempt, including the ones that never swapped). A swap is shown on
 * the row of the execution that made it.
 */
export function mergeHistory(entries: readonly HistoryEntry[], executions: readonly PipelineExecutionSummary[]): HistoryRow[] {
  const swapsByExecution = new Map(entries.filter((e) => e.operation === 'swap').map((e) => [e.executionId, e]));
  const rows: HistoryRow[] = executions.map((x) => {
    const id = x.pipelineExecutionId ?? '?';
    const swap = swapsByExecution.get(id);
    swapsByExecution.delete(id);
    const source = x.sourceRevisions?.[0];
    return {
      at: x.startTime?.toISOString() ?? null,
      kind: 'release',
      executionId: id,
      status: x.status ?? 'Unknown',
      fromSlot: swap?.fromSlot ?? null,
      toSlot: swap?.toSlot ?? null,
      commit: swap?.commit ?? source?.revisionId ?? null,
      digest: swap?.digest ?? null,
      by: swap?.by ?? null,
      reason: null,
    };
  });
  const recorded = entries.filter((e) => e.operation !== 'swap' || swapsByExecution.has(e.executionId));
  for (const e of recorded) {
    rows.push({
      at: e.at, kind: e.operation, executionId: e.executionId, status: 'done', fromSlot: e.fromSlot, toSlot: e.toSlot,
      commit: e.commit, digest: e.digest, by: e.by, reason: e.reason ?? null,
    });
  }
  return rows.sort((x, y) => (y.at ?? '').localeCompare(x.at ?? ''));
}

export async function history(ctx: Context, opts: { pipeline: string; limit: number }): Promise<number> {
  const aws = await ctx.aws();
  const pipeline = await discoverPipeline(aws, opts.pipeline);
  const executions = await listExecutions(aws, pipeline.name, opts.limit);
  const rows = mergeHistory(pipeline.state?.history ?? [], executions).slice(0, opts.limit);
  ctx.printJson({ pipeline: pipeline.name, entries: rows });
  if (rows.length === 0) {
    ctx.print(`${pipeline.name}: no releases yet`);
    return EXIT_OK;
  }
  ctx.print(table(
    ['WHEN', 'WHAT', 'EXECUTION', 'STATUS', 'SLOTS', 'COMMIT', 'DIGEST', 'BY / REASON'],
    rows.map((r) => [
      when(r.at ?? undefined),
      r.kind,
      r.executionId,
      r.status,
      r.fromSlot && r.toSlot ? `${r.fromSlot} → ${r.toSlot}` : '-',
      shortCommit(r.commit),
      shortDigest(r.digest),
      [r.by, r.reason && `"${r.reason}"`].filter(Boolean).join(' ') || '-',
    ]),
  ));
  return EXIT_OK;
}
