// The evidence record of a release: one JSON document per pipeline execution that reaches the
// Release stage, in the artifact bucket, written as the release moves on. Each entry has an id
// derived from what it records (the build, a job, an approval, a traffic change), so writing it
// again — a retried job, a duplicated event — changes nothing. Pure: no SDK, no I/O.
import { FieldProblems, InputError, SlotName, isRecord } from './config';
export type { EvidenceConfig } from './config';
import { HistoryEntry, Operation } from './state';
import { clip } from './text';

export const EVIDENCE_SCHEMA = 1;

// ---------------------------------------------------------------- entries

/** What only the build knows, as the build wrote it (`buildspecs/scripts/push-image.sh`). */
export interface BuildEvidence {
  readonly schema: 1;
  readonly source: { readonly repository: string | null; readonly branch: string | null; readonly commit: string };
  readonly buildId: string;
  readonly image: { readonly uri: string; readonly digest: string };
  readonly trivy: {
    readonly version: string;
    readonly db: { readonly version: number | null; readonly updatedAt: string | null; readonly nextUpdate: string | null; readonly downloadedAt: string | null };
  };
  readonly policy: { readonly failOn: string; readonly ignoreUnfixed: boolean; readonly allowEmptyScan: boolean };
  readonly scan: { readonly summary: string; readonly report: string; readonly sbom: string };
  /** Allow-list entries that accepted at least one finding in this build. */
  readonly allowList: readonly { readonly id: string; readonly reason: string; readonly expires: string; readonly findings: number }[];
}

interface EntryBase {
  /** Stable per recorded fact: a second write with the same id is a no-op. */
  readonly id: string;
  readonly at: string;
}

export interface BuildEntry extends EntryBase {
  readonly kind: 'build';
  /** null when the build left no usable evidence; `problems` says why. */
  readonly build: BuildEvidence | null;
  /** What the release stage was given (UserParameters), to compare with the build's own record. */
  readonly released: { readonly imageUri: string; readonly digest: string; readonly commit: string };
  readonly problems: readonly string[];
}

export interface DeployEntry extends EntryBase {
  readonly kind: 'deploy';
  readonly outcome: 'ready' | 'failed';
  readonly slot: SlotName | null;
  readonly digest: string | null;
  readonly testUrl: string | null;
  readonly message: string;
}

export interface ActionEntry extends EntryBase {
  /** 'approval': the manual approval; 'tests': a test action before it. */
  readonly kind: 'approval' | 'tests';
  readonly action: string;
  /** CodePipeline's status of the action execution: Succeeded | Failed | Abandoned. */
  readonly status: string;
  /** The identity that answered (approval); null when CodePipeline names none (a timeout). */
  readonly by: string | null;
  /** The approver's comment or the action's summary. */
  readonly comment: string | null;
  readonly externalExecutionId: string | null;
}

export interface TrafficEntry extends EntryBase {
  readonly kind: 'traffic';
  /** swap and promote move production to a release; rollback and abort move it back. */
  readonly operation: Operation;
  /** For a rollback or abort: whether production left this release ('away') or came back to it ('back'). */
  readonly direction: 'to' | 'away' | 'back';
  readonly fromSlot: SlotName;
  readonly toSlot: SlotName;
  /** The digest production serves after the change. */
  readonly digest: string | null;
  readonly by: string;
  readonly reason: string | null;
  /** The execution (or rollback:<request>) that made the change. */
  readonly changedBy: string;
}

export interface BakeEntry extends EntryBase {
  readonly kind: 'bake';
  readonly outcome: 'passed' | 'rolled-back' | 'failed';
  readonly slot: SlotName;
  readonly digest: string;
  readonly message: string;
}

export interface EndEntry extends EntryBase {
  readonly kind: 'end';
  /** CodePipeline's final execution state: SUCCEEDED | FAILED | STOPPED | SUPERSEDED | CANCELED. */
  readonly state: string;
}

export type EvidenceEntry = BuildEntry | DeployEntry | ActionEntry | TrafficEntry | BakeEntry | EndEntry;

export interface EvidenceDocument {
  readonly schema: 1;
  readonly pipeline: string;
  readonly executionId: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly entries: readonly EvidenceEntry[];
}

/** How much free text (a comment, a reason, a message) one entry keeps. */
export const MAX_EVIDENCE_TEXT = 2048;
/** Entries one document holds; past it, writes are refused rather than growing without bound. */
export const MAX_EVIDENCE_ENTRIES = 500;

// ---------------------------------------------------------------- no secrets

/**
 * Secret-looking text that must never land in evidence, whatever someone typed into a comment or
 * a reason: AWS access keys and secret keys, private keys, common tokens, credentials in URLs and
 * `password=` style pairs.
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b/g,
  /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,})\b/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g,
  /((?:secret|password|passwd|pwd|token|api[_-]?key|access[_-]?key)\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi,
  // An AWS secret access key: 40 base64 characters with an upper-case letter (a commit id has none).
  /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{0,39}[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g,
];

/** `text` with anything secret-looking replaced by `[redacted]`, and credentials dropped from URLs. */
export function redact(text: string): string {
  let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(:[^\s/@]*)?@/gi, '$1');
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (...m: string[]) => (m[1] !== undefined && /[=:]\s*$/.test(m[1]) ? `${m[1]}[redacted]` : '[redacted]'));
  }
  return out;
}

/** Free text as evidence keeps it: redacted and bounded. */
export function evidenceText(text: string | null | undefined): string | null {
  if (text === null || text === undefined || text.trim() === '') return null;
  return clip(redact(text.trim()), MAX_EVIDENCE_TEXT);
}

// ---------------------------------------------------------------- building entries

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The build's own record, checked: it must describe the very image this release deploys. A record
 * that is missing, malformed or about another image is kept out (`build: null`), and says why.
 */
export function buildEntry(raw: unknown, released: BuildEntry['released'], at: Date, missing?: string): BuildEntry {
  const base = { id: 'build', kind: 'build' as const, at: at.toISOString(), released };
  if (missing !== undefined) return { ...base, build: null, problems: [missing] };
  let build: BuildEvidence;
  try {
    build = parseBuildEvidence(raw);
  } catch (err) {
    return { ...base, build: null, problems: [`the build evidence is unusable: ${(err as Error).message}`] };
  }
  const problems: string[] = [];
  if (build.image.digest !== released.digest) problems.push(`the build evidence is about digest ${build.image.digest}, not ${released.digest}, which this release deploys`);
  if (problems.length > 0) return { ...base, build: null, problems };
  return { ...base, build, problems: [] };
}

export function parseBuildEvidence(raw: unknown): BuildEvidence {
  if (!isRecord(raw)) throw new InputError('it is not a JSON object');
  const p = new FieldProblems(raw);
  if (raw.schema !== 1) p.add('schema must be 1');
  // Identifiers are kept as written (bounded); only text a person may have typed is redacted.
  const str = (path: string) => clip(p.string(path), MAX_EVIDENCE_TEXT);
  const optional = (path: string): string | null => {
    const v = path.split('.').reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), raw);
    return typeof v === 'string' && v !== '' ? clip(v, MAX_EVIDENCE_TEXT) : null;
  };
  const flag = (path: string) => {
    const v = path.split('.').reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), raw);
    if (typeof v !== 'boolean') p.add(`${path} must be true or false`);
    return v === true;
  };
  const digest = p.string('image.digest', DIGEST, 'a sha256 digest');
  const dbVersion = isRecord(raw.trivy) && isRecord(raw.trivy.db) && typeof raw.trivy.db.version === 'number' ? raw.trivy.db.version : null;
  const allowList = Array.isArray(raw.allowList) ? raw.allowList : [];
  if (!Array.isArray(raw.allowList)) p.add('allowList must be an array');
  const build: BuildEvidence = {
    schema: 1,
    source: { repository: evidenceText(optional('source.repository')), branch: optional('source.branch'), commit: str('source.commit') },
    buildId: str('buildId'),
    image: { uri: str('image.uri'), digest },
    trivy: {
      version: str('trivy.version'),
      db: { version: dbVersion, updatedAt: optional('trivy.db.updatedAt'), nextUpdate: optional('trivy.db.nextUpdate'), downloadedAt: optional('trivy.db.downloadedAt') },
    },
    policy: { failOn: str('policy.failOn'), ignoreUnfixed: flag('policy.ignoreUnfixed'), allowEmptyScan: flag('policy.allowEmptyScan') },
    scan: { summary: str('scan.summary'), report: str('scan.report'), sbom: str('scan.sbom') },
    allowList: allowList.slice(0, 200).map((e: unknown, i: number) => {
      const entry = isRecord(e) ? e : {};
      const text = (k: string) => (typeof entry[k] === 'string' && entry[k] !== '' ? (evidenceText(entry[k] as string) as string) : (p.add(`allowList[${i}].${k} must be a non-empty string`), ''));
      return { id: text('id'), reason: text('reason'), expires: text('expires'), findings: typeof entry.findings === 'number' ? entry.findings : 0 };
    }),
  };
  p.throwIfAny('the build evidence');
  return build;
}

/** A swap or rollback as the state record holds it, seen from one release's document. */
export function trafficEntry(change: HistoryEntry, id: string, direction: TrafficEntry['direction']): TrafficEntry {
  return {
    id,
    kind: 'traffic',
    at: change.at,
    operation: change.operation,
    direction,
    fromSlot: change.fromSlot,
    toSlot: change.toSlot,
    digest: change.digest,
    by: evidenceText(change.by) ?? 'unknown',
    reason: evidenceText(change.reason),
    changedBy: change.executionId,
  };
}

/** The entry id of the production swap an execution makes (one per execution: Swap is idempotent per execution id). */
export const SWAP_ENTRY_ID = 'traffic:swap';
/** The entry id of an operator's rollback, promote or abort (one per request). */
export const operatorEntryId = (operation: Operation, requestId: string) => `traffic:${operation}:${requestId}`;

// ---------------------------------------------------------------- the document

export function parseEvidenceDocument(raw: string): EvidenceDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new InputError(`The evidence document is not valid JSON: ${(err as Error).message}.`);
  }
  if (!isRecord(doc) || doc.schema !== EVIDENCE_SCHEMA || typeof doc.executionId !== 'string' || typeof doc.startedAt !== 'string' || !Array.isArray(doc.entries)) {
    throw new InputError(`The evidence document is not one of schema ${EVIDENCE_SCHEMA} (it needs schema, executionId, startedAt and entries).`);
  }
  for (const e of doc.entries) {
    if (!isRecord(e) || typeof e.id !== 'string' || typeof e.kind !== 'string' || typeof e.at !== 'string') {
      throw new InputError('The evidence document has an entry without an id, a kind or a time.');
    }
  }
  return doc as unknown as EvidenceDocument;
}

/**
 * Adds the entries whose ids are not in the document yet (creating it when there is none), in
 * time order. `added` empty: nothing to write.
 */
export function addEntries(
  doc: EvidenceDocument | null,
  entries: readonly EvidenceEntry[],
  meta: { pipeline: string; executionId: string; now: Date },
): { doc: EvidenceDocument; added: string[] } {
  const current: EvidenceDocument = doc ?? {
    schema: EVIDENCE_SCHEMA,
    pipeline: meta.pipeline,
    executionId: meta.executionId,
    startedAt: meta.now.toISOString(),
    updatedAt: meta.now.toISOString(),
    entries: [],
  };
  const seen = new Set(current.entries.map((e) => e.id));
  const fresh = entries.filter((e) => !seen.has(e.id) && (seen.add(e.id), true));
  if (fresh.length === 0) return { doc: current, added: [] };
  if (current.entries.length + fresh.length > MAX_EVIDENCE_ENTRIES) {
    throw new InputError(`The evidence document of ${meta.executionId} already holds ${current.entries.length} entries; at most ${MAX_EVIDENCE_ENTRIES} are kept.`);
  }
  const all = [...current.entries, ...fresh].sort((x, y) => x.at.localeCompare(y.at));
  return { doc: { ...current, updatedAt: meta.now.toISOString(), entries: all }, added: fresh.map((e) => e.id) };
}

// ---------------------------------------------------------------- keys

/** `2025-07-01T09:30:00.000Z` → `20250701T093000Z`: fixed width, so keys sort by time. */
export function compactTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

export function evidenceKeys(prefix: string) {
  return {
    document: (executionId: string) => `${prefix}/executions/${executionId}.json`,
    /** An empty marker per execution, sorted by when its evidence began: `--since` lists these. */
    index: (startedAt: Date, executionId: string) => `${prefix}/index/${compactTime(startedAt)}_${executionId}`,
    indexPrefix: `${prefix}/index/`,
    /** What the build uploads: build.json, trivy-report.json, sbom.cdx.json. */
    build: (executionId: string) => `${prefix}/builds/${executionId}/build.json`,
  };
}

/** The execution id and start time an index key names, or null for a key that is not one. */
export function parseIndexKey(key: string, indexPrefix: string): { executionId: string; startedAt: string } | null {
  const m = /^(\d{8})T(\d{6})Z_(.+)$/.exec(key.slice(indexPrefix.length));
  if (!key.startsWith(indexPrefix) || !m) return null;
  const [d, t] = [m[1], m[2]];
  return { executionId: m[3], startedAt: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}Z` };
}

// ---------------------------------------------------------------- reading

/** One line of `bluegreen evidence --since`: the change-management sample. */
export interface ReleaseSummary {
  readonly executionId: string;
  readonly startedAt: string;
  readonly commit: string | null;
  readonly digest: string | null;
  readonly approval: 'approved' | 'rejected' | 'failed' | 'pending';
  readonly approvedBy: string | null;
  readonly approvedAt: string | null;
  /** Whether production ever served this release, and how it ended. */
  readonly outcome: string;
}

export function summariseRelease(doc: EvidenceDocument): ReleaseSummary {
  const of = <E extends EvidenceEntry>(kind: E['kind']) => doc.entries.filter((e): e is E => e.kind === kind);
  const build = of<BuildEntry>('build')[0];
  const approval = of<ActionEntry>('approval').pop();
  const traffic = of<TrafficEntry>('traffic');
  const swapped = traffic.some((t) => t.direction === 'to');
  const rolledAway = traffic.filter((t) => t.direction === 'away').length;
  // Production left a release it never fully served: a traffic shift aborted (or rolled back) part way.
  const aborted = !swapped && rolledAway > 0;
  const bake = of<BakeEntry>('bake').pop();
  const deploy = of<DeployEntry>('deploy').pop();
  const end = of<EndEntry>('end').pop();
  const outcome = swapped
    ? [`released`, bake ? `bake ${bake.outcome}` : null, rolledAway > 0 ? `rolled back ${rolledAway === 1 ? 'once' : `${rolledAway} times`}` : null].filter(Boolean).join(', ')
    : aborted
      ? 'not released: the traffic shift was aborted'
      : approval?.status === 'Failed'
      ? 'not released: approval not given'
      : deploy?.outcome === 'failed'
        ? 'not released: deploy failed'
        : end
          ? `not released: execution ${end.state.toLowerCase()}`
          : 'in progress';
  return {
    executionId: doc.executionId,
    startedAt: doc.startedAt,
    commit: build?.build?.source.commit ?? build?.released.commit ?? null,
    digest: build?.build?.image.digest ?? build?.released.digest ?? null,
    approval: approval === undefined ? 'pending' : approval.status === 'Succeeded' ? 'approved' : approval.by !== null ? 'rejected' : 'failed',
    approvedBy: approval?.by ?? null,
    approvedAt: approval?.at ?? null,
    outcome,
  };
}

// ---------------------------------------------------------------- the port

/** An execution the index lists, with its document (null when the document is missing). */
export interface IndexedRelease {
  readonly executionId: string;
  readonly startedAt: string;
  readonly doc: EvidenceDocument | null;
}

export interface EvidenceStore {
  /** Adds the entries the execution's document lacks (by id); the ids it added. */
  record(executionId: string, entries: readonly EvidenceEntry[]): Promise<string[]>;
  /** The build's own JSON record for the execution, parsed; null when the build left none. Throws InputError when it is not JSON. */
  buildEvidence(executionId: string): Promise<unknown | null>;
  read(executionId: string): Promise<EvidenceDocument | null>;
  /** Executions whose evidence began in [since, until), oldest first. */
  releases(since: Date, until?: Date): Promise<IndexedRelease[]>;
}

/** What a handler with evidence to write carries; absent or null: no evidence is configured. */
export interface EvidencePorts {
  readonly evidence?: EvidenceStore | null;
}

// ---------------------------------------------------------------- CodePipeline's own events

/** A CodePipeline state change as EventBridge delivers it (CodePipeline User Guide, "Monitoring CodePipeline events"). */
export type PipelineStateEvent =
  | { readonly kind: 'action'; readonly pipeline: string; readonly executionId: string; readonly stage: string; readonly action: string; readonly state: string; readonly category: string }
  | { readonly kind: 'execution'; readonly pipeline: string; readonly executionId: string; readonly state: string };

/** The stage that holds the whole release in every pipeline the construct builds. */
export const RELEASE_STAGE = 'Release';
export const ACTION_EVENT = 'CodePipeline Action Execution State Change';
export const EXECUTION_EVENT = 'CodePipeline Pipeline Execution State Change';
/** Execution states after which nothing more happens to it. */
export const FINAL_EXECUTION_STATES = new Set(['SUCCEEDED', 'FAILED', 'STOPPED', 'SUPERSEDED', 'CANCELED']);
/** Action states that end an action execution. */
export const FINAL_ACTION_STATES = new Set(['SUCCEEDED', 'FAILED', 'ABANDONED', 'CANCELED']);

export function isPipelineStateEvent(event: unknown): boolean {
  return isRecord(event) && event.source === 'aws.codepipeline';
}

export function parsePipelineStateEvent(event: unknown): PipelineStateEvent {
  if (!isRecord(event) || event.source !== 'aws.codepipeline' || !isRecord(event.detail)) {
    throw new InputError('The event is not a CodePipeline event from EventBridge (source aws.codepipeline with a detail object).');
  }
  const p = new FieldProblems(event);
  const pipeline = p.string('detail.pipeline');
  const executionId = p.string('detail.execution-id');
  const state = p.string('detail.state');
  const type = event['detail-type'];
  if (type === ACTION_EVENT) {
    const out = { kind: 'action' as const, pipeline, executionId, state, stage: p.string('detail.stage'), action: p.string('detail.action'), category: p.string('detail.type.category') };
    p.throwIfAny('The CodePipeline action event');
    return out;
  }
  if (type !== EXECUTION_EVENT) throw new InputError(`The CodePipeline event's detail-type must be "${ACTION_EVENT}" or "${EXECUTION_EVENT}".`);
  p.throwIfAny('The CodePipeline execution event');
  return { kind: 'execution', pipeline, executionId, state };
}

/** One action execution as ListActionExecutions reports it (the fields evidence keeps). */
export interface ObservedActionRecord {
  readonly actionExecutionId: string;
  readonly stageName: string;
  readonly actionName: string;
  readonly category: string;
  readonly status: string;
  readonly lastUpdateTime: string;
  readonly updatedBy: string | null;
  readonly summary: string | null;
  readonly externalExecutionId: string | null;
}

/**
 * The entry for a finished approval or test action, from CodePipeline's record of it (not from the
 * event, which says neither who nor why). null for an action evidence does not keep.
 */
export function actionEntry(record: ObservedActionRecord): ActionEntry | null {
  const kind = record.category === 'Approval' ? 'approval' : record.category === 'Test' || record.category === 'Build' ? 'tests' : null;
  if (kind === null || record.status === 'InProgress') return null;
  return {
    id: `${kind}:${record.actionExecutionId}`,
    kind,
    at: record.lastUpdateTime,
    action: record.actionName,
    status: record.status,
    by: record.updatedBy === null ? null : evidenceText(record.updatedBy),
    comment: evidenceText(record.summary),
    externalExecutionId: record.externalExecutionId,
  };
}
