import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import { rotatingKey } from './secure-defaults';

export interface RegistryProps {
  /** Your repository (the `repository` prop); none is created then. */
  readonly repository?: ecr.IRepository;
  readonly repositoryName?: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The registry: the ECR repository you give, or one created with its own key. In a created one
 * release tags are immutable, the slot tags (`slot-a`, `slot-b`) mutable, and an image under a
 * slot tag never expires; the README says how to set up a repository you give the same way.
 */
export class Registry {
  public readonly repository: ecr.IRepository;
  /** The created repository's key; absent for a repository you give. */
  public readonly key?: kms.Key;

  constructor(scope: Construct, props: RegistryProps) {
    if (props.repository) {
      this.repository = props.repository;
      return;
    }
    this.key = rotatingKey(scope, 'ImageKey', 'Encrypts the blue/green image repository', props.removalPolicy);
    this.repository = new ecr.Repository(scope, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard('slot-*')],
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: this.key,
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
