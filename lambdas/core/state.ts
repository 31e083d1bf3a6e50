// The state record (SSM parameter /bluegreen/<pipelineName>/state): a derived, human-readable
// account of the last change. The routes stay the source of truth.
import { FieldProblems, InputError, SlotName, describe, isRecord, isSlotName } from './config';

/** `promote` and `abort` end a traffic shift early: all on the candidate now, or all back on the live slot. */
export type Operation = 'swap' | 'rollback' | 'promote' | 'abort';
const OPERATIONS: readonly Operation[] = ['swap', 'rollback', 'promote', 'abort'];

/**
 * A traffic shift under way, written before each of its route writes: the ALB is at `percent`, or
 * still at `fromPercent` when the step's write has not landed. So at every moment the record
 * knows the weights production may have, and which slot is live (the record's `liveSlot`, which
 * the shift moves traffic away from).
 */
export interface ShiftRecord {
  /** The pipeline execution whose approved Swap shifts production. */
  readonly executionId: string;
  readonly toSlot: SlotName;
  /** The approved digest the candidate runs. */
  readonly digest: string;
  readonly commit: string | null;
  /** The candidate's share of production after this step: 0 (back on the live slot) to 100 (all on the candidate). */
  readonly percent: number;
  /** Its share before this step. */
  readonly fromPercent: number;
  /** This step and the number of steps (the last one goes to 100%). */
  readonly step: number;
  readonly steps: number;
  /** When the shift began, and when this step was written. */
  readonly since: string;
  readonly at: string;
}

export interface HistoryEntry {
  readonly operation: Operation;
  readonly executionId: string;
  readonly fromSlot: SlotName;
  readonly toSlot: SlotName;
  readonly digest: string | null;
  readonly commit: string | null;
  readonly at: string;
  readonly by: string;
  readonly reason?: string;
}

export interface StateRecord {
  readonly schema: 2;
  readonly liveSlot: SlotName;
  readonly liveDigest: string | null;
  /** Digest the non-live slot runs (the rollback target). */
  readonly previousDigest: string | null;
  /**
   * The pipeline executions whose approved Swap released liveDigest and previousDigest. A rollback
   * proves its target was approved from CodePipeline's own record of that execution.
   */
  readonly liveReleaseId: string | null;
  readonly previousReleaseId: string | null;
  /** Pipeline execution id, or 'rollback:<requestId>'. */
  readonly lastExecutionId: string;
  readonly lastOperation: Operation;
  /** Commit of the live digest, when known. */
  readonly commit: string | null;
  readonly changedAt: string;
  /** Approver ARN (from ListActionExecutions) or rollback actor. */
  readonly changedBy: string;
  /** Newest first, at most MAX_HISTORY. */
  readonly history: readonly HistoryEntry[];
  /** Set while a traffic shift is under way (absent otherwise). */
  readonly shift?: ShiftRecord;
  /**
   * When `previousSlotRetention` scaled the non-live slot to zero (core/retire.ts); absent while it
   * is warm. Any move of production writes a new record without it.
   */
  readonly previousScaledDownAt?: string;
}

export const STATE_SCHEMA = 2;
/** Records written before releases carried their execution ids; read as "release unknown". */
const LEGACY_STATE_SCHEMA = 1;
export const MAX_HISTORY = 20;
/** SSM Standard tier parameter limit. */
export const MAX_STATE_BYTES = 4096;

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** What an absent record means: slot a live, nothing released. */
export function initialStateView(): Pick<StateRecord, 'liveSlot' | 'liveDigest' | 'previousDigest' | 'liveReleaseId' | 'previousReleaseId' | 'commit' | 'history'> {
  return { liveSlot: 'a', liveDigest: null, previousDigest: null, liveReleaseId: null, previousReleaseId: null, commit: null, history: [] };
}

export function rollbackExecutionId(requestId: string): string {
  return `rollback:${requestId}`;
}

/**
 * Parses the stored record. `undefined`/`null` (parameter absent) → null. Anything else that is not
 * a valid schema-1 record throws an InputError naming every problem.
 */
export function parseStateRecord(raw: string | null | undefined): StateRecord | null {
  if (raw === undefined || raw === null) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new InputError(`The state record is not valid JSON: ${(err as Error).message}.`);
  }
  if (!isRecord(doc)) throw new InputError(`The state record must be a JSON object (got ${describe(doc)}).`);
  const p = new FieldProblems(doc);
  if (doc.schema !== STATE_SCHEMA && doc.schema !== LEGACY_STATE_SCHEMA) p.add(`schema must be ${STATE_SCHEMA} (got ${describe(doc.schema)})`);
  const liveSlot = slotField(p, doc, 'liveSlot');
  const record: StateRecord = {
    schema: 2,
    liveSlot,
    liveDigest: digestField(p, doc, 'liveDigest'),
    previousDigest: digestField(p, doc, 'previousDigest'),
    liveReleaseId: nullableString(p, doc, 'liveReleaseId'),
    previousReleaseId: nullableString(p, doc, 'previousReleaseId'),
    lastExecutionId: p.string('lastExecutionId'),
    lastOperation: operationField(p, doc, 'lastOperation'),
    commit: nullableString(p, doc, 'commit'),
    changedAt: p.string('changedAt'),
    changedBy: p.string('changedBy'),
    history: historyField(p, doc.history),
    ...(doc.shift === undefined || doc.shift === null ? {} : { shift: shiftField(p, doc.shift) }),
    ...(doc.previousScaledDownAt === undefined ? {} : { previousScaledDownAt: timeField(p, 'previousScaledDownAt') }),
  };
  p.throwIfAny('The state record');
  return record;
}

function timeField(p: FieldProblems, key: string): string {
  const value = p.string(key);
  if (value !== '' && Number.isNaN(Date.parse(value))) p.add(`${key} must be an ISO-8601 time (got ${describe(value)})`);
  return value;
}

/**
 * Serialises the record for SSM, trimming history oldest-first (and to MAX_HISTORY) so the value
 * stays within MAX_STATE_BYTES. Throws only if the record without any history is still too large.
 */
export function serialiseStateRecord(record: StateRecord): string {
  let history = record.history.slice(0, MAX_HISTORY);
  for (;;) {
    const text = JSON.stringify({ ...record, history });
    if (Buffer.byteLength(text, 'utf8') <= MAX_STATE_BYTES) return text;
    if (history.length === 0) {
      throw new InputError(`The state record is ${Buffer.byteLength(text, 'utf8')} bytes without history, over the ${MAX_STATE_BYTES}-byte limit.`);
    }
    history = history.slice(0, -1);
  }
}

function slotField(p: FieldProblems, doc: Record<string, unknown>, key: string): SlotName {
  const value = doc[key];
  if (!isSlotName(value)) {
    p.add(`${key} must be "a" or "b" (got ${describe(value)})`);
    return 'a';
  }
  return value;
}

function digestField(p: FieldProblems, doc: Record<string, unknown>, key: string): string | null {
  const value = doc[key];
  if (value === null) return null;
  if (typeof value !== 'string' || !DIGEST_PATTERN.test(value)) {
    p.add(`${key} must be a sha256 digest or null (got ${describe(value)})`);
    return null;
  }
  return value;
}

function nullableString(p: FieldProblems, doc: Record<string, unknown>, key: string): string | null {
  const value = doc[key];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') {
    p.add(`${key} must be a string or null (got ${describe(value)})`);
    return null;
  }
  return value;
}

function operationField(p: FieldProblems, doc: Record<string, unknown>, key: string): Operation {
  const value = doc[key];
  if (!OPERATIONS.includes(value as Operation)) {
    p.add(`${key} must be one of ${OPERATIONS.map((o) => `"${o}"`).join(', ')} (got ${describe(value)})`);
    return 'swap';
  }
  return value as Operation;
}

function percentField(p: FieldProblems, doc: Record<string, unknown>, key: string): number {
  const value = doc[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    p.add(`shift.${key} must be a whole percent from 0 to 100 (got ${describe(value)})`);
    return 0;
  }
  return value;
}

function shiftField(p: FieldProblems, value: unknown): ShiftRecord {
  if (!isRecord(value)) {
    p.add(`shift must be an object or null (got ${describe(value)})`);
    return { executionId: '', toSlot: 'a', digest: '', commit: null, percent: 0, fromPercent: 0, step: 0, steps: 0, since: '', at: '' };
  }
  const sp = new FieldProblems({ shift: value });
  const digest = value.digest;
  if (typeof digest !== 'string' || !DIGEST_PATTERN.test(digest)) sp.add(`shift.digest must be a sha256 digest (got ${describe(digest)})`);
  if (!isSlotName(value.toSlot)) sp.add(`shift.toSlot must be "a" or "b" (got ${describe(value.toSlot)})`);
  const step = sp.integer('shift.step', 1, 100);
  const shift: ShiftRecord = {
    executionId: sp.string('shift.executionId'),
    toSlot: isSlotName(value.toSlot) ? value.toSlot : 'a',
    digest: typeof digest === 'string' ? digest : '',
    commit: typeof value.commit === 'string' ? value.commit : null,
    percent: percentField(sp, value, 'percent'),
    fromPercent: percentField(sp, value, 'fromPercent'),
    step,
    steps: sp.integer('shift.steps', step, 100),
    since: sp.string('shift.since'),
    at: sp.string('shift.at'),
  };
  try {
    sp.throwIfAny('shift');
  } catch (err) {
    p.add((err as Error).message.replace(/^shift is invalid: /, '').replace(/\.$/, ''));
  }
  return shift;
}

function historyField(p: FieldProblems, value: unknown): HistoryEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    p.add(`history must be an array (got ${describe(value)})`);
    return [];
  }
  const entries: HistoryEntry[] = [];
  value.forEach((item, i) => {
    if (!isRecord(item)) {
      p.add(`history[${i}] must be an object`);
      return;
    }
    const ip = new FieldProblems(item);
    const entry: HistoryEntry = {
      operation: operationField(ip, item, 'operation'),
      executionId: ip.string('executionId'),
      fromSlot: slotField(ip, item, 'fromSlot'),
      toSlot: slotField(ip, item, 'toSlot'),
      digest: digestField(ip, item, 'digest'),
      commit: nullableString(ip, item, 'commit'),
      at: ip.string('at'),
      by: ip.string('by'),
      ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
    };
    try {
      ip.throwIfAny(`history[${i}]`);
      entries.push(entry);
    } catch (err) {
      p.add((err as Error).message.replace(/\.$/, ''));
    }
  });
  return entries;
}

export interface StateChange {
  readonly operation: Operation;
  readonly executionId: string;
  readonly fromSlot: SlotName;
  readonly toSlot: SlotName;
  readonly liveDigest: string | null;
  readonly previousDigest: string | null;
  readonly liveReleaseId: string | null;
  readonly previousReleaseId: string | null;
  readonly commit: string | null;
  readonly at: string;
  readonly by: string;
  readonly reason?: string;
}

/** Free text from callers (actors, reasons) is kept short, so the record stays bounded whatever they send. */
export const MAX_RECORD_TEXT = 256;

export function clipText(text: string, max = MAX_RECORD_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The record after a change: the change on top, history newest first and at most MAX_HISTORY. */
export function nextStateRecord(previous: StateRecord | null, change: StateChange): StateRecord {
  const by = clipText(change.by);
  const entry: HistoryEntry = {
    operation: change.operation,
    executionId: change.executionId,
    fromSlot: change.fromSlot,
    toSlot: change.toSlot,
    digest: change.liveDigest,
    commit: change.commit === null ? null : clipText(change.commit),
    at: change.at,
    by,
    ...(change.reason !== undefined ? { reason: clipText(change.reason) } : {}),
  };
  return {
    schema: 2,
    liveSlot: change.toSlot,
    liveDigest: change.liveDigest,
    previousDigest: change.previousDigest,
    liveReleaseId: change.liveReleaseId,
    previousReleaseId: change.previousReleaseId,
    lastExecutionId: change.executionId,
    lastOperation: change.operation,
    commit: entry.commit,
    changedAt: change.at,
    changedBy: by,
    history: [entry, ...(previous?.history ?? [])].slice(0, MAX_HISTORY),
  };
}

/** The commit that produced `digest`, from the record or its history. */
export function commitOfDigest(record: StateRecord | null, digest: string | null): string | null {
  if (record === null || digest === null) return null;
  if (record.liveDigest === digest && record.commit !== null) return record.commit;
  return record.history.find((h) => h.digest === digest && h.commit !== null)?.commit ?? null;
}

/** True when the record shows `executionId` already applied (last change or in history). */
export function hasExecution(record: StateRecord | null, executionId: string): boolean {
  return record !== null && (record.lastExecutionId === executionId || record.history.some((h) => h.executionId === executionId));
}
