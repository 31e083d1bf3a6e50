// DESIGN.md invariants 1–5 as checks over the world. Each check returns violations as sentences;
// `assertInvariants` throws them all at once.
import type { AwsWorld } from './aws-model';
import type { JobState } from './model/codepipeline';
import { LABEL, ReleaseStack, SLOTS, SlotName, releaseStackOf } from './release-stack';

export interface InvariantOptions {
  /** Invariant 2 applies once anything went live; default: `anythingReleased(stack)`. */
  released?: boolean;
  /** Every continuation chain must have ended in a terminal result (default false: one may be in flight). */
  settled?: boolean;
  stack?: ReleaseStack;
}

/** Something went live: the state record exists, or production left the slot it was seeded on. */
export function anythingReleased(stack: ReleaseStack): boolean {
  return stack.state() !== undefined || stack.liveSlot() !== 'a';
}

/** The slots production sends traffic to (weight > 0): one, or both during a traffic shift. */
function productionSlots(world: AwsWorld, stack: ReleaseStack): SlotName[] {
  return world.elbv2
    .forwardTargets(stack.config.productionRuleArn)
    .map((tg) => stack.slotOfTargetGroup(tg))
    .filter((s): s is SlotName => s !== undefined);
}

/** 1. Production tasks run only approved digests: every slot with a weight above zero. */
export function checkApprovedInProduction(world: AwsWorld, approvedDigests: Iterable<string>, stack = releaseStackOf(world)): string[] {
  const approved = new Set(approvedDigests);
  const out: string[] = [];
  const slots = productionSlots(world, stack);
  for (const slot of slots) {
    const bad = stack.servingDigests(slot).filter((d) => d === null || !approved.has(d));
    const share = slots.length > 1 ? ` (${stack.traffic()[slot]}%)` : '';
    if (bad.length) out.push(`Invariant 1: production slot ${slot}${share} serves unapproved digest(s) ${[...new Set(bad)].join(', ')}.`);
  }
  return out;
}

/** 2. Once anything was released, every target group production sends traffic to has healthy targets. */
export function checkProductionHealthy(world: AwsWorld, released: boolean, stack = releaseStackOf(world)): string[] {
  if (!released) return [];
  const targets = world.elbv2.forwardTargets(stack.config.productionRuleArn);
  if (targets.length === 0) return ['Invariant 2: production rule forwards to nothing.'];
  return targets
    .filter((tg) => !world.ecs.targetsOf(tg).some((t) => t.health === 'healthy'))
    .map((tg) => `Invariant 2: production rule forwards to ${tg}${targets.length > 1 ? ` (${stack.traffic()[stack.slotOfTargetGroup(tg)!]}%)` : ''} with no healthy target.`);
}

/** 3. Every delivered job has exactly one result; failures say why in one sentence. */
export function checkJobResults(world: AwsWorld, settled = false): string[] {
  const out: string[] = [];
  for (const job of world.codepipeline.deliveredJobs()) {
    const name = `${job.actionName} job ${job.id}`;
    if (!job.result) {
      out.push(`Invariant 3: ${name} got no result (silent timeout).`);
      continue;
    }
    if (job.attempts.length > job.deliveries) {
      out.push(`Invariant 3: ${name} got ${job.attempts.length} result attempts from ${job.deliveries} deliveries.`);
    }
    if (job.result.kind === 'failure') out.push(...checkFailure(name, job));
    if (settled && job.continuedBy && !world.codepipeline.job(job.continuedBy).deliveries) {
      out.push(`Invariant 3: ${name} continues in ${job.continuedBy}, which was never delivered.`);
    }
  }
  return out;
}

function checkFailure(name: string, job: JobState): string[] {
  const f = job.result!.failure!;
  const out: string[] = [];
  if (f.type !== 'JobFailed') out.push(`Invariant 3: ${name} failed with type ${f.type}, not JobFailed.`);
  if (!isOneSentence(f.message)) out.push(`Invariant 3: ${name} failure message is not one sentence: ${JSON.stringify(f.message)}.`);
  return out;
}

/** lambdas/README.md "Job results": every failure carries the execution id as externalExecutionId. */
export function checkFailuresCarryExecutionId(world: AwsWorld): string[] {
  return world.codepipeline
    .deliveredJobs()
    .filter((job) => job.result?.kind === 'failure' && job.result.failure!.externalExecutionId !== job.executionId)
    .map((job) => `${job.actionName} job ${job.id} failed with externalExecutionId ${String(job.result!.failure!.externalExecutionId)}, not ${job.executionId}.`);
}

/** A single line, non-empty, short enough to read in the console, without a stack trace. */
export function isOneSentence(message: string | undefined): boolean {
  if (!message || !message.trim()) return false;
  return !/[\r\n]/.test(message) && message.length <= 400 && !/\bat .+\(.+:\d+:\d+\)/.test(message);
}

/**
 * 5. Routes are fully old or fully new: production and test forward to one slot each, different;
 * or, during a traffic shift, production splits between the two slots at weights the state record
 * knows (the step's, or the ones before it), at one of the plan's steps, with the test rule on
 * the candidate.
 */
export function checkRoutes(world: AwsWorld, stack = releaseStackOf(world)): string[] {
  const prod = world.elbv2.forwardTargets(stack.config.productionRuleArn);
  const test = world.elbv2.forwardTargets(stack.config.testRuleArn);
  const out: string[] = [];
  const slots = prod.map((tg) => stack.slotOfTargetGroup(tg));
  const split = prod.length === 2 && slots.includes('a') && slots.includes('b');
  if (!split && (prod.length !== 1 || !slots[0])) out.push(`Invariant 5: production rule forwards to [${prod.join(', ')}], not exactly one slot.`);
  if (test.length !== 1 || !stack.slotOfTargetGroup(test[0])) out.push(`Invariant 5: test rule forwards to [${test.join(', ')}], not exactly one slot.`);
  if (out.length) return out;
  const testSlot = stack.slotOfTargetGroup(test[0])!;
  if (!split && prod[0] === test[0]) out.push(`Invariant 5: production and test rules both forward to slot ${testSlot}.`);
  const record = stack.state()?.shift;
  const traffic = stack.traffic();
  if (split) {
    if (!record) return [...out, `Invariant 5: production splits traffic a=${traffic.a} b=${traffic.b} but the state record knows of no traffic shift.`];
    if (testSlot !== record.toSlot) out.push(`Invariant 5: during the shift to slot ${record.toSlot} the test rule forwards to slot ${testSlot}.`);
  }
  if (record) {
    const share = traffic[record.toSlot];
    if (share !== record.percent && share !== record.fromPercent) {
      out.push(`Invariant 5: slot ${record.toSlot} takes ${share}% of production, but the state record says ${record.fromPercent}% or ${record.percent}% (step ${record.step} of ${record.steps}).`);
    }
    const plan = stack.config.trafficShift?.percents;
    if (plan && ![0, ...plan, 100].includes(share)) out.push(`Invariant 5: slot ${record.toSlot} takes ${share}% of production, not a step of the plan ${plan.join(', ')}.`);
  }
  return out;
}

export function invariantViolations(world: AwsWorld, approvedDigests: Iterable<string>, opts: InvariantOptions = {}): string[] {
  const stack = opts.stack ?? releaseStackOf(world);
  const released = opts.released ?? anythingReleased(stack);
  return [
    ...checkApprovedInProduction(world, approvedDigests, stack),
    ...checkProductionHealthy(world, released, stack),
    ...checkJobResults(world, opts.settled),
    ...checkRoutes(world, stack),
  ];
}

/** Throws every violated invariant (1, 2, 3, 5; 4 is `assertUnchanged` around a replay). */
export function assertInvariants(world: AwsWorld, approvedDigests: Iterable<string>, opts: InvariantOptions = {}): void {
  const violations = invariantViolations(world, approvedDigests, opts);
  if (violations.length) throw new Error(violations.join('\n'));
}

/**
 * 4. What a completed operation's replay must leave unchanged: routes, labels, the state record,
 * the slot services' deployments and desired counts, and the slot image tags.
 */
export function releaseSnapshot(world: AwsWorld, stack = releaseStackOf(world)): unknown {
  return {
    production: world.elbv2.forwardTargets(stack.config.productionRuleArn),
    test: world.elbv2.forwardTargets(stack.config.testRuleArn),
    labels: stack.labels(),
    state: world.ssm.value(stack.config.stateParameterName),
    services: SLOTS.map((s) => {
      const svc = world.ecs.service(stack.config.slots[s].serviceArn);
      return { slot: s, desired: svc.desiredCount, taskDefinition: svc.taskDefinition, deployments: svc.deployments.map((d) => d.id) };
    }),
    tags: SLOTS.map((s) => world.ecr.tagOf(stack.config.repositoryName, stack.config.slots[s].imageTag) ?? null),
  };
}

/** Labels agree with routes: all four resources say the live slot is the one production forwards to. */
export function labelsMatchRoutes(stack: ReleaseStack): boolean {
  const live = stack.liveSlot();
  return Object.values(stack.labels()).every((tags) => tags[LABEL.liveSlot] === live);
}

/**
 * 8. The slot that production left keeps the previous digest, able to take production back,
 * until the new release's bake has ended: nothing re-tags it or runs anything else on it.
 *
 * Tracked from outside the product: when an execution's Swap moves production from slot X to Y,
 * X's serving digest and tag at that moment are protected until that execution has ended (its
 * Bake is its last action); a move of production back to X (a rollback) lifts the protection.
 */
export class PreviousSlotGuard {
  private protectedSlot: { slot: SlotName; digest: string; executionId: string; count: number } | null = null;
  private lastLive: SlotName | undefined;

  constructor(private readonly world: AwsWorld, private readonly stack: ReleaseStack) {
    this.lastLive = stack.liveSlot();
  }

  /** Call after every handler invocation (and any time between). */
  check(): string[] {
    const live = this.stack.liveSlot();
    if (live !== undefined && this.lastLive !== undefined && live !== this.lastLive) {
      const swapOf = live === undefined ? undefined : this.swappedTo(live);
      const left = this.lastLive;
      const serving = [...new Set(this.stack.servingDigests(left))];
      this.protectedSlot =
        swapOf !== undefined && serving.length === 1 && serving[0] !== null ? { slot: left, digest: serving[0], executionId: swapOf, count: this.desiredCount(left) } : null;
    }
    if (live !== undefined) this.lastLive = live;
    const guard = this.protectedSlot;
    if (guard === null) return [];
    if (guard.slot === live || this.world.codepipeline.execution(guard.executionId).status !== 'InProgress') {
      this.protectedSlot = null;
      return [];
    }
    const out: string[] = [];
    const serving = this.stack.servingDigests(guard.slot);
    if (serving.length === 0 || serving.some((d) => d !== guard.digest)) {
      out.push(`Invariant 8: slot ${guard.slot}, which production left for release ${guard.executionId}, serves ${[...new Set(serving)].join(', ') || 'nothing'} instead of ${guard.digest} before that release's bake ended.`);
    }
    // No scaling action either: it keeps the count it left production with.
    const count = this.desiredCount(guard.slot);
    if (count < guard.count) out.push(`Invariant 8: slot ${guard.slot}, which production left for release ${guard.executionId} with ${guard.count} task(s), was scaled in to ${count} before that release's bake ended.`);
    const tag = this.world.ecr.tagOf(this.stack.config.repositoryName, this.stack.config.slots[guard.slot].imageTag);
    if (tag !== guard.digest) out.push(`Invariant 8: slot ${guard.slot}'s tag names ${tag ?? 'nothing'} instead of ${guard.digest} before release ${guard.executionId}'s bake ended.`);
    return out;
  }

  private desiredCount(slot: SlotName): number {
    return this.world.ecs.services.get(this.stack.config.slots[slot].serviceArn)?.desiredCount ?? 0;
  }

  /** The running execution whose Swap made `slot` live (CodePipeline's record, not the product's). */
  private swappedTo(slot: SlotName): string | undefined {
    return [...this.world.codepipeline.executions.values()].find((e) => {
      if (e.status !== 'InProgress') return false;
      const swap = [...e.actions].reverse().find((a) => a.actionName === 'Swap');
      return swap?.status === 'Succeeded' && swap.outputVariables?.LIVE_SLOT === slot;
    })?.id;
  }
}
