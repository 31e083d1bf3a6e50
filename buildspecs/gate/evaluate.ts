// The gate's decision: a pure function of a parsed report, a policy, an allow-list and an
// optional baseline (the live image's report).
import { AllowEntry, AllowList, isExpired } from './allow-list';
import { Finding, SEVERITIES, Severity, severityRank, TrivyReport } from './report';

/** Severities a policy can fail on (UNKNOWN ranks below LOW, as in Trivy). */
export const THRESHOLDS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type Threshold = (typeof THRESHOLDS)[number];

export interface GatePolicy {
  /** Vulnerabilities and misconfigurations at or above this severity fail the gate. */
  readonly failOn: Threshold;
  /** Drop vulnerabilities with no fix available before judging them. */
  readonly ignoreUnfixed: boolean;
  /**
   * Pass a report in which Trivy scanned nothing (see `unscannedReason`). Only for an image that
   * really has nothing to scan: with it, an image Trivy cannot read passes with no findings.
   * @default false
   */
  readonly allowEmptyScan?: boolean;
}

export const DEFAULT_POLICY: GatePolicy = { failOn: 'HIGH', ignoreUnfixed: false };

export interface GateOptions {
  readonly allowList?: AllowList;
  /** The live image's report: findings not in it are "new since live". */
  readonly baseline?: TrivyReport;
  /** Clock for allow-list expiry. */
  readonly now?: Date;
}

export interface Violation {
  readonly finding: Finding;
  /** An allow-list entry for this finding that has expired and so no longer applies. */
  readonly expiredEntry?: AllowEntry;
}

export interface AllowedFinding {
  readonly finding: Finding;
  readonly entry: AllowEntry;
}

export interface FindingCounts {
  /** Every vulnerability in the report, by severity, with how many have a fix available. */
  readonly vulnerabilities: Readonly<Record<Severity, { readonly total: number; readonly fixable: number }>>;
  readonly secrets: number;
  /** Failed misconfiguration checks, by severity. */
  readonly misconfigurations: Readonly<Record<Severity, number>>;
}

/** Trivy scanned nothing: why, and whether the policy lets that pass. */
export interface EmptyScan {
  readonly reason: string;
  readonly allowed: boolean;
}

export interface GateResult {
  readonly verdict: 'pass' | 'fail';
  readonly exitCode: 0 | 1;
  readonly policy: GatePolicy;
  readonly artifactName?: string;
  readonly counts: FindingCounts;
  readonly violations: readonly Violation[];
  /** Findings that would have failed the gate but an active allow-list entry accepts. */
  readonly allowed: readonly AllowedFinding[];
  /** Vulnerabilities at or above the threshold dropped by ignoreUnfixed. */
  readonly unfixedIgnored: readonly Finding[];
  readonly expiredAllowEntries: readonly AllowEntry[];
  /** Active entries that matched no finding at or above the threshold. */
  readonly unusedAllowEntries: readonly AllowEntry[];
  /** Present only in baseline mode. */
  readonly newSinceLive?: readonly Finding[];
  /** Present only when Trivy scanned nothing; it fails the gate unless allowed. */
  readonly emptyScan?: EmptyScan;
}

// Artifacts whose contents are an OS and packages: a report on one that lists neither did not scan it.
const PACKAGED_ARTIFACTS = new Set(['container_image', 'vm']);
const PACKAGE_CLASSES = new Set(['os-pkgs', 'lang-pkgs']);

/**
 * Why a report shows that Trivy scanned nothing, or undefined when it scanned something.
 *
 * Trivy writes an `os-pkgs` result whenever it detects the OS, even with no vulnerability, and a
 * `lang-pkgs` result for each set of language packages; when it finds neither, it leaves
 * `Results` out altogether. An image scan also gets a `config` result for the image's build
 * history from `--image-config-scanners misconfig`, with or without failed checks, so for an image
 * (or VM) only an OS or language-package result shows that its contents were scanned. Other
 * artifacts (a repository scanned for IaC or secrets) need at least one result.
 */
export function unscannedReason(report: TrivyReport): string | undefined {
  if (report.targets.length === 0) {
    return 'the report has no scanned target (no Results): Trivy found no OS and no packages, so the image was not scanned';
  }
  if (!PACKAGED_ARTIFACTS.has(report.artifactType ?? '')) return undefined;
  if (report.targets.some((t) => PACKAGE_CLASSES.has(t.resultClass ?? ''))) return undefined;
  const classes = [...new Set(report.targets.map((t) => t.resultClass ?? 'unclassified'))].join(', ');
  return `the report has no OS or language-package result (only ${classes}): Trivy found no OS and no packages, so the image was not scanned for vulnerabilities`;
}

function severityTable<T>(make: () => T): Record<Severity, T> {
  const table = {} as Record<Severity, T>;
  for (const s of SEVERITIES) table[s] = make();
  return table;
}

export function evaluate(report: TrivyReport, policy: GatePolicy, options: GateOptions = {}): GateResult {
  const now = options.now ?? new Date();
  const threshold = severityRank(policy.failOn);
  const active = new Map<string, AllowEntry>();
  const expired = new Map<string, AllowEntry>();
  for (const entry of options.allowList?.entries ?? []) {
    (isExpired(entry, now) ? expired : active).set(entry.id, entry);
  }
  const lookup = (map: Map<string, AllowEntry>, f: Finding): AllowEntry | undefined =>
    map.get(f.id) ?? f.aliases.map((a) => map.get(a)).find((e) => e !== undefined);

  const vulnerabilities = severityTable(() => ({ total: 0, fixable: 0 }));
  const misconfigurations = severityTable(() => 0);
  let secrets = 0;
  const violations: Violation[] = [];
  const allowed: AllowedFinding[] = [];
  const unfixedIgnored: Finding[] = [];
  const used = new Set<AllowEntry>();

  for (const f of report.findings) {
    if (f.kind === 'vulnerability') {
      const c = vulnerabilities[f.severity];
      c.total++;
      if (f.fixable) c.fixable++;
    } else if (f.kind === 'secret') {
      secrets++;
    } else {
      misconfigurations[f.severity]++;
    }

    // Any secret fails; vulnerabilities and misconfigurations fail from the threshold up.
    if (f.kind !== 'secret' && severityRank(f.severity) < threshold) continue;
    if (f.kind === 'vulnerability' && policy.ignoreUnfixed && !f.fixable) {
      unfixedIgnored.push(f);
      continue;
    }
    const entry = lookup(active, f);
    if (entry) {
      used.add(entry);
      allowed.push({ finding: f, entry });
      continue;
    }
    const expiredEntry = lookup(expired, f);
    violations.push(expiredEntry ? { finding: f, expiredEntry } : { finding: f });
  }

  let newSinceLive: Finding[] | undefined;
  if (options.baseline) {
    const live = new Set(options.baseline.findings.map((f) => f.key));
    newSinceLive = report.findings.filter((f) => !live.has(f.key));
  }

  const unscanned = unscannedReason(report);
  const emptyScan = unscanned === undefined ? undefined : { reason: unscanned, allowed: policy.allowEmptyScan === true };
  const failed = violations.length > 0 || (emptyScan !== undefined && !emptyScan.allowed);
  return {
    verdict: failed ? 'fail' : 'pass',
    exitCode: failed ? 1 : 0,
    policy,
    artifactName: report.artifactName,
    counts: { vulnerabilities, secrets, misconfigurations },
    violations,
    allowed,
    unfixedIgnored,
    expiredAllowEntries: [...expired.values()],
    unusedAllowEntries: [...active.values()].filter((e) => !used.has(e)),
    ...(newSinceLive ? { newSinceLive } : {}),
    ...(emptyScan ? { emptyScan } : {}),
  };
}
