// Every real Trivy report in test/fixtures/trivy, with counts and verdicts worked out
// independently of the parser (with jq over the raw JSON) and written down here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, GatePolicy, parseTrivyReport, summaryLine, TrivyReport, unscannedReason } from '../../../buildspecs/gate';
import { FIXTURES } from '../codebuild-harness';

type Row = [
  // vulnerabilities by severity: total / fixable
  c: number, cf: number, h: number, hf: number, m: number, mf: number, l: number, lf: number, u: number, uf: number,
  secrets: number, misconfigs: number,
  // violations under each policy (0 = pass, exit 0; otherwise exit 1)
  highIgnoreUnfixed: number, high: number, criticalIgnoreUnfixed: number, mediumIgnoreUnfixed: number, low: number,
];

// prettier-ignore
const EXPECTED: Record<string, Row> = {
  //                             c cf  h hf  m mf  l lf  u uf  s mc  HIu  H CIu MIu  L
  'almalinux-8':                [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,  0,  0, 0,  1,  1],
  'alpine-310':                 [0, 0, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0,  0,  0, 0,  4,  4],
  'alpine-39-high-critical':    [2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  2,  2, 2,  2,  2],
  'alpine-39-ignore-cveids':    [0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0,  0,  0, 0,  2,  2],
  'alpine-39':                  [2, 2, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0,  2,  2, 2,  6,  6],
  'alpine-distroless':          [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,  0,  0, 0,  1,  1],
  'amazon-2':                   [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0,  0,  0, 0,  1,  2],
  'busybox-with-lockfile':      [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,  1,  1, 0,  2,  2],
  'centos-7-ignore-unfixed':    [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0,  0,  0, 0,  1,  2],
  'centos-7-medium':            [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,  0,  0, 0,  1,  1],
  'centos-7':                   [0, 0, 0, 0, 1, 1, 2, 1, 0, 0, 0, 0,  0,  0, 0,  1,  3],
  'debian-buster-ignore-unfixed': [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  1, 1,  1,  1],
  'debian-buster':              [1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0,  1,  1, 1,  1,  2],
  'debian-stretch':             [0, 0, 0, 0, 4, 4, 1, 0, 0, 0, 0, 0,  0,  0, 0,  4,  5],
  'distroless-base':            [0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0,  0,  0, 0,  0,  4],
  'distroless-python27':        [0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0,  0,  0, 0,  0,  4],
  'dockerfile':                 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  1,  1, 0,  1,  1],
  'fluentd-gems':               [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0,  2,  2, 1,  2,  2],
  'gomod-vex':                  [0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0,  0,  0, 0,  0,  0],
  'gomod':                      [0, 0, 0, 0, 1, 1, 0, 0, 4, 4, 0, 0,  0,  0, 0,  1,  1],
  'npm':                        [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,  0,  0, 0,  1,  1],
  'opensuse-leap-151':          [0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0,  0,  0, 0,  2,  2],
  'oraclelinux-8':              [0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0,  0,  0, 0,  2,  2],
  'photon-30':                  [2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0,  3,  3, 2,  3,  3],
  'pip':                        [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,  1,  1, 0,  2,  2],
  'pnpm':                       [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,  1,  1, 1,  2,  2],
  'rockylinux-8':               [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,  0,  0, 0,  1,  1],
  'secrets':                    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0,  2,  2, 2,  2,  2],
  'spring4shell-jre11':         [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  1,  1, 1,  1,  1],
  'ubuntu-1804-ignore-unfixed': [0, 0, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0,  0,  0, 0,  4,  4],
  'ubuntu-1804':                [0, 0, 0, 0, 4, 4, 1, 0, 0, 0, 0, 0,  0,  0, 0,  4,  5],
  'yarn':                       [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,  0,  0, 0,  1,  1],
};

const POLICIES: [name: string, policy: GatePolicy, column: number][] = [
  ['HIGH, ignore unfixed (the construct default)', { failOn: 'HIGH', ignoreUnfixed: true }, 12],
  ['HIGH', { failOn: 'HIGH', ignoreUnfixed: false }, 13],
  ['CRITICAL, ignore unfixed', { failOn: 'CRITICAL', ignoreUnfixed: true }, 14],
  ['MEDIUM, ignore unfixed', { failOn: 'MEDIUM', ignoreUnfixed: true }, 15],
  ['LOW', { failOn: 'LOW', ignoreUnfixed: false }, 16],
];

const load = (name: string): TrivyReport => parseTrivyReport(readFileSync(join(FIXTURES, `${name}.json`)));

describe('Trivy report parser and gate on the real fixtures', () => {
  test('the table covers every fixture in the folder', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test('every real report scanned something: none of them is a scan of nothing', () => {
    const unscanned = Object.keys(EXPECTED).filter((name) => unscannedReason(load(name)) !== undefined);
    expect(unscanned).toEqual([]);
  });

  describe.each(Object.entries(EXPECTED))('%s', (name, row) => {
    const report = load(name);

    test('parses to the expected counts', () => {
      const { counts } = evaluate(report, { failOn: 'HIGH', ignoreUnfixed: false });
      const v = counts.vulnerabilities;
      const misconfigs = Object.values(counts.misconfigurations).reduce((a, b) => a + b, 0);
      expect([
        v.CRITICAL.total, v.CRITICAL.fixable, v.HIGH.total, v.HIGH.fixable, v.MEDIUM.total, v.MEDIUM.fixable,
        v.LOW.total, v.LOW.fixable, v.UNKNOWN.total, v.UNKNOWN.fixable, counts.secrets, misconfigs,
      ]).toEqual(row.slice(0, 12));
    });

    test.each(POLICIES)('policy %s gives the expected verdict', (_label, policy, column) => {
      const result = evaluate(report, policy);
      expect(result.violations.length).toBe(row[column]);
      expect(result.exitCode).toBe(row[column] > 0 ? 1 : 0);
      expect(result.verdict).toBe(row[column] > 0 ? 'fail' : 'pass');
    });
  });

  test.each([
    ['alpine-39', '2 critical (2 fixable), 0 high, 4 medium; 0 secrets'],
    ['centos-7', '0 critical, 0 high, 1 medium, 2 low; 0 secrets'],
    ['photon-30', '2 critical (2 fixable), 1 high (1 fixable), 0 medium; 0 secrets'],
    ['gomod', '0 critical, 0 high, 1 medium, 4 unknown; 0 secrets'],
    ['secrets', '0 critical, 0 high, 0 medium; 2 secrets'],
    ['dockerfile', '0 critical, 0 high, 0 medium; 0 secrets; 1 misconfiguration'],
  ])('the approval summary of %s under the construct default is "%s"', (name, line) => {
    expect(summaryLine(evaluate(load(name), { failOn: 'HIGH', ignoreUnfixed: true }))).toBe(line);
  });

  // Trivy's own --ignore-unfixed output is the ground truth for what "no fix available" means.
  test.each(['centos-7', 'debian-buster', 'ubuntu-1804'])(
    '--ignore-unfixed on %s keeps exactly the findings Trivy itself kept with --ignore-unfixed',
    (name) => {
      const keys = (findings: readonly { id: string; pkgName?: string }[]) => findings.map((f) => `${f.id} ${f.pkgName}`).sort();
      const kept = load(name).findings.filter((f) => f.fixable);
      expect(keys(kept)).toEqual(keys(load(`${name}-ignore-unfixed`).findings));
    },
  );

  test('a misconfiguration carries its AVD alias, secrets their line', () => {
    const [misconf] = load('dockerfile').findings;
    expect(misconf).toMatchObject({ kind: 'misconfiguration', id: 'DS-0002', severity: 'HIGH', target: 'Dockerfile' });
    const secrets = load('secrets').findings;
    expect(secrets.map((s) => [s.id, s.severity, s.line])).toEqual([
      ['aws-access-key-id', 'CRITICAL', 3],
      ['mysecret', 'HIGH', 7],
    ]);
  });
});
