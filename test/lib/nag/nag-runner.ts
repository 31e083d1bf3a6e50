import { App, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';

/** The four packs the construct answers to, by the prefix of their rule ids. */
export const PACKS: ReadonlyArray<{ readonly name: string; readonly create: () => NagPack }> = [
  { name: 'AwsSolutions', create: () => new AwsSolutionsChecks(undefined, { verbose: true }) },
  { name: 'NIST.800.53.R5', create: () => new NIST80053R5Checks(undefined, { verbose: true }) },
  { name: 'PCI.DSS.321', create: () => new PCIDSS321Checks(undefined, { verbose: true }) },
  { name: 'HIPAA.Security', create: () => new HIPAASecurityChecks(undefined, { verbose: true }) },
];

/** One unacknowledged finding: a rule (with its finding id, e.g. `AwsSolutions-IAM5[Resource::*]`) on one resource. */
export interface NagFinding {
  readonly pack: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly path: string;
  readonly description: string;
}

/**
 * Runs one pack over a stack and returns what it reports: findings that no acknowledgement
 * covers (cdk-nag 3 reads acknowledgements from `Validations.of(…).acknowledge`).
 * The app is synthesized first so that aspects have shaped the tree the pack walks.
 */
export function nagFindings(stack: Stack, packName: string): NagFinding[] {
  const pack = PACKS.find((p) => p.name === packName);
  if (!pack) throw new Error(`unknown pack ${packName}; expected one of ${PACKS.map((p) => p.name).join(', ')}`);
  (stack.node.root as App).synth();
  const report = pack.create().validateScope(stack);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => ({
      pack: pack.name,
      ruleId: v.ruleName,
      severity: v.severity ?? 'error',
      path: r.constructPath ?? '(unknown)',
      description: v.description,
    })),
  );
}

/** Findings of every pack, keyed by pack name. */
export function allNagFindings(stack: Stack): Record<string, NagFinding[]> {
  return Object.fromEntries(PACKS.map((p) => [p.name, nagFindings(stack, p.name)]));
}

/** One line per finding, for failure messages: `<ruleId> (<severity>) at <path>`. */
export function describeFindings(findings: readonly NagFinding[]): string {
  return findings.map((f) => `${f.ruleId} (${f.severity}) at ${f.path}`).join('\n');
}
