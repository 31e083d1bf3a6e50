import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadBuildSpec } from '../../lib/private/buildspec';
import { bundlePath, packageRoot } from '../../lib/private/package-files';

describe('package files', () => {
  test('the package root is found by walking up to the package.json named cdk-blue-green-pipeline', () => {
    // GIVEN a package installed under node_modules of another project
    const app = mkdtempSync(join(tmpdir(), 'bg-root-'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer' }));
    const pkg = join(app, 'node_modules', 'cdk-blue-green-pipeline');
    mkdirSync(join(pkg, 'dist', 'lib', 'private'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'cdk-blue-green-pipeline' }));
    // WHEN / THEN
    expect(packageRoot(join(pkg, 'dist', 'lib', 'private'))).toBe(pkg);
    expect(() => packageRoot(app)).toThrow(/cannot find the package root/);
  });

  test('a missing bundle fails with the command that builds it', () => {
    const root = mkdtempSync(join(tmpdir(), 'bg-empty-'));
    expect(() => bundlePath('swap', root)).toThrow(/pre-bundled asset "swap" is missing .*Run "npm run build"/);
  });

  test('the shipped buildspec is bound to the report group and keeps its other sections', () => {
    const spec = loadBuildSpec('arn:aws:codebuild:eu-west-1:123456789012:report-group/scan');
    expect(Object.keys(spec.reports as object)).toEqual(['arn:aws:codebuild:eu-west-1:123456789012:report-group/scan']);
    expect((spec.env as Record<string, unknown>)['exported-variables']).toEqual(['IMAGE_URI', 'IMAGE_DIGEST', 'COMMIT', 'SCAN_SUMMARY']);
  });

  test('the construct reads the buildspec as the bundle step converted it: the same document as buildspecs/buildspec.yml', () => {
    const shipped = parse(readFileSync(join(packageRoot(), 'buildspecs', 'buildspec.yml'), 'utf8'));
    expect(JSON.parse(readFileSync(bundlePath('buildspec.json'), 'utf8'))).toEqual(shipped);
  });

  test('a buildspec without the scan-report section is refused', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bg-spec-')), 'buildspec.json');
    writeFileSync(path, JSON.stringify({ version: 0.2, phases: {} }));
    expect(() => loadBuildSpec('arn', path)).toThrow(/has no reports.scan-report section/);
  });
});
