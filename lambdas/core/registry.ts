// Whether a repository lets the control plane move the slot tags (`slot-a`, `slot-b`): the
// construct checks it at synth where it can see the repository, DeployGreen at run time.
//
// ECR API Reference, PutImageTagMutability and ImageTagMutabilityExclusionFilter: the setting is
// one of MUTABLE | IMMUTABLE | IMMUTABLE_WITH_EXCLUSION | MUTABLE_WITH_EXCLUSION, with 1-5
// exclusion filters of filterType WILDCARD, each a `filter` of 1-128 characters `[0-9a-zA-Z._*-]`.
// Tags that match an exclusion take the opposite of the repository's setting.

/** A repository's tag mutability, as DescribeRepositories reports it. */
export interface TagMutabilitySetting {
  /** `imageTagMutability`; absent in a response means MUTABLE, CreateRepository's default. */
  readonly mutability: string;
  /** The `filter` of each WILDCARD exclusion filter. */
  readonly exclusions: readonly string[];
}

/** The one command that makes a repository fit, for the sentences that refuse one. */
export function slotTagFix(repositoryName: string): string {
  return (
    `aws ecr put-image-tag-mutability --repository-name ${repositoryName} --image-tag-mutability IMMUTABLE_WITH_EXCLUSION ` +
    `--image-tag-mutability-exclusion-filters filterType=WILDCARD,filter='slot-*'`
  );
}

/** A WILDCARD filter matches a tag when its `*`s stand for any run of characters, the rest literally. */
export function wildcardMatches(filter: string, tag: string): boolean {
  const pattern = filter.split('*').map((part) => part.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`).test(tag);
}

/** Of `tags`, those the repository would refuse to move once they exist. */
export function immutableTags(setting: TagMutabilitySetting, tags: readonly string[]): string[] {
  const excluded = (tag: string) => setting.exclusions.some((filter) => wildcardMatches(filter, tag));
  switch (setting.mutability) {
    case 'MUTABLE':
      return [];
    case 'IMMUTABLE':
      return [...tags];
    case 'IMMUTABLE_WITH_EXCLUSION':
      return tags.filter((tag) => !excluded(tag));
    case 'MUTABLE_WITH_EXCLUSION':
      return tags.filter(excluded);
    default:
      // A setting this code does not know is not trusted to let the tags move (fail closed).
      return [...tags];
  }
}

/**
 * Why the repository cannot hold the slot tags, as a sentence fragment ending in `fix` (by default
 * the CLI command that fixes it); null when every slot tag can move.
 */
export function slotTagProblem(repositoryName: string, setting: TagMutabilitySetting, slotTags: readonly string[], fix = slotTagFix(repositoryName)): string | null {
  const fixed = immutableTags(setting, slotTags);
  if (fixed.length === 0) return null;
  const which = fixed.join(' and ');
  const quoted = (filters: readonly string[]) => filters.map((f) => `"${f}"`).join(', ');
  const why =
    setting.mutability === 'IMMUTABLE'
      ? 'keeps every tag immutable (IMMUTABLE)'
      : setting.mutability === 'IMMUTABLE_WITH_EXCLUSION'
        ? `keeps ${which} immutable (IMMUTABLE_WITH_EXCLUSION, exclusions ${quoted(setting.exclusions) || 'none'})`
        : setting.mutability === 'MUTABLE_WITH_EXCLUSION'
          ? `keeps ${which} immutable (MUTABLE_WITH_EXCLUSION ${quoted(setting.exclusions.filter((f) => fixed.some((tag) => wildcardMatches(f, tag))))})`
          : `has the tag mutability ${setting.mutability}, which the control plane does not know`;
  return `repository ${repositoryName} ${why}, so the slot tag${fixed.length === 1 ? '' : 's'} ${which} cannot move to a release; exclude them: ${fix}`;
}
