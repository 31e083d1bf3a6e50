import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  evaluate,
  isExpired,
  junit,
  markdown,
  parseAllowList,
  parseTrivyReport,
  summaryLine,
  SUMMARY_MAX_CHARS,
  TrivyReport,
  UnusableInputError,
  unscannedReason,
  xmlEscape,
} from '../../../buildspecs/gate';
import { FIXTURES } from '../codebuild-harness';

const load = (name: string): TrivyReport => parseTrivyReport(readFileSync(join(FIXTURES, `${name}.json`)));
const NOW = new Date('2026-06-15T12:00:00Z');
const allow = (...entries: { id: string; expires: string; reason?: string }[]) =>
  parseAllowList(JSON.stringify({ entries: entries.map((e) => ({ reason: 'accepted by security review', ...e })) }));

function synthetic(vulns: { sev: string; fixed: boolean }[], extra: Record<string, unknown>[] = []): TrivyReport {
  return parseTrivyReport(
    JSON.stringify({
      SchemaVersion: 2,
      Results: [
        {
          Target: 'app (debian 12)',
          Class: 'os-pkgs',
          Type: 'debian',
          Vulnerabilities: vulns.map((v, i) => ({
            VulnerabilityID: `CVE-2025-${1000 + i}`,
            PkgName: `pkg${i}`,
            InstalledVersion: '1.0',
            Severity: v.sev,
            Status: v.fixed ? 'fixed' : 'affected',
            ...(v.fixed ? { FixedVersion: '1.1' } : {}),
          })),
        },
        ...extra,
      ],
    }),
  );
}

describe('allow-list', () => {
  test('reads entries with id, expiry and reason', () => {
    expect(parseAllowList('{"entries":[{"id":" CVE-2019-14697 ","expires":"2026-06-30","reason":"not reachable"}]}')).toEqual({
      entries: [{ id: 'CVE-2019-14697', expires: '2026-06-30', reason: 'not reachable' }],
    });
    expect(parseAllowList('{"entries":[]}')).toEqual({ entries: [] });
  });

  test.each([
    ['empty', '', /allow-list is empty/],
    ['not JSON', 'CVE-2019-14697', /allow-list is not JSON/],
    ['a top-level array', '[]', /must be a JSON object with an "entries" array/],
    ['no entries', '{}', /"entries" must be an array/],
    ['an unknown top-level field', '{"entries":[],"version":1}', /unknown field "version"/],
    ['an entry that is a string', '{"entries":["CVE-1"]}', /entries\[0\]: expected an object/],
    ['a misspelt field', '{"entries":[{"id":"CVE-1","expiry":"2026-01-01","reason":"r"}]}', /unknown field "expiry"/],
    ['a missing reason', '{"entries":[{"id":"CVE-1","expires":"2026-01-01"}]}', /entries\[0\]\.reason: a non-empty string is required/],
    ['a blank id', '{"entries":[{"id":" ","expires":"2026-01-01","reason":"r"}]}', /entries\[0\]\.id/],
    ['a non-date expiry', '{"entries":[{"id":"CVE-1","expires":"next year","reason":"r"}]}', /"next year" is not a date/],
    ['an impossible date', '{"entries":[{"id":"CVE-1","expires":"2026-02-30","reason":"r"}]}', /"2026-02-30" is not a date/],
    ['an expiry that is an object with a toString field', '{"entries":[{"id":"CVE-1","expires":{"toString":0},"reason":"r"}]}', /entries\[0\]\.expires: a non-empty string is required/],
    ['a timestamp expiry', '{"entries":[{"id":"CVE-1","expires":"2026-02-01T00:00:00Z","reason":"r"}]}', /is not a date/],
    [
      'a duplicate id',
      '{"entries":[{"id":"CVE-1","expires":"2026-01-01","reason":"r"},{"id":"CVE-1","expires":"2027-01-01","reason":"r"}]}',
      /entries\[1\]: duplicate id "CVE-1"/,
    ],
  ])('refuses %s (exit code 2)', (_label, text, reason) => {
    expect(() => parseAllowList(text)).toThrow(UnusableInputError);
    expect(() => parseAllowList(text)).toThrow(reason);
  });

  test('an entry applies through the end of its expiry day (UTC) and not after', () => {
    const [entry] = allow({ id: 'CVE-1', expires: '2026-06-15' }).entries;
    expect(isExpired(entry, new Date('2026-06-15T23:59:59Z'))).toBe(false);
    expect(isExpired(entry, new Date('2026-06-16T00:00:00Z'))).toBe(true);
  });
});

describe('evaluate', () => {
  test('an active entry accepts a violating finding; the gate passes and says what it accepted', () => {
    const result = evaluate(load('alpine-39'), { failOn: 'HIGH', ignoreUnfixed: true }, {
      allowList: allow({ id: 'CVE-2019-14697', expires: '2026-06-30' }, { id: 'CVE-2000-0001', expires: '2026-12-31' }),
      now: NOW,
    });
    expect(result.verdict).toBe('pass');
    expect(result.allowed.map((a) => [a.finding.pkgName, a.entry.id])).toEqual([
      ['musl', 'CVE-2019-14697'],
      ['musl-utils', 'CVE-2019-14697'],
    ]);
    expect(result.unusedAllowEntries.map((e) => e.id)).toEqual(['CVE-2000-0001']);
    expect(summaryLine(result)).toBe('2 critical (2 fixable), 0 high, 4 medium; 0 secrets; 2 allow-listed');
  });

  test('an expired entry stops applying, is reported, and is named on the violation', () => {
    const result = evaluate(load('alpine-39'), { failOn: 'HIGH', ignoreUnfixed: true }, {
      allowList: allow({ id: 'CVE-2019-14697', expires: '2026-06-14', reason: 'waiting for musl 1.1.20-r5' }),
      now: NOW,
    });
    expect(result.verdict).toBe('fail');
    expect(result.allowed).toEqual([]);
    expect(result.expiredAllowEntries.map((e) => e.id)).toEqual(['CVE-2019-14697']);
    expect(result.violations.map((v) => v.expiredEntry?.expires)).toEqual(['2026-06-14', '2026-06-14']);
    expect(summaryLine(result)).toBe('2 critical (2 fixable), 0 high, 4 medium; 0 secrets; 1 expired allow-list entry');
    expect(junit(result)).toContain('name="allow-list entry CVE-2019-14697"');
  });

  test('secrets fail whatever their severity and whatever the threshold, unless allow-listed', () => {
    const lowSecret = parseTrivyReport(
      JSON.stringify({ SchemaVersion: 2, Results: [{ Target: 'app/.env', Secrets: [{ RuleID: 'generic', Severity: 'LOW' }] }] }),
    );
    expect(evaluate(lowSecret, { failOn: 'CRITICAL', ignoreUnfixed: true }).violations).toHaveLength(1);
    const secrets = load('secrets');
    const allowed = evaluate(secrets, { failOn: 'CRITICAL', ignoreUnfixed: true }, {
      allowList: allow({ id: 'mysecret', expires: '2026-07-01' }),
      now: NOW,
    });
    expect(allowed.violations.map((v) => v.finding.id)).toEqual(['aws-access-key-id']);
    expect(allowed.allowed.map((a) => a.finding.id)).toEqual(['mysecret']);
  });

  test('misconfigurations fail from the threshold up and can be allow-listed by ID or AVDID', () => {
    const report = parseTrivyReport(
      JSON.stringify({
        SchemaVersion: 2,
        Results: [
          {
            Target: 'Dockerfile',
            Class: 'config',
            Misconfigurations: [
              { ID: 'DS002', AVDID: 'AVD-DS-0002', Severity: 'HIGH', Status: 'FAIL' },
              { ID: 'DS026', AVDID: 'AVD-DS-0026', Severity: 'LOW', Status: 'FAIL' },
            ],
          },
        ],
      }),
    );
    expect(evaluate(report, { failOn: 'HIGH', ignoreUnfixed: true }).violations.map((v) => v.finding.id)).toEqual(['DS002']);
    expect(evaluate(report, { failOn: 'LOW', ignoreUnfixed: true }).violations).toHaveLength(2);
    expect(evaluate(report, { failOn: 'CRITICAL', ignoreUnfixed: false }).verdict).toBe('pass');
    const byAlias = evaluate(report, { failOn: 'HIGH', ignoreUnfixed: true }, { allowList: allow({ id: 'AVD-DS-0002', expires: '2026-07-01' }), now: NOW });
    expect(byAlias.verdict).toBe('pass');
  });

  test('ignoreUnfixed drops only vulnerabilities with no fix, and the summary still counts them', () => {
    const report = synthetic([
      { sev: 'HIGH', fixed: true },
      { sev: 'HIGH', fixed: false },
      ...Array.from({ length: 14 }, () => ({ sev: 'MEDIUM', fixed: false })),
    ]);
    const lenient = evaluate(report, { failOn: 'HIGH', ignoreUnfixed: true });
    expect(lenient.violations.map((v) => v.finding.id)).toEqual(['CVE-2025-1000']);
    expect(lenient.unfixedIgnored.map((f) => f.id)).toEqual(['CVE-2025-1001']);
    expect(summaryLine(lenient)).toBe('0 critical, 2 high (1 fixable), 14 medium; 0 secrets');
    expect(evaluate(report, { failOn: 'HIGH', ignoreUnfixed: false }).violations).toHaveLength(2);
  });

  test('UNKNOWN severity ranks below LOW, as in Trivy: counted, never failing by threshold', () => {
    const result = evaluate(synthetic([{ sev: 'UNKNOWN', fixed: true }]), { failOn: 'LOW', ignoreUnfixed: false });
    expect(result.verdict).toBe('pass');
    expect(summaryLine(result)).toBe('0 critical, 0 high, 0 medium, 1 unknown; 0 secrets');
  });
});

describe('a scan of nothing', () => {
  const HIGH = { failOn: 'HIGH', ignoreUnfixed: true } as const;
  const imageReport = (results: unknown) =>
    JSON.stringify({ SchemaVersion: 2, ArtifactName: 'app:1', ArtifactType: 'container_image', ...(results === undefined ? {} : { Results: results }) });
  // What Trivy writes for the image's build history with --image-config-scanners misconfig when every check passes.
  const historyResult = { Target: 'Dockerfile', Class: 'config', Type: 'dockerfile', MisconfSummary: { Successes: 23, Failures: 0, Exceptions: 0 } };

  test.each([
    ['no Results (what Trivy writes when it finds no OS and no packages)', imageReport(undefined)],
    ['Results null', imageReport(null)],
    ['Results empty', imageReport([])],
    ['no Results and no ArtifactType', '{"SchemaVersion":2}'],
  ])('%s fails the gate with the reason, even under the most lenient policy', (_label, text) => {
    const result = evaluate(parseTrivyReport(text), { failOn: 'CRITICAL', ignoreUnfixed: true });
    expect(result).toMatchObject({ verdict: 'fail', exitCode: 1, violations: [] });
    expect(result.emptyScan).toEqual({
      reason: 'the report has no scanned target (no Results): Trivy found no OS and no packages, so the image was not scanned',
      allowed: false,
    });
    expect(summaryLine(result)).toBe('NOT SCANNED: Trivy found no OS or packages; 0 critical, 0 high, 0 medium; 0 secrets');
  });

  test('an image report whose only results are its build history and a secret did not scan the image', () => {
    const text = imageReport([historyResult, { Target: '/app/.env', Class: 'secret', Secrets: [] }]);
    expect(unscannedReason(parseTrivyReport(text))).toBe(
      'the report has no OS or language-package result (only config, secret): Trivy found no OS and no packages, so the image was not scanned for vulnerabilities',
    );
    expect(evaluate(parseTrivyReport(text), HIGH).verdict).toBe('fail');
  });

  test('an OS found with no vulnerability is a clean scan and passes (the OS result of the real spring4shell report)', () => {
    const real = JSON.parse(readFileSync(join(FIXTURES, 'spring4shell-jre11.json'), 'utf8'));
    const osOnly = { ...real, Results: real.Results.filter((r: { Class: string }) => r.Class === 'os-pkgs') };
    expect(osOnly.Results).toEqual([{ Target: 'testdata/fixtures/images/spring4shell-jre11.tar.gz (debian 11.3)', Class: 'os-pkgs', Type: 'debian' }]);
    const result = evaluate(parseTrivyReport(JSON.stringify({ ...osOnly, Results: [...osOnly.Results, historyResult] })), HIGH);
    expect(result).toMatchObject({ verdict: 'pass', exitCode: 0, violations: [] });
    expect(result.emptyScan).toBeUndefined();
    expect(summaryLine(result)).toBe('0 critical, 0 high, 0 medium; 0 secrets');
  });

  test('language packages alone are a scan (a static binary in a scratch image)', () => {
    const text = imageReport([{ Target: 'app/server', Class: 'lang-pkgs', Type: 'gobinary' }, historyResult]);
    expect(evaluate(parseTrivyReport(text), HIGH)).toMatchObject({ verdict: 'pass', exitCode: 0 });
  });

  test('a repository scanned only for secrets or IaC counts its results as scanned targets', () => {
    expect(unscannedReason(load('secrets'))).toBeUndefined();
    expect(unscannedReason(load('dockerfile'))).toBeUndefined();
    expect(evaluate(load('dockerfile'), { failOn: 'CRITICAL', ignoreUnfixed: true }).verdict).toBe('pass');
  });

  test('allowEmptyScan lets it pass and says so in the summary, the Markdown and the JUnit report', () => {
    const result = evaluate(parseTrivyReport(imageReport(undefined)), { ...HIGH, allowEmptyScan: true });
    expect(result).toMatchObject({ verdict: 'pass', exitCode: 0, emptyScan: { allowed: true } });
    expect(summaryLine(result)).toBe('EMPTY SCAN (allowed): Trivy found no OS or packages; 0 critical, 0 high, 0 medium; 0 secrets');
    expect(markdown(result)).toContain('Allowed by --allow-empty-scan: the report has no scanned target');
    expect(junit(result)).toContain('<testcase classname="scan-gate" name="Trivy scanned the image" time="0">\n      <skipped message="allowed by --allow-empty-scan: the report has no scanned target');
  });

  test('allowEmptyScan allows only the empty scan: findings still fail', () => {
    const secretOnly = imageReport([{ Target: '/app/.env', Class: 'secret', Secrets: [{ RuleID: 'aws-access-key-id', Severity: 'CRITICAL' }] }]);
    const result = evaluate(parseTrivyReport(secretOnly), { ...HIGH, allowEmptyScan: true });
    expect(result).toMatchObject({ verdict: 'fail', exitCode: 1, emptyScan: { allowed: true } });
    expect(result.violations.map((v) => v.finding.id)).toEqual(['aws-access-key-id']);
  });

  test('the JUnit report fails a test for the empty scan, apart from the policy test', () => {
    const xml = junit(evaluate(parseTrivyReport(imageReport([])), HIGH));
    expect(xml).toContain('<testsuites name="trivy-scan-gate" tests="2" failures="1" errors="0" skipped="0">');
    expect(xml).toContain('<failure message="the report has no scanned target (no Results): Trivy found no OS and no packages, so the image was not scanned" type="empty-scan">');
  });
});

describe('baseline mode', () => {
  test('lists the candidate findings the live image does not have', () => {
    const result = evaluate(load('ubuntu-1804'), { failOn: 'HIGH', ignoreUnfixed: true }, { baseline: load('ubuntu-1804-ignore-unfixed') });
    expect(result.newSinceLive?.map((f) => `${f.id} ${f.pkgName}`)).toEqual(['CVE-2019-18276 bash']);
    expect(summaryLine(result)).toBe('0 critical, 0 high, 4 medium, 1 low; 0 secrets; 1 new since live');
  });

  test('the same image is nothing new, even when the OS target names a different image tag', () => {
    const text = readFileSync(join(FIXTURES, 'alpine-39.json'), 'utf8');
    const retagged = parseTrivyReport(text.split('testdata/fixtures/images/alpine-39.tar.gz').join('registry/app:v2'));
    expect(retagged.findings[0].target).toContain('registry/app:v2');
    expect(evaluate(load('alpine-39'), { failOn: 'HIGH', ignoreUnfixed: true }, { baseline: retagged }).newSinceLive).toEqual([]);
  });

  test('a first-ever scan against an empty live report makes everything new; no baseline means no count', () => {
    const clean = parseTrivyReport('{"SchemaVersion":2}');
    const secrets = load('secrets');
    expect(evaluate(secrets, { failOn: 'HIGH', ignoreUnfixed: true }, { baseline: clean }).newSinceLive).toHaveLength(2);
    const without = evaluate(secrets, { failOn: 'HIGH', ignoreUnfixed: true });
    expect(without.newSinceLive).toBeUndefined();
    expect(summaryLine(without)).not.toContain('new since live');
  });

  test('findings the live image also has are not new, in language packages too', () => {
    const result = evaluate(load('gomod'), { failOn: 'HIGH', ignoreUnfixed: true }, { baseline: load('gomod-vex') });
    // gomod-vex is gomod with one finding suppressed by VEX: that one is "new" relative to it.
    expect(result.newSinceLive?.map((f) => f.id)).toEqual(['CVE-2022-23628']);
  });
});

describe('outputs', () => {
  test('the summary line stays within the CodePipeline-friendly limit even with huge counts', () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ sev: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'][i % 5], fixed: i % 3 === 0 }));
    const result = evaluate(synthetic(many), { failOn: 'LOW', ignoreUnfixed: false }, {
      baseline: parseTrivyReport('{"SchemaVersion":2}'),
      allowList: allow({ id: 'CVE-2025-1000', expires: '2020-01-01' }),
      now: NOW,
    });
    const line = summaryLine(result);
    expect(line.length).toBeLessThanOrEqual(SUMMARY_MAX_CHARS);
    expect(line).toBe(
      '600 critical (200 fixable), 600 high (200 fixable), 600 medium (200 fixable), 600 low (200 fixable), 600 unknown; 0 secrets; 1 expired allow-list entry; 3000 new since live',
    );
    expect(line).not.toMatch(/[\r\n]/);
  });

  test('XML escaping survives hostile text: markup, quotes and characters XML cannot carry', () => {
    expect(xmlEscape('a<b>&"c\'\u0000\u001b]]>\uD800x')).toBe('a&lt;b&gt;&amp;&quot;c&apos;\uFFFD\uFFFD]]&gt;\uFFFDx');
    const report = parseTrivyReport(
      JSON.stringify({
        SchemaVersion: 2,
        Results: [{ Target: '</testsuite><x a="', Secrets: [{ RuleID: 'r"><script>', Severity: 'HIGH', Title: 'bad\u0007bell' }] }],
      }),
    );
    const xml = junit(evaluate(report, { failOn: 'HIGH', ignoreUnfixed: true }));
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('</testsuite><x');
    expect(xml).not.toContain('\u0007');
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<\/testsuite>/g)).toHaveLength(2);
  });
});
