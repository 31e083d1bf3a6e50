// Lints the templates the construct synthesizes as AWS's own linter sees them: synthesizes the
// sample app and the minimal and maximal configurations of the nag tests into a scratch folder
// and runs cfn-lint over every template in it, each against the region its stack deploys to.
// Fails on any cfn-lint error; warnings and informational findings are listed, not fatal. The
// scratch folder is removed after a clean run and kept when there are errors.
//
//   npm run lint:templates [-- <output folder>]     (needs cfn-lint: pip install cfn-lint)
//
// CFN_LINT names another cfn-lint executable. A contributor check, not a jest suite: a clone
// without cfn-lint still passes `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App, Stage } from 'aws-cdk-lib';
import { CONFIGURATIONS } from '../lib/nag/configurations';

export const INSTALL_HINT = 'install it with pip install cfn-lint';

/** A problem with the linter itself (missing, broken output), as opposed to findings. */
export class LintSetupError extends Error {}

/** One cfn-lint finding as its JSON format (`--format json`) writes it. */
export interface CfnLintFinding {
  readonly Filename: string;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Start: { readonly LineNumber: number }; readonly Path?: readonly (string | number)[] };
}

/** The installed cfn-lint's version, e.g. "cfn-lint 1.51.0"; a LintSetupError when there is none. */
export function cfnLintVersion(command: string): string {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'is not installed (not on PATH)' : `cannot be run (${r.error.message})`;
    throw new LintSetupError(`${command} ${why}: ${INSTALL_HINT}`);
  }
  const version = `${r.stdout}${r.stderr}`.trim();
  if (r.status !== 0 || !/^cfn-lint \d/.test(version)) {
    throw new LintSetupError(`${command} --version answered ${JSON.stringify(version.slice(0, 200))} (exit ${r.status}): ${INSTALL_HINT}`);
  }
  return version;
}

/** Every `*.template.json` under `dir`, in nested assemblies (stages) too, sorted. */
export function findTemplates(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTemplates(path));
    else if (entry.name.endsWith('.template.json')) found.push(path);
  }
  return found.sort();
}

/**
 * The region each stack template deploys to, from the cloud assembly manifests under `dir`.
 * Templates of environment-agnostic stacks, and templates no manifest names, are absent.
 */
export function stackRegions(dir: string): Map<string, string> {
  const regions = new Map<string, string>();
  const visit = (folder: string): void => {
    const manifestPath = join(folder, 'manifest.json');
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        artifacts?: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
      };
      for (const artifact of Object.values(manifest.artifacts ?? {})) {
        const region = /^aws:\/\/[^/]+\/(.+)$/.exec(artifact.environment ?? '')?.[1];
        const template = artifact.properties?.templateFile;
        if (artifact.type === 'aws:cloudformation:stack' && template && region && region !== 'unknown-region') {
          regions.set(join(folder, template), region);
        }
      }
    }
    for (const entry of readdirSync(folder, { withFileTypes: true })) if (entry.isDirectory()) visit(join(folder, entry.name));
  };
  visit(dir);
  return regions;
}

/**
 * Runs cfn-lint once over `templates`, in the one region their stacks deploy to, and returns its
 * findings. Not `--regions ALL_REGIONS`: that reports E3006 for the regions without CodeBuild, and
 * cfn-lint 1.51 then also reports a false E3701 ("'Source' is already a defined 'OutputArtifact'
 * Name") for each pipeline artifact, as it runs the rule again on the same names (the mechanism of
 * aws-cloudformation/cfn-lint#4584).
 */
export function runCfnLint(command: string, templates: readonly string[], region: string | undefined, cwd: string): CfnLintFinding[] {
  const args = ['--format', 'json', ...(region ? ['--regions', region] : []), '--', ...templates.map((t) => relative(cwd, t))];
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new LintSetupError(`${command} failed to run: ${r.error.message}`);
  try {
    const findings = JSON.parse(r.stdout) as CfnLintFinding[];
    if (Array.isArray(findings)) return findings;
  } catch {
    // Reported below with cfn-lint's own words.
  }
  const said = `${r.stderr}${r.stdout}`.trim().split('\n').slice(-3).join(' | ');
  throw new LintSetupError(`${command} exited ${r.status} without a JSON result: ${said.slice(0, 400)}`);
}

export interface LintSummary {
  readonly errors: number;
  readonly warnings: number;
  readonly informational: number;
  /** Every error, one line each, then one line per other rule with its count and a first example. */
  readonly lines: readonly string[];
}

function findingLine(f: CfnLintFinding): string {
  return `${f.Rule.Id} ${f.Filename}:${f.Location.Start.LineNumber} ${(f.Location.Path ?? []).join('/')}: ${f.Message}`;
}

export function summarize(findings: readonly CfnLintFinding[]): LintSummary {
  const count = (level: CfnLintFinding['Level']) => findings.filter((f) => f.Level === level).length;
  const byRule = (a: CfnLintFinding, b: CfnLintFinding) => a.Rule.Id.localeCompare(b.Rule.Id) || a.Filename.localeCompare(b.Filename);
  const errors = findings.filter((f) => f.Level === 'Error').sort(byRule);
  const others = new Map<string, CfnLintFinding[]>();
  for (const f of findings.filter((x) => x.Level !== 'Error').sort(byRule)) others.set(f.Rule.Id, [...(others.get(f.Rule.Id) ?? []), f]);
  const lines = [
    ...errors.map(findingLine),
    ...[...others.values()].map((fs) => `${fs[0].Rule.Id} ×${fs.length} (${fs[0].Level.toLowerCase()}), e.g. ${findingLine(fs[0]).slice(fs[0].Rule.Id.length + 1)}`),
  ];
  return { errors: errors.length, warnings: count('Warning'), informational: count('Informational'), lines };
}

/** Synthesizes every configuration into its own folder under `outdir`. */
function synthesize(outdir: string): void {
  for (const [name, make] of CONFIGURATIONS) {
    // The configurations build their own App; CDK_OUTDIR is where an App without outdir writes.
    process.env.CDK_OUTDIR = join(outdir, name.replace(/[^a-z0-9]+/gi, '-'));
    const { stack } = make();
    (Stage.of(stack) as App).synth();
  }
  delete process.env.CDK_OUTDIR;
}

/** The whole check; returns the exit code (0: no cfn-lint error). */
export function main(argv: readonly string[]): number {
  const started = Date.now();
  const command = process.env.CFN_LINT ?? 'cfn-lint';
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  try {
    const version = cfnLintVersion(command);
    const scratch = argv[0] === undefined;
    const outdir = argv[0] ?? mkdtempSync(join(tmpdir(), 'bg-lint-templates-'));
    mkdirSync(outdir, { recursive: true });
    synthesize(outdir);
    const templates = findTemplates(outdir);
    if (templates.length === 0) throw new LintSetupError(`no *.template.json under ${outdir}: nothing was synthesized`);
    const regions = stackRegions(outdir);
    const byRegion = new Map<string | undefined, string[]>();
    for (const t of templates) byRegion.set(regions.get(t), [...(byRegion.get(regions.get(t)) ?? []), t]);
    const findings: CfnLintFinding[] = [];
    for (const [region, group] of byRegion) {
      console.log(`${version}: ${group.map((t) => relative(outdir, t)).join(', ')} in ${region ?? "cfn-lint's default region"}`);
      findings.push(...runCfnLint(command, group, region, outdir));
    }
    const s = summarize(findings);
    for (const line of s.lines) console.log(`  ${line}`);
    const counts = `${s.errors} errors, ${s.warnings} warnings, ${s.informational} informational`;
    console.log(`lint:templates: ${version}, ${templates.length} templates under ${outdir}: ${counts}; ${seconds()}`);
    if (s.errors > 0) {
      console.error(`lint:templates: FAIL: cfn-lint found ${s.errors} error(s) in the synthesized templates (kept in ${outdir})`);
      return 1;
    }
    if (scratch) rmSync(outdir, { recursive: true, force: true });
    return 0;
  } catch (err) {
    const message = err instanceof LintSetupError ? err.message : `internal error: ${err instanceof Error ? err.stack : String(err)}`;
    console.error(`lint:templates: FAIL: ${message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
