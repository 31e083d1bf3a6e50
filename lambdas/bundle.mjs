// Pre-bundles the control-plane handlers and the build tools with esbuild, so consumers of the
// construct never bundle at synth time. Output: dist/assets/<name>/ (loaded with Code.fromAsset).
// Also bundles the `bluegreen` CLI into dist/cli/bluegreen.js and converts the buildspec to JSON
// (dist/assets/buildspec.json): the SDK clients, commander and yaml then live in the bundles, and
// the package itself depends on nothing but aws-cdk-lib and constructs (what jsii accepts).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'assets');
const cli = { entry: 'lib/cli/main.ts', outfile: join(root, 'dist', 'cli', 'bluegreen.js') };

const bundles = [
  { name: 'deploy-green', entry: 'lambdas/deploy-green/index.ts', outfile: 'index.js' },
  { name: 'swap', entry: 'lambdas/swap/index.ts', outfile: 'index.js' },
  { name: 'bake', entry: 'lambdas/bake/index.ts', outfile: 'index.js' },
  { name: 'evidence', entry: 'lambdas/evidence/index.ts', outfile: 'index.js' },
  { name: 'infra-owner', entry: 'lambdas/infra-owner/index.ts', outfile: 'index.js' },
  { name: 'build-tools', entry: 'buildspecs/gate/bin.ts', outfile: 'scan-gate.js', copy: 'buildspecs/scripts' },
  { name: 'build-tools', entry: 'buildspecs/gate/build-evidence-bin.ts', outfile: 'build-evidence.js' },
];

const missing = [...bundles, cli].filter((b) => !existsSync(join(root, b.entry)));
if (missing.length > 0) {
  console.error(`bundle: missing entry point(s): ${missing.map((b) => b.entry).join(', ')}`);
  process.exit(1);
}

const options = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  // Prefer the SDK's ES module builds: they tree-shake far better than the CommonJS ones.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  // From the Lambda runtime's AWS SDK (lambdas/adapters/scaling-client.ts).
  external: ['@aws-sdk/client-application-auto-scaling'],
};

rmSync(out, { recursive: true, force: true });
for (const b of bundles) {
  const dir = join(out, b.name);
  mkdirSync(dir, { recursive: true });
  await build({ ...options, entryPoints: [join(root, b.entry)], outfile: join(dir, b.outfile) });
  if (b.copy) {
    const src = join(root, b.copy);
    for (const f of readdirSync(src)) {
      if (statSync(join(src, f)).isFile()) cpSync(join(src, f), join(dir, f));
    }
  }
}
writeFileSync(join(out, 'buildspec.json'), JSON.stringify(parse(readFileSync(join(root, 'buildspecs', 'buildspec.yml'), 'utf8'))));
// The entry's `#!/usr/bin/env node` line is kept by esbuild, so the file works as the package's bin.
await build({ ...options, entryPoints: [join(root, cli.entry)], outfile: cli.outfile });
console.log(`bundle: ${[...new Set(bundles.map((b) => b.name))].join(', ')}, buildspec.json -> ${out}; bluegreen -> ${cli.outfile}`);
