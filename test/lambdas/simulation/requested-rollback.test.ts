// A rollback asked for by writing the rollback request parameter (core/requested.ts), as a person
// does from the chat channel under their own IAM role: Parameter Store records the writer, and the
// state record, the audit message and the history name that person, whatever the request says.
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsWorld } from '../../support/aws-model';
import { useWorldClock } from '../../support/jest-world';
import { HarnessOptions, ReleaseHarness, createReleaseHarness } from '../../support/release-harness';
import { ssmLeaseStore } from '../../../lambdas/adapters/ssm';
import { nextLease } from '../../../lambdas/core/lease';
import type { OperatorResult } from '../../../lambdas/core/events';

afterAll(() => {
  AwsWorld.uninstall();
  jest.useRealTimers();
});

const DANA = 'arn:aws:sts::111122223333:assumed-role/OnCall-dana/dana@example.com';
const harness = (opts: HarnessOptions = {}) => createReleaseHarness({ clock: useWorldClock, ...opts });

/** `ssm put-parameter --name <request> --value <reason> --overwrite`, run under `who`'s role. */
async function ask(h: ReleaseHarness, reason: string, who = DANA): Promise<void> {
  await h.world.actingAs(who, async () => {
    h.world.ssm.commands.PutParameter({ Name: h.stack.config.rollbackRequestParameterName!, Value: reason, Type: 'String', Overwrite: true });
  })();
}

const published = (h: ReleaseHarness) => h.world.sns.published.map((m) => `${m.subject ?? ''}\n${m.message}`);

describe('a rollback asked for through the rollback request parameter', () => {
  test('rolls back, and the record, the history and the audit message name whoever wrote the request', async () => {
    const h = harness();
    const v1 = await h.driver.release('v1');
    await h.driver.release('v2');
    await ask(h, 'INC-77: 5xx after v2 (actor: somebody-else)');
    const [answer] = (await h.deliverParameterChanges()) as OperatorResult[];

    expect(answer).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b', liveDigest: v1.image.digest });
    expect(h.stack.liveSlot()).toBe('b');
    expect(h.stack.state()).toMatchObject({ lastOperation: 'rollback', changedBy: DANA, lastExecutionId: expect.stringMatching(/^rollback:request-v1-\d+$/) });
    expect(h.stack.state()!.history[0]).toMatchObject({ operation: 'rollback', by: DANA, reason: 'INC-77: 5xx after v2 (actor: somebody-else)' });
    expect(published(h).some((m) => m.includes('Rollback') && m.includes(DANA))).toBe(true);
    h.check({ settled: true });
  });

  test('a second request written before the first landed asks for nothing: production moved after it was written', async () => {
    const h = harness();
    const v1 = await h.driver.release('v1');
    await h.driver.release('v2');
    await ask(h, 'INC-90');
    h.world.tick();
    await ask(h, 'INC-90 too', 'arn:aws:sts::111122223333:assumed-role/OnCall-sam/sam@example.com');
    // EventBridge delivers Dana's change, then Sam's: each read finds the newest version, Sam's.
    const answers = (await h.deliverParameterChanges()) as OperatorResult[];
    expect(answers[0]).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b', liveDigest: v1.image.digest });
    expect(answers[1]).toMatchObject({ outcome: 'already-done' });
    // A request written before a rollback moved production again is refused, not a rollback to the release everyone left.
    await ask(h, 'INC-91');
    h.world.tick();
    expect(await h.driver.rollback({ requestId: 'cli-rollback', reason: 'back to v2 for a test' })).toMatchObject({ outcome: 'rolled-back', liveSlot: 'a' });
    const [late] = (await h.deliverParameterChanges()) as OperatorResult[];
    expect(late).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/production moved at .* \(rollback:cli-rollback\), after version 3 of .* was written/) });
    expect(h.stack.liveSlot()).toBe('a');
    h.check({ settled: true });
  });

  test('EventBridge delivering the same change again changes nothing', async () => {
    const h = harness();
    await h.driver.release('v1');
    await h.driver.release('v2');
    await ask(h, 'INC-78');
    const change = h.world.ssm.changes.at(-1)!;
    expect(await h.deliverParameterChanges()).toEqual([expect.objectContaining({ outcome: 'rolled-back' })]);
    const writes = h.world.countCalls().routeWrites;
    expect(await h.driver.invokeSwap(change as unknown as Record<string, unknown>)).toMatchObject({ outcome: 'already-done' });
    expect(h.world.countCalls().routeWrites).toBe(writes);
  });

  test('a request delivered too late, a change of another parameter and a delete ask for nothing; a late one says so on the audit topic', async () => {
    const h = harness();
    await h.driver.release('v1');
    await h.driver.release('v2');
    await ask(h, 'INC-79');
    h.world.tick(61);
    const [late] = (await h.deliverParameterChanges()) as OperatorResult[];
    expect(late).toMatchObject({ outcome: 'refused', state: 'old' });
    expect(late.message).toMatch(/version 1 of \/bluegreen\/.+\/rollback-request was written at .*, too long ago to act on; write it again to ask/);
    expect(published(h).some((m) => m.includes('rollback request refused'))).toBe(true);

    const other = { ...h.world.ssm.changes.at(-1)!, detail: { operation: 'Update', name: '/somebody/else', type: 'String' } };
    expect(await h.driver.invokeSwap(other)).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/^Rollback request ignored/) });
    const deleted = { ...h.world.ssm.changes.at(-1)!, detail: { ...h.world.ssm.changes.at(-1)!.detail, operation: 'Delete' } };
    expect(await h.driver.invokeSwap(deleted)).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/a Delete of the rollback request asks for nothing/) });
    expect(h.stack.liveSlot()).toBe('a');
    h.check({ settled: true });
  });

  test('a request the rollback refuses is answered on the audit topic, naming who asked', async () => {
    const h = harness();
    await h.driver.release('v1');
    await ask(h, 'INC-80');
    const [answer] = (await h.deliverParameterChanges()) as OperatorResult[];
    expect(answer).toMatchObject({ outcome: 'refused', state: 'old' });
    expect(published(h).find((m) => m.includes('rollback request not done'))).toContain(`Rollback requested by ${DANA} not done. Rollback refused and nothing changed: no previous digest is recorded for slot a, so there is nothing to roll back to.`);
  });

  test('with previousSlotRetention, a request that must scale the slot up first is asked again a minute later until it lands', async () => {
    const h = harness({ previousSlotRetentionSeconds: 300 });
    await h.driver.release('v1');
    await h.driver.release('v2');
    h.world.tick(22);
    await h.fireSchedules();
    await ask(h, 'INC-81');
    const [first] = (await h.deliverParameterChanges()) as OperatorResult[];
    expect(first).toMatchObject({ outcome: 'in-progress' });
    expect([...h.scheduler!.schedules.values()].map((s) => s.name)).toEqual([expect.stringMatching(/^ask-request-v1-\d+-1$/)]);
    let answers: OperatorResult[] = [];
    for (let i = 0; i < 10 && !answers.some((a) => a.outcome === 'rolled-back'); i++) {
      h.world.tick(4);
      answers = (await h.fireSchedules()) as OperatorResult[];
    }
    expect(answers).toEqual([expect.objectContaining({ outcome: 'rolled-back', liveSlot: 'b' })]);
    expect(h.stack.state()).toMatchObject({ changedBy: DANA });
    h.check({ settled: true });
  });

  test('without a schedule of its own, a request that finds the slots held fails the invoke, so Lambda retries it', async () => {
    const h = harness();
    await h.driver.release('v1');
    await h.driver.release('v2');
    const store = ssmLeaseStore({ ssm: new SSMClient({}) }, h.stack.config.leaseParameterPath, h.stack.config.stateKeyArn);
    const lease = await store.read();
    const until = new Date(h.world.now() + 120_000).toISOString();
    expect(await store.write(nextLease(lease, { operation: { id: 'rollback:someone-else', kind: 'rollback', until } }, 'test', new Date(h.world.now())))).toBe('written');
    await ask(h, 'INC-82');
    await h.deliverParameterChanges();
    expect(String((h.driver.lastDelivery as { thrown?: Error }).thrown)).toMatch(/AskAgainError: Rollback not started and nothing changed: a rollback \(rollback:someone-else\) .* holds the slots/);
    expect(h.stack.liveSlot()).toBe('a');
    // Lambda's retry a couple of minutes later finds the slots free.
    h.world.tick(12);
    const change = h.world.ssm.changes.at(-1)!;
    expect(await h.driver.invokeSwap(change as unknown as Record<string, unknown>)).toMatchObject({ outcome: 'rolled-back', liveSlot: 'b' });
  });
});
