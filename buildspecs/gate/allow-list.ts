// Allow-list of finding IDs, each with an expiry date and a reason. Strict on purpose: a typo in
// a field name must not silently turn into "allowed forever" or "never allowed".
import { parseJsonDocument, quote, UnusableInputError } from './report';

export interface AllowEntry {
  /** A VulnerabilityID, secret RuleID, or misconfiguration ID / AVDID. */
  readonly id: string;
  /** Last day (UTC, YYYY-MM-DD) on which the entry applies. */
  readonly expires: string;
  /** Why the finding is accepted; shown in the build log and the JUnit report. */
  readonly reason: string;
}

export interface AllowList {
  readonly entries: readonly AllowEntry[];
}

const ENTRY_KEYS = new Set(['id', 'expires', 'reason']);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function fail(message: string): never {
  throw new UnusableInputError(message);
}

/**
 * Reads `{"entries": [{"id": "CVE-…", "expires": "2026-06-30", "reason": "…"}]}`.
 * Unknown fields, missing fields, bad dates and duplicate IDs are refused (exit code 2).
 */
export function parseAllowList(input: string | Uint8Array): AllowList {
  const doc = parseJsonDocument(input, 'allow-list');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    fail('allow-list must be a JSON object with an "entries" array');
  }
  const extra = Object.keys(doc).filter((k) => k !== 'entries');
  if (extra.length > 0) fail(`allow-list: unknown field ${quote(extra[0])} (only "entries" is allowed)`);
  const entries = (doc as Record<string, unknown>).entries;
  if (!Array.isArray(entries)) fail('allow-list: "entries" must be an array');

  const seen = new Set<string>();
  const out: AllowEntry[] = [];
  entries.forEach((raw: unknown, i: number) => {
    const path = `allow-list entries[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${path}: expected an object`);
    const entry = raw as Record<string, unknown>;
    const unknown = Object.keys(entry).find((k) => !ENTRY_KEYS.has(k));
    if (unknown !== undefined) fail(`${path}: unknown field ${quote(unknown)} (expected id, expires, reason)`);
    for (const key of ENTRY_KEYS) {
      const value = entry[key];
      if (typeof value !== 'string' || value.trim() === '') fail(`${path}.${key}: a non-empty string is required`);
    }
    const id = (entry.id as string).trim();
    const expires = entry.expires as string;
    if (!isCalendarDate(expires)) fail(`${path}.expires: ${quote(expires)} is not a date in the form YYYY-MM-DD`);
    if (seen.has(id)) fail(`${path}: duplicate id ${quote(id)}`);
    seen.add(id);
    out.push({ id, expires, reason: (entry.reason as string).trim() });
  });
  return { entries: out };
}

/** An entry applies through the end of its expiry day (UTC) and stops applying after it. */
export function isExpired(entry: AllowEntry, now: Date): boolean {
  return now.toISOString().slice(0, 10) > entry.expires;
}
