// An existing ECR repository (the `repository` prop): DeployGreen refuses, before it takes the
// release lease or moves a tag, a repository whose tag mutability would keep the slot tags from
// moving, and says how to fix it; a repository that can hold them releases as a created one does.
import { AwsWorld } from '../../support/aws-model';
import { isOneSentence } from '../../support/invariants';
import { useWorldClock } from '../../support/jest-world';
import { createReleaseHarness } from '../../support/release-harness';
import type { TagMutability } from '../../support/model/ecr';

afterAll(() => {
  AwsWorld.uninstall();
  jest.useRealTimers();
});

const harness = () => createReleaseHarness({ clock: useWorldClock });

describe('DeployGreen with an existing repository', () => {
  test.each<[TagMutability, string[], RegExp]>([
    ['IMMUTABLE', [], /keeps every tag immutable \(IMMUTABLE\), so the slot tags slot-a and slot-b cannot move/],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest', 'slot-a'], /keeps slot-b immutable \(IMMUTABLE_WITH_EXCLUSION, exclusions "latest", "slot-a"\), so the slot tag slot-b cannot move/],
    ['MUTABLE_WITH_EXCLUSION', ['slot*', 'v*'], /keeps slot-a and slot-b immutable \(MUTABLE_WITH_EXCLUSION "slot\*"\), so the slot tags slot-a and slot-b cannot move/],
  ])('a repository that is %s with exclusions %j is refused in one sentence that says how to fix it, before the lease or a tag is touched', async (mutability, exclusions, reason) => {
    const h = harness();
    h.world.ecr.setTagMutability('app', mutability, exclusions);
    const from = h.world.calls.length;
    const release = h.driver.start('v1');

    const deploy = await h.driver.deploy(release);

    expect(deploy.status).toBe('failed');
    expect(deploy.message).toMatch(/^DeployGreen refused and production is untouched: repository app /);
    expect(deploy.message).toMatch(reason);
    expect(deploy.message).toContain("aws ecr put-image-tag-mutability --repository-name app --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --image-tag-mutability-exclusion-filters filterType=WILDCARD,filter='slot-*'");
    expect(isOneSentence(deploy.message!)).toBe(true);
    const touched = h.world.callsSince(from).map((c) => `${c.service}:${c.command}`);
    expect(touched).toContain('ecr:DescribeRepositories');
    expect(touched.filter((c) => /^(ecr:PutImage|ecs:UpdateService|ssm:PutParameter)$/.test(c))).toEqual([]);
    expect(h.world.ecr.tagOf('app', 'slot-b')).toBeUndefined();
    h.check();
  });

  test('once the repository is fixed, the next release deploys and swaps as with a created repository', async () => {
    const h = harness();
    h.world.ecr.setTagMutability('app', 'IMMUTABLE');
    const refused = h.driver.start('v1');
    expect(await h.driver.deploy(refused)).toMatchObject({ status: 'failed' });

    h.world.ecr.setTagMutability('app', 'IMMUTABLE_WITH_EXCLUSION', ['slot-*']);
    const first = await h.driver.release('v2');
    const second = await h.driver.release('v3');

    expect(h.stack.liveSlot()).toBe('a');
    expect(h.world.ecr.tagOf('app', 'slot-a')).toBe(second.image.digest);
    expect(h.world.ecr.tagOf('app', 'slot-b')).toBe(first.image.digest);
    h.check({ settled: true });
  });

  test.each<[TagMutability, string[]]>([
    ['MUTABLE', []],
    ['MUTABLE_WITH_EXCLUSION', ['v*', 'release-*']],
    ['IMMUTABLE_WITH_EXCLUSION', ['slot-a', 'slot-b']],
  ])('a repository that is %s with exclusions %j moves the slot tags release after release', async (mutability, exclusions) => {
    const h = harness();
    h.world.ecr.setTagMutability('app', mutability, exclusions);
    await h.driver.release('v1');
    await h.driver.release('v2');
    const third = await h.driver.release('v3');

    expect(h.stack.liveSlot()).toBe('b');
    expect(h.world.ecr.tagOf('app', 'slot-b')).toBe(third.image.digest);
    h.check({ settled: true });
  });
});
