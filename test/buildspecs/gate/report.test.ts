import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { evaluate, MAX_REPORT_BYTES, parseTrivyReport, processIO, UnusableInputError } from '../../../buildspecs/gate';
import { FIXTURES } from '../codebuild-harness';

const fixtureText = (name: string) => readFileSync(join(FIXTURES, `${name}.json`), 'utf8');

/** Asserts that parsing fails closed with a single-line reason matching `reason`. */
function expectUnusable(input: string | Uint8Array, reason: RegExp): void {
  let error: unknown;
  try {
    parseTrivyReport(input);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UnusableInputError);
  const message = (error as UnusableInputError).message;
  expect(message).toMatch(reason);
  expect(message).not.toMatch(/[\r\n]/);
  expect(message.length).toBeLessThan(400);
  expect((error as UnusableInputError).exitCode).toBe(2);
}

const vuln = (over: Record<string, unknown> = {}) => ({
  VulnerabilityID: 'CVE-2024-0001',
  PkgName: 'openssl',
  InstalledVersion: '1.0',
  FixedVersion: '1.1',
  Status: 'fixed',
  Severity: 'HIGH',
  ...over,
});
const reportWith = (results: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ SchemaVersion: 2, ArtifactName: 'app:1', Results: results, ...extra });

describe('parseTrivyReport', () => {
  describe('fails closed on input that is not a report', () => {
    test.each([
      ['an empty file', '', /^report is empty$/],
      ['whitespace only', ' \n\t\n', /^report is empty$/],
      ["Trivy's own error text", readFileSync(join(__dirname, 'trivy-error.txt'), 'utf8'), /^report is not JSON; it starts with "2024-05-01T10:12:03.512Z\\tFATAL/],
      ['an HTML error page', '<html><body>502 Bad Gateway</body></html>', /not JSON/],
      ['a top-level array (pre-v2 format)', JSON.stringify([{ Target: 'x', Vulnerabilities: [] }]), /JSON array, Trivy's pre-v2 format/],
      ['an empty top-level array', '[]', /pre-v2/],
      ['JSON null', 'null', /^report: expected a JSON object, got null$/],
      ['a JSON string', '"SchemaVersion: 2"', /^report: expected a JSON object, got a string/],
      ['a JSON number', '2', /^report: expected a JSON object, got a number/],
      ['no SchemaVersion', JSON.stringify({ Results: [] }), /no SchemaVersion/],
      ['SchemaVersion null', JSON.stringify({ SchemaVersion: null }), /no SchemaVersion/],
      ['SchemaVersion 1', JSON.stringify({ SchemaVersion: 1 }), /unsupported SchemaVersion "1"/],
      ['SchemaVersion 3', JSON.stringify({ SchemaVersion: 3, Results: [] }), /unsupported SchemaVersion "3"/],
      ['SchemaVersion as a string', JSON.stringify({ SchemaVersion: '2' }), /unsupported SchemaVersion "2"/],
      // Found by the property test below: String() of this value throws a TypeError.
      ['SchemaVersion an array holding {"toString":0}', '{"SchemaVersion":[{"toString":0}]}', /^unsupported SchemaVersion "\[\{\\"toString\\":0\}\]"; only SchemaVersion 2 is supported$/],
    ])('%s', (_label, input, reason) => expectUnusable(input, reason));

    test('every fixture cut short anywhere before its end is refused as truncated', () => {
      for (const name of ['alpine-39', 'secrets', 'dockerfile', 'spring4shell-jre11']) {
        const text = fixtureText(name);
        const end = text.lastIndexOf('}');
        for (let i = 1; i <= 40; i++) {
          expectUnusable(text.slice(0, Math.floor((end * i) / 41)), /^report is not valid JSON \(truncated or corrupt\)/);
        }
      }
    });

    test('a report cut inside a multi-byte character is refused', () => {
      const bytes = Buffer.from(reportWith([{ Target: 'x', Vulnerabilities: [vuln({ Title: 'naïve café ✓' })] }]));
      expectUnusable(bytes.subarray(0, bytes.indexOf(Buffer.from('✓')) + 1), /truncated or corrupt/);
    });

    test('deeply nested JSON is refused, not a crash', () => {
      expectUnusable('['.repeat(200_000) + ']'.repeat(200_000), /pre-v2|not valid JSON/);
      const nested = `{"SchemaVersion":2,"Results":[{"Target":"x","Vulnerabilities":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
      expectUnusable(nested, /Vulnerabilities\[0\]: expected an object, got an array|not valid JSON/);
    });
  });

  describe('checks the types of every field the gate relies on', () => {
    test.each([
      ['Results as an object', reportWith({ Target: 'x' }), /^report\.Results: expected an array, got an object$/],
      ['Results as a string', reportWith('none'), /^report\.Results: expected an array, got a string "none"$/],
      ['a null result', reportWith([null]), /^Results\[0\]: expected an object, got null$/],
      ['Target as a number', reportWith([{ Target: 7 }]), /^Results\[0\]\.Target: expected a string, got a number/],
      ['Vulnerabilities as an object', reportWith([{ Target: 'x', Vulnerabilities: {} }]), /Results\[0\]\.Vulnerabilities: expected an array/],
      ['a null vulnerability', reportWith([{ Target: 'x', Vulnerabilities: [vuln(), null] }]), /^Results\[0\]\.Vulnerabilities\[1\]: expected an object, got null$/],
      ['a missing VulnerabilityID', reportWith([{ Target: 'x', Vulnerabilities: [vuln({ VulnerabilityID: undefined })] }]), /VulnerabilityID: missing/],
      ['a numeric VulnerabilityID', reportWith([{ Target: 'x', Vulnerabilities: [vuln({ VulnerabilityID: 2024 })] }]), /VulnerabilityID: expected a string, got a number/],
      ['a null PkgName', reportWith([{ Target: 'x', Vulnerabilities: [vuln({ PkgName: null })] }]), /PkgName: missing/],
      ['a numeric FixedVersion', reportWith([{ Target: 'x', Vulnerabilities: [vuln({ FixedVersion: 1.1 })] }]), /FixedVersion: expected a string, got a number/],
      ['a boolean Status', reportWith([{ Target: 'x', Vulnerabilities: [vuln({ Status: true })] }]), /Status: expected a string, got a boolean/],
      ['Secrets as a string', reportWith([{ Target: 'x', Secrets: 'none' }]), /Secrets: expected an array/],
      ['a secret without RuleID', reportWith([{ Target: 'x', Secrets: [{ Severity: 'HIGH' }] }]), /Secrets\[0\]\.RuleID: missing/],
      ['a string StartLine', reportWith([{ Target: 'x', Secrets: [{ RuleID: 'r', Severity: 'HIGH', StartLine: '3' }] }]), /StartLine: expected a number/],
      ['a misconfiguration without ID', reportWith([{ Target: 'x', Misconfigurations: [{ Severity: 'HIGH' }] }]), /Misconfigurations\[0\]\.ID: missing/],
    ])('%s', (_label, input, reason) => expectUnusable(input, reason));
  });

  describe('refuses severities it does not know', () => {
    test.each([['SEVERE'], ['high'], ['Critical'], [''], ['__proto__'], ['toString'], ['constructor']])('Severity %j', (severity) => {
      expectUnusable(reportWith([{ Target: 'x', Vulnerabilities: [vuln({ Severity: severity })] }]), /Severity: unknown severity/);
    });
    test.each([[null], [undefined]])('Severity %s', (severity) => {
      expectUnusable(reportWith([{ Target: 'x', Vulnerabilities: [vuln({ Severity: severity })] }]), /Severity: missing/);
    });
    test('a numeric severity', () => {
      expectUnusable(reportWith([{ Target: 'x', Secrets: [{ RuleID: 'r', Severity: 4 }] }]), /Severity: expected a string, got a number/);
    });
  });

  describe('accepts what Trivy may leave out', () => {
    // Whether a report with no target may pass is the gate's decision ("a scan of nothing", gate.test.ts).
    test.each([
      ['no Results', JSON.stringify({ SchemaVersion: 2 }), []],
      ['Results null', reportWith(null), []],
      ['Results empty', reportWith([]), []],
      ['a result with every list null', reportWith([{ Target: 'x', Vulnerabilities: null, Secrets: null, Misconfigurations: null }]), [{ target: 'x' }]],
      ['a result with no lists', reportWith([{ Target: 'x', Class: 'lang-pkgs', Packages: [] }]), [{ target: 'x', resultClass: 'lang-pkgs' }]],
    ])('%s parses to a report with no findings and its targets', (_label, input, targets) => {
      const report = parseTrivyReport(input);
      expect(report.findings).toEqual([]);
      expect(report.targets).toEqual(targets);
    });

    test('null optional fields are treated as absent, and a UTF-8 BOM is skipped', () => {
      const report = parseTrivyReport(
        `\uFEFF${reportWith([{ Target: 'x', Vulnerabilities: [vuln({ FixedVersion: null, Status: null, Title: null, PkgPath: null })] }])}`,
      );
      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]).toMatchObject({ id: 'CVE-2024-0001', fixable: false, fixedVersion: undefined });
    });

    test('passed misconfiguration checks are not findings; a missing status counts as a failure', () => {
      const report = parseTrivyReport(
        reportWith([
          {
            Target: 'Dockerfile',
            Misconfigurations: [
              { ID: 'DS001', Severity: 'HIGH', Status: 'PASS' },
              { ID: 'DS002', Severity: 'HIGH', Status: 'EXCEPTION' },
              { ID: 'DS003', Severity: 'HIGH' },
              { ID: 'DS004', AVDID: 'AVD-DS-0004', Severity: 'LOW', Status: 'FAIL' },
            ],
          },
        ]),
      );
      expect(report.findings.map((f) => [f.id, f.aliases])).toEqual([
        ['DS003', []],
        ['DS004', ['AVD-DS-0004']],
      ]);
    });
  });

  describe('decides fixability from Status and FixedVersion', () => {
    test.each([
      ['fixed', '1.1', true],
      ['fixed', undefined, true],
      [undefined, '1.1', true],
      ['unknown', '1.1', true],
      [undefined, undefined, false],
      [undefined, '  ', false],
      ['affected', undefined, false],
      ['will_not_fix', '1.1', false],
      ['fix_deferred', undefined, false],
      ['end_of_life', undefined, false],
      ['under_investigation', undefined, false],
    ])('Status %s, FixedVersion %s: fixable = %s', (status, fixedVersion, fixable) => {
      const report = parseTrivyReport(reportWith([{ Target: 'x', Vulnerabilities: [vuln({ Status: status, FixedVersion: fixedVersion })] }]));
      expect(report.findings[0].fixable).toBe(fixable);
    });
  });

  test('a 50 MB report with 60,000 findings parses and gates correctly', () => {
    const padding = 'x'.repeat(760);
    const vulns = Array.from({ length: 60_000 }, (_, i) =>
      vuln({
        VulnerabilityID: `CVE-2024-${i}`,
        PkgName: `pkg-${i % 500}`,
        Severity: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'][i % 5],
        Status: i % 2 === 0 ? 'fixed' : 'affected',
        FixedVersion: i % 2 === 0 ? '2.0' : undefined,
        Description: padding,
      }),
    );
    const text = reportWith([{ Target: 'big', Class: 'os-pkgs', Type: 'debian', Vulnerabilities: vulns }]);
    expect(text.length).toBeGreaterThan(50 * 1024 * 1024);
    const result = evaluate(parseTrivyReport(Buffer.from(text)), { failOn: 'HIGH', ignoreUnfixed: true });
    expect(result.counts.vulnerabilities.CRITICAL).toEqual({ total: 12_000, fixable: 6_000 });
    expect(result.counts.vulnerabilities.UNKNOWN).toEqual({ total: 12_000, fixable: 6_000 });
    expect(result.violations).toHaveLength(12_000);
    expect(result.unfixedIgnored).toHaveLength(12_000);
  });

  test('a report file over the size limit is refused before it is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-gate-'));
    try {
      const path = join(dir, 'huge.json');
      const fd = openSync(path, 'w');
      ftruncateSync(fd, MAX_REPORT_BYTES + 1); // sparse: no real disk or memory used
      closeSync(fd);
      expect(() => processIO.readFile(path)).toThrow(/over the 256 MiB limit/);
      writeFileSync(join(dir, 'ok.json'), '{}');
      expect(() => processIO.readFile(dir)).toThrow(/not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('any JSON value placed anywhere in a report gives a report or UnusableInputError, never another error', () => {
    const base = JSON.parse(fixtureText('alpine-39'));
    const slots: ((doc: any, v: unknown) => void)[] = [
      (d, v) => (d.Results = v),
      (d, v) => (d.Results[0] = v),
      (d, v) => (d.Results[0].Vulnerabilities = v),
      (d, v) => (d.Results[0].Vulnerabilities[0] = v),
      (d, v) => (d.Results[0].Vulnerabilities[0].Severity = v),
      (d, v) => (d.Results[0].Vulnerabilities[0].FixedVersion = v),
      (d, v) => (d.Results[0].Vulnerabilities[0].Status = v),
      (d, v) => (d.Results[0].Secrets = v),
      (d, v) => (d.Results[0].Target = v),
      (d, v) => (d.SchemaVersion = v),
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: slots.length - 1 }), fc.jsonValue(), (slot, value) => {
        const doc = structuredClone(base);
        slots[slot](doc, value);
        try {
          const report = parseTrivyReport(JSON.stringify(doc));
          evaluate(report, { failOn: 'HIGH', ignoreUnfixed: true });
        } catch (err) {
          expect(err).toBeInstanceOf(UnusableInputError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
