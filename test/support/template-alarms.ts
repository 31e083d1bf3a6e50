// A synthesized template's alarms as CloudFormation would create them, in the CloudWatch model: so
// a test runs the real Bake handler against exactly what the construct deploys, with exactly the
// DescribeAlarms grant its Bake role has. A regression in the construct (a narrower grant, an alarm
// left out of the composite alarms, a rule over CloudWatch's limits) fails the test.
import { Template } from 'aws-cdk-lib/assertions';
import { BakeConfig } from '../../lambdas/core/config';
import { AlarmModel } from './cloudwatch-model';

type Resource = { Type: string; Properties?: Record<string, any> };

export interface DeployedAlarms {
  /** A CloudFormation value as deployed: names and ARNs for alarms and functions, `<LogicalId>` for the rest. */
  resolve(value: unknown): unknown;
  /** The deployed name of the resource with this logical id. */
  nameOf(logicalId: string): string;
  /** The bake section of the Bake function's BLUEGREEN_CONFIG. */
  readonly bake: BakeConfig;
  /** The Resource list of the Bake role's cloudwatch:DescribeAlarms statement(s). */
  readonly describeAlarmsGrant: string[];
}

/**
 * Creates the template's metric and composite alarms in `alarms` (children before parents, as
 * CloudFormation orders them by their references) and sets the model's grant to the Bake role's.
 * Names are the AlarmName property, or the logical id standing in for a generated name. Alarms the
 * template only references (imported by ARN) must already be in the model.
 */
export function deployAlarms(template: Template, alarms: AlarmModel): DeployedAlarms {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const nameOf = (id: string): string => {
    const name = resources[id]?.Properties?.AlarmName;
    return typeof name === 'string' ? name : id;
  };
  const resolve = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(resolve);
    const o = v as Record<string, any>;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(resolve).join(o['Fn::Join'][0]);
    if (o.Ref === 'AWS::Partition') return 'aws';
    if (o.Ref !== undefined) return resources[o.Ref]?.Type.startsWith('AWS::CloudWatch::') ? nameOf(o.Ref) : o.Ref.startsWith('AWS::') ? `<${o.Ref}>` : o.Ref;
    if (o['Fn::GetAtt']) {
      const [id, attribute] = o['Fn::GetAtt'];
      return resources[id]?.Type.startsWith('AWS::CloudWatch::') && attribute === 'Arn' ? alarms.arnOf(nameOf(id)) : `<${id}.${attribute}>`;
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };

  const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  for (const [id] of byType('AWS::CloudWatch::Alarm')) alarms.addMetric(nameOf(id));
  let pending = byType('AWS::CloudWatch::CompositeAlarm').map(([id, r]) => ({ name: nameOf(id), rule: resolve(r.Properties!.AlarmRule) as string }));
  while (pending.length > 0) {
    const ready = pending.filter((c) => [...c.rule.matchAll(/:alarm:([^"]+)"/g)].every((m) => alarms.alarms.has(m[1])));
    if (ready.length === 0) throw new Error(`deployAlarms: composite alarms ${pending.map((c) => c.name).join(', ')} name alarms that do not exist`);
    for (const c of ready) alarms.addComposite(c.name, c.rule);
    pending = pending.filter((c) => !ready.includes(c));
  }

  const bakeFunction = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('ReleaseBakeFunction'));
  if (!bakeFunction) throw new Error('deployAlarms: the template has no Bake function');
  const bake = JSON.parse(resolve(bakeFunction[1].Properties!.Environment.Variables.BLUEGREEN_CONFIG) as string).bake as BakeConfig;
  const roleId = (bakeFunction[1].Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = byType('AWS::IAM::ManagedPolicy')
    .filter(([, p]) => (p.Properties!.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as Array<Record<string, unknown>>)
    .filter((s) => s.Effect === 'Allow' && ([] as unknown[]).concat(s.Action).includes('cloudwatch:DescribeAlarms'));
  const describeAlarmsGrant = statements.flatMap((s) => ([] as unknown[]).concat(s.Resource).map((r) => resolve(r) as string));
  alarms.grant = describeAlarmsGrant;
  return { resolve, nameOf, bake, describeAlarmsGrant };
}
