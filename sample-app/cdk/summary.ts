import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: { readonly Name?: unknown; readonly Stages?: Array<{ readonly Name: string }> };
}

/** A short summary of a synthesized assembly: its stacks, resource counts and pipeline stages. */
export function summarize(assembly: CloudAssembly, outdir: string): string[] {
  const lines = [`Synthesized ${assembly.stacks.length} stack(s) into ${outdir}`];
  for (const stack of assembly.stacks) {
    const resources = Object.values((stack.template.Resources ?? {}) as Record<string, TemplateResource>);
    lines.push(`  ${stack.stackName}: ${resources.length} resources`);
    for (const pipeline of resources.filter((r) => r.Type === 'AWS::CodePipeline::Pipeline')) {
      const name = typeof pipeline.Properties?.Name === 'string' ? pipeline.Properties.Name : '(generated name)';
      const stages = (pipeline.Properties?.Stages ?? []).map((s) => s.Name);
      lines.push(`  pipeline ${name}: ${stages.join(' -> ')}`);
    }
  }
  return lines;
}
