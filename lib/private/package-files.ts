import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'cdk-blue-green-pipeline';

/**
 * What the bundle step writes under dist/assets/: the control-plane asset folders, and the
 * buildspec as JSON.
 */
export type BundleName = 'deploy-green' | 'swap' | 'bake' | 'infra-owner' | 'evidence' | 'build-tools' | 'buildspec.json';

let cachedRoot: string | undefined;

/**
 * The root of this package, found by walking up from this file to the package.json named
 * `cdk-blue-green-pipeline`. Works from lib/private/*.ts inside the repository and from
 * dist/lib/private/*.js inside an installed tarball.
 */
export function packageRoot(start: string = __dirname): string {
  if (start === __dirname && cachedRoot) return cachedRoot;
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) {
      if (start === __dirname) cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`${PACKAGE_NAME}: cannot find the package root (no package.json named "${PACKAGE_NAME}" above ${start}).`);
    }
    dir = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/** Absolute path of a pre-bundled asset; throws a clear error when the bundle was never built. */
export function bundlePath(name: BundleName, root: string = packageRoot()): string {
  const dir = join(root, 'dist', 'assets', name);
  if (!existsSync(dir)) {
    throw new Error(
      `${PACKAGE_NAME}: the pre-bundled asset "${name}" is missing (expected ${dir}). ` +
        'Run "npm run build" (or "npm run bundle") in the cdk-blue-green-pipeline package first.',
    );
  }
  return dir;
}
