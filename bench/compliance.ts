// Raw compliance findings: what a reviewer sees who runs the four cdk-nag packs, or the AWS
// Control Tower proactive controls (the cfn-guard rules of @cdklabs/cdk-validator-cfnguard), over
// the deployed template, where the construct's acknowledgements do not exist. Each template is
// loaded into a fresh app (test/lib/nag/raw-findings.ts), for the sample, minimal, maximal and
// production-shaped configurations, next to the plain aws-cdk-lib peer of bench/nag-baseline.ts.
// Prints counts; never asserts.
//
//   npm run bundle && npx ts-node --transpile-only bench/compliance.ts
import { Stack } from 'aws-cdk-lib';
import { CONFIGURATIONS } from '../test/lib/nag/configurations';
import { NagFinding, PACKS } from '../test/lib/nag/nag-runner';
import { GuardFailure, controlTowerFailures, rawNagFindings, templateOf } from '../test/lib/nag/raw-findings';
import { plainPipeline } from './nag-baseline';

interface Row {
  readonly name: string;
  readonly findings: Record<string, NagFinding[]>;
  readonly guard: GuardFailure[];
}

const rule = (f: NagFinding) => f.ruleId.replace(/\[.*$/, '');

function measure(name: string, stack: Stack): Row {
  const template = templateOf(stack);
  return { name, findings: rawNagFindings(template), guard: controlTowerFailures(template) };
}

function main(): void {
  const rows = [
    measure('plain aws-cdk-lib peer', plainPipeline()),
    ...CONFIGURATIONS.map(([name, make]) => measure(name.replace(/^(the|a) /, ''), make().stack)),
  ];
  const width = Math.max(...rows.map((r) => r.name.length));
  const cells = (values: Array<string | number>) => values.map((v) => String(v).padStart(15)).join('');
  console.log(`${'raw findings (no acknowledgement)'.padEnd(width)}  ${cells([...PACKS.map((p) => p.name), 'total', 'Control Tower'])}`);
  for (const r of rows) {
    const counts = PACKS.map((p) => r.findings[p.name].length);
    console.log(`${r.name.padEnd(width)}  ${cells([...counts, counts.reduce((a, b) => a + b, 0), r.guard.length])}`);
  }
  for (const r of rows) {
    console.log(`\n${r.name}: findings per rule`);
    const perRule = new Map<string, number>();
    for (const f of Object.values(r.findings).flat()) perRule.set(rule(f), (perRule.get(rule(f)) ?? 0) + 1);
    for (const [id, n] of [...perRule].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`  ${String(n).padStart(3)}  ${id}`);
    console.log(`  Control Tower proactive controls failing (${r.guard.length}):`);
    for (const g of r.guard) console.log(`       ${g.rule} (${g.resources.length}: ${g.resources.join(', ')})`);
  }
}

main();
