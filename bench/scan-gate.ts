// Scan gate benchmark: parse and gate time and peak memory for the largest fixture and for a
// generated report with 50,000 findings. Prints numbers; asserts nothing.
// Target for the 50,000-finding report: under 1 s and under 200 MB.
// Run: npm run bench (or npx ts-node --transpile-only bench/scan-gate.ts)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = join(__dirname, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'trivy');

// Runs in a fresh node process per case, on the same esbuild bundle the build ships, so the peak
// RSS is the gate's own and not the benchmark's.
const CHILD = `
const [lib, report] = process.argv.slice(1);
const g = require(lib);
const rssStart = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
const parsed = g.parseTrivyReport(g.processIO.readFile(report));
const t1 = process.hrtime.bigint();
const result = g.evaluate(parsed, { failOn: 'HIGH', ignoreUnfixed: true });
const t2 = process.hrtime.bigint();
const outputs = [g.summaryLine(result), g.markdown(result), g.junit(result), JSON.stringify(g.jsonResult(result))];
const t3 = process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;
console.log(JSON.stringify({
  findings: parsed.findings.length, violations: result.violations.length,
  readParseMs: ms(t0, t1), gateMs: ms(t1, t2), formatMs: ms(t2, t3), totalMs: ms(t0, t3),
  outputBytes: outputs.reduce((n, s) => n + s.length, 0),
  rssStartMB: rssStart / 1048576, peakRssMB: process.resourceUsage().maxRSS / 1024,
}));
`;

// The peer: reading the file and a bare JSON.parse, the floor any parser of the report pays.
const PEER = `
const report = process.argv[1];
const t0 = process.hrtime.bigint();
const doc = JSON.parse(require('node:fs').readFileSync(report, 'utf8'));
const t1 = process.hrtime.bigint();
console.log(JSON.stringify({ totalMs: Number(t1 - t0) / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1024, results: (doc.Results || []).length }));
`;

function bestOf3(script: string, args: string[]): Record<string, number> {
  const runs = [1, 2, 3].map(() => {
    const r = spawnSync(process.execPath, ['-e', script, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Record<string, number>;
  });
  const best = runs.reduce((a, b) => (b.totalMs < a.totalMs ? b : a));
  return { ...best, peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)) };
}

function generateReport(findings: number): string {
  const severities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
  const vulns = Array.from({ length: findings }, (_, i) => ({
    VulnerabilityID: `CVE-2024-${10000 + i}`,
    PkgID: `pkg-${i % 2000}@1.${i % 7}.0`,
    PkgName: `pkg-${i % 2000}`,
    InstalledVersion: `1.${i % 7}.0`,
    ...(i % 3 === 0 ? {} : { FixedVersion: `1.${i % 7}.1` }),
    Status: i % 3 === 0 ? 'affected' : 'fixed',
    Severity: severities[i % 5],
    Title: `Generated finding ${i}`,
    Description: 'A generated vulnerability description of typical length. '.repeat(6),
    PrimaryURL: `https://avd.aquasec.com/nvd/cve-2024-${10000 + i}`,
    References: [`https://nvd.nist.gov/vuln/detail/CVE-2024-${10000 + i}`],
  }));
  const perResult = 5000;
  const results = [];
  for (let r = 0; r * perResult < findings; r++) {
    results.push({
      Target: r === 0 ? 'app:bench (debian 12.5)' : `app/lib-${r}/package-lock.json`,
      Class: r === 0 ? 'os-pkgs' : 'lang-pkgs',
      Type: r === 0 ? 'debian' : 'npm',
      Vulnerabilities: vulns.slice(r * perResult, (r + 1) * perResult),
    });
  }
  return JSON.stringify({ SchemaVersion: 2, ArtifactName: 'app:bench', ArtifactType: 'container_image', Results: results }, null, 2);
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-'));
  try {
    const lib = join(dir, 'gate-lib.js');
    buildSync({ entryPoints: [join(ROOT, 'buildspecs', 'gate', 'index.ts')], outfile: lib, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
    const largest = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(FIXTURES, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0];
    const generated = join(dir, 'generated-50000.json');
    writeFileSync(generated, generateReport(50_000));

    console.log('scan-gate benchmark (parse + gate + all outputs; one fresh node process per case)');
    for (const [label, file] of [
      [`largest fixture (${largest.split('/').pop()})`, largest],
      ['generated report, 50,000 findings', generated],
    ]) {
      const best = bestOf3(CHILD, [lib, file]);
      const peer = bestOf3(PEER, [file]);
      const mb = (statSync(file).size / 1048576).toFixed(1);
      console.log(
        `${label}: ${mb} MB, ${best.findings} findings, ${best.violations} violations; ` +
          `read+parse ${best.readParseMs.toFixed(1)} ms, gate ${best.gateMs.toFixed(1)} ms, outputs ${best.formatMs.toFixed(1)} ms, ` +
          `total ${best.totalMs.toFixed(1)} ms (best of 3); peak RSS ${best.peakRssMB.toFixed(0)} MB ` +
          `(node at start: ${best.rssStartMB.toFixed(0)} MB)`,
      );
      console.log(
        `  peer (read + bare JSON.parse): ${peer.totalMs.toFixed(1)} ms, peak RSS ${peer.peakRssMB.toFixed(0)} MB; ` +
          `gate total / peer: ${(best.totalMs / peer.totalMs).toFixed(1)}x time, ${(best.peakRssMB / peer.peakRssMB).toFixed(2)}x memory`,
      );
    }
    const t0 = Date.now();
    const bin = join(dir, 'scan-gate.js');
    buildSync({ entryPoints: [join(ROOT, 'buildspecs', 'gate', 'bin.ts')], outfile: bin, bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
    const t1 = Date.now();
    const cli = spawnSync(process.execPath, [bin, generated, '--ignore-unfixed', '--json', '--junit', join(dir, 'j.xml')], { encoding: 'utf8', maxBuffer: 1 << 30 });
    console.log(`end to end: node scan-gate.js on the 50,000-finding report: exit ${cli.status}, ${Date.now() - t1} ms wall (bundle built in ${t1 - t0} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
