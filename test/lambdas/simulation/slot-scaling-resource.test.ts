// Custom::BlueGreenSlotScaling through the real infra owner, sent the way CloudFormation sends it:
// a stack operation registers each slot's scalable target around the count the slot has, so no
// `cdk deploy` moves a count (invariant 6), whatever the template's bounds say.
import { AwsWorld } from '../../support/aws-model';
import { InfraOwnerStack } from '../../support/cfn-stack';
import { useWorldClock } from '../../support/jest-world';
import { createReleaseHarness } from '../../support/release-harness';
import { serviceResourceId } from '../../../lambdas/adapters/scaling';
import { SLOT_SCALING_RESOURCE_TYPE } from '../../../lambdas/core/scaling';
import type { SlotName } from '../../../lambdas/core/config';

afterAll(() => {
  AwsWorld.uninstall();
  jest.useRealTimers();
});

async function liveStack() {
  const h = createReleaseHarness({ clock: useWorldClock, autoScaling: { minCapacity: 2, maxCapacity: 8 } });
  await h.driver.release('v1');
  h.scaling!.track(serviceResourceId(h.stack.config.slots.b.serviceArn), 5);
  h.world.tick(6);
  // As before the autoScaling prop was set: no scalable target yet.
  h.scaling!.targets.clear();
  const cfn = new InfraOwnerStack(h.world);
  const props = (slot: SlotName, min: number, max: number) => ({ ClusterArn: h.stack.config.clusterArn, ServiceArn: h.stack.config.slots[slot].serviceArn, MinCapacity: String(min), MaxCapacity: String(max) });
  const count = (slot: SlotName) => h.world.ecs.services.get(h.stack.config.slots[slot].serviceArn)!.desiredCount;
  const bounds = (slot: SlotName) => h.scaling!.targets.get(serviceResourceId(h.stack.config.slots[slot].serviceArn));
  return { h, cfn, props, count, bounds };
}

describe('Custom::BlueGreenSlotScaling', () => {
  test('Create registers each slot around its count: the live slot held at what it runs, the empty slot at zero; no count moves', async () => {
    const { h, cfn, props, count, bounds } = await liveStack();
    const b = await cfn.create('SlotBScaling', SLOT_SCALING_RESOURCE_TYPE, props('b', 2, 8));
    const a = await cfn.create('SlotAScaling', SLOT_SCALING_RESOURCE_TYPE, props('a', 2, 8));

    expect([a.Status, b.Status]).toEqual(['SUCCESS', 'SUCCESS']);
    expect(b.PhysicalResourceId).toBe(`bluegreen-scaling:${serviceResourceId(h.stack.config.slots.b.serviceArn)}`);
    expect(bounds('b')).toMatchObject({ min: 5, max: 8 });
    expect(bounds('a')).toMatchObject({ min: 0, max: 8 });
    expect(b.Reason).toMatch(/around its 5 task\(s\), so this deploy moves no count/);
    expect([count('a'), count('b')]).toEqual([0, 5]);
    expect(h.scaling!.activities).toEqual([expect.objectContaining({ to: 5, cause: 'target tracking asked for 5' })]);
    h.check({ settled: true });
  });

  test('Update to a ceiling under the running count keeps the count: the ceiling stays at it until a release ends', async () => {
    const { h, cfn, props, count, bounds } = await liveStack();
    await cfn.create('SlotBScaling', SLOT_SCALING_RESOURCE_TYPE, props('b', 2, 8));
    const outcome = await cfn.update([{ kind: 'custom', logicalId: 'SlotBScaling', properties: () => props('b', 1, 3) }]);

    expect(outcome.status).toBe('UPDATE_COMPLETE');
    expect(bounds('b')).toMatchObject({ min: 5, max: 5 });
    expect(count('b')).toBe(5);
    h.check({ settled: true });
  });

  test('Delete deregisters the target; a target already gone is fine', async () => {
    const { h, cfn, props, bounds } = await liveStack();
    await cfn.create('SlotAScaling', SLOT_SCALING_RESOURCE_TYPE, props('a', 2, 8));
    const record = cfn.resource('SlotAScaling');
    expect((await cfn.send('Delete', record)).Status).toBe('SUCCESS');
    expect(bounds('a')).toBeUndefined();
    expect((await cfn.send('Delete', record)).Status).toBe('SUCCESS');
    h.check({ settled: true });
  });

  test('malformed properties fail the Create in one sentence that names each field, and register nothing', async () => {
    const { h, cfn, props } = await liveStack();
    const answer = await cfn.create('SlotAScaling', SLOT_SCALING_RESOURCE_TYPE, { ...props('a', 2, 8), MinCapacity: 'two', ServiceArn: 'slot-a' });
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^Custom::BlueGreenSlotScaling Create failed: ServiceArn must be an ECS service ARN \(got "slot-a"\); MinCapacity must be a whole number from 1 to 1000 \(got "two"\)\.$/);
    expect(h.scaling!.targets.size).toBe(0);
  });
});
