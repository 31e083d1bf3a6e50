import type { Context } from '../context';
import { evidenceStoreFor, summariseRelease, type EvidenceStore } from '../control-plane';
import { discoverPipeline } from '../discovery';
import { CliError, EXIT_OK, EXIT_USAGE } from '../errors';
import { evidenceMarkdown, releaseList } from '../evidence-format';

export interface EvidenceOptions {
  readonly pipeline: string;
  readonly execution?: string;
  readonly since?: string;
  readonly until?: string;
  readonly format?: string;
}

export const EVIDENCE_FORMATS = ['json', 'md'] as const;

/** A day (`2025-07-01`, midnight UTC) or an ISO-8601 time with its zone. */
export function parseDate(value: string, option: string): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = Date.parse(day ? `${value}T00:00:00Z` : value);
  const zoned = day || /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  if (Number.isNaN(t) || !zoned || (day && new Date(t).toISOString().slice(0, 10) !== value)) {
    throw new CliError(`${option} ${JSON.stringify(value)} is not a date: use YYYY-MM-DD (UTC) or an ISO-8601 time with a zone, e.g. 2025-07-01T09:00:00Z`, 'usage', EXIT_USAGE);
  }
  return new Date(t);
}

function checkOptions(opts: EvidenceOptions): void {
  if ((opts.execution === undefined) === (opts.since === undefined)) {
    throw new CliError('give exactly one of --execution <id> (one release\'s record) or --since <date> (the releases since then)', 'usage', EXIT_USAGE);
  }
  if (opts.until !== undefined && opts.since === undefined) throw new CliError('--until goes with --since', 'usage', EXIT_USAGE);
}

async function store(ctx: Context, pipelineName: string): Promise<EvidenceStore> {
  const aws = await ctx.aws();
  const pipeline = await discoverPipeline(aws, pipelineName);
  const found = evidenceStoreFor(pipeline.config, ctx.s3());
  if (found === null) {
    throw new CliError(`pipeline ${pipelineName} keeps no release evidence (its configuration names no evidence bucket: deploy it with this version of the construct)`, 'no-evidence');
  }
  return found;
}

/**
 * `evidence --execution <id>`: the record as stored (json) or for a change ticket (md, the default).
 * `evidence --since <date> [--until <date>]`: each release since then, who approved it, its digest.
 */
export async function evidence(ctx: Context, opts: EvidenceOptions): Promise<number> {
  checkOptions(opts);
  const since = opts.since === undefined ? undefined : parseDate(opts.since, '--since');
  const until = opts.until === undefined ? undefined : parseDate(opts.until, '--until');
  if (since && until && until <= since) throw new CliError('--until must be after --since', 'usage', EXIT_USAGE);
  const asJson = ctx.json || opts.format === 'json';
  const evidenceStore = await store(ctx, opts.pipeline);

  if (opts.execution !== undefined) {
    const doc = await evidenceStore.read(opts.execution);
    if (doc === null) {
      throw new CliError(`no evidence for execution ${opts.execution} of ${opts.pipeline} (it never reached the Release stage, or it is not an execution of this pipeline)`, 'no-evidence');
    }
    ctx.io.stdout.write(asJson ? `${JSON.stringify(doc, null, 2)}\n` : evidenceMarkdown(doc));
    return EXIT_OK;
  }

  const releases = await evidenceStore.releases(since as Date, until);
  const rows = releases.filter((r) => r.doc !== null).map((r) => summariseRelease(r.doc!));
  const missing = releases.filter((r) => r.doc === null).map(({ executionId, startedAt }) => ({ executionId, startedAt }));
  if (asJson) {
    ctx.io.stdout.write(`${JSON.stringify({ pipeline: opts.pipeline, since: since!.toISOString(), until: until?.toISOString() ?? null, releases: rows, missing }, null, 2)}\n`);
  } else if (rows.length + missing.length === 0) {
    ctx.io.stdout.write(`${opts.pipeline}: no release reached the Release stage since ${since!.toISOString()}${until ? ` and before ${until.toISOString()}` : ''}\n`);
  } else {
    ctx.io.stdout.write(releaseList(rows, missing, opts.format === 'md' ? 'md' : 'text'));
  }
  return EXIT_OK;
}
