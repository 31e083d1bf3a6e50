import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';

export interface RegistryProps {
  readonly repositoryName?: string;
  readonly key: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The registry: one ECR repository. Release tags are immutable, the slot tags (`slot-a`,
 * `slot-b`) mutable, and an image under a slot tag never expires.
 */
export class Registry {
  public readonly repository: ecr.Repository;

  constructor(scope: Construct, props: RegistryProps) {
    this.repository = new ecr.Repository(scope, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard('slot-*')],
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        {
          rulePriority: 1,
          description: 'Keep every image under a slot tag: lower-priority rules cannot expire them',
          tagStatus: ecr.TagStatus.TAGGED,
          tagPatternList: ['slot-*'],
          maxImageCount: 9999,
        },
        {
          rulePriority: 2,
          description: 'Expire untagged images',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: DEFAULTS.untaggedImageExpiry,
        },
        {
          rulePriority: 3,
          description: 'Keep the most recent release images',
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount: DEFAULTS.imageRetentionCount,
        },
      ],
    });
  }
}
