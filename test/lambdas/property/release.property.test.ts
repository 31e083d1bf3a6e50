// Property: whatever sequence of releases, rejections, rollbacks, duplicated events, time and
// transient AWS faults happens, DESIGN.md invariants 1, 2, 3 and 5 hold after every step and a
// replay of a completed operation changes nothing (4).
import fc from 'fast-check';
import { AwsWorld, FaultKind } from '../../support/aws-model';
import { releaseSnapshot } from '../../support/invariants';
import { useWorldClock } from '../../support/jest-world';
import { Delivery, Release, RollbackResult } from '../../support/release-driver';
import { ReleaseHarness, createReleaseHarness } from '../../support/release-harness';
import { otherSlot } from '../../support/release-stack';

/** A transient error on the `at`-th AWS call of a step; `lost`: the call took effect, its response was lost. */
type Fault = { at: number; kind: FaultKind; lost: boolean } | null;

type Command =
  | { kind: 'release'; fault: Fault }
  | { kind: 'deploy'; image: 'good' | 'crash' | 'hang'; polls: 'all' | 1; fault: Fault }
  | { kind: 'continue'; fault: Fault }
  | { kind: 'approveSwap'; pick: number; fault: Fault }
  | { kind: 'reject'; pick: number }
  | { kind: 'rollback'; stale: boolean; fault: Fault }
  | { kind: 'duplicate'; fault: Fault }
  | { kind: 'race'; pick: number; withSwap: boolean }
  | { kind: 'tick'; n: number };

const fault: fc.Arbitrary<Fault> = fc.option(
  fc.record({ at: fc.nat({ max: 24 }), kind: fc.constantFrom<FaultKind>('throttle', 'unavailable', 'internal'), lost: fc.boolean() }),
  { freq: 3 },
);

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), fault }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deploy' as const), image: fc.constantFrom('good' as const, 'good' as const, 'crash' as const, 'hang' as const), polls: fc.constantFrom('all' as const, 1 as const), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('continue' as const), fault }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('approveSwap' as const), pick: fc.nat(), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rollback' as const), stale: fc.constantFrom(false, false, false, true), fault }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('race' as const), pick: fc.nat(), withSwap: fc.boolean() }) },
);

/** Whether a delivery completed its operation, so that replaying it must change nothing. */
function completed(h: ReleaseHarness, d: Delivery | undefined): boolean {
  if (!d) return false;
  if (d.kind === 'rollback') return d.result?.outcome === 'rolled-back' || d.result?.outcome === 'already-done';
  const result = h.world.codepipeline.job(d.jobId).result;
  return result?.kind === 'success' && result.continuationToken === undefined;
}

/** Runs one sequence after `preReleases` successful releases; throws on the first violated invariant. */
async function run(preReleases: number, commands: Command[]): Promise<void> {
  const h = createReleaseHarness({ clock: useWorldClock, deployTimeoutSeconds: 150, maxPolls: 40 });
  const releases: Release[] = [];
  let labels = 0;
  while (labels < preReleases) releases.push(await h.driver.release(`v${++labels}`));

  const inject = (f: Fault) => {
    h.world.faults.clear();
    if (f) h.world.faults.failAtCall(h.world.calls.length + f.at, f.kind, { afterEffect: f.lost });
  };
  const swappable = () => releases.filter((r) => r.deploy?.status === 'succeeded' && r.approval !== 'Rejected' && r.swap?.status !== 'succeeded');

  for (const c of commands) {
    inject('fault' in c ? c.fault : null);
    switch (c.kind) {
      case 'release': {
        // Deploy, approve and swap a good image in one step (the fault lands somewhere in there).
        const release = h.driver.start(`v${++labels}`);
        releases.push(release);
        if ((await h.driver.deploy(release)).status !== 'succeeded') break;
        h.driver.approve(release);
        await h.driver.swap(release);
        break;
      }
      case 'deploy': {
        const release = h.driver.start(`v${++labels}`);
        if (c.image !== 'good') h.world.ecs.markBad(release.image.digest, c.image);
        releases.push(release);
        await h.driver.deploy(release, c.polls === 1 ? { maxPolls: 1 } : {});
        break;
      }
      case 'continue': {
        const release = releases.find((r) => r.deploy?.status === 'in-progress');
        if (release) await h.driver.deploy(release);
        break;
      }
      case 'approveSwap': {
        const candidates = swappable();
        if (!candidates.length) break;
        const release = candidates[c.pick % candidates.length];
        if (release.approval !== 'Approved') h.driver.approve(release);
        await h.driver.swap(release);
        break;
      }
      case 'reject': {
        const candidates = swappable().filter((r) => r.approval === undefined);
        if (candidates.length) h.driver.reject(candidates[c.pick % candidates.length]);
        break;
      }
      case 'rollback': {
        const live = h.stack.liveSlot()!;
        const result = await h.driver.rollback({ reason: 'property', expectedLiveSlot: c.stale ? otherSlot(live) : live });
        // A stale view never moves production (a fault may turn the refusal into a failure).
        if (c.stale) expect((result as RollbackResult)).toMatchObject({ outcome: expect.stringMatching(/^(refused|failed)$/), state: 'old' });
        break;
      }
      case 'duplicate': {
        if (!h.driver.lastDelivery) break;
        const before = releaseSnapshot(h.world);
        const replayOfCompleted = completed(h, h.driver.lastDelivery) && c.fault === null;
        await h.driver.redeliver();
        if (replayOfCompleted) expect(releaseSnapshot(h.world)).toEqual(before);
        break;
      }
      case 'tick':
        h.world.tick(c.n);
        break;
      case 'race': {
        // Two operations at once (outside CodePipeline's serialisation): a rollback against a swap
        // of an approvable release, or against another rollback.
        const candidates = swappable();
        const release = c.withSwap && candidates.length ? candidates[c.pick % candidates.length] : undefined;
        if (release && release.approval !== 'Approved') h.driver.approve(release);
        await Promise.all([release ? h.driver.swap(release) : h.driver.rollback({ reason: 'race one' }), h.driver.rollback({ reason: 'race two' })]);
        break;
      }
    }
    h.world.faults.clear();
    h.check();
  }
}

afterAll(() => {
  AwsWorld.uninstall();
  jest.useRealTimers();
});

test('invariants hold under random releases, rollbacks, duplicates, time and faults', async () => {
  await fc.assert(fc.asyncProperty(fc.nat({ max: 2 }), fc.array(command, { minLength: 1, maxLength: 8 }), run), { numRuns: 1000 });
});
