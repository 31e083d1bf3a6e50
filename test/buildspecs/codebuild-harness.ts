// Runs buildspecs/buildspec.yml the way CodeBuild does: every command of every phase in one bash
// shell, phase by phase, stopping at the first failing command (on-failure: ABORT); environment
// = buildspec defaults overridden by the project's variables. The tools are the bundled asset
// (dist/assets/build-tools from `npm run bundle`), so the tests run what the construct ships.
// docker, trivy, aws and curl are stand-ins (test/buildspecs/standins/) that log their calls and
// share a small state folder.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

export const REPO_ROOT = join(__dirname, '..', '..');
export const BUILDSPEC_PATH = join(REPO_ROOT, 'buildspecs', 'buildspec.yml');
/** The real Trivy reports, copied into the repository (see its README). */
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'trivy');
export const PHASES = ['install', 'pre_build', 'build', 'post_build'] as const;

export interface BuildSpec {
  version: number;
  env: { shell: string; variables: Record<string, string>; 'exported-variables': string[] };
  phases: Record<string, { 'on-failure'?: string; 'runtime-versions'?: Record<string, number>; commands: string[] }>;
  reports: Record<string, { 'base-directory': string; files: string[]; 'file-format': string }>;
  artifacts: { 'base-directory': string; files: string[] };
  cache: { paths: string[] };
}

export function loadBuildSpec(): BuildSpec {
  return parse(readFileSync(BUILDSPEC_PATH, 'utf8')) as BuildSpec;
}

const STANDINS = join(__dirname, 'standins');

function sh(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** What the construct ships: the bundled gate and the scripts, zipped as the CDK asset is. */
export interface Toolkit {
  readonly root: string;
  readonly toolsZip: string;
  readonly trivyArchive: string;
  readonly trivyArchiveSha256: string;
  readonly standins: string;
}

/** The build-tools asset `npm run bundle` writes (lambdas/bundle.mjs): the gate and the scripts. */
export const BUILD_TOOLS_ASSET = join(REPO_ROOT, 'dist', 'assets', 'build-tools');
const SCRIPTS = join(REPO_ROOT, 'buildspecs', 'scripts');

/** Fails unless the bundled asset exists and ships the scripts as they are in the tree now. */
function checkBuildToolsAsset(asset: string): void {
  const hint = 'run npm run bundle first (npm test does it in pretest)';
  if (!existsSync(join(asset, 'scan-gate.js'))) {
    throw new Error(`the build-tools asset is missing at ${asset}: ${hint}`);
  }
  const stale = readdirSync(SCRIPTS).filter((f) => {
    const bundled = join(asset, f);
    return !existsSync(bundled) || readFileSync(bundled, 'utf8') !== readFileSync(join(SCRIPTS, f), 'utf8');
  });
  if (stale.length > 0) {
    throw new Error(`the build-tools asset at ${asset} is older than buildspecs/scripts (${stale.join(', ')}): ${hint}`);
  }
}

/** @param asset the bundled build-tools folder (a test of the check passes another one) */
export function prepareToolkit(asset: string = BUILD_TOOLS_ASSET): Toolkit {
  checkBuildToolsAsset(asset);
  const root = mkdtempSync(join(tmpdir(), 'bg-buildspec-'));
  // The shipped artifact, zipped as the CDK asset is.
  const toolsZip = join(root, 'bg-tools.zip');
  sh('zip', ['-q', '-r', toolsZip, '.'], asset);

  const archiveDir = join(root, 'trivy-release');
  mkdirSync(archiveDir);
  writeExecutable(join(archiveDir, 'trivy'), readFileSync(join(STANDINS, 'trivy'), 'utf8'));
  const trivyArchive = join(root, 'trivy.tar.gz');
  sh('tar', ['-czf', trivyArchive, '-C', archiveDir, 'trivy']);
  const trivyArchiveSha256 = sh('sha256sum', [trivyArchive]).split(' ')[0];

  const standins = join(root, 'standins');
  mkdirSync(standins);
  for (const tool of ['docker', 'aws', 'curl']) {
    writeExecutable(join(standins, tool), readFileSync(join(STANDINS, tool), 'utf8'));
  }
  return { root, toolsZip, trivyArchive, trivyArchiveSha256, standins };
}

export interface RunOptions {
  /** Project environment variables (the construct's), over the buildspec's defaults. */
  readonly projectEnv?: Record<string, string>;
  /** The candidate image's Trivy report. */
  readonly report: string;
  readonly liveReport?: string;
  readonly liveScanFails?: boolean;
  /** Tags already in the ECR repository (tag → digest), e.g. from an earlier build of the commit. */
  readonly registry?: Record<string, string>;
  /** Makes `ecr describe-images` fail with this error code (e.g. AccessDeniedException). */
  readonly ecrDescribeError?: string;
  /** Value of the state SSM parameter; absent = ParameterNotFound. */
  readonly ssmValue?: string;
  /** Files to place in the source checkout. */
  readonly sourceFiles?: Record<string, string>;
  /** Edits the parsed buildspec before the run (to simulate a tampered or broken build). */
  readonly editSpec?: (spec: BuildSpec) => void;
}

export interface BuildRun {
  readonly succeeded: boolean;
  readonly failedPhase?: string;
  /** The exported-variables that are set at the end of the build. */
  readonly exported: Record<string, string>;
  /** Stand-in invocations, one per line, e.g. "docker push <ref>". */
  readonly calls: string[];
  readonly output: string;
  readonly srcDir: string;
  readonly registry: Record<string, string>;
}

let runs = 0;

export function runBuild(kit: Toolkit, opts: RunOptions): BuildRun {
  const spec = loadBuildSpec();
  opts.editSpec?.(spec);
  const dir = join(kit.root, `run-${++runs}`);
  const srcDir = join(dir, 'src');
  const state = join(dir, 'state');
  const cmds = join(dir, 'cmds');
  for (const d of [srcDir, join(state, 'registry'), cmds, join(dir, 'home')]) mkdirSync(d, { recursive: true });
  for (const [tag, digest] of Object.entries(opts.registry ?? {})) writeFileSync(join(state, 'registry', tag), digest);
  writeFileSync(join(srcDir, 'Dockerfile'), 'FROM scratch\n');
  for (const [path, text] of Object.entries(opts.sourceFiles ?? {})) {
    mkdirSync(dirname(join(srcDir, path)), { recursive: true });
    writeFileSync(join(srcDir, path), text);
  }

  const lines: string[] = ['cd "$CODEBUILD_SRC_DIR" || exit 99'];
  for (const phase of PHASES) {
    spec.phases[phase].commands.forEach((command, i) => {
      const file = join(cmds, `${phase}-${String(i).padStart(3, '0')}.sh`);
      writeFileSync(file, `${command}\n`);
      lines.push(
        `if [ ! -e "${dir}/failed" ]; then`,
        `  echo "[harness] ${phase}: $(cat '${file}')"`,
        `  . '${file}' || echo ${phase} >"${dir}/failed"`,
        'fi',
      );
    });
  }
  const exported = spec.env['exported-variables'];
  lines.push(`for v in ${exported.join(' ')}; do [ -z "\${!v+x}" ] || printf '%s\\t%s\\n' "$v" "\${!v}"; done >"${dir}/exported.tsv"`);
  const driver = join(dir, 'driver.sh');
  writeFileSync(driver, `${lines.join('\n')}\n`);

  const env: Record<string, string> = {
    PATH: `${kit.standins}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: join(dir, 'home'),
    LANG: 'C.UTF-8',
    ...spec.env.variables,
    // What the construct sets, then what CodeBuild sets.
    REPOSITORY_URI: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web',
    BG_TOOLS_S3_URI: 's3://cdk-assets-bucket/build-tools.zip',
    BG_TOOLS_DIR: join(dir, 'bg-tools'),
    TRIVY_CACHE_DIR: join(dir, 'trivy-cache'),
    ...opts.projectEnv,
    CODEBUILD_SRC_DIR: srcDir,
    CODEBUILD_BUILD_ID: 'shop-web-build:6f1c2a9e-0b7d-4c3e-9a51-2d8f7e6b5c4a',
    CODEBUILD_RESOLVED_SOURCE_VERSION: '3f786850e387550fdab836ed7e6dc881de23001b',
    STANDIN_LOG: join(dir, 'calls.log'),
    STANDIN_STATE: state,
    STANDIN_TOOLS_ZIP: kit.toolsZip,
    STANDIN_TRIVY_ARCHIVE: kit.trivyArchive,
    STANDIN_TRIVY_VERSION: spec.env.variables.TRIVY_VERSION,
    STANDIN_REPORT: opts.report,
    STANDIN_LIVE_REPORT: opts.liveReport ?? '/nonexistent',
    ...(opts.liveScanFails ? { STANDIN_LIVE_SCAN_FAIL: '1' } : {}),
    ...(opts.ssmValue !== undefined ? { STANDIN_SSM_VALUE: opts.ssmValue } : {}),
    ...(opts.ecrDescribeError ? { STANDIN_ECR_DESCRIBE_ERROR: opts.ecrDescribeError } : {}),
  };
  const r = spawnSync('bash', [driver], { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`harness driver exited ${r.status}: ${r.stderr}`);
  const failed = join(dir, 'failed');
  const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
  const registryDir = join(state, 'registry');
  const registry: Record<string, string> = {};
  if (existsSync(registryDir)) for (const t of readdirSync(registryDir)) registry[t] = read(join(registryDir, t));
  return {
    succeeded: !existsSync(failed),
    failedPhase: existsSync(failed) ? read(failed).trim() : undefined,
    exported: Object.fromEntries(
      read(join(dir, 'exported.tsv'))
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t') as [string, string]),
    ),
    calls: read(env.STANDIN_LOG).split('\n').filter(Boolean),
    output: `${r.stdout}\n${r.stderr}`,
    srcDir,
    registry,
  };
}
