import { immutableTags, slotTagProblem, wildcardMatches } from '../../../lambdas/core/registry';

const SLOT_TAGS = ['slot-a', 'slot-b'];

describe('the slot tags in a repository', () => {
  test('a WILDCARD filter matches with * standing for any run of characters, and everything else literally', () => {
    expect(wildcardMatches('slot-*', 'slot-a')).toBe(true);
    expect(wildcardMatches('slot-*', 'slot-')).toBe(true);
    expect(wildcardMatches('*-b', 'slot-b')).toBe(true);
    expect(wildcardMatches('s*t-*', 'slot-a')).toBe(true);
    expect(wildcardMatches('slot-a', 'slot-a')).toBe(true);
    expect(wildcardMatches('slot.a', 'slot-a')).toBe(false);
    expect(wildcardMatches('slot-', 'slot-a')).toBe(false);
    expect(wildcardMatches('lot-*', 'slot-a')).toBe(false);
  });

  test('an exclusion takes the opposite of the setting; a setting the code does not know keeps every tag', () => {
    expect(immutableTags({ mutability: 'MUTABLE', exclusions: [] }, SLOT_TAGS)).toEqual([]);
    expect(immutableTags({ mutability: 'IMMUTABLE', exclusions: [] }, SLOT_TAGS)).toEqual(SLOT_TAGS);
    expect(immutableTags({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['slot-*'] }, SLOT_TAGS)).toEqual([]);
    expect(immutableTags({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['*-a'] }, SLOT_TAGS)).toEqual(['slot-b']);
    expect(immutableTags({ mutability: 'MUTABLE_WITH_EXCLUSION', exclusions: ['v*'] }, SLOT_TAGS)).toEqual([]);
    expect(immutableTags({ mutability: 'MUTABLE_WITH_EXCLUSION', exclusions: ['*'] }, SLOT_TAGS)).toEqual(SLOT_TAGS);
    expect(immutableTags({ mutability: 'SOMETHING_NEW', exclusions: [] }, SLOT_TAGS)).toEqual(SLOT_TAGS);
  });

  test('the refusal names the repository, the setting and the tags, and gives the command that fixes it', () => {
    expect(slotTagProblem('shop/web', { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['slot-*'] }, SLOT_TAGS)).toBeNull();
    expect(slotTagProblem('shop/web', { mutability: 'IMMUTABLE', exclusions: [] }, SLOT_TAGS)).toBe(
      'repository shop/web keeps every tag immutable (IMMUTABLE), so the slot tags slot-a and slot-b cannot move to a release; exclude them: ' +
        "aws ecr put-image-tag-mutability --repository-name shop/web --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --image-tag-mutability-exclusion-filters filterType=WILDCARD,filter='slot-*'",
    );
    expect(slotTagProblem('shop/web', { mutability: 'SOMETHING_NEW', exclusions: [] }, SLOT_TAGS)).toMatch(/has the tag mutability SOMETHING_NEW, which the control plane does not know/);
  });
});
