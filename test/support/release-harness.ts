// The real DeployGreen and Swap handlers wired to a fresh world: what the simulation and
// property suites (and the benchmark) start from.
import { createDeployGreenHandler, deployPorts } from '../../lambdas/deploy-green';
import { createSwapHandler, swapPorts } from '../../lambdas/swap';
import { freeLease } from '../../lambdas/core/lease';
import type { ReleaseConfig } from '../../lambdas/core/config';
import { evidenceStoreFor } from '../../lambdas/adapters/evidence';
import { worldS3Send } from './model/s3';
import { AutoScalingModel, serveAutoScaling, worldAasSend } from './model/aas';
import { SchedulerModel, serveScheduler, worldSchedulerSend } from './model/scheduler';
import { retirementScheduler } from '../../lambdas/adapters/scheduler';
import { serviceResourceId, slotScaling } from '../../lambdas/adapters/scaling';
import { aroundCount } from '../../lambdas/core/scaling';
import type { LeaseStore, ScalingPort } from '../../lambdas/core/ports';
import { AwsWorld } from './aws-model';
import { addAlarms, serveAlarms } from './bake-world';
import { AlarmModel } from './cloudwatch-model';
import { PreviousSlotGuard, assertInvariants, invariantViolations } from './invariants';
import { Delivery, DriverOptions, ReleaseDriver } from './release-driver';
import { ReleaseStack, SeedOptions, seedReleaseStack } from './release-stack';

export interface ReleaseHarness {
  readonly world: AwsWorld;
  readonly stack: ReleaseStack;
  readonly driver: ReleaseDriver;
  /** The handlers' log lines (one JSON object each). */
  readonly logs: string[];
  /**
   * The construct's alarms (per-slot and shared composites over `app-slot-<x>-5xx`, `-unhealthy`,
   * `app-errors`), served to CloudWatch clients: set up for a traffic shift (which watches them),
   * or by `addBake`.
   */
  alarms: AlarmModel | null;
  /** Application Auto Scaling, served when the stack is seeded with `autoScaling`. */
  readonly scaling: AutoScalingModel | null;
  /** EventBridge Scheduler, served when the stack is seeded with `previousSlotRetentionSeconds`. */
  readonly scheduler: SchedulerModel | null;
  /**
   * Scheduler invokes the swap function for every schedule due at the world's time (as its role,
   * asynchronously: what the function answers goes nowhere); returns what each answered.
   */
  fireSchedules(): Promise<unknown[]>;
  /**
   * EventBridge delivers the Parameter Store Change events the construct's rule matches (the
   * rollback request parameter, created or updated) to the swap function; returns its answers.
   */
  deliverParameterChanges(): Promise<unknown[]>;
  /** Violations of invariants 1, 2, 3, 5 and 8 found after any handler returned. */
  readonly violations: string[];
  /** Throws unless invariants 1, 2, 3 and 5 hold now and they and 8 held after every handler returned. */
  check(opts?: { settled?: boolean }): void;
}

export interface HarnessOptions extends SeedOptions, Omit<DriverOptions, 'afterInvocation'> {
  /** Maps world time onto `Date` (the handlers read `new Date()`); jest's `useWorldClock`, or none. */
  clock?: (world: AwsWorld) => void;
  /** Check invariants after every handler invocation (default true). */
  checkEachInvocation?: boolean;
  /**
   * Run the handlers with a lease that is always free: the control plane as it was before the
   * release lease, to show what the lease prevents. Never for a test of the product's behaviour.
   */
  withoutLease?: boolean;
  /**
   * With `autoScaling`, register every floor at the configured minimum instead: the control plane
   * as if it held no floors, to show what they prevent. Never for a test of the product's behaviour.
   */
  withoutFloors?: boolean;
}

/** A lease store that grants every claim: no serialisation beyond CodePipeline's. */
export const unguardedLease: LeaseStore = { read: async () => freeLease(), write: async () => 'written' };

export function createReleaseHarness(opts: HarnessOptions = {}): ReleaseHarness {
  const world = new AwsWorld();
  world.install();
  opts.clock?.(world);
  const logs: string[] = [];
  const logSink = (line: string) => void logs.push(line);
  const lease = opts.withoutLease ? { lease: unguardedLease } : {};
  // The handlers read world time (as `Date` does under a jest world clock), so a harness without one (the bench) still bakes and shifts.
  const now = () => new Date(world.now());
  // With `evidence`, the handlers write it to the world's S3 through the S3 seam.
  const evidence = (config: ReleaseConfig) => ({
    evidence: evidenceStoreFor(config, worldS3Send(world), now),
    ...(config.autoScaling ? { scaling: floorsOf(slotScaling(worldAasSend(world), config), config, opts.withoutFloors === true) } : {}),
    ...(config.previousSlotRetention ? { retirement: retirementScheduler(worldSchedulerSend(world), config.previousSlotRetention, config.pipelineName) } : {}),
  });
  const handlers = {
    deployGreen: world.actingAs('DeployGreen', createDeployGreenHandler({ logSink, now, ports: (config) => ({ ...deployPorts(config), ...lease, ...evidence(config) }) })),
    swap: world.actingAs('Swap', createSwapHandler({ logSink, now, ports: (config) => ({ ...swapPorts(config), ...lease, ...evidence(config) }) })),
  };
  const stack = seedReleaseStack(world, { ...opts, handlers });
  const violations: string[] = [];
  const previousSlot = new PreviousSlotGuard(world, stack);
  const afterInvocation = (d: Delivery) => {
    // While a raced invocation is still running, its job has no result yet and routes may be mid-swap.
    if (opts.checkEachInvocation === false || driver.inFlight > 0) return;
    for (const v of [...invariantViolations(world, driver.approved, { stack }), ...previousSlot.check()]) {
      violations.push(`after ${describeDelivery(d)}: ${v}`);
    }
  };
  const driver = new ReleaseDriver(world, stack, handlers, { ...opts, afterInvocation });
  // The scalable targets as the infra owner registers them when the stack is created: around each slot's count.
  const scaling = opts.autoScaling ? serveAutoScaling(world) : null;
  for (const slot of scaling ? (['a', 'b'] as const) : []) {
    const bounds = aroundCount(opts.autoScaling!, 0, null);
    scaling!.commands.RegisterScalableTarget({ ServiceNamespace: 'ecs', ResourceId: serviceResourceId(stack.config.slots[slot].serviceArn), ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: bounds.min, MaxCapacity: bounds.max });
  }
  const retention = stack.config.previousSlotRetention;
  const scheduler = retention ? serveScheduler(world, [retention.scheduleGroupName]) : null;
  const fireSchedules = async (): Promise<unknown[]> => {
    const answers: unknown[] = [];
    for (const due of scheduler?.due() ?? []) {
      answers.push(await driver.invokeSwap(JSON.parse(due.input.Target.Input)));
      scheduler!.completed(due);
    }
    return answers;
  };
  let delivered = 0;
  const deliverParameterChanges = async (): Promise<unknown[]> => {
    const answers: unknown[] = [];
    const changes = world.ssm.changes.slice(delivered);
    delivered = world.ssm.changes.length;
    for (const change of changes) {
      if (change.detail.name !== stack.config.rollbackRequestParameterName || !['Create', 'Update'].includes(change.detail.operation)) continue;
      try {
        answers.push(await driver.invokeSwap(change as unknown as Record<string, unknown>));
      } catch (err) {
        answers.push({ thrown: (err as Error).message });
      }
    }
    return answers;
  };
  let alarms: AlarmModel | null = null;
  if (opts.trafficShift) {
    alarms = new AlarmModel({ region: world.region, account: world.account, now: () => world.now() });
    alarms.grant = ['*'];
    addAlarms(alarms, stack.pipelineName);
    serveAlarms(world, alarms);
  }
  return {
    world,
    stack,
    driver,
    logs,
    alarms,
    scaling,
    scheduler,
    fireSchedules,
    deliverParameterChanges,
    violations,
    check: (o = {}) => {
      violations.push(...previousSlot.check().map((v) => `at check: ${v}`));
      if (violations.length) throw new Error(violations.join('\n'));
      assertInvariants(world, driver.approved, { stack, settled: o.settled });
    },
  };
}

/** The scaling port as the handlers get it; `withoutFloors` lowers every floor to the configured minimum. */
function floorsOf(port: ScalingPort, config: ReleaseConfig, withoutFloors: boolean): ScalingPort {
  if (!withoutFloors) return port;
  return { bound: (slot, bounds) => port.bound(slot, { ...bounds, min: Math.min(bounds.min, config.autoScaling!.minCapacity) }) };
}

function describeDelivery(d: Delivery): string {
  return d.kind === 'job' ? `${d.functionName} job ${d.jobId}` : `rollback ${d.event.requestId}`;
}
