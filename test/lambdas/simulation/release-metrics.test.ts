// The dashboard's metrics from the real handlers: every production route write of a swap, a
// rollback and a traffic shift's steps logs its embedded-metric-format lines (the weights per
// slot after the write, and the operation with its digest).
import { AwsWorld } from '../../support/aws-model';
import { uninstallCloudWatch } from '../../support/bake-world';
import { useWorldClock } from '../../support/jest-world';
import { ReleaseHarness, createReleaseHarness } from '../../support/release-harness';

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
  jest.useRealTimers();
});

/** The EMF lines logged since line `from`: the operations with their digest and weights, in order. */
function moves(h: ReleaseHarness, from: number): Array<{ operation: string; digest: string; weights: Record<string, number> }> {
  return h.logs
    .slice(from)
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => l._aws?.CloudWatchMetrics?.[0]?.Namespace === 'BlueGreen' && l.Operations === 1)
    .map((l) => ({ operation: l.Operation, digest: l.digest, weights: l.weights }));
}

/** The ProductionWeight values logged since line `from`, as `slot=weight`. */
function weights(h: ReleaseHarness, from: number): string[] {
  return h.logs
    .slice(from)
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => l._aws?.CloudWatchMetrics?.[0]?.Metrics?.[0]?.Name === 'ProductionWeight' && l.Pipeline === h.stack.config.pipelineName)
    .map((l) => `${l.Slot}=${l.ProductionWeight}`);
}

describe('the release metrics from the real handlers', () => {
  test('a swap, then a rollback: one operation line each, with the digest production moved to, and both slots weighed', async () => {
    const h = createReleaseHarness({ clock: useWorldClock });
    const v1 = await h.driver.release('v1');
    expect(moves(h, 0)).toEqual([{ operation: 'swap', digest: v1.image.digest, weights: { a: 0, b: 100 } }]);
    expect(weights(h, 0)).toEqual(['a=0', 'b=100']);

    const from = h.logs.length;
    const v2 = await h.driver.release('v2');
    expect(moves(h, from)).toEqual([{ operation: 'swap', digest: v2.image.digest, weights: { a: 100, b: 0 } }]);

    const back = h.logs.length;
    expect(await h.driver.rollback({ reason: 'v2 misbehaves' })).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });
    expect(moves(h, back)).toEqual([{ operation: 'rollback', digest: v1.image.digest, weights: { a: 0, b: 100 } }]);
    expect(weights(h, back)).toEqual(['a=0', 'b=100']);
  });

  test('a traffic shift: a line per step with the split; the last step, all on the candidate, completes the shift as a swap', async () => {
    const h = createReleaseHarness({ clock: useWorldClock, trafficShift: { percents: [10], holdSeconds: 60 } });
    const v1 = await h.driver.release('v1');
    const v2 = h.driver.start('v2');
    expect(await h.driver.deploy(v2)).toMatchObject({ status: 'succeeded', outputs: { GREEN_SLOT: 'a' } });
    h.driver.approve(v2);
    const from = h.logs.length;
    expect(await h.driver.swap(v2)).toMatchObject({ status: 'succeeded', outputs: { LIVE_SLOT: 'a' } });
    expect(moves(h, from).map((m) => [m.operation, m.digest, m.weights])).toEqual([
      ['shift-step', v2.image.digest, { a: 10, b: 90 }],
      ['swap', v2.image.digest, { a: 100, b: 0 }],
    ]);
    expect(v1.image.digest).not.toBe(v2.image.digest);
  });

  test('a failed test-rule write: the swap that landed, then the revert back, so the weights end where production is', async () => {
    const h = createReleaseHarness({ clock: useWorldClock });
    const v1 = await h.driver.release('v1');
    const v2 = h.driver.start('v2');
    expect(await h.driver.deploy(v2)).toMatchObject({ status: 'succeeded', outputs: { GREEN_SLOT: 'a' } });
    h.driver.approve(v2);
    let writes = 0;
    h.world.faults.when((c) => c.command === 'ModifyRule' && ++writes === 2, 'unavailable', { times: Infinity });
    const from = h.logs.length;
    expect((await h.driver.swap(v2)).status).toBe('failed');
    expect(moves(h, from)).toEqual([
      { operation: 'swap', digest: v2.image.digest, weights: { a: 100, b: 0 } },
      { operation: 'revert', digest: v1.image.digest, weights: { a: 0, b: 100 } },
    ]);
    expect(h.stack.traffic()).toEqual({ a: 0, b: 100 });
  });
});
