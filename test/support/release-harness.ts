// The real DeployGreen and Swap handlers wired to a fresh world: what the simulation and
// property suites (and the benchmark) start from.
import { createDeployGreenHandler } from '../../lambdas/deploy-green';
import { createSwapHandler } from '../../lambdas/swap';
import { AwsWorld } from './aws-model';
import { assertInvariants, invariantViolations } from './invariants';
import { Delivery, DriverOptions, ReleaseDriver } from './release-driver';
import { ReleaseStack, SeedOptions, seedReleaseStack } from './release-stack';

export interface ReleaseHarness {
  readonly world: AwsWorld;
  readonly stack: ReleaseStack;
  readonly driver: ReleaseDriver;
  /** The handlers' log lines (one JSON object each). */
  readonly logs: string[];
  /** Violations of invariants 1, 2, 3 and 5 found after any handler returned. */
  readonly violations: string[];
  /** Throws unless invariants 1, 2, 3 and 5 hold now and held after every handler returned. */
  check(opts?: { settled?: boolean }): void;
}

export interface HarnessOptions extends SeedOptions, Omit<DriverOptions, 'afterInvocation'> {
  /** Maps world time onto `Date` (the handlers read `new Date()`); jest's `useWorldClock`, or none. */
  clock?: (world: AwsWorld) => void;
  /** Check invariants after every handler invocation (default true). */
  checkEachInvocation?: boolean;
}

export function createReleaseHarness(opts: HarnessOptions = {}): ReleaseHarness {
  const world = new AwsWorld();
  world.install();
  opts.clock?.(world);
  const logs: string[] = [];
  const logSink = (line: string) => void logs.push(line);
  const handlers = { deployGreen: createDeployGreenHandler({ logSink }), swap: createSwapHandler({ logSink }) };
  const stack = seedReleaseStack(world, { ...opts, handlers });
  const violations: string[] = [];
  const afterInvocation = (d: Delivery) => {
    // While a raced invocation is still running, its job has no result yet and routes may be mid-swap.
    if (opts.checkEachInvocation === false || driver.inFlight > 0) return;
    for (const v of invariantViolations(world, driver.approved, { stack })) {
      violations.push(`after ${describeDelivery(d)}: ${v}`);
    }
  };
  const driver = new ReleaseDriver(world, stack, handlers, { ...opts, afterInvocation });
  return {
    world,
    stack,
    driver,
    logs,
    violations,
    check: (o = {}) => {
      if (violations.length) throw new Error(violations.join('\n'));
      assertInvariants(world, driver.approved, { stack, settled: o.settled });
    },
  };
}

function describeDelivery(d: Delivery): string {
  return d.kind === 'job' ? `${d.functionName} job ${d.jobId}` : `rollback ${d.event.requestId}`;
}
