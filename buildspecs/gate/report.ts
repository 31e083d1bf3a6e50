// Typed reader for Trivy JSON reports (SchemaVersion 2). Fails closed: anything it cannot read
// with certainty raises UnusableInputError (exit code 2), never a pass.

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

// Trivy's own order: UNKNOWN ranks below LOW. A Map, not an object, so that "__proto__" or
// "toString" in a hostile report can never look like a known severity.
const RANK = new Map<string, number>([
  ['UNKNOWN', 0],
  ['LOW', 1],
  ['MEDIUM', 2],
  ['HIGH', 3],
  ['CRITICAL', 4],
]);

export function severityRank(severity: Severity): number {
  return RANK.get(severity) as number;
}

export function isSeverity(value: string): value is Severity {
  return RANK.has(value);
}

export type FindingKind = 'vulnerability' | 'secret' | 'misconfiguration';

export interface Finding {
  readonly kind: FindingKind;
  /** VulnerabilityID, secret RuleID, or misconfiguration ID. */
  readonly id: string;
  /** Other IDs the allow-list may use for the same finding (a misconfiguration's AVDID). */
  readonly aliases: readonly string[];
  readonly severity: Severity;
  /** The Trivy result the finding belongs to. */
  readonly target: string;
  readonly resultClass?: string;
  readonly resultType?: string;
  readonly title?: string;
  readonly pkgName?: string;
  readonly pkgPath?: string;
  readonly installedVersion?: string;
  readonly fixedVersion?: string;
  readonly status?: string;
  /** Vulnerabilities only: a fix is available (Status and FixedVersion decide). */
  readonly fixable: boolean;
  /** Secrets: line where the match starts. */
  readonly line?: number;
  /** Identity across images, for baseline comparison. */
  readonly key: string;
}

/** One entry of the report's `Results`: what Trivy looked at, with or without findings. */
export interface ReportTarget {
  readonly target: string;
  /** `os-pkgs`, `lang-pkgs`, `config`, `secret`, `license`, `custom`… */
  readonly resultClass?: string;
  /** The OS family, package ecosystem or config type. */
  readonly resultType?: string;
}

export interface TrivyReport {
  readonly schemaVersion: 2;
  readonly artifactName?: string;
  readonly artifactType?: string;
  /** Every result in the report, in order; empty when `Results` is absent, null or `[]`. */
  readonly targets: readonly ReportTarget[];
  readonly findings: readonly Finding[];
}

/** Input the gate cannot use: a report, baseline or allow-list. Exit code 2. */
export class UnusableInputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UnusableInputError';
  }
}

/** Largest report read; a bigger file is refused rather than risking the build host. */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

const NOT_FIXABLE_STATUSES = new Set([
  'affected',
  'will_not_fix',
  'fix_deferred',
  'end_of_life',
  'under_investigation',
  'not_affected',
]);

/**
 * A fix is available when Trivy says `fixed`; a status that says there is none wins over a stray
 * FixedVersion; with no status (older reports, language packages) or `unknown`, FixedVersion decides.
 */
export function isFixable(status: string | undefined, fixedVersion: string | undefined): boolean {
  if (status === 'fixed') return true;
  if (status !== undefined && NOT_FIXABLE_STATUSES.has(status)) return false;
  return fixedVersion !== undefined && fixedVersion.trim() !== '';
}

/** A short, single-line, quoted rendering of untrusted text for an error message. */
export function quote(value: unknown, max = 60): string {
  // Not String(value): a report value like [{"toString":0}] makes String() throw a TypeError.
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `a string ${quote(value, 30)}`;
  return `a ${typeof value} (${quote(value, 30)})`;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wrongType(path: string, expected: string, value: unknown): UnusableInputError {
  return new UnusableInputError(`${path}: expected ${expected}, got ${describeType(value)}`);
}

function optString(obj: Json, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(`${path}.${key}`, 'a string', value);
  return value;
}

function reqString(obj: Json, key: string, path: string): string {
  const value = optString(obj, key, path);
  if (value === undefined || value.trim() === '') {
    throw new UnusableInputError(`${path}.${key}: missing (a non-empty string is required)`);
  }
  return value;
}

function optNumber(obj: Json, key: string, path: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw wrongType(`${path}.${key}`, 'a number', value);
  return value;
}

function reqSeverity(obj: Json, path: string): Severity {
  const value = obj.Severity;
  if (value === undefined || value === null) {
    throw new UnusableInputError(`${path}.Severity: missing`);
  }
  if (typeof value !== 'string') throw wrongType(`${path}.Severity`, 'a string', value);
  if (!isSeverity(value)) {
    throw new UnusableInputError(
      `${path}.Severity: unknown severity ${quote(value)} (expected ${SEVERITIES.join(', ')})`,
    );
  }
  return value;
}

/** A list that Trivy may omit or write as null; anything else but an array is a wrong type. */
function optList(obj: Json, key: string, path: string): readonly unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw wrongType(`${path}.${key}`, 'an array', value);
  return value;
}

function element(list: readonly unknown[], i: number, path: string): Json {
  const value = list[i];
  if (!isObject(value)) throw wrongType(`${path}[${i}]`, 'an object', value);
  return value;
}

const SEP = '\u0000';

function readVulnerability(v: Json, path: string, ctx: ReportTarget): Finding {
  const id = reqString(v, 'VulnerabilityID', path);
  const pkgName = reqString(v, 'PkgName', path);
  const severity = reqSeverity(v, path);
  const pkgPath = optString(v, 'PkgPath', path);
  const installedVersion = optString(v, 'InstalledVersion', path);
  const fixedVersion = optString(v, 'FixedVersion', path);
  const status = optString(v, 'Status', path);
  const title = optString(v, 'Title', path);
  // OS package targets carry the image name and OS version, which change between releases;
  // the OS family (Type) identifies the package set instead.
  const where = ctx.resultClass === 'os-pkgs' ? (ctx.resultType ?? '') : ctx.target;
  return {
    kind: 'vulnerability',
    id,
    aliases: [],
    severity,
    ...ctx,
    title,
    pkgName,
    pkgPath,
    installedVersion,
    fixedVersion,
    status,
    fixable: isFixable(status, fixedVersion),
    key: ['vulnerability', id, pkgName, pkgPath ?? '', where].join(SEP),
  };
}

function readSecret(s: Json, path: string, ctx: ReportTarget): Finding {
  const id = reqString(s, 'RuleID', path);
  const severity = reqSeverity(s, path);
  const title = optString(s, 'Title', path);
  const match = optString(s, 'Match', path);
  const line = optNumber(s, 'StartLine', path);
  return {
    kind: 'secret',
    id,
    aliases: [],
    severity,
    ...ctx,
    title,
    line,
    fixable: false,
    key: ['secret', id, ctx.target, match ?? ''].join(SEP),
  };
}

// Trivy lists passed checks only with --include-non-failures; they are not findings.
const NON_FAILURE_STATUSES = new Set(['PASS', 'EXCEPTION']);

function readMisconfiguration(m: Json, path: string, ctx: ReportTarget): Finding | undefined {
  const id = reqString(m, 'ID', path);
  const avdId = optString(m, 'AVDID', path);
  const severity = reqSeverity(m, path);
  const title = optString(m, 'Title', path);
  const status = optString(m, 'Status', path);
  if (status !== undefined && NON_FAILURE_STATUSES.has(status)) return undefined;
  return {
    kind: 'misconfiguration',
    id,
    aliases: avdId !== undefined && avdId !== id ? [avdId] : [],
    severity,
    ...ctx,
    title,
    status,
    fixable: false,
    key: ['misconfiguration', id, ctx.target].join(SEP),
  };
}

function decode(input: string | Uint8Array): string {
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseJson(text: string, what: string): unknown {
  const start = text.search(/\S/);
  if (start < 0) throw new UnusableInputError(`${what} is empty`);
  try {
    return JSON.parse(text);
  } catch (err) {
    const first = text[start];
    if (first === '{' || first === '[') {
      const detail = err instanceof Error ? err.message : String(err);
      throw new UnusableInputError(`${what} is not valid JSON (truncated or corrupt): ${quote(detail, 120)}`);
    }
    const firstLine = text.slice(start).split(/\r?\n/, 1)[0];
    throw new UnusableInputError(`${what} is not JSON; it starts with ${quote(firstLine)}`);
  }
}

/** Parses a JSON document or throws UnusableInputError with a one-line reason. */
export function parseJsonDocument(input: string | Uint8Array, what: string): unknown {
  return parseJson(decode(input), what);
}

/**
 * Reads a Trivy JSON report. Accepts only SchemaVersion 2; Results, Vulnerabilities, Secrets and
 * Misconfigurations may be absent or null (whether a report that lists no result may pass is the
 * gate's decision, not the parser's). Every field the gate relies on is type-checked.
 */
export function parseTrivyReport(input: string | Uint8Array): TrivyReport {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_REPORT_BYTES) {
    throw new UnusableInputError(`report is ${Math.ceil(size / 1048576)} MiB, over the ${MAX_REPORT_BYTES / 1048576} MiB limit`);
  }
  const doc = parseJsonDocument(input, 'report');
  if (Array.isArray(doc)) {
    throw new UnusableInputError(
      "report is a JSON array, Trivy's pre-v2 format; a report with SchemaVersion 2 is required (Trivy 0.20 or later)",
    );
  }
  if (!isObject(doc)) throw wrongType('report', 'a JSON object', doc);
  if (doc.SchemaVersion === undefined || doc.SchemaVersion === null) {
    throw new UnusableInputError('report has no SchemaVersion; only SchemaVersion 2 is supported');
  }
  if (doc.SchemaVersion !== 2) {
    throw new UnusableInputError(`unsupported SchemaVersion ${quote(doc.SchemaVersion)}; only SchemaVersion 2 is supported`);
  }
  const artifactName = optString(doc, 'ArtifactName', 'report');
  const artifactType = optString(doc, 'ArtifactType', 'report');

  const targets: ReportTarget[] = [];
  const findings: Finding[] = [];
  const results = optList(doc, 'Results', 'report');
  for (let r = 0; r < results.length; r++) {
    const rPath = `Results[${r}]`;
    const result = element(results, r, 'Results');
    const ctx: ReportTarget = {
      // Custom-class results (e.g. spring4shell's) have an empty Target.
      target: optString(result, 'Target', rPath) ?? '',
      resultClass: optString(result, 'Class', rPath),
      resultType: optString(result, 'Type', rPath),
    };
    targets.push(ctx);
    const vulns = optList(result, 'Vulnerabilities', rPath);
    for (let i = 0; i < vulns.length; i++) {
      const path = `${rPath}.Vulnerabilities[${i}]`;
      findings.push(readVulnerability(element(vulns, i, `${rPath}.Vulnerabilities`), path, ctx));
    }
    const secrets = optList(result, 'Secrets', rPath);
    for (let i = 0; i < secrets.length; i++) {
      const path = `${rPath}.Secrets[${i}]`;
      findings.push(readSecret(element(secrets, i, `${rPath}.Secrets`), path, ctx));
    }
    const misconfs = optList(result, 'Misconfigurations', rPath);
    for (let i = 0; i < misconfs.length; i++) {
      const path = `${rPath}.Misconfigurations[${i}]`;
      const finding = readMisconfiguration(element(misconfs, i, `${rPath}.Misconfigurations`), path, ctx);
      if (finding) findings.push(finding);
    }
  }
  return { schemaVersion: 2, artifactName, artifactType, targets, findings };
}
