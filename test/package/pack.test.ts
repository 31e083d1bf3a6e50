import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { README_PATH, pipelinePrograms, relativeLinks } from '../support/readme';

// Adoption the way users do it: build, pack, install the tarball into a CDK app outside the
// repository, synthesize. Catches files missing from the package and repo-only paths. The build is
// the jsii build, so the same run also checks the jsii assembly and the committed API.md.
const REPO = join(__dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', 'cdk.out', '.git', 'coverage', '.jest-cache', '.jsii']);

/** The parts of a jsii assembly (.jsii) these tests read. */
interface Docs {
  summary?: string;
  default?: string;
}
interface Assembly {
  dependencies?: Record<string, string>;
  types: Record<
    string,
    {
      kind: string;
      datatype?: boolean;
      docs?: Docs;
      initializer?: { parameters?: { name: string; docs?: Docs }[] };
      properties?: { name: string; optional?: boolean; docs?: Docs }[];
      methods?: { name: string; docs?: Docs; parameters?: { name: string; docs?: Docs }[] }[];
      members?: { name: string; docs?: Docs }[];
    }
  >;
}

/** Every public type, member and parameter without a doc summary, and every optional struct field without a default. */
function undocumented(assembly: Assembly): string[] {
  const missing: string[] = [];
  const need = (docs: Docs | undefined, what: string) => (docs?.summary ? [] : [what]);
  for (const [fqn, type] of Object.entries(assembly.types)) {
    missing.push(...need(type.docs, fqn));
    for (const p of type.initializer?.parameters ?? []) missing.push(...need(p.docs, `${fqn}(${p.name})`));
    for (const p of type.properties ?? []) {
      missing.push(...need(p.docs, `${fqn}.${p.name}`));
      if (type.datatype && p.optional && !p.docs?.default) missing.push(`${fqn}.${p.name} @default`);
    }
    for (const m of type.methods ?? []) {
      missing.push(...need(m.docs, `${fqn}.${m.name}()`));
      for (const p of m.parameters ?? []) missing.push(...need(p.docs, `${fqn}.${m.name}(${p.name})`));
    }
    for (const m of type.members ?? []) missing.push(...need(m.docs, `${fqn}.${m.name}`));
  }
  return missing;
}

const versionOf = (pkg: string): string => JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')).version;

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  }
}

const APP_JS = `
const { App, Stack } = require('aws-cdk-lib');
const { BlueGreenPipeline, PipelineSource } = require('cdk-blue-green-pipeline');
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Adopter', { env: { region: 'eu-west-1' } });
new BlueGreenPipeline(stack, 'Release', {
  pipelineName: 'adopter',
  source: PipelineSource.connection({
    connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-0000-4000-8000-123456789abc',
    owner: 'acme',
    repository: 'adopter',
  }),
  approvalEmails: ['release@example.com'],
});
app.synth();
`;

describe('package adoption', () => {
  let work: string;
  let installed: string;
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
  let packedFiles: string[];
  let app: string;
  let copy: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'bg-adopt-'));
    // GIVEN a copy of the repository (so the build does not touch the working tree's dist/),
    // without the committed API.md: the build must write it
    copy = join(work, 'repo');
    cpSync(REPO, copy, { recursive: true, filter: (src) => !relative(REPO, src).split(/[\\/]/).some((part) => SKIP.has(part)) });
    rmSync(join(copy, 'API.md'), { force: true });
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'), 'dir');
    // WHEN it is built and packed
    run('npm', ['run', 'build'], copy);
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], copy)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    packedFiles = packed[0].files.map((f) => f.path);
    const tarball = join(work, packed[0].filename);
    // AND installed into a scratch CDK app outside the repository
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'adopter',
        private: true,
        dependencies: {
          'cdk-blue-green-pipeline': `file:${tarball}`,
          'aws-cdk-lib': versionOf('aws-cdk-lib'),
          constructs: versionOf('constructs'),
        },
      }),
    );
    writeFileSync(join(app, 'app.js'), APP_JS);
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    installed = join(app, 'node_modules', 'cdk-blue-green-pipeline');
    run(process.execPath, ['app.js'], app);
    template = JSON.parse(readFileSync(join(app, 'cdk.out', 'Adopter.template.json'), 'utf8'));
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds the compiled JS, the type declarations, the jsii assembly, the API reference, the bundles and the buildspec, and no TypeScript sources', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/lib/blue-green-pipeline.d.ts',
        '.jsii',
        'API.md',
        'dist/assets/deploy-green/index.js',
        'dist/assets/swap/index.js',
        'dist/assets/infra-owner/index.js',
        'dist/assets/build-tools/scan-gate.js',
        'dist/assets/buildspec.json',
        'dist/cli/bluegreen.js',
        'buildspecs/buildspec.yml',
        'package.json',
      ]),
    );
    expect(packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('sample-app/'))).toEqual([]);
  });

  test('the package depends on nothing at run time but its peers: the SDK clients, commander and yaml are inside the bundles', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; peerDependencies: Record<string, string> };
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(['@aws-sdk', 'commander', 'yaml'].filter((name) => existsSync(join(app, 'node_modules', name)))).toEqual([]);
  });

  test('the bluegreen bin runs from the installed package: help, a usage error, and a command that creates an SDK client', () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/bluegreen-test/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/bluegreen-test/credentials',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    };
    const bluegreen = (args: string[]) => spawnSync(join(app, 'node_modules', '.bin', 'bluegreen'), args, { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
    const help = bluegreen(['--help']);
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: bluegreen \[options\] \[command\]/);
    expect(bluegreen(['approve'])).toMatchObject({ status: 2, stderr: "bluegreen: required option '--pipeline <name>' not specified\n" });
    expect(bluegreen(['status', '--pipeline', 'shop-api'])).toMatchObject({ status: 1, stdout: '', stderr: 'bluegreen: no AWS region (use --region or set AWS_REGION)\n' });
  });

  test('the jsii assembly holds exactly the public API, documented member by member, and depends only on aws-cdk-lib and constructs', () => {
    const assembly = JSON.parse(readFileSync(join(installed, '.jsii'), 'utf8')) as Assembly;
    expect(Object.keys(assembly.types).sort()).toEqual(
      [
        'BlueGreenPipeline',
        'BlueGreenPipelineProps',
        'BlueGreenServiceProps',
        'BlueGreenSlot',
        'CanaryOptions',
        'ChatChannel',
        'ChatChannelBinding',
        'CodeCommitSourceOptions',
        'ConnectionSourceOptions',
        'GateSeverity',
        'HeaderTestRouteOptions',
        'LinearOptions',
        'MicrosoftTeamsChannelOptions',
        'PipelineSource',
        'ReleaseTests',
        'ReleaseTestsOptions',
        'S3SourceOptions',
        'SlackChannelOptions',
        'SlotAutoScaling',
        'SourceDescription',
        'TestRoute',
        'TestRouteBinding',
        'TestRouteValidationContext',
        'TrafficShift',
        'TrafficShiftSteps',
      ].map((name) => `cdk-blue-green-pipeline.${name}`),
    );
    expect(undocumented(assembly)).toEqual([]);
    expect(Object.keys(assembly.dependencies ?? {}).sort()).toEqual(['aws-cdk-lib', 'constructs']);
  });

  test('the committed API.md is the one jsii-docgen generates from the code (run `npm run build` and commit API.md)', () => {
    expect(readFileSync(join(copy, 'API.md'), 'utf8')).toEqual(readFileSync(join(REPO, 'API.md'), 'utf8'));
  });

  test('the installed package synthesizes a stack with the whole pipeline', () => {
    const types = Object.values(template.Resources).map((r) => r.Type);
    const pipeline = Object.values(template.Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline')!;
    const stages = pipeline.Properties.Stages as { Name: string; Actions: { Name: string }[] }[];
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'BuildAndScan', 'Release']);
    expect(stages[2].Actions.map((a) => a.Name)).toEqual(['DeployGreen', 'Approve', 'Swap', 'Bake']);
    expect(types.filter((t) => t === 'Custom::BlueGreenSlotService')).toHaveLength(2);
    expect(types).toContain('Custom::BlueGreenRoutes');
  });

  test('the assets come from the installed package, not from the repository', () => {
    for (const name of ['deploy-green', 'swap', 'infra-owner']) expect(existsSync(join(installed, 'dist', 'assets', name, 'index.js'))).toBe(true);
    const cdkOut = join(installed, '..', '..', 'cdk.out');
    const manifest = readFileSync(join(cdkOut, 'Adopter.assets.json'), 'utf8');
    // Each control-plane function's code is the installed package's own bundle.
    for (const [prefix, name] of [['ReleaseDeployGreen', 'deploy-green'], ['ReleaseSwap', 'swap'], ['ReleaseInfraOwner', 'infra-owner']]) {
      const [, fn] = Object.entries(template.Resources).find(([id, r]) => id.startsWith(prefix) && r.Type === 'AWS::Lambda::Function')!;
      const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
      const staged = readFileSync(join(cdkOut, `asset.${hash}`, 'index.js'));
      expect(staged.equals(readFileSync(join(installed, 'dist', 'assets', name, 'index.js')))).toBe(true);
    }
    expect(JSON.stringify(template) + manifest).not.toContain(REPO);
  });

  test('every README link points at a file that ships in the package', () => {
    const links = relativeLinks(readFileSync(README_PATH, 'utf8'));
    expect(links.filter((l) => !packedFiles.includes(l))).toEqual([]);
  });

  test('every README example that builds a pipeline compiles against the package and synthesizes offline', () => {
    // GIVEN each example as a file of the scratch app, compiled with strict TypeScript
    const programs = pipelinePrograms();
    const names = programs.map((p) => `readme-line-${p.line}`);
    programs.forEach((p, i) => writeFileSync(join(app, `${names[i]}.ts`), p.code));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, skipLibCheck: true, types: [], outDir: 'out', rootDir: '.' },
        files: names.map((n) => `${n}.ts`),
      }),
    );
    run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    // WHEN each runs as `cdk synth` runs an app (CDK_OUTDIR set: the app synthesizes itself)
    for (const name of names) {
      const outdir = join(app, `cdk.out.${name}`);
      execFileSync(process.execPath, [join('out', `${name}.js`)], { cwd: app, env: { ...process.env, CDK_OUTDIR: outdir, CDK_DEFAULT_ACCOUNT: '' }, stdio: 'pipe' });
      // THEN it synthesized a pipeline with nothing left to look up
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { missing?: unknown[]; artifacts: Record<string, { type: string; properties?: { templateFile?: string } }> };
      expect({ name, missing: manifest.missing ?? [] }).toEqual({ name, missing: [] });
      const stackFile = Object.values(manifest.artifacts).find((a) => a.type === 'aws:cloudformation:stack')!.properties!.templateFile!;
      const synthesized = JSON.parse(readFileSync(join(outdir, stackFile), 'utf8')) as typeof template;
      expect({ name, pipelines: Object.values(synthesized.Resources).filter((r) => r.Type === 'AWS::CodePipeline::Pipeline').length }).toEqual({ name, pipelines: 1 });
    }
  });
});
