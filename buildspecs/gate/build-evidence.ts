// The build's own evidence record (what only the build knows: its id, the Trivy version and DB,
// the gate's policy and the allow-list entries that applied), uploaded by
// buildspecs/scripts/evidence.sh under the execution's key for the release stage to fold into the
// release's evidence document (lambdas/core/evidence.ts parses it). Never a secret: it is built
// only from the fields named here.
import type { BuildEvidence } from '../../lambdas/core/evidence';

export interface BuildEvidenceInput {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** gate-result.json: the gate's JSON result (`scan-gate --json`). */
  readonly gateResult: unknown;
  /** `trivy version --format json`: {"Version", "VulnerabilityDB": {"Version", "UpdatedAt", "NextUpdate", "DownloadedAt"}}. */
  readonly trivyVersion: unknown;
  readonly reportUri: string;
  readonly sbomUri: string;
}

const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Credentials in a repository URL (https://user:token@host/…) never reach the record. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export function composeBuildEvidence(input: BuildEvidenceInput): BuildEvidence {
  const { env } = input;
  const need = (name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw new Error(`${name} must be set`);
    return v;
  };
  const gate = record(input.gateResult);
  if (gate.verdict !== 'pass') throw new Error(`gate-result.json is not a passing gate result (verdict ${JSON.stringify(gate.verdict)})`);
  const policy = record(gate.policy);
  const trivy = record(input.trivyVersion);
  const db = record(trivy.VulnerabilityDB);
  const version = text(trivy.Version);
  if (version === null) throw new Error('`trivy version --format json` gave no Version');
  // One line per allow-list entry that accepted findings in this build, with how many.
  const applied = new Map<string, { id: string; reason: string; expires: string; findings: number }>();
  for (const a of Array.isArray(gate.allowed) ? gate.allowed : []) {
    const entry = record(record(a).allowEntry);
    const id = text(entry.id);
    if (id === null) continue;
    const seen = applied.get(id) ?? { id, reason: text(entry.reason) ?? '', expires: text(entry.expires) ?? '', findings: 0 };
    applied.set(id, { ...seen, findings: seen.findings + 1 });
  }
  const repository = text(env.BG_SOURCE_REPOSITORY);
  return {
    schema: 1,
    source: { repository: repository === null ? null : withoutCredentials(repository), branch: text(env.BG_SOURCE_BRANCH), commit: need('COMMIT') },
    buildId: need('CODEBUILD_BUILD_ID'),
    image: { uri: need('IMAGE_URI'), digest: need('IMAGE_DIGEST') },
    trivy: {
      version,
      db: {
        version: typeof db.Version === 'number' ? db.Version : null,
        updatedAt: text(db.UpdatedAt),
        nextUpdate: text(db.NextUpdate),
        downloadedAt: text(db.DownloadedAt),
      },
    },
    policy: { failOn: text(policy.failOn) ?? need('GATE_FAIL_ON'), ignoreUnfixed: policy.ignoreUnfixed === true, allowEmptyScan: policy.allowEmptyScan === true },
    scan: { summary: need('SCAN_SUMMARY'), report: input.reportUri, sbom: input.sbomUri },
    allowList: [...applied.values()],
  };
}
