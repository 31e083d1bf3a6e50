import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: {
    readonly Name?: unknown;
    readonly Stages?: Array<{ readonly Name: string; readonly Actions?: Array<{ readonly Name: string; readonly RunOrder?: number }> }>;
  };
}

/**
 * A short summary of a synthesized assembly: its stacks, resource counts, pipeline stages, and
 * every warning synthesis recorded (what `cdk synth` would print), one line each.
 */
export function summarize(assembly: CloudAssembly, outdir: string): string[] {
  const lines = [`Synthesized ${assembly.stacks.length} stack(s) into ${outdir}`];
  for (const stack of assembly.stacks) {
    const resources = Object.values((stack.template.Resources ?? {}) as Record<string, TemplateResource>);
    lines.push(`  ${stack.stackName}: ${resources.length} resources`);
    for (const pipeline of resources.filter((r) => r.Type === 'AWS::CodePipeline::Pipeline')) {
      const name = typeof pipeline.Properties?.Name === 'string' ? pipeline.Properties.Name : '(generated name)';
      // A stage with several actions shows them in run order: Release (DeployGreen -> Approve -> …).
      const stages = (pipeline.Properties?.Stages ?? []).map((s) => {
        const actions = [...(s.Actions ?? [])].sort((x, y) => (x.RunOrder ?? 1) - (y.RunOrder ?? 1)).map((a) => a.Name);
        return actions.length > 1 ? `${s.Name} (${actions.join(' -> ')})` : s.Name;
      });
      lines.push(`  pipeline ${name}: ${stages.join(' -> ')}`);
    }
    for (const message of stack.messages.filter((m) => m.level === 'warning')) {
      lines.push(`  warning at ${message.id}: ${String(message.entry.data)}`);
    }
  }
  return lines;
}
