// Custom::BlueGreenRoutes: creates the two slot rules, and afterwards never moves a route.
//
// Every rule carries tags naming the stack, the resource, its route (production or test) and the
// generation (the RequestId of the Create that made the resource), so the rules are found by
// what they are: a retried CreateRule that already took effect (there is no idempotency token)
// is recognised, and no operation depends on the listener a rule was first made on.
//
// The test route is a rule on the test listener (every path), or a header rule on the production
// listener, ahead of the production rule (priority 1, production at 2), that takes only requests
// carrying the header (and coming from the given CIDRs, when any).
import type { RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ResourceTags } from '../core/ports';
import { CustomResourceEvent, ROUTE_RULE_TAG, RoutesProperties, TestHeaderRoute, parseRoutesProperties } from '../core/events';
import { SlotName, otherSlot } from '../core/config';
import { Clients, errorName } from '../adapters/clients';
import {
  ListenerRule,
  RuleSpec,
  RuleTags,
  createRouteRule,
  deleteRule,
  describeTags,
  forwardRule,
  listListenerRules,
  readTargetHealth,
  setRuleConditions,
  setRulePriority,
} from '../adapters/elb';

export interface ResourceResult {
  readonly physicalResourceId: string;
  readonly data: ResourceTags;
  /** Said in the answer's Reason (and logged): something the operation repaired on its way. */
  readonly note?: string;
}

type Elb = Clients<'elbv2'>;
type Route = 'production' | 'test';
const ROUTES: readonly Route[] = ['production', 'test'];

/** The physical id answered for a Create that failed: its Delete removes what the attempt left. */
export const NOT_CREATED_PREFIX = 'bluegreen-not-created:';
const PHYSICAL_PREFIX = 'bluegreen-routes:';

const RULE_TAG = ROUTE_RULE_TAG;

const listenerOf = (p: RoutesProperties, route: Route) => (route === 'production' ? p.productionListenerArn : p.testListenerArn ?? p.productionListenerArn);
const targetGroupOf = (p: RoutesProperties, slot: SlotName) => (slot === 'a' ? p.slotATargetGroupArn : p.slotBTargetGroupArn);
/** The listeners the properties name (one when the test route is a header rule). */
const listenersOf = (p: RoutesProperties) => [...new Set(ROUTES.map((r) => listenerOf(p, r)))];

const EVERY_PATH: RuleCondition[] = [{ Field: 'path-pattern', PathPatternConfig: { Values: ['*'] } }];
/** A header rule goes first on the production listener; production sits behind it. */
const HEADER_RULE_PRIORITY = 1;
const PRODUCTION_BEHIND_HEADER_PRIORITY = 2;

function headerConditions(h: TestHeaderRoute): RuleCondition[] {
  return [
    { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: h.name, Values: [h.value] } },
    ...(h.sourceCidrs.length > 0 ? [{ Field: 'source-ip', SourceIpConfig: { Values: [...h.sourceCidrs] } }] : []),
  ];
}

/** Where each route's rule sits and which requests it takes. */
function specOf(p: RoutesProperties, route: Route): RuleSpec {
  if (p.testHeader === null) return { priority: 1, conditions: EVERY_PATH };
  return route === 'production' ? { priority: PRODUCTION_BEHIND_HEADER_PRIORITY, conditions: EVERY_PATH } : { priority: HEADER_RULE_PRIORITY, conditions: headerConditions(p.testHeader) };
}

/** A condition as a comparable string: header names are case-insensitive, value lists unordered. */
function conditionKey(c: RuleCondition): string {
  const sorted = (v: readonly string[] | undefined) => [...(v ?? [])].sort().join(',');
  switch (c.Field) {
    case 'http-header':
      return `header ${(c.HttpHeaderConfig?.HttpHeaderName ?? '').toLowerCase()}=${sorted(c.HttpHeaderConfig?.Values ?? c.Values)}`;
    case 'source-ip':
      return `source-ip ${sorted(c.SourceIpConfig?.Values ?? c.Values)}`;
    case 'path-pattern':
      return `path ${sorted(c.PathPatternConfig?.Values ?? c.Values)}`;
    default:
      return `${c.Field} ${JSON.stringify(c)}`;
  }
}

function sameConditions(a: readonly RuleCondition[], b: readonly RuleCondition[]): boolean {
  return a.map(conditionKey).sort().join('|') === b.map(conditionKey).sort().join('|');
}

/** A RequestId as an ELB tag value (letters, digits, spaces and _.:/=+-@ only). */
function generationOf(requestId: string): string {
  return (requestId.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '-') || 'unknown').slice(0, 128);
}

/** `bluegreen-routes:<LogicalResourceId>:<generation>`; the generation of a physical id, or null for any other id. */
function generationOfPhysicalId(physicalId: string | undefined): string | null {
  if (physicalId?.startsWith(NOT_CREATED_PREFIX)) return generationOf(physicalId.slice(NOT_CREATED_PREFIX.length));
  if (!physicalId?.startsWith(PHYSICAL_PREFIX)) return null;
  const rest = physicalId.slice(PHYSICAL_PREFIX.length);
  const at = rest.indexOf(':');
  return at < 0 ? null : rest.slice(at + 1);
}

interface Owner {
  readonly stackId: string;
  readonly logicalResourceId: string;
  readonly generation: string;
}

function tagsFor(owner: Owner, route: Route): RuleTags {
  return { [RULE_TAG.stack]: owner.stackId, [RULE_TAG.resource]: owner.logicalResourceId, [RULE_TAG.route]: route, [RULE_TAG.generation]: owner.generation };
}

/** A rule of this resource, found on a listener by its tags. */
interface OwnRule extends ListenerRule {
  readonly listenerArn: string;
  readonly route: Route;
  readonly generation: string;
}

/** This resource's rules (of `generation`, or of any when null) on the given listeners; a missing listener has none. */
async function findOwnRules(c: Elb, owner: Omit<Owner, 'generation'>, listenerArns: readonly string[], generation: string | null): Promise<OwnRule[]> {
  const candidates: (ListenerRule & { listenerArn: string })[] = [];
  for (const listenerArn of new Set(listenerArns)) {
    for (const r of (await listListenerRules(c, listenerArn)) ?? []) {
      if (r.priority !== 'default') candidates.push({ ...r, listenerArn });
    }
  }
  if (candidates.length === 0) return [];
  const tags = await describeTags(c, candidates.map((r) => r.ruleArn));
  const own: OwnRule[] = [];
  for (const r of candidates) {
    const t = tags.get(r.ruleArn) ?? {};
    const route = t[RULE_TAG.route];
    if (t[RULE_TAG.stack] !== owner.stackId || t[RULE_TAG.resource] !== owner.logicalResourceId || (route !== 'production' && route !== 'test')) continue;
    if (generation !== null && t[RULE_TAG.generation] !== generation) continue;
    own.push({ ...r, route, generation: t[RULE_TAG.generation] ?? '' });
  }
  return own;
}

/**
 * Makes this generation's `route` rule on `listenerArn`, forwarding to `targetGroupArn`. When
 * CreateRule fails (PriorityInUse after a retried request, or a lost response), the rule may exist
 * all the same: it is looked up by its tags, and used if it is there.
 */
async function ensureRule(c: Elb, owner: Owner, route: Route, listenerArn: string, targetGroupArn: string, lbOfTargetGroup: string | null, spec: RuleSpec): Promise<string> {
  try {
    return await createRouteRule(c, listenerArn, targetGroupArn, tagsFor(owner, route), spec);
  } catch (err) {
    const made = (await findOwnRules(c, owner, [listenerArn], owner.generation)).find((r) => r.route === route);
    if (made) return made.ruleArn;
    if (errorName(err) === 'PriorityInUseException') {
      throw new Error(`priority ${spec.priority} on listener ${listenerArn} is already used by another rule, and the ${route} route needs it`);
    }
    if (errorName(err) === 'TargetGroupAssociationLimitException') {
      throw new Error(`target group ${targetGroupArn} serves load balancer ${lbOfTargetGroup ?? 'another one'}, and a target group can serve only one load balancer`);
    }
    throw err;
  }
}

function result(physicalResourceId: string, production: string, test: string): ResourceResult {
  return { physicalResourceId, data: { ProductionRuleArn: production, TestRuleArn: test } };
}

function ownerOf(event: CustomResourceEvent, generation: string): Owner {
  return { stackId: event.stackId, logicalResourceId: event.logicalResourceId, generation };
}

export async function routesResource(c: Elb, event: CustomResourceEvent): Promise<ResourceResult> {
  switch (event.requestType) {
    case 'Create':
      return createRoutes(c, event, parseRoutesProperties(event.properties));
    case 'Update':
      return updateRoutes(c, event, parseRoutesProperties(event.oldProperties ?? {}, 'Custom::BlueGreenRoutes old properties'), parseRoutesProperties(event.properties));
    case 'Delete':
      return deleteRoutes(c, event);
  }
}

/** A new pair: slot a live, slot b idle (both are empty until the first release). */
async function createRoutes(c: Elb, event: CustomResourceEvent, props: RoutesProperties): Promise<ResourceResult> {
  const owner = ownerOf(event, generationOf(event.requestId));
  try {
    const production = await ensureRule(c, owner, 'production', props.productionListenerArn, props.slotATargetGroupArn, null, specOf(props, 'production'));
    const test = await ensureRule(c, owner, 'test', listenerOf(props, 'test'), props.slotBTargetGroupArn, null, specOf(props, 'test'));
    return result(`${PHYSICAL_PREFIX}${event.logicalResourceId}:${owner.generation}`, production, test);
  } catch (err) {
    // Found by tags, so a rule whose CreateRule answer was lost goes too; the Delete of the failed
    // Create (NOT_CREATED_PREFIX + RequestId) sweeps again whatever this could not remove.
    await removeRules(c, owner, listenersOf(props)).catch(() => undefined);
    throw err;
  }
}

async function removeRules(c: Elb, owner: Owner, listenerArns: readonly string[]): Promise<void> {
  for (const r of await findOwnRules(c, owner, listenerArns, owner.generation)) await deleteRule(c, r.ruleArn);
}

/** Removes this resource's rules of its generation from the listeners it names; missing ones are fine. */
async function deleteRoutes(c: Elb, event: CustomResourceEvent): Promise<ResourceResult> {
  const physicalResourceId = event.physicalResourceId ?? '';
  const generation = generationOfPhysicalId(physicalResourceId);
  let props: RoutesProperties;
  try {
    props = parseRoutesProperties(event.properties);
  } catch (err) {
    // A failed Create with properties that never parsed made nothing.
    if (physicalResourceId.startsWith(NOT_CREATED_PREFIX)) return { physicalResourceId, data: {} };
    throw err;
  }
  for (const r of await findOwnRules(c, event, listenersOf(props), generation)) await deleteRule(c, r.ruleArn);
  return { physicalResourceId, data: {} };
}

/** The load balancer a listener ARN belongs to (`app/<name>/<id>`). */
function loadBalancerOf(listenerArn: string): string {
  return listenerArn.split(':listener/')[1]?.split('/').slice(0, 3).join('/') ?? listenerArn;
}

/**
 * Keeps every rule on the slot it forwards to now. A changed target group ARN for a slot is
 * followed in place, unless it would move production onto a target group with no healthy
 * targets. A changed listener gets a new rule (same slot); the old rule stays on the old
 * listener, which CloudFormation deletes, with its rules, once the update is complete. So a
 * failed update, and CloudFormation's rollback of it (an Update with the old properties), find
 * the original rules where they were and need no rule written on a listener the policy has left.
 */
async function updateRoutes(c: Elb, event: CustomResourceEvent, old: RoutesProperties, props: RoutesProperties): Promise<ResourceResult> {
  const physicalResourceId = event.physicalResourceId ?? '';
  const generation = generationOfPhysicalId(physicalResourceId);
  if (generation === null) throw new Error(`the physical id ${JSON.stringify(physicalResourceId)} is not one this resource answers`);
  const owner = ownerOf(event, generation);
  const listeners = ROUTES.flatMap((r) => [listenerOf(old, r), listenerOf(props, r)]);
  const before = await findOwnRules(c, owner, listeners, generation);
  const current = (route: Route) =>
    before.find((r) => r.route === route && r.listenerArn === listenerOf(props, route)) ?? before.find((r) => r.route === route && r.listenerArn === listenerOf(old, route)) ?? null;
  const slotOf = (rule: OwnRule | null): SlotName | null => {
    const tg = rule?.targetGroupArns.length === 1 ? rule.targetGroupArns[0] : undefined;
    if (tg === undefined) return null;
    for (const slot of ['a', 'b'] as const) if (tg === targetGroupOf(old, slot) || tg === targetGroupOf(props, slot)) return slot;
    return null;
  };
  const production = current('production');
  const liveSlot = slotOf(production);
  if (production !== null && production.targetGroupArns.length > 1) {
    throw new Error(`the production rule forwards to ${production.targetGroupArns.length} target groups (a weighted shift is under way), so no route was changed; retry the deploy once the release has finished`);
  }
  if (production === null || liveSlot === null) {
    throw new Error(`the production rule of ${event.logicalResourceId} is not on listener ${listenerOf(old, 'production')} or ${listenerOf(props, 'production')}, so the live slot is unknown and no route was changed`);
  }
  const plan = ROUTES.map((route) => {
    const rule = route === 'production' ? production : current(route);
    const slot = route === 'production' ? liveSlot : otherSlot(liveSlot);
    return { route, rule, slot, targetGroupArn: targetGroupOf(props, slot), listenerArn: listenerOf(props, route), spec: specOf(props, route) };
  });
  await refuseUnsafeMoves(c, plan.find((p) => p.route === 'production')!);

  const written: Record<Route, string> = { production: '', test: '' };
  try {
    // A header rule goes ahead of production on its listener: production moves back a priority
    // first (a priority is not a route: it still takes every request the header rule does not).
    const header = plan.find((p) => p.route === 'test')!;
    if (props.testHeader !== null && production.listenerArn === props.productionListenerArn && Number(production.priority) <= header.spec.priority) {
      await setRulePriority(c, production.ruleArn, PRODUCTION_BEHIND_HEADER_PRIORITY);
    }
    for (const step of plan) {
      if (step.rule !== null && step.rule.listenerArn === step.listenerArn) {
        if (step.rule.targetGroupArns[0] !== step.targetGroupArn) await forwardRule(c, step.rule.ruleArn, step.targetGroupArn);
        if (!sameConditions(step.rule.conditions, step.spec.conditions)) await setRuleConditions(c, step.rule.ruleArn, step.spec.conditions);
        written[step.route] = step.rule.ruleArn;
      } else {
        const lb = step.rule === null ? null : loadBalancerOf(step.rule.listenerArn);
        written[step.route] = await ensureRule(c, owner, step.route, step.listenerArn, step.targetGroupArn, lb, step.spec);
      }
    }
    // A rule this resource no longer uses, on a listener it still uses (a header rule when the
    // test route goes back to a port), goes; a listener it no longer uses goes with its rules.
    const kept = Object.values(written);
    for (const r of await findOwnRules(c, owner, listenersOf(props), generation)) {
      if (!kept.includes(r.ruleArn)) await deleteRule(c, r.ruleArn);
    }
  } catch (err) {
    // Rules this Update made (found by tags, a lost CreateRule answer included) go; the ones it
    // found stay, so the rollback finds everything as it was.
    const made = (await findOwnRules(c, owner, listeners, generation).catch(() => [])).filter((r) => !before.some((b) => b.ruleArn === r.ruleArn));
    for (const r of made) await deleteRule(c, r.ruleArn).catch(() => undefined);
    throw err;
  }
  return result(physicalResourceId, written.production, written.test);
}

interface RouteStep {
  readonly rule: OwnRule | null;
  readonly slot: SlotName;
  readonly targetGroupArn: string;
  readonly listenerArn: string;
  readonly spec: RuleSpec;
}

/**
 * What the routes cannot follow in place, refused before anything is written: production moving
 * to a target group with no healthy targets while its own has some, and a target group moving to
 * a second load balancer (an ALB target group serves one).
 */
async function refuseUnsafeMoves(c: Elb, production: RouteStep): Promise<void> {
  const from = production.rule!;
  const liveTargetGroup = from.targetGroupArns[0];
  if (from.listenerArn !== production.listenerArn && liveTargetGroup === production.targetGroupArn && loadBalancerOf(from.listenerArn) !== loadBalancerOf(production.listenerArn)) {
    throw new Error(
      `the production listener would move to load balancer ${loadBalancerOf(production.listenerArn)} while slot ${production.slot}'s target group stays on ${loadBalancerOf(from.listenerArn)}, ` +
        'and an Application Load Balancer target group serves only one load balancer, so nothing was changed: keep the load balancer (changing its name, scheme or type replaces it), ' +
        'or deploy the changed pipeline as a new stack (or under a new construct id), release into it and move traffic there by DNS',
    );
  }
  if (liveTargetGroup === production.targetGroupArn) return;
  const healthy = async (tg: string) => (await readTargetHealth(c, tg)).filter((t) => t.state === 'healthy').length;
  if ((await healthy(liveTargetGroup)) > 0 && (await healthy(production.targetGroupArn)) === 0) {
    throw new Error(
      `slot ${production.slot} serves production from target group ${liveTargetGroup}, and its replacement ${production.targetGroupArn} has no healthy targets, so nothing was changed: ` +
        `a change that replaces the slot target groups (their VPC, protocol, target type or name) cannot be made in place while slot ${production.slot} is live; ` +
        'deploy the changed pipeline as a new stack (or under a new construct id), release into it and move traffic there by DNS',
    );
  }
}
