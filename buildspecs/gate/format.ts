// Renderings of a gate result: the one-line approval summary, Markdown for the build log, JUnit
// XML for a CodeBuild report group, and JSON for machines.
import { AllowEntry } from './allow-list';
import { GateResult } from './evaluate';
import { Finding, Severity, severityRank } from './report';

/** CodePipeline variables and the approval message need a short line. */
export const SUMMARY_MAX_CHARS = 200;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Leads the summary when Trivy scanned nothing, so that neither the log nor the approver misses it. */
function emptyScanLabel(result: GateResult): string | undefined {
  if (!result.emptyScan) return undefined;
  return result.emptyScan.allowed ? 'EMPTY SCAN (allowed): Trivy found no OS or packages' : 'NOT SCANNED: Trivy found no OS or packages';
}

/**
 * e.g. "0 critical, 2 high (1 fixable), 14 medium; 0 secrets". Fixable counts are shown for the
 * severities the policy fails on; low and unknown only when present. A scan of nothing leads with
 * "NOT SCANNED: …", or "EMPTY SCAN (allowed): …" when the policy lets it pass.
 */
export function summaryLine(result: GateResult): string {
  const v = result.counts.vulnerabilities;
  const threshold = severityRank(result.policy.failOn);
  const vuln = (s: Severity): string => {
    const { total, fixable } = v[s];
    const fix = total > 0 && severityRank(s) >= threshold ? ` (${fixable} fixable)` : '';
    return `${total} ${s.toLowerCase()}${fix}`;
  };
  const severities: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM'];
  if (v.LOW.total > 0) severities.push('LOW');
  if (v.UNKNOWN.total > 0) severities.push('UNKNOWN');

  const label = emptyScanLabel(result);
  const parts = [...(label ? [label] : []), severities.map(vuln).join(', '), plural(result.counts.secrets, 'secret')];
  const misconfigs = Object.values(result.counts.misconfigurations).reduce((a, b) => a + b, 0);
  if (misconfigs > 0) parts.push(plural(misconfigs, 'misconfiguration'));
  if (result.allowed.length > 0) parts.push(`${result.allowed.length} allow-listed`);
  if (result.expiredAllowEntries.length > 0) {
    parts.push(plural(result.expiredAllowEntries.length, 'expired allow-list entry', 'expired allow-list entries'));
  }
  if (result.newSinceLive) parts.push(`${result.newSinceLive.length} new since live`);
  return clip(parts.join('; '), SUMMARY_MAX_CHARS);
}

export function policyLine(result: GateResult): string {
  const unfixed = result.policy.ignoreUnfixed ? 'vulnerabilities with no fix ignored' : 'unfixed vulnerabilities count';
  const empty = result.policy.allowEmptyScan ? 'a scan of nothing is allowed' : 'a scan of nothing fails';
  return `fail on ${result.policy.failOn} and above; ${unfixed}; any secret fails; ${empty}`;
}

/** The package (or file and line) a finding is about, for people. */
export function findingSubject(f: Finding): string {
  if (f.kind === 'vulnerability') {
    const version = f.installedVersion ? `@${f.installedVersion}` : '';
    return `${f.pkgName}${version}${f.pkgPath ? ` (${f.pkgPath})` : ''}`;
  }
  if (f.kind === 'secret') return f.line !== undefined ? `${f.target}:${f.line}` : f.target;
  return f.target;
}

function fixText(f: Finding): string {
  if (f.kind !== 'vulnerability') return '';
  if (f.fixedVersion) return f.fixedVersion;
  return f.fixable ? 'fixed' : `no fix${f.status ? ` (${f.status})` : ''}`;
}

// ---------------------------------------------------------------------------------- Markdown

const MARKDOWN_ROWS = 50;

function cell(text: string | undefined): string {
  return clip((text ?? '').replace(/[\r\n\t]+/g, ' ').replace(/([\\|`*_<>[\]])/g, '\\$1'), 120);
}

function findingTable(rows: readonly { finding: Finding; note?: string }[]): string[] {
  const lines = ['| Kind | ID | Severity | Package / location | Fix | Note |', '| --- | --- | --- | --- | --- | --- |'];
  for (const { finding: f, note } of rows.slice(0, MARKDOWN_ROWS)) {
    lines.push(`| ${f.kind} | ${cell(f.id)} | ${f.severity} | ${cell(findingSubject(f))} | ${cell(fixText(f))} | ${cell(note)} |`);
  }
  if (rows.length > MARKDOWN_ROWS) lines.push('', `…and ${rows.length - MARKDOWN_ROWS} more (see the JSON result).`);
  return lines;
}

function entryList(entries: readonly AllowEntry[], verb: string): string[] {
  return entries.map((e) => `- ${cell(e.id)}: ${verb} ${e.expires}. ${cell(e.reason)}`);
}

export function markdown(result: GateResult): string {
  const c = result.counts;
  const out: string[] = [
    `## Trivy scan gate: ${result.verdict === 'pass' ? 'PASS' : 'FAIL'}`,
    '',
    `**${summaryLine(result)}**`,
    '',
    ...(result.emptyScan
      ? [`${result.emptyScan.allowed ? 'Allowed by --allow-empty-scan' : 'Fails'}: ${cell(result.emptyScan.reason)}.`, '']
      : []),
    `Policy: ${policyLine(result)}.${result.artifactName ? ` Artifact: \`${cell(result.artifactName)}\`.` : ''}`,
    '',
    '| Severity | Vulnerabilities | Fixable | Misconfigurations |',
    '| --- | --- | --- | --- |',
  ];
  for (const s of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const) {
    out.push(`| ${s} | ${c.vulnerabilities[s].total} | ${c.vulnerabilities[s].fixable} | ${c.misconfigurations[s]} |`);
  }
  out.push('', `Secrets: ${c.secrets}`);

  const section = (title: string, body: string[]): void => {
    if (body.length > 0) out.push('', `### ${title}`, '', ...body);
  };
  section(
    `Violations (${result.violations.length})`,
    result.violations.length === 0
      ? []
      : findingTable(
          result.violations.map((v) => ({
            finding: v.finding,
            note: v.expiredEntry ? `allow-list entry expired ${v.expiredEntry.expires}` : undefined,
          })),
        ),
  );
  section(
    `Allow-listed (${result.allowed.length})`,
    result.allowed.length === 0
      ? []
      : findingTable(result.allowed.map((a) => ({ finding: a.finding, note: `until ${a.entry.expires}: ${a.entry.reason}` }))),
  );
  section(`Expired allow-list entries (${result.expiredAllowEntries.length})`, entryList(result.expiredAllowEntries, 'expired'));
  section(`Unused allow-list entries (${result.unusedAllowEntries.length})`, entryList(result.unusedAllowEntries, 'expires'));
  if (result.unfixedIgnored.length > 0) {
    const n = result.unfixedIgnored.length;
    out.push('', `${plural(n, 'vulnerability', 'vulnerabilities')} at or above ${result.policy.failOn} with no fix available ${n === 1 ? 'was' : 'were'} ignored.`);
  }
  if (result.newSinceLive) {
    section(
      `New since live (${result.newSinceLive.length})`,
      result.newSinceLive.length === 0 ? ['None.'] : findingTable(result.newSinceLive.map((finding) => ({ finding }))),
    );
  }
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------- JUnit XML

// Characters XML 1.0 cannot carry at all, even escaped (controls, lone surrogates, U+FFFE/FFFF).
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlEscape(text: string): string {
  return text
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

interface Case {
  readonly name: string;
  readonly classname: string;
  readonly failure?: { readonly message: string; readonly type: string; readonly body?: string };
  readonly error?: string;
  readonly skipped?: string;
}

function caseXml(c: Case): string {
  const open = `    <testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}" time="0"`;
  if (c.failure) {
    const body = xmlEscape(c.failure.body ?? '');
    return `${open}>\n      <failure message="${xmlEscape(c.failure.message)}" type="${xmlEscape(c.failure.type)}">${body}</failure>\n    </testcase>`;
  }
  if (c.error) return `${open}>\n      <error message="${xmlEscape(c.error)}" type="unusable-input"/>\n    </testcase>`;
  if (c.skipped) return `${open}>\n      <skipped message="${xmlEscape(c.skipped)}"/>\n    </testcase>`;
  return `${open}/>`;
}

function junitDocument(suites: ReadonlyMap<string, readonly Case[]>): string {
  const count = (cases: readonly Case[]) => ({
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => c.error).length,
    skipped: cases.filter((c) => c.skipped).length,
  });
  const all = [...suites.values()].flat();
  const total = count(all);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="trivy-scan-gate" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}">`,
  ];
  for (const [name, cases] of suites) {
    const n = count(cases);
    out.push(
      `  <testsuite name="${xmlEscape(name)}" tests="${n.tests}" failures="${n.failures}" errors="${n.errors}" skipped="${n.skipped}" time="0">`,
      ...cases.map(caseXml),
      '  </testsuite>',
    );
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

function findingCaseName(f: Finding): string {
  return `${f.id} ${findingSubject(f)} [${f.severity}]`;
}

function findingDetail(f: Finding): string {
  return [f.title, f.kind === 'vulnerability' ? `fix: ${fixText(f)}` : undefined].filter(Boolean).join('\n');
}

/** One suite for the policy verdict, then one per Trivy target with the findings that matter. */
export function junit(result: GateResult): string {
  const policyCases: Case[] = [
    {
      classname: 'scan-gate',
      name: `policy: ${policyLine(result)}`,
      failure:
        result.violations.length > 0
          ? { message: `${result.violations.length} finding(s) violate the policy: ${summaryLine(result)}`, type: 'policy' }
          : undefined,
    },
    ...(result.emptyScan
      ? [
          {
            classname: 'scan-gate',
            name: 'Trivy scanned the image',
            ...(result.emptyScan.allowed
              ? { skipped: `allowed by --allow-empty-scan: ${result.emptyScan.reason}` }
              : { failure: { message: result.emptyScan.reason, type: 'empty-scan' } }),
          },
        ]
      : []),
    ...result.expiredAllowEntries.map((e) => ({
      classname: 'scan-gate.allow-list',
      name: `allow-list entry ${e.id}`,
      skipped: `expired ${e.expires}; no longer applies (${e.reason})`,
    })),
  ];
  const suites = new Map<string, Case[]>([['scan-gate', policyCases]]);
  const add = (f: Finding, c: Omit<Case, 'name' | 'classname'>): void => {
    const cases = suites.get(f.target) ?? [];
    if (cases.length === 0) suites.set(f.target, cases);
    cases.push({ classname: f.target, name: findingCaseName(f), ...c });
  };
  for (const v of result.violations) {
    const expired = v.expiredEntry ? ` (allow-list entry expired ${v.expiredEntry.expires})` : '';
    add(v.finding, {
      failure: { message: `${v.finding.severity} ${v.finding.kind}${expired}`, type: v.finding.kind, body: findingDetail(v.finding) },
    });
  }
  for (const a of result.allowed) add(a.finding, { skipped: `allow-listed until ${a.entry.expires}: ${a.entry.reason}` });
  for (const f of result.unfixedIgnored) add(f, { skipped: 'no fix available (ignore-unfixed)' });
  return junitDocument(suites);
}

/** JUnit for an unusable input: one errored test, so the report group shows why. */
export function junitError(reason: string): string {
  return junitDocument(new Map([['scan-gate', [{ classname: 'scan-gate', name: 'inputs are usable', error: reason }]]]));
}

// ---------------------------------------------------------------------------------- JSON

function findingJson(f: Finding): Record<string, unknown> {
  const { key: _key, aliases, ...rest } = f;
  return aliases.length > 0 ? { ...rest, aliases } : rest;
}

export function jsonResult(result: GateResult): Record<string, unknown> {
  return {
    verdict: result.verdict,
    exitCode: result.exitCode,
    summary: summaryLine(result),
    policy: result.policy,
    artifactName: result.artifactName,
    counts: result.counts,
    violations: result.violations.map((v) => ({
      ...findingJson(v.finding),
      ...(v.expiredEntry ? { expiredAllowEntry: v.expiredEntry } : {}),
    })),
    allowed: result.allowed.map((a) => ({ ...findingJson(a.finding), allowEntry: a.entry })),
    unfixedIgnored: result.unfixedIgnored.map(findingJson),
    expiredAllowEntries: result.expiredAllowEntries,
    unusedAllowEntries: result.unusedAllowEntries,
    newSinceLive: result.newSinceLive ? result.newSinceLive.map(findingJson) : null,
    emptyScan: result.emptyScan ?? null,
  };
}

export function jsonError(reason: string): Record<string, unknown> {
  return { verdict: 'error', exitCode: 2, reason };
}
