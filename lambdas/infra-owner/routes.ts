// Custom::BlueGreenRoutes: creates the two slot rules, and afterwards never moves a route.
import { ResourceTags } from '../core/ports';
import { CustomResourceEvent, RoutesProperties, parseRoutesProperties } from '../core/events';
import { SlotName, otherSlot } from '../core/config';
import { Clients, errorName } from '../adapters/clients';
import { ROUTE_RULE_PRIORITY, createRouteRule, deleteRule, forwardRule, listListenerRules } from '../adapters/elb';

export interface ResourceResult {
  readonly physicalResourceId: string;
  readonly data: ResourceTags;
}

type Elb = Clients<'elbv2'>;
type Role = 'production' | 'test';

const listenerOf = (p: RoutesProperties, role: Role) => (role === 'production' ? p.productionListenerArn : p.testListenerArn);
const targetGroupOf = (p: RoutesProperties, slot: SlotName) => (slot === 'a' ? p.slotATargetGroupArn : p.slotBTargetGroupArn);

/** Rules are found on their listeners (priority 1, forwarding to one slot), so the id only has to be stable. */
export function routesPhysicalId(event: CustomResourceEvent): string {
  return `bluegreen-routes:${event.logicalResourceId}`;
}

/** The slot rule on a listener and the slot it forwards to; null when there is none (or no listener). */
export async function findRouteRule(c: Elb, listenerArn: string, p: RoutesProperties): Promise<{ ruleArn: string; slot: SlotName } | null> {
  const rules = await listListenerRules(c, listenerArn);
  for (const r of rules ?? []) {
    if (r.priority !== String(ROUTE_RULE_PRIORITY) || r.targetGroupArns.length !== 1) continue;
    if (r.targetGroupArns[0] === p.slotATargetGroupArn) return { ruleArn: r.ruleArn, slot: 'a' };
    if (r.targetGroupArns[0] === p.slotBTargetGroupArn) return { ruleArn: r.ruleArn, slot: 'b' };
  }
  return null;
}

async function createRule(c: Elb, listenerArn: string, targetGroupArn: string): Promise<string> {
  try {
    return await createRouteRule(c, listenerArn, targetGroupArn);
  } catch (err) {
    if (errorName(err) === 'PriorityInUseException') {
      throw new Error(`priority ${ROUTE_RULE_PRIORITY} on listener ${listenerArn} is already used by another rule, and the slot routes need it`);
    }
    throw err;
  }
}

function result(event: CustomResourceEvent, production: string, test: string): ResourceResult {
  return { physicalResourceId: routesPhysicalId(event), data: { ProductionRuleArn: production, TestRuleArn: test } };
}

/** The physical id answered for a Create that failed: its Delete has nothing to remove. */
export const NOT_CREATED_PREFIX = 'bluegreen-not-created:';

export async function routesResource(c: Elb, event: CustomResourceEvent): Promise<ResourceResult> {
  if (event.requestType === 'Delete' && event.physicalResourceId?.startsWith(NOT_CREATED_PREFIX)) {
    return { physicalResourceId: event.physicalResourceId, data: {} };
  }
  const props = parseRoutesProperties(event.properties);
  switch (event.requestType) {
    case 'Create': {
      // A new pair: slot a live, slot b idle (both are empty until the first release).
      const production = await createRule(c, props.productionListenerArn, props.slotATargetGroupArn);
      try {
        return result(event, production, await createRule(c, props.testListenerArn, props.slotBTargetGroupArn));
      } catch (err) {
        await deleteRule(c, production).catch(() => undefined);
        throw err;
      }
    }
    case 'Update':
      return updateRoutes(c, event, parseRoutesProperties(event.oldProperties ?? {}, 'Custom::BlueGreenRoutes old properties'), props);
    case 'Delete':
      for (const role of ['production', 'test'] as const) {
        const rule = await findRouteRule(c, listenerOf(props, role), props);
        if (rule) await deleteRule(c, rule.ruleArn);
      }
      return { physicalResourceId: event.physicalResourceId ?? routesPhysicalId(event), data: {} };
  }
}

/**
 * Keeps every rule on the slot it forwards to now. A changed target group ARN for a slot is
 * followed in place; a changed listener gets a new rule (same slot), and the old one is removed.
 */
async function updateRoutes(c: Elb, event: CustomResourceEvent, old: RoutesProperties, props: RoutesProperties): Promise<ResourceResult> {
  const created: string[] = [];
  const replaced: string[] = [];
  const arns: Record<Role, string> = { production: '', test: '' };
  let liveSlot: SlotName | null = null;
  try {
    for (const role of ['production', 'test'] as const) {
      const current = await findRouteRule(c, listenerOf(old, role), old);
      if (current === null && role === 'production') {
        throw new Error(`the production rule is not on listener ${listenerOf(old, role)}, so the live slot is unknown and no route is re-created`);
      }
      const slot: SlotName = current?.slot ?? otherSlot(liveSlot as SlotName);
      if (role === 'production') liveSlot = slot;
      const targetGroupArn = targetGroupOf(props, slot);
      if (current !== null && listenerOf(old, role) === listenerOf(props, role)) {
        if (targetGroupOf(old, slot) !== targetGroupArn) await forwardRule(c, current.ruleArn, targetGroupArn);
        arns[role] = current.ruleArn;
      } else {
        arns[role] = await createRule(c, listenerOf(props, role), targetGroupArn);
        created.push(arns[role]);
        if (current !== null) replaced.push(current.ruleArn);
      }
    }
  } catch (err) {
    for (const arn of created) await deleteRule(c, arn).catch(() => undefined);
    throw err;
  }
  for (const arn of replaced) await deleteRule(c, arn);
  return result(event, arns.production, arns.test);
}
