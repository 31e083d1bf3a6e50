import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { runScanGate, scanGateCommand, ScanGateIO } from '../../../buildspecs/gate';
import { FIXTURES } from '../codebuild-harness';

/** In-memory IO: fixtures readable by name, written files kept in a map. */
function memoryIO(files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const written = new Map<string, string>();
  const io: ScanGateIO = {
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    readFile: (path) => {
      if (path in files) return Buffer.from(files[path]);
      if (path.startsWith('fixture:')) return readFileSync(join(FIXTURES, `${path.slice(8)}.json`));
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    },
    writeFile: (path, text) => {
      if (path.startsWith('/readonly/')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      written.set(path, text);
    },
    now: () => new Date('2026-06-15T00:00:00Z'),
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join(''), written };
}

describe('bluegreen scan-gate', () => {
  test('exit code 0 on a pass, with the Markdown summary on stdout and nothing on stderr', () => {
    const m = memoryIO();
    expect(runScanGate(['fixture:alpine-310'], m.io)).toBe(0);
    expect(m.stdout()).toContain('## Trivy scan gate: PASS');
    expect(m.stdout()).toContain('**0 critical, 0 high, 4 medium; 0 secrets**');
    expect(m.stderr()).toBe('');
  });

  test('exit code 1 on a policy violation, with one line on stderr', () => {
    const m = memoryIO();
    expect(runScanGate(['fixture:alpine-39'], m.io)).toBe(1);
    expect(m.stderr()).toBe('scan-gate: FAIL: 2 finding(s) violate the policy; 2 critical (2 fixable), 0 high, 4 medium; 0 secrets\n');
  });

  test('--fail-on and --ignore-unfixed change the verdict; the severity is case-insensitive', () => {
    expect(runScanGate(['fixture:centos-7', '--fail-on', 'MEDIUM'], memoryIO().io)).toBe(1);
    expect(runScanGate(['fixture:centos-7', '--fail-on', 'high'], memoryIO().io)).toBe(0);
    expect(runScanGate(['fixture:distroless-base', '--fail-on', 'MEDIUM'], memoryIO().io)).toBe(1);
    expect(runScanGate(['fixture:distroless-base', '--fail-on', 'MEDIUM', '--ignore-unfixed'], memoryIO().io)).toBe(0);
  });

  test('--json prints the machine result', () => {
    const m = memoryIO();
    expect(runScanGate(['fixture:photon-30', '--json', '--fail-on', 'CRITICAL', '--ignore-unfixed'], m.io)).toBe(1);
    const json = JSON.parse(m.stdout());
    expect(json).toMatchObject({
      verdict: 'fail',
      exitCode: 1,
      summary: '2 critical (2 fixable), 1 high, 0 medium; 0 secrets',
      policy: { failOn: 'CRITICAL', ignoreUnfixed: true },
      newSinceLive: null,
    });
    expect(json.violations.map((v: { id: string; pkgName: string }) => [v.id, v.pkgName])).toEqual([
      ['CVE-2019-5481', 'curl'],
      ['CVE-2019-5481', 'curl-libs'],
    ]);
  });

  test('--junit, --markdown and --summary-file write their files', () => {
    const m = memoryIO();
    expect(
      runScanGate(['fixture:alpine-39', '--junit', 'out.xml', '--markdown', 'out.md', '--summary-file', 'summary.txt', '--ignore-unfixed'], m.io),
    ).toBe(1);
    expect(m.written.get('summary.txt')).toBe('2 critical (2 fixable), 0 high, 4 medium; 0 secrets\n');
    expect(m.written.get('out.md')).toBe(m.stdout());
    const xml = m.written.get('out.xml') ?? '';
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="trivy-scan-gate" tests="3" failures="3" errors="0" skipped="0">/);
    expect(xml).toContain('<failure message="CRITICAL vulnerability" type="vulnerability">');
  });

  describe('a report in which Trivy scanned nothing', () => {
    const files = { 'empty.json': '{"SchemaVersion":2,"ArtifactName":"app:1","ArtifactType":"container_image"}' };

    test('exit code 1, with one line on stderr saying why and how to opt out', () => {
      const m = memoryIO(files);
      expect(runScanGate(['empty.json', '--fail-on', 'CRITICAL', '--ignore-unfixed'], m.io)).toBe(1);
      expect(m.stderr()).toBe(
        'scan-gate: FAIL: the report has no scanned target (no Results): Trivy found no OS and no packages, so the image was not scanned; ' +
          'pass --allow-empty-scan only for an image that has nothing to scan\n',
      );
      expect(m.stdout()).toContain('## Trivy scan gate: FAIL');
    });

    test('--allow-empty-scan passes it, and every output says that the scan was empty', () => {
      const m = memoryIO(files);
      expect(runScanGate(['empty.json', '--allow-empty-scan', '--json', '--summary-file', 's.txt'], m.io)).toBe(0);
      expect(m.stderr()).toBe('');
      expect(JSON.parse(m.stdout())).toMatchObject({
        verdict: 'pass',
        policy: { allowEmptyScan: true },
        emptyScan: { allowed: true, reason: expect.stringMatching(/^the report has no scanned target/) },
      });
      expect(m.written.get('s.txt')).toBe('EMPTY SCAN (allowed): Trivy found no OS or packages; 0 critical, 0 high, 0 medium; 0 secrets\n');
    });

    test('with findings as well, the one line gives both reasons', () => {
      const secret = { Target: '/app/.env', Class: 'secret', Secrets: [{ RuleID: 'aws-access-key-id', Severity: 'CRITICAL' }] };
      const m = memoryIO({ 'r.json': JSON.stringify({ SchemaVersion: 2, ArtifactType: 'container_image', Results: [secret] }) });
      expect(runScanGate(['r.json'], m.io)).toBe(1);
      const lines = m.stderr().split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^scan-gate: FAIL: the report has no OS or language-package result \(only secret\).*; and 1 finding\(s\) violate the policy; /);
    });

    test('a real report that scanned an OS is not affected (--json says emptyScan: null)', () => {
      const m = memoryIO();
      expect(runScanGate(['fixture:alpine-310', '--json'], m.io)).toBe(0);
      expect(JSON.parse(m.stdout())).toMatchObject({ verdict: 'pass', emptyScan: null, policy: { allowEmptyScan: false } });
    });
  });

  test('--baseline adds the new-since-live count', () => {
    const m = memoryIO();
    expect(runScanGate(['fixture:ubuntu-1804', '--baseline', 'fixture:ubuntu-1804-ignore-unfixed', '--json'], m.io)).toBe(0);
    expect(JSON.parse(m.stdout()).summary).toBe('0 critical, 0 high, 4 medium, 1 low; 0 secrets; 1 new since live');
  });

  test('--allow applies the allow-list file', () => {
    const list = JSON.stringify({ entries: [{ id: 'CVE-2019-14697', expires: '2026-06-15', reason: 'musl patched in next base' }] });
    const m = memoryIO({ 'allow.json': list });
    expect(runScanGate(['fixture:alpine-39', '--allow', 'allow.json'], m.io)).toBe(0);
    expect(m.stdout()).toContain('### Allow-listed (2)');
  });

  describe('exit code 2, one line on stderr, never a pass and never a stack trace', () => {
    test.each([
      ['a missing report', ['missing.json'], {}, /^scan-gate: unusable report "missing\.json": cannot read it: no such file$/],
      ['an empty report', ['r.json'], { 'r.json': '' }, /^scan-gate: unusable report "r\.json": report is empty$/],
      ['Trivy error text', ['r.json'], { 'r.json': 'FATAL\tfailed to download vulnerability DB\nmore' }, /report is not JSON; it starts with "FATAL\\tfailed/],
      ['a pre-v2 report', ['r.json'], { 'r.json': '[]' }, /pre-v2/],
      ['a bad allow-list', ['fixture:alpine-310', '--allow', 'a.json'], { 'a.json': '{"entries":[{"id":"CVE-1"}]}' }, /^scan-gate: unusable allow-list "a\.json": allow-list entries\[0\]\.expires/],
      ['a missing allow-list', ['fixture:alpine-310', '--allow', 'nope.json'], {}, /unusable allow-list "nope\.json": cannot read it/],
      ['an unusable baseline', ['fixture:alpine-310', '--baseline', 'live.json'], { 'live.json': '{"SchemaVersion":1}' }, /^scan-gate: unusable baseline report "live\.json": unsupported SchemaVersion/],
      ['an unknown --fail-on', ['fixture:alpine-310', '--fail-on', 'UNKNOWN'], {}, /--fail-on "UNKNOWN" is not one of CRITICAL, HIGH, MEDIUM, LOW/],
      ['an unwritable --junit path', ['fixture:alpine-310', '--junit', '/readonly/x.xml'], {}, /cannot write --junit file "\/readonly\/x\.xml": permission denied/],
    ])('%s', (_label, argv, files, reason) => {
      const m = memoryIO(files as Record<string, string>);
      expect(runScanGate(argv as string[], m.io)).toBe(2);
      const lines = m.stderr().split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(reason);
      expect(m.stderr()).not.toMatch(/\n\s+at /);
    });

    test('with --json and --junit, the error is also in the machine outputs', () => {
      const m = memoryIO({ 'r.json': '{"SchemaVersion": 2, "Results": [' });
      expect(runScanGate(['r.json', '--json', '--junit', 'j.xml'], m.io)).toBe(2);
      expect(JSON.parse(m.stdout())).toEqual({
        verdict: 'error',
        exitCode: 2,
        reason: expect.stringMatching(/^unusable report "r\.json": report is not valid JSON \(truncated or corrupt\)/),
      });
      expect(m.written.get('j.xml')).toContain('<error message="unusable report');
    });

    test.each([
      ['an unknown option', ['fixture:alpine-310', '--bogus']],
      ['no report argument', []],
      ['two report arguments', ['a.json', 'b.json']],
      ['--fail-on without a value', ['fixture:alpine-310', '--fail-on']],
    ])('usage error: %s', (_label, argv) => {
      const m = memoryIO();
      expect(runScanGate(argv, m.io)).toBe(2);
      expect(m.stderr()).toMatch(/^error: /);
    });
  });

  test('--help exits 0', () => {
    const m = memoryIO();
    expect(runScanGate(['--help'], m.io)).toBe(0);
    expect(m.stdout()).toContain('Usage: scan-gate [options] <report>');
    expect(m.stdout()).toContain('--ignore-unfixed');
    expect(m.stdout()).toContain('--allow-empty-scan');
  });

  describe('as a subcommand of the bluegreen CLI', () => {
    const saved = process.exitCode;
    afterEach(() => {
      process.exitCode = saved;
    });

    test('sets process.exitCode instead of exiting', () => {
      const m = memoryIO();
      const program = new Command('bluegreen').addCommand(scanGateCommand(m.io));
      program.parse(['node', 'bluegreen', 'scan-gate', 'fixture:secrets']);
      expect(process.exitCode).toBe(1);
      expect(m.stdout()).toContain('Secrets: 2');
    });

    test('reports its exit code to onExit when given one, leaving process.exitCode alone', () => {
      const m = memoryIO();
      const codes: number[] = [];
      process.exitCode = undefined;
      const program = new Command('bluegreen').addCommand(scanGateCommand(m.io, { onExit: (code) => void codes.push(code) }));
      program.parse(['node', 'bluegreen', 'scan-gate', 'fixture:secrets']);
      expect(codes).toEqual([1]);
      expect(process.exitCode).toBeUndefined();
      expect(m.stdout()).toContain('Secrets: 2');
    });

    test('reports a usage error as a CommanderError with exit code 2', () => {
      const m = memoryIO();
      const program = new Command('bluegreen').addCommand(scanGateCommand(m.io));
      let error: unknown;
      try {
        program.parse(['node', 'bluegreen', 'scan-gate', '--nope', 'r.json']);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).exitCode).toBe(2);
    });
  });
});
