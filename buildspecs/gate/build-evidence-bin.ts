// build-evidence.js <gate-result.json> <trivy-version.json> <report-s3-uri> <sbom-s3-uri>: prints the build's evidence record.
import { readFileSync } from 'node:fs';
import { composeBuildEvidence } from './build-evidence';

const [gateResult, trivyVersion, reportUri, sbomUri] = process.argv.slice(2);
try {
  if (!sbomUri) throw new Error('usage: build-evidence.js <gate-result.json> <trivy-version.json> <report-s3-uri> <sbom-s3-uri>');
  const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const doc = composeBuildEvidence({ env: process.env, gateResult: json(gateResult), trivyVersion: json(trivyVersion), reportUri, sbomUri });
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
} catch (err) {
  process.stderr.write(`build-evidence: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
