// Property: whatever interleaving of executions, approvals, rejections, expired approvals, bake
// windows and alarms, direct rollbacks, promotes and aborts, duplicated events (step jobs of a
// traffic shift included), time and transient AWS faults happens, DESIGN.md invariants 1, 2, 3, 5
// and 8 hold after every step (1 and 2 for every slot with a weight above zero; 5 with the
// weights the state record knows), and a replay of a completed operation changes nothing (4).
// Each run picks the pipeline layout (one Release stage, as the construct builds it, or one stage
// per action, where only the release lease keeps releases apart) and the release strategy (all
// at once, or a traffic shift with random steps, hold and stickiness); with auto scaling, target
// tracking asks for random counts on either slot between any two steps (invariant 8 then also
// holds the previous slot's count); with previousSlotRetention, scheduled scale-downs fire and
// rollbacks scale a slot at zero back up, polled like the CLI polls them.
import fc from 'fast-check';
import { AwsWorld, FaultKind } from '../../support/aws-model';
import { BakeWorld, addBake, uninstallCloudWatch } from '../../support/bake-world';
import { releaseSnapshot } from '../../support/invariants';
import { useWorldClock } from '../../support/jest-world';
import { Delivery, Release, RollbackResult } from '../../support/release-driver';
import { ReleaseHarness, createReleaseHarness } from '../../support/release-harness';
import { PipelineLayout, SeedOptions, SlotName, otherSlot } from '../../support/release-stack';
import { serviceResourceId } from '../../../lambdas/adapters/scaling';

/** A transient error on the `at`-th AWS call of a step; `lost`: the call took effect, its response was lost. */
type Fault = { at: number; kind: FaultKind; lost: boolean } | null;

type Command =
  | { kind: 'start'; image: 'good' | 'crash' | 'hang' }
  | { kind: 'release'; polls: number; fault: Fault }
  | { kind: 'step'; pick: number; polls: number; fault: Fault }
  | { kind: 'shift-step'; pick: number; fault: Fault }
  | { kind: 'approve'; pick: number }
  | { kind: 'reject'; pick: number }
  | { kind: 'expire'; pick: number }
  | { kind: 'retry'; pick: number; fault: Fault }
  | { kind: 'rollback'; stale: boolean; fault: Fault }
  | { kind: 'promote'; stale: boolean; fault: Fault }
  | { kind: 'abort'; stale: boolean; fault: Fault }
  | { kind: 'alarm'; slot: SlotName; on: boolean }
  | { kind: 'duplicate'; fault: Fault }
  | { kind: 'race'; pick: number }
  | { kind: 'scale'; slot: SlotName; wanted: number }
  | { kind: 'schedules'; fault: Fault }
  | { kind: 'rollback-poll'; fault: Fault }
  | { kind: 'tick'; n: number };

/** Target tracking asking for `wanted` tasks on a slot (Application Auto Scaling keeps it inside the bounds). */
const scaleEvent: fc.Arbitrary<Command> = fc.record({ kind: fc.constant('scale' as const), slot: fc.constantFrom<SlotName>('a', 'b'), wanted: fc.constantFrom(0, 0, 1, 3, 7) });

const fault: fc.Arbitrary<Fault> = fc.option(
  fc.record({ at: fc.nat({ max: 24 }), kind: fc.constantFrom<FaultKind>('throttle', 'unavailable', 'internal'), lost: fc.boolean() }),
  { freq: 3 },
);

/**
 * With previousSlotRetention: time runs on to the next scheduled scale-down, which fires (a fault
 * inside it); and the last rollback that answered "in progress" is asked again (its caller polling).
 */
const retentionEvent: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('schedules' as const), fault }),
  fc.record({ kind: fc.constant('rollback-poll' as const), fault }),
  fc.record({ kind: fc.constant('rollback' as const), stale: fc.constant(false), fault }),
);

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('start' as const), image: fc.constantFrom('good' as const, 'good' as const, 'good' as const, 'crash' as const, 'hang' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), polls: fc.constantFrom(1, 2, 40), fault }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('step' as const), pick: fc.nat(), polls: fc.constantFrom(1, 3, 40), fault }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('shift-step' as const), pick: fc.nat(), fault }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('approve' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat(), fault }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rollback' as const), stale: fc.constantFrom(false, false, false, true), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('promote' as const), stale: fc.constantFrom(false, false, true), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), stale: fc.constantFrom(false, false, true), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('alarm' as const), slot: fc.constantFrom<SlotName>('a', 'b'), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('race' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 2, arbitrary: scaleEvent },
);

/**
 * The same commands, weighted towards traffic shifts under way: releases that stop part-way into
 * their shift, steps taken at the poll they are due with a fault inside them, operators, alarms,
 * duplicated step jobs and races.
 */
const shiftCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), polls: fc.constantFrom(1, 2), fault }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('shift-step' as const), pick: fc.nat(), fault }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('step' as const), pick: fc.nat(), polls: fc.constantFrom(1, 3, 40), fault }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('promote' as const), stale: fc.constantFrom(false, false, true), fault }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), stale: fc.constantFrom(false, false, true), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rollback' as const), stale: fc.constantFrom(false, true), fault }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('alarm' as const), slot: fc.constantFrom<SlotName>('a', 'b'), on: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('race' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 2, arbitrary: scaleEvent },
);

/** How often the retention paths were taken, so the property shows it reaches them. */
const reached = { retired: 0, scaleUps: 0, rolledBackAfterScaleUp: 0 };

interface Run {
  readonly h: ReleaseHarness;
  readonly bake: BakeWorld;
  readonly releases: Release[];
  labels: number;
  /** The request id of the last rollback that answered "in progress". */
  polling: string | null;
}

/** Whether a delivery completed its operation, so that replaying it must change nothing. */
function completed(h: ReleaseHarness, d: Delivery | undefined): boolean {
  if (!d) return false;
  if (d.kind === 'rollback') return d.result?.outcome === 'rolled-back' || d.result?.outcome === 'already-done' || d.result?.outcome === 'retired';
  const result = h.world.codepipeline.job(d.jobId).result;
  return result?.kind === 'success' && result.continuationToken === undefined;
}

const running = (r: Run) => r.releases.filter((x) => r.h.world.codepipeline.execution(x.execution.id).status === 'InProgress');
const pick = <T>(items: T[], n: number): T | undefined => (items.length ? items[n % items.length] : undefined);
const pendingApproval = (r: Run, x: Release) => r.h.world.codepipeline.execution(x.execution.id).actions.some((a) => a.token && a.status === 'InProgress');

/** When the pending Swap job of a shifting execution takes its next step, or null when it is not shifting. */
function dueStep(r: Run, release: Release): number | null {
  const job = r.h.world.codepipeline.pendingJob(release.execution.id, 'Swap');
  const token = job?.continuationToken ? (JSON.parse(job.continuationToken) as { phase?: string; dueAt?: string }) : null;
  return token?.phase === 'shift' && token.dueAt ? Date.parse(token.dueAt) : null;
}

/** Delivers what the execution's running action waits for: its DeployGreen, Swap or Bake job chain. */
async function step(r: Run, release: Release, polls: number): Promise<void> {
  const cp = r.h.world.codepipeline;
  if (cp.pendingJob(release.execution.id, 'DeployGreen')) await r.h.driver.deploy(release, { maxPolls: polls });
  else if (cp.pendingJob(release.execution.id, 'Swap')) await r.h.driver.swap(release, { maxPolls: polls });
  else if (cp.pendingJob(release.execution.id, 'Bake')) await r.bake.run(release, { maxPolls: polls });
}

/** The slot production serves, or during a traffic shift the one it moves away from (the test rule is on the candidate). */
function servingSlot(h: ReleaseHarness): SlotName {
  return h.stack.liveSlot() ?? otherSlot(h.stack.testSlot()!);
}

async function run(
  layout: PipelineLayout,
  windowSeconds: number,
  preReleases: number,
  commands: Command[],
  withoutLease = false,
  trafficShift?: SeedOptions['trafficShift'],
  autoScaling?: SeedOptions['autoScaling'],
  withoutFloors = false,
  previousSlotRetentionSeconds?: number,
): Promise<void> {
  const h = createReleaseHarness({ clock: useWorldClock, deployTimeoutSeconds: 150, maxPolls: 40, layout, withoutLease, trafficShift, autoScaling, withoutFloors, previousSlotRetentionSeconds });
  const r: Run = { h, bake: addBake(h, { windowSeconds }), releases: [], labels: 0, polling: null };
  while (r.labels < preReleases) {
    const release = await h.driver.release(`v${++r.labels}`);
    r.releases.push(release);
    await r.bake.run(release);
  }
  const inject = (f: Fault) => {
    h.world.faults.clear();
    if (f) h.world.faults.failAtCall(h.world.calls.length + f.at, f.kind, { afterEffect: f.lost });
  };

  for (const c of commands) {
    inject('fault' in c && c.kind !== 'shift-step' ? c.fault : null);
    switch (c.kind) {
      case 'start': {
        const release = h.driver.start(`v${++r.labels}`);
        if (c.image !== 'good') h.world.ecs.markBad(release.image.digest, c.image);
        r.releases.push(release);
        break;
      }
      case 'release': {
        // A new execution pushed as far as it goes at once: deploy, approve, swap (a shift may stop
        // part-way, `polls` in); its bake starts.
        const release = h.driver.start(`v${++r.labels}`);
        r.releases.push(release);
        // In a stage-per-action layout the Approve stage may hold another execution: this one then waits.
        if ((await h.driver.deploy(release)).status !== 'succeeded' || !pendingApproval(r, release)) break;
        h.driver.approve(release);
        await h.driver.swap(release, { maxPolls: c.polls });
        break;
      }
      case 'step': {
        const release = pick(running(r), c.pick);
        if (release) await step(r, release, c.polls);
        break;
      }
      case 'shift-step': {
        // The poll at which a shift's step is due, with the fault inside that step: between its
        // record, weight, test-rule and label writes. With no shift under way, the executions in
        // flight are driven on and a new release starts its shift.
        let release = pick(running(r).filter((x) => dueStep(r, x) !== null), c.pick);
        if (!release) {
          for (const x of running(r)) await step(r, x, 40);
          const next = h.driver.start(`v${++r.labels}`);
          r.releases.push(next);
          if ((await h.driver.deploy(next)).status !== 'succeeded' || !pendingApproval(r, next)) break;
          h.driver.approve(next);
          await h.driver.swap(next, { maxPolls: 1 });
          if (dueStep(r, next) === null) break;
          release = next;
        }
        const dueAt = dueStep(r, release)!;
        h.world.tick(Math.max(0, Math.ceil((dueAt - h.world.now()) / 15_000)));
        inject(c.fault);
        await h.driver.swap(release, { maxPolls: 1 });
        break;
      }
      case 'approve':
      case 'reject': {
        const release = pick(running(r).filter((x) => pendingApproval(r, x)), c.pick);
        if (release && c.kind === 'approve') h.driver.approve(release);
        else if (release) h.driver.reject(release);
        break;
      }
      case 'expire': {
        const release = pick(running(r).filter((x) => pendingApproval(r, x)), c.pick);
        if (release) h.world.codepipeline.expireApproval(release.execution.id);
        break;
      }
      case 'retry': {
        // A stage retry of a failed Swap (RetryStageExecution), as an operator would after "retry the Swap stage".
        const failed = r.releases.filter((x) => h.world.codepipeline.execution(x.execution.id).status === 'Failed' && x.approval === 'Approved' && x.swap?.status === 'failed');
        const release = pick(failed, c.pick);
        if (release) {
          try {
            await h.driver.swap(release);
          } catch (err) {
            // CodePipeline refuses a retry once a later execution has run the stage: nothing happened.
            if (!/NotLatestPipelineExecution|StageNotRetryable/.test(String((err as Error).name))) throw err;
          }
        }
        break;
      }
      case 'rollback':
      case 'promote':
      case 'abort': {
        const live = servingSlot(h);
        const event = { reason: 'property', expectedLiveSlot: c.stale ? otherSlot(live) : live };
        const result = c.kind === 'rollback' ? await h.driver.rollback(event) : c.kind === 'promote' ? await h.driver.promote(event) : await h.driver.abort(event);
        // A stale view never moves production (a fault may turn the refusal into a failure).
        if (c.stale) expect(result as RollbackResult).toMatchObject({ outcome: expect.stringMatching(/^(refused|failed|busy)$/), state: 'old' });
        if (result?.outcome === 'in-progress') {
          r.polling = result.requestId ?? null;
          reached.scaleUps += 1;
        }
        break;
      }
      case 'schedules': {
        // Whatever is due fires; with nothing due, time runs on to the next schedule first.
        const next = h.scheduler?.schedules.size ? Math.min(...[...h.scheduler.schedules.values()].map((x) => x.due)) : null;
        if (next !== null && h.scheduler!.due().length === 0) h.world.tick(Math.ceil((next - h.world.now()) / 15_000));
        inject(c.fault);
        reached.retired += (await h.fireSchedules()).filter((a) => (a as RollbackResult | undefined)?.outcome === ('retired' as string)).length;
        break;
      }
      case 'rollback-poll': {
        if (r.polling === null) break;
        // The caller waits a while between asks (the CLI: 10 s; a task starts and passes its checks in a few ticks).
        h.world.tick(3);
        const result = await h.driver.rollback({ requestId: r.polling, reason: 'property' });
        if (result?.outcome === 'rolled-back') reached.rolledBackAfterScaleUp += 1;
        if (result?.outcome !== 'in-progress') r.polling = null;
        break;
      }
      case 'alarm':
        r.bake.alarms.set(`app-slot-${c.slot}-5xx`, c.on ? 'ALARM' : 'OK');
        break;
      case 'duplicate': {
        if (!h.driver.lastDelivery) break;
        const before = releaseSnapshot(h.world);
        const replayOfCompleted = completed(h, h.driver.lastDelivery) && c.fault === null;
        await h.driver.redeliver();
        if (replayOfCompleted) expect(releaseSnapshot(h.world)).toEqual(before);
        break;
      }
      case 'race': {
        // An operator's rollback at the same moment as the next poll of an execution.
        const release = pick(running(r), c.pick);
        await Promise.all([release ? step(r, release, 1) : Promise.resolve(), h.driver.rollback({ reason: 'race' })]);
        break;
      }
      case 'scale':
        // Without auto scaling nothing scales: the command is a tick.
        if (h.scaling) h.scaling.track(serviceResourceId(h.stack.config.slots[c.slot].serviceArn), c.wanted);
        h.world.tick(2);
        break;
      case 'tick':
        h.world.tick(c.n);
        break;
    }
    h.world.faults.clear();
    h.check();
    // CodePipeline's own guarantee in this layout: one execution in the Release stage at a time.
    if (layout === 'release-stage') expect(running(r).filter((x) => h.world.codepipeline.stageOf(x.execution.id)?.inbound === false && h.world.codepipeline.stageOf(x.execution.id)?.stage === 'Release').length).toBeLessThanOrEqual(1);
  }
}

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
  jest.useRealTimers();
});

const layout = fc.constantFrom<PipelineLayout>('release-stage', 'stage-per-action');
const window = fc.constantFrom(60, 120, 300);
const commands = fc.array(command, { minLength: 1, maxLength: 20 });
/** Releases and their bakes with target tracking between them: at least one slot of each bound shifts under a release. */
const scalingCommands = fc.array(fc.oneof({ weight: 3, arbitrary: command }, { weight: 2, arbitrary: scaleEvent }), { minLength: 1, maxLength: 20 });
const bounds = fc.record({ minCapacity: fc.constant(1), maxCapacity: fc.integer({ min: 3, max: 6 }) });
const preReleases = fc.nat({ max: 2 });
/** All at once, or a shift: 1 to 4 random increasing percents (a canary is one), a hold of one to three polls, stickiness or not. */
const strategy: fc.Arbitrary<SeedOptions['trafficShift']> = fc.option(
  fc.record({
    percents: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 4 }).map((ps) => [...ps].sort((x, y) => x - y)),
    holdSeconds: fc.constantFrom(15, 30, 45),
    stickinessSeconds: fc.constantFrom(0, 0, 300),
  }),
  { freq: 2 },
).map((s) => s ?? undefined);

test('invariants 1-5 and 8 hold under interleaved executions, approvals, bakes, shifts, rollbacks, promotes, aborts, duplicates, time and faults', async () => {
  await fc.assert(fc.asyncProperty(layout, window, preReleases, commands, strategy, (l, w, p, cs, t) => run(l, w, p, cs, false, t)), { numRuns: 250 });
});

test('invariants 1-5 and 8 hold through traffic shifts: random weights, faults inside a step, duplicated step jobs, promotes, aborts, alarms', async () => {
  const shifts = strategy.filter((t) => t !== undefined);
  const preLive = fc.integer({ min: 1, max: 2 });
  await fc.assert(fc.asyncProperty(layout, window, preLive, fc.array(shiftCommand, { minLength: 1, maxLength: 12 }), shifts, (l, w, p, cs, t) => run(l, w, p, cs, false, t)), { numRuns: 80 });
});

test('invariants 1-5 and 8 hold with auto scaling: target tracking on either slot interleaved with releases, bakes, shifts, rollbacks, aborts and faults', async () => {
  await fc.assert(fc.asyncProperty(layout, window, preReleases, scalingCommands, strategy, bounds, (l, w, p, cs, t, s) => run(l, w, p, cs, false, t, s)), { numRuns: 120 });
});

test('invariants 1-5 and 8 hold with previousSlotRetention: scheduled scale-downs and scale-up rollbacks interleaved with releases, bakes, scaling, rollbacks and faults', async () => {
  const retentionCommands = fc.array(fc.oneof({ weight: 2, arbitrary: command }, { weight: 3, arbitrary: retentionEvent }), { minLength: 3, maxLength: 16 });
  // Two releases before: the second's schedule retires a slot that ran something from the first command on.
  const released = fc.constant(2);
  const scaling = fc.option(bounds, { freq: 2 }).map((b) => b ?? undefined);
  const retention = fc.constantFrom(60, 300);
  await fc.assert(
    fc.asyncProperty(layout, window, released, retentionCommands, strategy, scaling, retention, (l, w, p, cs, t, s, k) => run(l, w, p, cs, false, t, s, false, k)),
    {
      numRuns: 120,
      // One run that surely takes every path, whatever the random ones reach: the second release's
      // schedule retires slot b, a rollback scales it up, polls land it, a late schedule skips.
      examples: [
        [
          'release-stage',
          60,
          2,
          [
            { kind: 'schedules', fault: null },
            { kind: 'schedules', fault: null },
            { kind: 'rollback', stale: false, fault: null },
            ...Array.from({ length: 8 }, (): Command => ({ kind: 'rollback-poll', fault: null })),
            { kind: 'schedules', fault: null },
          ],
          undefined,
          undefined,
          60,
        ],
      ],
    },
  );
  // The property reaches what it is about: scale-downs, scale-ups, and rollbacks that land after one.
  expect(reached.retired).toBeGreaterThan(0);
  expect(reached.scaleUps).toBeGreaterThan(0);
  expect(reached.rolledBackAfterScaleUp).toBeGreaterThan(0);
});

test('the property catches a control plane that holds no scaling floors', async () => {
  // The same property with every floor lowered to minCapacity: a scale-in of the slot production
  // left, before its bake ended, must be found, or the scaling property has no teeth.
  const found = await fc.check(fc.asyncProperty(layout, window, preReleases, scalingCommands, strategy, bounds, (l, w, p, cs, t, s) => run(l, w, p, cs, false, t, s, true)), { numRuns: 200 });
  expect(found.failed).toBe(true);
  expect(String(found.errorInstance)).toMatch(/Invariant (2|8)/);
});

test('the property catches a control plane without its release lease (one stage per action)', async () => {
  // The same property over the layout where CodePipeline lets releases overlap, with the lease
  // replaced by one that grants everything: an overlap must be found, or the property has no teeth.
  const found = await fc.check(fc.asyncProperty(window, preReleases, commands, (w, p, cs) => run('stage-per-action', w, p, cs, true)), { numRuns: 400 });
  expect(found.failed).toBe(true);
  // Overlapping releases break an approved digest in production (1), the routes (5) or the previous
  // slot (8): whichever the shrunk counterexample reaches first.
  expect(String(found.errorInstance)).toMatch(/Invariant (1|5|8)/);
});
