// IAM for the model: a synthesized role policy, resolved against the world's ARNs, evaluated for
// the Elastic Load Balancing rule writes the infra owner makes. Only what its policy uses is
// modelled (Allow statements; StringEquals, StringLike, ArnEquals, ArnLike; * and ? in actions
// and ARNs), after the IAM User Guide's "Policy evaluation logic" (an implicit deny unless a
// statement allows) and the ELB authorization rules: CreateRule is authorised on the listener
// with the request's tags (aws:RequestTag), tags given on creation as AddTags on the new rule with
// elasticloadbalancing:CreateAction (ELB API permissions to tag resources during creation), and
// ModifyRule, DeleteRule and AddTags on the rule with its tags (aws:ResourceTag; Service
// Authorization Reference, Elastic Load Balancing V2).
import type { AwsWorld, CallRecord } from './aws-model';
import { awsError } from './model/errors';

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface AuthRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);

const OPERATORS: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  StringLike: glob,
  ArnEquals: (e, a) => e === a,
  ArnLike: glob,
};

export function allowed(statements: readonly PolicyStatement[], r: AuthRequest): boolean {
  const matches = (s: PolicyStatement) =>
    list(s.Action).some((a) => glob(a, r.action)) &&
    list(s.Resource).some((res) => glob(res, r.resource)) &&
    Object.entries(s.Condition ?? {}).every(([op, keys]) => {
      const test = OPERATORS[op];
      if (!test) throw new Error(`iam model: condition operator ${op} is not modelled`);
      // A key missing from the request context does not match (IAM User Guide, condition operators).
      return Object.entries(keys).every(([key, values]) => key in r.context && list(values).some((v) => test(v, r.context[key])));
    });
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s));
}

function tagContext(prefix: 'aws:RequestTag' | 'aws:ResourceTag', tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`${prefix}/${k}`, v]));
}

/** The authorisation requests one ELB rule call makes; other calls are not evaluated here. */
export function elbRuleRequests(world: AwsWorld, call: CallRecord): AuthRequest[] {
  if (call.service !== 'elbv2') return [];
  const input = call.input as { ListenerArn?: string; RuleArn?: string; ResourceArns?: string[]; Tags?: { Key: string; Value?: string }[] };
  const requestTags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key, t.Value ?? '']));
  const action = `elasticloadbalancing:${call.command}`;
  switch (call.command) {
    case 'CreateRule': {
      const requests: AuthRequest[] = [{ action, resource: input.ListenerArn ?? '', context: tagContext('aws:RequestTag', requestTags) }];
      if (input.Tags?.length) {
        const rule = `${(input.ListenerArn ?? '').replace(':listener/', ':listener-rule/')}/new`;
        requests.push({ action: 'elasticloadbalancing:AddTags', resource: rule, context: { ...tagContext('aws:RequestTag', requestTags), 'elasticloadbalancing:CreateAction': 'CreateRule' } });
      }
      return requests;
    }
    case 'ModifyRule':
    case 'DeleteRule':
      return [{ action, resource: input.RuleArn ?? '', context: tagContext('aws:ResourceTag', world.tags.of(input.RuleArn ?? '')) }];
    case 'AddTags':
      return (input.ResourceArns ?? []).map((arn) => ({ action, resource: arn, context: { ...tagContext('aws:ResourceTag', world.tags.of(arn)), ...tagContext('aws:RequestTag', requestTags) } }));
    default:
      return [];
  }
}

/** Refuses, as AccessDenied, every ELB rule call `statements()` does not allow (the policy may change during a test). */
export function elbRuleAuthorizer(world: AwsWorld, statements: () => readonly PolicyStatement[]): (call: CallRecord) => void {
  return (call) => {
    for (const r of elbRuleRequests(world, call)) {
      if (!allowed(statements(), r)) {
        throw awsError('elbv2', 'AccessDenied', `User is not authorized to perform: ${r.action} on resource: ${r.resource} because no identity-based policy allows the ${r.action} action`, { status: 403 });
      }
    }
  };
}

/**
 * A CloudFormation value with the intrinsics a synthesized policy uses resolved: Ref and
 * Fn::GetAtt from `refs` (`LogicalId` or `LogicalId.Attribute`, pseudo parameters included),
 * Fn::Join, Fn::Select, Fn::Split. An unmapped reference throws.
 */
export function resolveCfn(value: unknown, refs: Readonly<Record<string, string>>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveCfn(v, refs));
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  const str = (x: unknown) => {
    const r = resolveCfn(x, refs);
    if (typeof r !== 'string') throw new Error(`iam model: ${JSON.stringify(x)} does not resolve to a string`);
    return r;
  };
  const ref = (name: string) => {
    if (!(name in refs)) throw new Error(`iam model: no value for ${name}`);
    return refs[name];
  };
  if ('Ref' in v) return ref(String(v.Ref));
  if ('Fn::GetAtt' in v) return ref((v['Fn::GetAtt'] as string[]).join('.'));
  if ('Fn::Join' in v) {
    const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
    return items.map(str).join(delimiter);
  }
  if ('Fn::Split' in v) {
    const [delimiter, source] = v['Fn::Split'] as [string, unknown];
    return str(source).split(delimiter);
  }
  if ('Fn::Select' in v) {
    const [index, items] = v['Fn::Select'] as [number | string, unknown];
    const resolved = resolveCfn(items, refs) as unknown[];
    return resolved[Number(index)];
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveCfn(x, refs)]));
}
