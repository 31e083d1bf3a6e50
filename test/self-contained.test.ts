// A clone of this repository alone passes: the tests' data is in the repository, nothing they run
// reaches outside it, and CI runs the contributor checks the README names.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FIXTURES, REPO_ROOT } from './buildspecs/codebuild-harness';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : sources(path);
    return /\.(ts|js|mjs|sh)$/.test(e.name) || !e.name.includes('.') ? [path] : [];
  });
}

describe('a fresh clone', () => {
  test('has the 32 real Trivy reports with their README, the Apache-2.0 license and the notice', () => {
    const files = readdirSync(FIXTURES);
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(32);
    expect(files.filter((f) => !f.endsWith('.json')).sort()).toEqual(['LICENSE', 'NOTICE', 'README.md']);
    expect(relative(REPO_ROOT, FIXTURES)).toBe(join('test', 'fixtures', 'trivy'));
    expect(readFileSync(join(FIXTURES, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(readFileSync(join(FIXTURES, 'NOTICE'), 'utf8')).toContain('Copyright 2019-2020 Aqua Security Software Ltd.');
    expect(readFileSync(join(FIXTURES, 'README.md'), 'utf8')).toContain('dc3c56eed58ab21c7e08d26757c517bc946a86c5');
  });

  test('no test, benchmark or script reads from a folder beside the repository', () => {
    // The project's shared folder sits beside the checkout on the founders' machines only.
    const outside = /\.\.[/\\]shared\b|'\.\.',\s*'shared'|\/work\//;
    const offenders = ['test', 'bench', 'buildspecs', 'lambdas', 'lib', 'sample-app', '.ci']
      .flatMap((dir) => sources(join(REPO_ROOT, dir)))
      .filter((path) => path !== __filename && outside.test(readFileSync(path, 'utf8')))
      .map((path) => relative(REPO_ROOT, path));
    expect(offenders).toEqual([]);
  });

  test('CI runs the template lint after the tests, and the README tells contributors it needs cfn-lint', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['lint:templates']).toBe('npm run bundle && ts-node --transpile-only test/cfn-lint/lint-templates.ts');
    const steps = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8')
      .split('\n')
      .filter((l) => /^npm /.test(l));
    expect(steps).toEqual(['npm ci --no-audit --no-fund', 'npm test', 'npm run lint:templates']);
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm run lint:templates');
    expect(readme).toContain('pip install cfn-lint');
  });
});
