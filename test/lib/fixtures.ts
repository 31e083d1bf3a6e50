import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BlueGreenPipeline, BlueGreenPipelineProps, PipelineSource } from '../../lib';

export const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-0000-4000-8000-123456789abc';

export const baseProps = (): BlueGreenPipelineProps => ({
  pipelineName: 'shop',
  source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop' }),
  approvalEmails: ['release@example.com', 'oncall@example.com'],
});

export interface Synthesized {
  readonly stack: Stack;
  readonly construct: BlueGreenPipeline;
  readonly template: Template;
}

/** One stack with a BlueGreenPipeline; `props` overrides the base props. */
export function synth(
  props: Partial<BlueGreenPipelineProps> = {},
  build?: (stack: Stack) => Partial<BlueGreenPipelineProps>,
  extend?: (stack: Stack, construct: BlueGreenPipeline) => void,
): Synthesized {
  const app = new App();
  const stack = new Stack(app, 'Service', { env: { account: '123456789012', region: 'eu-west-1' } });
  const construct = new BlueGreenPipeline(stack, 'Release', { ...baseProps(), ...props, ...(build ? build(stack) : {}) });
  extend?.(stack, construct);
  return { stack, construct, template: Template.fromStack(stack) };
}

/** The only resource of a type, as [logicalId, resource]. */
export function only(template: Template, type: string): [string, { Properties: Record<string, any>; DependsOn?: string[] }] {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, { Properties: Record<string, any> }];
}

/**
 * Every IAM statement attached to the role whose logical id starts with `rolePrefix`: the
 * construct's roles have customer-managed policies, a grantee of yours its own inline policy.
 */
export function statementsOf(template: Template, rolePrefix: string): Array<Record<string, any>> {
  const all = { ...template.findResources('AWS::IAM::ManagedPolicy'), ...template.findResources('AWS::IAM::Policy') };
  const policies = Object.values(all).filter((p: any) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref.startsWith(rolePrefix)),
  );
  return policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** A statement's resources as a list (CloudFormation renders a single resource without a list). */
export function resourcesOf(statement: Record<string, any>): unknown[] {
  return ([] as unknown[]).concat(statement.Resource);
}

/** The statement that grants exactly `action` (as one of its actions). */
export function statementWith(statements: Array<Record<string, any>>, action: string): Record<string, any> {
  const found = statements.filter((s) => ([] as string[]).concat(s.Action).includes(action));
  if (found.length !== 1) throw new Error(`expected one statement with ${action}, found ${found.length}`);
  return found[0];
}

/**
 * A CloudFormation value as readable text: Fn::Join joined, the partition as "aws", other
 * references as <LogicalId> or <LogicalId.Attribute>.
 */
export function text(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const v = value as Record<string, any>;
  if (v && v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(text).join(v['Fn::Join'][0]);
  if (v && v.Ref) return v.Ref === 'AWS::Partition' ? 'aws' : `<${v.Ref}>`;
  if (v && v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v && v['Fn::Select']) return `<select ${v['Fn::Select'][0]} of ${text(v['Fn::Select'][1])}>`;
  if (v && v['Fn::Split']) return `<split ${text(v['Fn::Split'][1])}>`;
  return JSON.stringify(value);
}
