import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PACKAGE_NAME = 'cdk-blue-green-pipeline';

/**
 * The version in the package's own package.json, found upwards from this file: `lib/cli/` in the
 * source tree, `dist/lib/cli/` once built and installed.
 */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here (or not ours): look further up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
