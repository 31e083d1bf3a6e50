// ECR: one or more repositories of images addressed by digest (sha256 of the manifest) with
// mutable tags. `resolveImage` is what an ECS deployment does when it starts.
import { createHash } from 'node:crypto';
import type {
  BatchGetImageCommandOutput,
  DescribeImagesCommandOutput,
  DescribeRepositoriesCommandOutput,
  ImageIdentifier,
  PutImageCommandOutput,
} from '@aws-sdk/client-ecr';
import { awsError } from './errors';
import { CommandFn, ServiceModel, WorldRef } from './common';

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

interface ImageState {
  digest: string;
  manifest: string;
  mediaType: string;
  pushedAt: number;
  size: number;
}

/** ECR API Reference, PutImageTagMutability: imageTagMutability, Valid Values. */
export type TagMutability = 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION';

export interface RepositoryOptions {
  /** Default MUTABLE (ECR API Reference, CreateRepository: "If this parameter is omitted, the default setting of MUTABLE will be used"). */
  tagMutability?: TagMutability;
  /** WILDCARD exclusion filters (ImageTagMutabilityExclusionFilter: 1-5 of them, `[0-9a-zA-Z._*-]{1,128}`). */
  exclusions?: string[];
  scanOnPush?: boolean;
}

interface RepositoryState {
  name: string;
  tagMutability: TagMutability;
  exclusions: string[];
  scanOnPush: boolean;
  createdAt: number;
  images: Map<string, ImageState>;
  tags: Map<string, string>;
}

const EXCLUSION_FILTER = /^[0-9a-zA-Z._*-]{1,128}$/;

/** A WILDCARD filter: `*` stands for any run of characters (none included), every other character for itself. */
function globMatch(filter: string, tag: string): boolean {
  const [head, ...rest] = filter.split('*');
  if (rest.length === 0) return filter === tag;
  if (!tag.startsWith(head)) return false;
  const tail = rest.pop() as string;
  let at = head.length;
  for (const part of rest) {
    const found = tag.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return tag.length - tail.length >= at && tag.endsWith(tail);
}

/** Whether an existing `tag` may be pointed elsewhere: an exclusion takes the opposite of the setting. */
function tagMayMove(repo: RepositoryState, tag: string): boolean {
  const excluded = repo.exclusions.some((f) => globMatch(f, tag));
  switch (repo.tagMutability) {
    case 'MUTABLE': return true;
    case 'IMMUTABLE': return false;
    case 'IMMUTABLE_WITH_EXCLUSION': return excluded;
    case 'MUTABLE_WITH_EXCLUSION': return !excluded;
  }
}

const err = (name: string, message: string) => awsError('ecr', name, message);

export class EcrModel implements ServiceModel {
  readonly repositories = new Map<string, RepositoryState>();

  constructor(private readonly world: WorldRef) {}

  createRepository(name: string, opts: RepositoryOptions = {}): string {
    const repo: RepositoryState = { name, tagMutability: 'MUTABLE', exclusions: [], scanOnPush: Boolean(opts.scanOnPush), createdAt: this.world.now(), images: new Map(), tags: new Map() };
    this.repositories.set(name, repo);
    this.setTagMutability(name, opts.tagMutability ?? 'MUTABLE', opts.exclusions ?? []);
    return this.repositoryUri(name);
  }

  /** What PutImageTagMutability does (an operator changing the repository between releases). */
  setTagMutability(name: string, tagMutability: TagMutability, exclusions: string[] = []): void {
    const repo = this.repo(name);
    // API Reference, PutImageTagMutability and ImageTagMutabilityExclusionFilter: at most 5 filters, each matching the pattern.
    if (exclusions.length > 5 || exclusions.some((f) => !EXCLUSION_FILTER.test(f))) {
      throw err('InvalidParameterException', 'imageTagMutabilityExclusionFilters must hold 1-5 filters matching ^[0-9a-zA-Z._*-]{1,128}$.');
    }
    repo.tagMutability = tagMutability;
    repo.exclusions = [...exclusions];
  }

  repositoryUri(name: string): string {
    return `${this.world.account}.dkr.ecr.${this.world.region}.amazonaws.com/${name}`;
  }

  /** Pushes a new image (as the build stage would) and returns its digest. `label` makes it unique. */
  pushImage(repositoryName: string, label: string, tags: string[] = []): string {
    const repo = this.repo(repositoryName);
    const config = createHash('sha256').update(`config:${label}`).digest('hex');
    const layer = createHash('sha256').update(`layer:${label}`).digest('hex');
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1469, digest: `sha256:${config}` },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 3_370_706, digest: `sha256:${layer}` }],
    });
    const digest = digestOf(manifest);
    repo.images.set(digest, { digest, manifest, mediaType: MANIFEST_TYPE, pushedAt: this.world.now(), size: 3_372_175 });
    for (const t of tags) repo.tags.set(t, digest);
    return digest;
  }

  tagOf(repositoryName: string, tag: string): string | undefined {
    return this.repo(repositoryName).tags.get(tag);
  }

  /** `<registry>/<repo>:<tag>` or `<registry>/<repo>@<digest>` → the digest it names now, or null. */
  resolveImage(image: string): string | null {
    const m = /^[^/]+\.dkr\.ecr\.[^/]+\.amazonaws\.com\/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(image);
    if (!m) return null;
    const repo = this.repositories.get(m[1]);
    if (!repo) return null;
    if (m[3]) return repo.images.has(m[3]) ? m[3] : null;
    return repo.tags.get(m[2] ?? 'latest') ?? null;
  }

  private repo(name: string): RepositoryState {
    const repo = this.repositories.get(name);
    if (!repo) {
      throw err(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${this.world.account}'`,
      );
    }
    return repo;
  }

  private find(repo: RepositoryState, id: ImageIdentifier): ImageState | undefined {
    const byTag = id.imageTag !== undefined ? repo.tags.get(id.imageTag) : undefined;
    if (id.imageTag !== undefined && id.imageDigest !== undefined && byTag !== id.imageDigest) return undefined;
    const digest = id.imageDigest ?? byTag;
    return digest ? repo.images.get(digest) : undefined;
  }

  readonly commands: Record<string, CommandFn> = {
    BatchGetImage: (input: { repositoryName: string; imageIds: ImageIdentifier[]; acceptedMediaTypes?: string[] }): BatchGetImageCommandOutput => {
      const repo = this.repo(input.repositoryName);
      if (!input.imageIds?.length || input.imageIds.length > 100) {
        throw err('InvalidParameterException', 'imageIds must contain between 1 and 100 items.');
      }
      const images: NonNullable<BatchGetImageCommandOutput['images']> = [];
      const failures: NonNullable<BatchGetImageCommandOutput['failures']> = [];
      for (const id of input.imageIds) {
        const image = this.find(repo, id);
        if (!image) {
          failures.push({ imageId: { ...id }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          continue;
        }
        images.push({
          registryId: this.world.account,
          repositoryName: repo.name,
          imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
          imageManifest: image.manifest,
          imageManifestMediaType: image.mediaType,
        });
      }
      return { images, failures, $metadata: {} };
    },

    PutImage: (input: {
      repositoryName: string;
      imageManifest: string;
      imageManifestMediaType?: string;
      imageTag?: string;
      imageDigest?: string;
    }): PutImageCommandOutput => {
      const repo = this.repo(input.repositoryName);
      const digest = digestOf(input.imageManifest);
      if (input.imageDigest && input.imageDigest !== digest) {
        throw err('ImageDigestDoesNotMatchException', 'The specified digest does not match the computed digest of the image manifest.');
      }
      const image = repo.images.get(digest);
      if (!image) {
        throw err('LayersNotFoundException', 'The image layers referenced by the manifest have not been uploaded.');
      }
      const current = input.imageTag !== undefined ? repo.tags.get(input.imageTag) : undefined;
      if (input.imageTag === undefined || current === digest) {
        throw err(
          'ImageAlreadyExistsException',
          `Image with digest '${digest}' and tag '${input.imageTag ?? ''}' already exists in the repository with name '${repo.name}' in registry with id '${this.world.account}'`,
        );
      }
      // User Guide, "Preventing image tags from being overwritten": an immutable tag already in the
      // repository gets ImageTagAlreadyExistsException; a tag that does not exist yet can be pushed.
      if (current !== undefined && !tagMayMove(repo, input.imageTag)) {
        throw err(
          'ImageTagAlreadyExistsException',
          `The image tag '${input.imageTag}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`,
        );
      }
      repo.tags.set(input.imageTag, digest);
      return {
        image: {
          registryId: this.world.account,
          repositoryName: repo.name,
          imageId: { imageDigest: digest, imageTag: input.imageTag },
          imageManifest: image.manifest,
          imageManifestMediaType: image.mediaType,
        },
        $metadata: {},
      };
    },

    // API reference, BatchDeleteImage: removing a tag removes only the tag; "when you remove the
    // last tag from an image, the image is deleted from your repository"; unknown ids are failures.
    BatchDeleteImage: (input: { repositoryName: string; imageIds: ImageIdentifier[] }) => {
      const repo = this.repo(input.repositoryName);
      if (!input.imageIds?.length || input.imageIds.length > 100) throw err('InvalidParameterException', 'imageIds must contain between 1 and 100 items.');
      const imageIds: ImageIdentifier[] = [];
      const failures: { imageId: ImageIdentifier; failureCode: string; failureReason: string }[] = [];
      for (const id of input.imageIds) {
        const image = this.find(repo, id);
        if (!image) {
          failures.push({ imageId: { ...id }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          continue;
        }
        if (id.imageTag !== undefined) repo.tags.delete(id.imageTag);
        else for (const [tag, digest] of [...repo.tags]) if (digest === image.digest) repo.tags.delete(tag);
        if (![...repo.tags.values()].includes(image.digest)) repo.images.delete(image.digest);
        imageIds.push({ imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) });
      }
      return { imageIds, failures, $metadata: {} };
    },

    // API Reference, DescribeRepositories: named repositories, each described or the whole call
    // fails with RepositoryNotFoundException; imageTagMutabilityExclusionFilters with the setting.
    DescribeRepositories: (input: { repositoryNames?: string[] }): DescribeRepositoriesCommandOutput => {
      const repos = input.repositoryNames ? input.repositoryNames.map((n) => this.repo(n)) : [...this.repositories.values()];
      return {
        repositories: repos.map((r) => ({
          repositoryArn: `arn:aws:ecr:${this.world.region}:${this.world.account}:repository/${r.name}`,
          registryId: this.world.account,
          repositoryName: r.name,
          repositoryUri: this.repositoryUri(r.name),
          createdAt: new Date(r.createdAt),
          imageTagMutability: r.tagMutability,
          ...(r.exclusions.length ? { imageTagMutabilityExclusionFilters: r.exclusions.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) } : {}),
          imageScanningConfiguration: { scanOnPush: r.scanOnPush },
          encryptionConfiguration: { encryptionType: 'KMS' as const },
        })),
        $metadata: {},
      };
    },

    DescribeImages: (input: { repositoryName: string; imageIds?: ImageIdentifier[] }): DescribeImagesCommandOutput => {
      const repo = this.repo(input.repositoryName);
      let images: ImageState[];
      if (input.imageIds) {
        images = input.imageIds.map((id) => this.find(repo, id)).filter((i): i is ImageState => i !== undefined);
        if (images.length !== input.imageIds.length) {
          const missing = input.imageIds.find((id) => !this.find(repo, id))!;
          throw err(
            'ImageNotFoundException',
            `The image with imageId {imageDigest:'${missing.imageDigest ?? 'null'}', imageTag:'${missing.imageTag ?? 'null'}'} does not exist within the repository with name '${repo.name}' in the registry with id '${this.world.account}'`,
          );
        }
      } else {
        images = [...repo.images.values()];
      }
      return {
        imageDetails: images.map((i) => {
          const tags = [...repo.tags].filter(([, d]) => d === i.digest).map(([t]) => t);
          return {
            registryId: this.world.account,
            repositoryName: repo.name,
            imageDigest: i.digest,
            ...(tags.length ? { imageTags: tags } : {}),
            imageSizeInBytes: i.size,
            imagePushedAt: new Date(i.pushedAt),
            imageManifestMediaType: i.mediaType,
            artifactMediaType: 'application/vnd.docker.container.image.v1+json',
          };
        }),
        $metadata: {},
      };
    },
  };
}

export function digestOf(manifest: string): string {
  return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
}
