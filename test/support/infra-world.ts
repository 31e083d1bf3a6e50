// A released stack as CloudFormation and the infra owner see it: two releases through the real
// handlers (slot a live on v2, slot b keeping v1, both with healthy targets), the routes tagged
// as Custom::BlueGreenRoutes makes them, and the three custom resources with their properties.
// Plus invariants 2 and 6 as checks, for stack operations.
import { ROUTE_RULE_TAG, type CustomResourceEvent } from '../../lambdas/core/events';
import type { AwsWorld } from './aws-model';
import { InfraOwnerStack, StackOptions } from './cfn-stack';
import { useWorldClock } from './jest-world';
import { ReleaseHarness, createReleaseHarness } from './release-harness';
import { SLOTS, SlotName, type ReleaseStack } from './release-stack';

export const ROUTES = 'Routes';
export const SLOT_RESOURCE: Record<SlotName, string> = { a: 'SlotAService', b: 'SlotBService' };
export const SEED_GENERATION = 'seed';

export interface InfraWorld {
  readonly harness: ReleaseHarness;
  readonly world: AwsWorld;
  readonly stack: ReleaseStack;
  readonly cfn: InfraOwnerStack;
  /** What production served before any stack operation: the slot, and each slot's digests. */
  readonly baseline: Baseline;
}

export interface Baseline {
  readonly liveSlot: SlotName;
  readonly digests: Record<SlotName, string[]>;
}

export function routesProperties(stack: ReleaseStack, over: Partial<Record<string, string>> = {}): Record<string, string> {
  return {
    ProductionListenerArn: stack.ids.productionListenerArn,
    TestListenerArn: stack.ids.testListenerArn,
    SlotATargetGroupArn: stack.config.slots.a.targetGroupArn,
    SlotBTargetGroupArn: stack.config.slots.b.targetGroupArn,
    ...over,
  };
}

export function slotProperties(world: AwsWorld, stack: ReleaseStack, slot: SlotName, over: Record<string, unknown> = {}): Record<string, unknown> {
  const service = world.ecs.service(stack.config.slots[slot].serviceArn);
  return {
    ClusterArn: stack.config.clusterArn,
    ServiceName: service.name,
    TaskDefinitionArn: service.taskDefinition,
    ContainerName: 'app',
    ContainerPort: '8080',
    TargetGroupArn: stack.config.slots[slot].targetGroupArn,
    Subnets: ['subnet-0a1b2c3d'],
    SecurityGroups: ['sg-0a1b2c3d'],
    HealthCheckGracePeriodSeconds: '60',
    Tags: [{ Key: 'bluegreen:slot', Value: slot }],
    RepositoryName: stack.config.repositoryName,
    ImageTag: stack.config.slots[slot].imageTag,
    ...over,
  };
}

/** Tags a rule as Custom::BlueGreenRoutes `generation` of `cfn`'s stack made it. */
export function tagAsRoutesRule(world: AwsWorld, cfn: Pick<CustomResourceEvent, 'stackId'>, ruleArn: string, route: 'production' | 'test', logicalId = ROUTES): void {
  world.tags.put(ruleArn, { [ROUTE_RULE_TAG.stack]: cfn.stackId, [ROUTE_RULE_TAG.resource]: logicalId, [ROUTE_RULE_TAG.route]: route, [ROUTE_RULE_TAG.generation]: SEED_GENERATION });
}

/** A world with the custom resources in place; `releases` releases made first (0: nothing released). */
export async function infraWorld(opts: StackOptions & { releases?: number; routesLogicalId?: string } = {}): Promise<InfraWorld> {
  const harness = createReleaseHarness({ clock: useWorldClock });
  const { world, stack } = harness;
  for (let i = 1; i <= (opts.releases ?? 2); i++) {
    const release = await harness.driver.release(`v${i}`);
    if (release.swap?.status !== 'succeeded') throw new Error(`release v${i} did not go live: ${release.swap?.message ?? release.deploy?.message}`);
    world.tick(3);
  }
  const cfn = new InfraOwnerStack(world, opts);
  const routes = opts.routesLogicalId ?? ROUTES;
  tagAsRoutesRule(world, cfn, stack.config.productionRuleArn, 'production', routes);
  tagAsRoutesRule(world, cfn, stack.config.testRuleArn, 'test', routes);
  cfn.adopt({ logicalId: routes, type: 'Custom::BlueGreenRoutes', physicalId: `bluegreen-routes:${routes}:${SEED_GENERATION}`, properties: routesProperties(stack) });
  for (const slot of SLOTS) {
    cfn.adopt({ logicalId: SLOT_RESOURCE[slot], type: 'Custom::BlueGreenSlotService', physicalId: stack.config.slots[slot].serviceArn, properties: slotProperties(world, stack, slot) });
  }
  return { harness, world, stack, cfn, baseline: baselineOf(world, stack) };
}

function slotOfTask(stack: ReleaseStack, serviceArn: string): SlotName | undefined {
  return SLOTS.find((s) => stack.config.slots[s].serviceArn === serviceArn);
}

export function baselineOf(world: AwsWorld, stack: ReleaseStack): Baseline {
  const liveSlot = stack.liveSlot();
  if (!liveSlot) throw new Error('production forwards to no single slot');
  const digests = Object.fromEntries(SLOTS.map((s) => [s, [...new Set(stack.servingDigests(s).filter((d): d is string => d !== null))]])) as Record<SlotName, string[]>;
  return { liveSlot, digests };
}

/** The rules on every production listener the Routes resource was ever given (those that still exist). */
function productionRules(world: AwsWorld, cfn: InfraOwnerStack): string[] {
  const listeners = new Set(
    cfn.events.filter((e) => e.type === 'Custom::BlueGreenRoutes').flatMap((e) => [e.properties.ProductionListenerArn, e.oldProperties?.ProductionListenerArn]),
  );
  return [...world.elbv2.rules.values()].filter((r) => listeners.has(r.listenerArn)).map((r) => r.arn);
}

/**
 * 2: production never forwards to a target group with no healthy targets; 6: no stack operation
 * moved production to the other slot, or made a slot run a digest it did not run before.
 */
export function infraInvariantViolations(iw: Pick<InfraWorld, 'world' | 'stack' | 'cfn' | 'baseline'>): string[] {
  const { world, stack, cfn, baseline } = iw;
  const out: string[] = [];
  const rules = productionRules(world, cfn);
  if (rules.length === 0) out.push('Invariant 2: no production rule is left.');
  for (const rule of rules) {
    const targets = world.elbv2.forwardTargets(rule).flatMap((tg) => world.ecs.targetsOf(tg));
    if (!targets.some((t) => t.health === 'healthy')) out.push(`Invariant 2: production rule ${rule} forwards to ${world.elbv2.forwardTargets(rule).join(', ')}, with no healthy target.`);
    const slots = new Set(targets.filter((t) => t.health === 'healthy').map((t) => slotOfTask(stack, t.task.serviceArn)));
    for (const s of slots) if (s !== baseline.liveSlot) out.push(`Invariant 6: production rule ${rule} reaches slot ${s}, not ${baseline.liveSlot}.`);
  }
  for (const slot of SLOTS) {
    for (const d of stack.servingDigests(slot)) {
      if (d !== null && !baseline.digests[slot].includes(d)) out.push(`Invariant 6: slot ${slot} runs ${d}, which it did not run before.`);
    }
  }
  return out;
}
