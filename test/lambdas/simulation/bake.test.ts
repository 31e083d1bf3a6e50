// The Bake stage simulated: the real DeployGreen, Swap and Bake handlers against the in-memory
// world, Bake invoking the real swap function through the Lambda model for its rollbacks.
import { TooManyRequestsException } from '@aws-sdk/client-lambda';
import { AlarmModel } from '../../support/cloudwatch-model';
import { AwsWorld } from '../../support/aws-model';
import { BakeWorld, addBake, uninstallCloudWatch } from '../../support/bake-world';
import { releaseSnapshot } from '../../support/invariants';
import { useWorldClock } from '../../support/jest-world';
import { Release } from '../../support/release-driver';
import { ReleaseHarness, createReleaseHarness } from '../../support/release-harness';

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
  jest.useRealTimers();
});

/** Two releases: v2 is live on slot a, v1 still warm on slot b. */
async function twoReleases(): Promise<{ h: ReleaseHarness; bake: BakeWorld; first: Release; second: Release }> {
  const h = createReleaseHarness({ clock: useWorldClock });
  const bake = addBake(h, { windowSeconds: 120 });
  const first = await h.driver.release('v1');
  expect(await bake.run(first)).toMatchObject({ status: 'succeeded' });
  const second = await h.driver.release('v2');
  expect(h.stack.liveSlot()).toBe('a');
  return { h, bake, first, second };
}

/** Runs `fire` before poll number `at` of the Bake chain. */
const fireAt = (poll: number, at: number, fire: () => void): void => {
  if (poll === at) fire();
};
const routeWritesSince = (h: ReleaseHarness, from: number) => h.world.countCalls(from).routeWrites;
const swapInvocations = (h: ReleaseHarness) => h.world.lambda.invocations.filter((i) => i.functionName === h.stack.ids.swapFunctionName);

describe('the Bake stage', () => {
  test('a quiet window succeeds with BAKED_SLOT, moves nothing, and finishes the execution', async () => {
    const h = createReleaseHarness({ clock: useWorldClock });
    const bake = addBake(h, { windowSeconds: 120 });
    const release = await h.driver.release('v1');
    expect(h.world.codepipeline.execution(release.execution.id).status).toBe('InProgress');
    const from = h.world.calls.length;

    const outcome = await bake.run(release);

    expect(outcome).toMatchObject({ status: 'succeeded', outputs: { BAKED_SLOT: 'b' } });
    // One start plus a poll per 15 s tick until the 120 s window is over.
    expect(outcome.jobIds.length).toBeGreaterThanOrEqual(9);
    expect(routeWritesSince(h, from)).toBe(0);
    expect(swapInvocations(h)).toHaveLength(0);
    // Bake names only the composite alarms: slot b's and the one over the user's alarms.
    expect(h.world.callsSince(from, { command: 'DescribeAlarms' })[0].input).toMatchObject({ AlarmNames: ['app-pipeline-bake-slot-b', 'app-pipeline-bake-shared'] });
    expect(h.world.codepipeline.execution(release.execution.id).status).toBe('Succeeded');
    h.check({ settled: true });
  });

  test('an alarm during the window rolls production back to the previous slot and fails the job with the reason', async () => {
    const { h, bake, first, second } = await twoReleases();

    const outcome = await bake.run(second, { beforePoll: (poll) => fireAt(poll, 3, () => bake.alarms.set('app-slot-a-5xx', 'ALARM')) });

    expect(outcome.status).toBe('failed');
    expect(outcome.message).toBe(
      `Bake failed: alarm app-slot-a-5xx fired on slot a, so the release was rolled back: production is on slot b (${first.image.digest}) again.`,
    );
    expect({ production: h.stack.liveSlot(), test: h.stack.testSlot() }).toEqual({ production: 'b', test: 'a' });
    expect(h.stack.servingDigests('b')).toEqual([first.image.digest, first.image.digest]);
    expect(h.stack.state()).toMatchObject({
      liveSlot: 'b',
      liveDigest: first.image.digest,
      previousDigest: second.image.digest,
      lastOperation: 'rollback',
      changedBy: `bake:${second.execution.id}`,
      history: [{ operation: 'rollback', reason: 'bake: alarm app-slot-a-5xx fired on slot a', fromSlot: 'a', toSlot: 'b' }, {}, {}],
    });
    // The swap function's own audit record, published like any rollback.
    expect(h.world.sns.published.some((m) => m.message.includes('bake: alarm app-slot-a-5xx fired on slot a'))).toBe(true);
    expect(swapInvocations(h)).toHaveLength(1);
    expect(h.world.codepipeline.execution(second.execution.id).status).toBe('Failed');
    h.check({ settled: true });
  });

  test('a busy swap function is asked again on the next poll, then the rollback goes through', async () => {
    const { h, bake, first, second } = await twoReleases();
    h.world.faults.failNext('lambda', 'Invoke', () => new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: { httpStatusCode: 429 } }));

    const outcome = await bake.run(second, { beforePoll: (poll) => fireAt(poll, 1, () => bake.alarms.set('app-errors', 'ALARM')) });

    expect(outcome.message).toContain(`so the release was rolled back: production is on slot b (${first.image.digest}) again`);
    expect(h.world.callsSince(0, { service: 'lambda', command: 'Invoke' }).map((c) => c.error ?? 'ok')).toEqual(['TooManyRequestsException', 'ok']);
    expect(h.stack.liveSlot()).toBe('b');
    h.check({ settled: true });
  });

  test('an operator rollback during the window fails the bake without a second swap', async () => {
    const { h, bake, second } = await twoReleases();
    let afterOperator = 0;

    const outcome = await bake.run(second, {
      beforePoll: async (poll) => {
        if (poll !== 2) return;
        expect(await h.driver.rollback({ reason: 'looks wrong', actor: 'oncall-bob' })).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });
        afterOperator = h.world.calls.length;
        // Even a firing alarm on the old slot must not trigger a second swap.
        bake.alarms.set('app-slot-a-5xx', 'ALARM');
      },
    });

    expect(outcome).toMatchObject({
      status: 'failed',
      message:
        'Bake failed: production no longer forwards to slot a but to slot b (rolled back during the bake), so the release did not bake and nothing more was changed.',
    });
    expect(routeWritesSince(h, afterOperator)).toBe(0);
    expect(swapInvocations(h)).toHaveLength(0);
    expect(h.stack.state()).toMatchObject({ liveSlot: 'b', changedBy: 'oncall-bob' });
    h.check({ settled: true });
  });

  test('a refused automatic rollback (previous slot scaled down) fails with that reason and production stays', async () => {
    const { h, bake, second } = await twoReleases();
    // Someone outside the control plane scales the previous slot down: exactly what invariant 8 forbids.
    h.world.ecs.commands.UpdateService({ cluster: h.stack.config.clusterArn, service: h.stack.config.slots.b.serviceArn, desiredCount: 0 });
    h.world.tick(4);
    expect(h.stack.servingDigests('b')).toEqual([]);
    expect(() => h.check()).toThrow(/Invariant 8: slot b, which production left for release .*, serves nothing/);
    h.violations.length = 0;
    const before = releaseSnapshot(h.world);

    const outcome = await bake.run(second, { check: false, beforePoll: (poll) => fireAt(poll, 1, () => bake.alarms.set('app-slot-a-unhealthy', 'ALARM')) });
    // The violation is the test's own doing (the scale-down above), seen after every bake poll.
    expect(h.violations.every((v) => /Invariant 8: slot b/.test(v))).toBe(true);
    h.violations.length = 0;

    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(
      /^Bake failed: alarm app-slot-a-unhealthy fired on slot a but the automatic rollback was refused \(Rollback refused and nothing changed: slot b cannot take production back: .+\), so production stays on slot a and needs attention\.$/,
    );
    expect(releaseSnapshot(h.world)).toEqual(before);
    expect(h.stack.liveSlot()).toBe('a');
    expect(h.stack.servingDigests('a')).toEqual([second.image.digest, second.image.digest]);
    h.check({ settled: true });
  });

  test('a duplicate delivery of a finished Bake job changes nothing', async () => {
    const { h, bake, second } = await twoReleases();
    const outcome = await bake.run(second, { beforePoll: (poll) => fireAt(poll, 1, () => bake.alarms.set('app-slot-a-5xx', 'ALARM')) });
    expect(outcome.status).toBe('failed');
    const last = outcome.jobIds[outcome.jobIds.length - 1];
    const before = releaseSnapshot(h.world);
    const invocations = swapInvocations(h).length;
    const from = h.world.calls.length;

    await bake.redeliver(last);
    await bake.redeliver(outcome.jobIds[0]);

    expect(releaseSnapshot(h.world)).toEqual(before);
    expect(swapInvocations(h)).toHaveLength(invocations);
    expect(h.world.countCalls(from).routeWrites).toBe(0);
    const job = h.world.codepipeline.job(last);
    expect(job.attempts.filter((a) => a.accepted)).toHaveLength(1);
    expect(job.result?.failure?.message).toBe(outcome.message);
    h.check({ settled: true });
  });
});

describe('a later release while one bakes (invariant 8)', () => {
  /** v1 live and baked; v2 swapped and baking, v1 warm on slot b; v3 built. */
  async function bakingWithNext(opts: { layout: 'release-stage' | 'stage-per-action'; withoutLease?: boolean }) {
    const h = createReleaseHarness({ clock: useWorldClock, ...opts });
    const bake = addBake(h, { windowSeconds: 120 });
    const first = await h.driver.release('v1');
    expect(await bake.run(first)).toMatchObject({ status: 'succeeded' });
    const second = await h.driver.release('v2');
    const next = h.driver.start('v3');
    return { h, bake, first, second, next };
  }

  test.each(['release-stage', 'stage-per-action'] as const)(
    '%s: the next release cannot touch the slot production left until the bake ends, so the alarm\'s rollback finds v1 there',
    async (layout) => {
      const { h, bake, first, second, next } = await bakingWithNext({ layout });
      let nextDeploy: string | undefined;
      const outcome = await bake.run(second, {
        beforePoll: async (poll) => {
          if (poll === 2) nextDeploy = (await h.driver.deploy(next, { maxPolls: 3 })).status;
          fireAt(poll, 4, () => bake.alarms.set('app-slot-a-5xx', 'ALARM'));
        },
      });

      // Held off by the stage lock (release-stage) or by the release lease (stage-per-action).
      expect(nextDeploy).toBe(layout === 'release-stage' ? 'queued' : 'in-progress');
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(/rolled back: production is on slot b/);
      expect(h.stack.servingDigests('b')).toEqual([first.image.digest, first.image.digest]);
      expect(h.world.ecr.tagOf('app', 'slot-b')).toBe(first.image.digest);
      h.check();
      // v2's release is over: v3 now deploys, to the slot that is idle after the rollback (a).
      expect(await h.driver.deploy(next)).toMatchObject({ status: 'succeeded', outputs: { GREEN_SLOT: 'a' } });
      h.check();
    },
  );

  test('without the lease (stage per action) the next release overwrites the rollback target and the automatic rollback is refused', async () => {
    const { h, bake, second, next } = await bakingWithNext({ layout: 'stage-per-action', withoutLease: true });
    const outcome = await bake.run(second, {
      check: false,
      beforePoll: async (poll) => {
        if (poll === 2) await h.driver.deploy(next);
        fireAt(poll, 4, () => bake.alarms.set('app-slot-a-5xx', 'ALARM'));
      },
    });

    expect(h.violations.some((v) => /Invariant 8: slot b/.test(v))).toBe(true);
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/automatic rollback was refused/);
    expect(h.stack.liveSlot()).toBe('a');
  });
});

describe('late duplicates of a finished release\'s jobs change nothing', () => {
  test('the last Bake job delivered again after an alarm fires, once the release ended, does not roll back', async () => {
    const { h, bake, second } = await twoReleases();
    const outcome = await bake.run(second);
    expect(outcome.status).toBe('succeeded');
    const last = outcome.jobIds[outcome.jobIds.length - 1];
    bake.alarms.set('app-slot-a-5xx', 'ALARM');
    const before = releaseSnapshot(h.world);

    await bake.redeliver(last);

    expect(releaseSnapshot(h.world)).toEqual(before);
    expect(swapInvocations(h).every((i) => (i.result as { outcome?: string } | undefined)?.outcome !== 'rolled-back')).toBe(true);
    h.check({ settled: true });
  });

  test('a finished release\'s Swap job delivered again after a rollback does not swap again', async () => {
    const { h, bake, second } = await twoReleases();
    expect((await bake.run(second)).status).toBe('succeeded');
    const swapDelivery = h.driver.deliveries.find((d) => d.kind === 'job' && d.functionName === h.stack.ids.swapFunctionName && h.world.codepipeline.job(d.jobId).executionId === second.execution.id)!;
    expect((await h.driver.rollback({ reason: 'operator' }))!.outcome).toBe('rolled-back');
    const before = releaseSnapshot(h.world);

    await h.driver.redeliver(swapDelivery);

    expect(releaseSnapshot(h.world)).toEqual(before);
    expect(h.stack.liveSlot()).toBe('b');
    h.check({ settled: true });
  });

  test('a finished release\'s DeployGreen start delivered again takes no lease and rolls nothing', async () => {
    const { h, bake, second } = await twoReleases();
    expect((await bake.run(second)).status).toBe('succeeded');
    const start = h.driver.deliveries.find((d) => d.kind === 'job' && d.functionName === h.stack.ids.deployFunctionName && h.world.codepipeline.job(d.jobId).executionId === second.execution.id)!;
    const before = releaseSnapshot(h.world);

    await h.driver.redeliver(start);

    expect(releaseSnapshot(h.world)).toEqual(before);
    h.check({ settled: true });
  });
});

describe('the alarms Bake watches (CloudWatch as its reference describes it)', () => {
  test('a DescribeAlarms grant narrower than "*" hides the composite alarms, so the bake fails closed and moves nothing', async () => {
    const h = createReleaseHarness({ clock: useWorldClock });
    // What the construct used to grant: exactly the watched alarms' ARNs.
    const arn = (name: string) => `arn:aws:cloudwatch:${h.world.region}:${h.world.account}:alarm:${name}`;
    const bake = addBake(h, { windowSeconds: 120, grant: ['app-pipeline-bake-slot-a', 'app-pipeline-bake-slot-b', 'app-pipeline-bake-shared'].map(arn) });
    const release = await h.driver.release('v1');
    const from = h.world.calls.length;

    const outcome = await bake.run(release);

    expect(outcome).toMatchObject({
      status: 'failed',
      message: 'Bake failed: the bake cannot watch alarm(s) app-pipeline-bake-slot-b, app-pipeline-bake-shared because they do not exist, so production stays on slot b unverified.',
    });
    expect(routeWritesSince(h, from)).toBe(0);
    expect(swapInvocations(h)).toHaveLength(0);
    h.check({ settled: true });
  });

  test('an alarm under a watched composite alarm cannot be deleted; a deleted watched composite alarm fails the bake closed', async () => {
    const h = createReleaseHarness({ clock: useWorldClock });
    const bake = addBake(h, { windowSeconds: 120 });
    const release = await h.driver.release('v1');

    expect(() => bake.alarms.delete('app-slot-b-5xx')).toThrow('Cannot delete app-slot-b-5xx as there are composite alarm(s) depending on it.');
    const outcome = await bake.run(release, { beforePoll: (poll) => fireAt(poll, 2, () => bake.alarms.delete('app-pipeline-bake-slot-b')) });

    expect(outcome.message).toBe('Bake failed: the bake cannot watch alarm(s) app-pipeline-bake-slot-b because they do not exist, so production stays on slot b unverified.');
    expect(swapInvocations(h)).toHaveLength(0);
    h.check({ settled: true });
  });

  test('the composite alarm reports which alarm set it off, through DescribeAlarms as Bake reads it', () => {
    const alarms = new AlarmModel({ region: 'eu-west-1', account: '123456789012', now: () => Date.UTC(2025, 0, 1) });
    alarms.addMetric('x');
    alarms.addMetric('y');
    alarms.addComposite('any', '(ALARM("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x") OR ALARM(y))');
    alarms.set('y', 'ALARM');

    const out = alarms.describe({ AlarmNames: ['any'], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] });

    expect(out.CompositeAlarms).toEqual([
      expect.objectContaining({
        StateValue: 'ALARM',
        StateReason: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:y transitioned to ALARM at 2025-01-01T00:00:00.000Z',
        StateReasonData: JSON.stringify({ triggeringAlarms: [{ arn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:y', state: { value: 'ALARM', timestamp: '2025-01-01T00:00:00.000Z' } }] }),
      }),
    ]);
    // Without AlarmTypes only metric alarms come back.
    expect(alarms.describe({ AlarmNames: ['any', 'x'] })).toMatchObject({ MetricAlarms: [{ AlarmName: 'x' }], CompositeAlarms: [] });
    expect(() => alarms.addComposite('broken', '(ALARM(z))')).toThrow('Could not save the composite alarm as alarms [z] in the alarm rule do not exist');
    expect(() => alarms.describe({ AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`) })).toThrow(/over 100/);
  });
});
