// Raw findings: what a reviewer sees who runs the packs, or the Control Tower proactive controls,
// over the deployed template. The synthesized template is loaded into a fresh app (CfnInclude),
// so no acknowledgement recorded in the construct tree reaches the packs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cfninc from 'aws-cdk-lib/cloudformation-include';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { NagFinding, PACKS, nagFindings } from './nag-runner';

/** A stack's template as CloudFormation receives it. */
export function templateOf(stack: Stack): Record<string, unknown> {
  return Template.fromStack(stack).toJSON();
}

/** Runs `body` with `template` written to a scratch file, then removes the file. */
function withTemplateFile<T>(template: Record<string, unknown>, body: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'bluegreen-raw-'));
  try {
    const path = join(dir, 'template.json');
    writeFileSync(path, JSON.stringify(template));
    return body(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every pack's findings over the template alone, keyed by pack name. */
export function rawNagFindings(template: Record<string, unknown>): Record<string, NagFinding[]> {
  return withTemplateFile(template, (templateFile) => {
    // The template brings its own bootstrap-version parameter and rule.
    const stack = new Stack(new App(), 'Raw', { synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) });
    new cfninc.CfnInclude(stack, 'Template', { templateFile });
    return Object.fromEntries(PACKS.map((p) => [p.name, nagFindings(stack, p.name)]));
  });
}

/** One failing Control Tower proactive control (a cfn-guard rule) and the resources it fails on. */
export interface GuardFailure {
  readonly rule: string;
  readonly resources: string[];
}

/** The Control Tower proactive controls (cfn-guard rules of @cdklabs/cdk-validator-cfnguard) the template fails. */
export function controlTowerFailures(template: Record<string, unknown>): GuardFailure[] {
  return withTemplateFile(template, (path) => {
    // The plugin reads only the template paths; the construct tree is nag's, not the guard's.
    const report = new CfnGuardValidator({ maxBuffer: 64 * 1024 * 1024 }).validate({ templatePaths: [path] } as unknown as Parameters<CfnGuardValidator['validate']>[0]);
    return report.violations
      .map((v) => ({ rule: v.ruleName, resources: [...new Set(v.violatingResources.map((r) => r.resourceLogicalId))].sort() }))
      .sort((a, b) => a.rule.localeCompare(b.rule));
  });
}
