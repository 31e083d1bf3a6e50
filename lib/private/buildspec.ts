import { readFileSync } from 'node:fs';
import { bundlePath } from './package-files';

/** The report key in buildspecs/buildspec.yml that the construct binds to its report group. */
export const SCAN_REPORT_KEY = 'scan-report';

/**
 * The shipped buildspec as an object, with its `scan-report` report key replaced by the report
 * group ARN (CodeBuild then writes into that group instead of creating one per project). It is
 * read from the JSON that the bundle step makes of buildspecs/buildspec.yml, so synthesis needs
 * no YAML parser.
 */
export function loadBuildSpec(reportGroupArn: string, path: string = bundlePath('buildspec.json')): Record<string, unknown> {
  const spec: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isRecord(spec)) {
    throw new Error(`buildspec ${path} is not a JSON object.`);
  }
  const reports = spec.reports;
  if (!isRecord(reports) || !(SCAN_REPORT_KEY in reports)) {
    throw new Error(`buildspec ${path} has no reports.${SCAN_REPORT_KEY} section to bind to the scan report group.`);
  }
  const rebound: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(reports)) {
    rebound[key === SCAN_REPORT_KEY ? reportGroupArn : key] = value;
  }
  return { ...spec, reports: rebound };
}

/** Whether the buildspec declares build output artifacts (the action then gets an output artifact). */
export function declaresArtifacts(spec: Record<string, unknown>): boolean {
  return isRecord(spec.artifacts);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
