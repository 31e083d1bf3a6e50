// Listener rules and target health (Elastic Load Balancing v2).
import {
  Action,
  CreateRuleCommand,
  RuleCondition,
  SetRulePrioritiesCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ReleaseConfig } from '../core/config';
import { ObservedRoutes, ObservedRule, ObservedTarget, RoutesPort, WeightedTargetGroup } from '../core/ports';
import { Clients, errorName } from './clients';

/** Target groups a rule's forward action sends traffic to (weight > 0), with their weights. */
export function forwardGroups(rule: Rule | undefined): WeightedTargetGroup[] {
  const forward = rule?.Actions?.find((a) => a.Type === 'forward');
  if (!forward) return [];
  const weighted = forward.ForwardConfig?.TargetGroups;
  const groups =
    weighted && weighted.length > 0
      ? weighted.map((g) => ({ targetGroupArn: g.TargetGroupArn, weight: g.Weight ?? 1 })).filter((g) => g.weight > 0)
      : [{ targetGroupArn: forward.TargetGroupArn, weight: 1 }];
  const out: WeightedTargetGroup[] = [];
  for (const { targetGroupArn, weight } of groups) {
    if (typeof targetGroupArn === 'string' && targetGroupArn !== '' && !out.some((g) => g.targetGroupArn === targetGroupArn)) out.push({ targetGroupArn, weight });
  }
  return out;
}

/** Target groups a rule's forward action sends traffic to (weight > 0). */
export function forwardTargets(rule: Rule | undefined): string[] {
  return forwardGroups(rule).map((g) => g.targetGroupArn);
}

/** Both rules in one DescribeRules call. */
export async function readRoutes(c: Clients<'elbv2'>, config: Pick<ReleaseConfig, 'productionRuleArn' | 'testRuleArn'>): Promise<ObservedRoutes> {
  const out = await c.elbv2.send(new DescribeRulesCommand({ RuleArns: [config.productionRuleArn, config.testRuleArn] }));
  const rule = (ruleArn: string): ObservedRule => {
    const groups = forwardGroups((out.Rules ?? []).find((r) => r.RuleArn === ruleArn));
    return { ruleArn, forwardTargetGroupArns: groups.map((g) => g.targetGroupArn), weights: groups.map((g) => g.weight) };
  };
  return { production: rule(config.productionRuleArn), test: rule(config.testRuleArn) };
}

export function forwardAction(targetGroupArn: string): Action[] {
  return [{ Type: 'forward', TargetGroupArn: targetGroupArn }];
}

export async function forwardRule(c: Clients<'elbv2'>, ruleArn: string, targetGroupArn: string): Promise<void> {
  await c.elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: forwardAction(targetGroupArn) }));
}

/**
 * One ModifyRule with both target groups in one ForwardConfig, so the weights change together.
 * Stickiness, when on, keeps a client on the target group it first reached for `stickinessSeconds`
 * (1 s to 7 days: API reference, TargetGroupStickinessConfig, which requires the duration when enabled).
 */
export function weightedForwardAction(targetGroups: readonly WeightedTargetGroup[], stickinessSeconds: number): Action[] {
  return [
    {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: targetGroups.map((g) => ({ TargetGroupArn: g.targetGroupArn, Weight: g.weight })),
        TargetGroupStickinessConfig: stickinessSeconds > 0 ? { Enabled: true, DurationSeconds: stickinessSeconds } : { Enabled: false },
      },
    },
  ];
}

export function elbRoutes(c: Clients<'elbv2'>, config: Pick<ReleaseConfig, 'productionRuleArn' | 'testRuleArn'>): RoutesPort {
  return {
    read: () => readRoutes(c, config),
    forward: (ruleArn, targetGroupArn) => forwardRule(c, ruleArn, targetGroupArn),
    forwardWeighted: async (ruleArn, targetGroups, stickinessSeconds) => {
      await c.elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: weightedForwardAction(targetGroups, stickinessSeconds) }));
    },
  };
}

export async function readTargetHealth(c: Clients<'elbv2'>, targetGroupArn: string): Promise<ObservedTarget[]> {
  const out = await c.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return (out.TargetHealthDescriptions ?? []).map((d) => ({
    id: d.Target?.Id ?? '',
    port: d.Target?.Port ?? null,
    state: d.TargetHealth?.State ?? 'unavailable',
    reason: d.TargetHealth?.Reason ?? null,
  }));
}

// ---- for Custom::BlueGreenRoutes

/** A rule on a listener as the infra owner sees it: its priority (or `default`), what it forwards to, and when. */
export interface ListenerRule {
  readonly ruleArn: string;
  readonly priority: string;
  readonly targetGroupArns: readonly string[];
  readonly conditions: readonly RuleCondition[];
}

/** The listener's rules (all pages); null when the listener does not exist. */
export async function listListenerRules(c: Clients<'elbv2'>, listenerArn: string): Promise<ListenerRule[] | null> {
  const rules: ListenerRule[] = [];
  let marker: string | undefined;
  try {
    do {
      const out = await c.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }));
      for (const r of out.Rules ?? []) {
        if (r.RuleArn) rules.push({ ruleArn: r.RuleArn, priority: r.Priority ?? '', targetGroupArns: forwardTargets(r), conditions: r.Conditions ?? [] });
      }
      marker = out.NextMarker;
    } while (marker);
  } catch (err) {
    if (errorName(err) === 'ListenerNotFoundException') return null;
    throw err;
  }
  return rules;
}

/** Where a slot rule sits on its listener and which requests it takes. */
export interface RuleSpec {
  readonly priority: number;
  readonly conditions: readonly RuleCondition[];
}

/** Tags every slot rule carries, so the rule is found again by what it is, whatever its ARN. */
export type RuleTags = Readonly<Record<string, string>>;

/**
 * CreateRule has no idempotency token, so a retried request whose first attempt took effect fails
 * with PriorityInUse; the tags let the caller recognise the rule it made.
 */
export async function createRouteRule(c: Clients<'elbv2'>, listenerArn: string, targetGroupArn: string, tags: RuleTags, spec: RuleSpec): Promise<string> {
  const out = await c.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: spec.priority,
      Conditions: [...spec.conditions],
      Actions: forwardAction(targetGroupArn),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  const arn = out.Rules?.[0]?.RuleArn;
  if (!arn) throw new Error(`CreateRule on ${listenerArn} returned no rule ARN`);
  return arn;
}

/** Which requests a rule takes, rewritten in place (its action stays: ModifyRule leaves what it is not given). */
export async function setRuleConditions(c: Clients<'elbv2'>, ruleArn: string, conditions: readonly RuleCondition[]): Promise<void> {
  await c.elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: [...conditions] }));
}

/** Moves a rule to another priority on its listener; what it forwards, and to where, is unchanged. */
export async function setRulePriority(c: Clients<'elbv2'>, ruleArn: string, priority: number): Promise<void> {
  await c.elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: priority }] }));
}

/** Tags of the given resources, 20 ARNs a DescribeTags call (the API's limit). */
export async function describeTags(c: Clients<'elbv2'>, arns: readonly string[]): Promise<Map<string, RuleTags>> {
  const out = new Map<string, RuleTags>();
  for (let i = 0; i < arns.length; i += 20) {
    const page = await c.elbv2.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }));
    for (const d of page.TagDescriptions ?? []) {
      if (d.ResourceArn) out.set(d.ResourceArn, Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
    }
  }
  return out;
}

/** Deletes a rule; a rule that is already gone is fine. */
export async function deleteRule(c: Clients<'elbv2'>, ruleArn: string): Promise<void> {
  try {
    await c.elbv2.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
  } catch (err) {
    if (errorName(err) !== 'RuleNotFoundException') throw err;
  }
}
