// Pre-bundles the control-plane handlers and the build tools with esbuild, so consumers of the
// construct never bundle at synth time. Output: dist/assets/<name>/ (loaded with Code.fromAsset).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'assets');

const bundles = [
  { name: 'deploy-green', entry: 'lambdas/deploy-green/index.ts', outfile: 'index.js' },
  { name: 'swap', entry: 'lambdas/swap/index.ts', outfile: 'index.js' },
  { name: 'bake', entry: 'lambdas/bake/index.ts', outfile: 'index.js' },
  { name: 'infra-owner', entry: 'lambdas/infra-owner/index.ts', outfile: 'index.js' },
  { name: 'build-tools', entry: 'buildspecs/gate/bin.ts', outfile: 'scan-gate.js', copy: 'buildspecs/scripts' },
];

const missing = bundles.filter((b) => !existsSync(join(root, b.entry)));
if (missing.length > 0) {
  console.error(`bundle: missing entry point(s): ${missing.map((b) => b.entry).join(', ')}`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
for (const b of bundles) {
  const dir = join(out, b.name);
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(root, b.entry)],
    outfile: join(dir, b.outfile),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    legalComments: 'none',
    // Prefer the SDK's ES module builds: they tree-shake far better than the CommonJS ones.
    mainFields: ['module', 'main'],
    // Provided by the Lambda Node.js runtime (lambdas/adapters/client-ec2.d.ts says why).
    external: ['@aws-sdk/client-ec2'],
    logLevel: 'warning',
  });
  if (b.copy) {
    const src = join(root, b.copy);
    for (const f of readdirSync(src)) {
      if (statSync(join(src, f)).isFile()) cpSync(join(src, f), join(dir, f));
    }
  }
}
console.log(`bundle: ${bundles.map((b) => b.name).join(', ')} -> ${out}`);
