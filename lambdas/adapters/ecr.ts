// Pointing a slot's mutable tag at a release digest (ECR).
import { BatchDeleteImageCommand, BatchGetImageCommand, DescribeRepositoriesCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { ImageNotFoundError, ImagesPort } from '../core/ports';
import { TagMutabilitySetting } from '../core/registry';
import { Clients, errorName } from './clients';

export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

export async function tagImage(c: Clients<'ecr'>, repositoryName: string, digest: string, tag: string): Promise<'tagged' | 'already-tagged'> {
  const got = await c.ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest: digest }], acceptedMediaTypes: MANIFEST_MEDIA_TYPES }));
  const image = got.images?.find((i) => i.imageId?.imageDigest === digest) ?? got.images?.[0];
  if (!image?.imageManifest) {
    const failure = got.failures?.[0];
    throw new ImageNotFoundError(
      `image ${digest} is not in repository ${repositoryName}${failure ? ` (${failure.failureCode}: ${failure.failureReason})` : ''}`,
    );
  }
  try {
    await c.ecr.send(
      new PutImageCommand({
        repositoryName,
        imageTag: tag,
        imageDigest: digest,
        imageManifest: image.imageManifest,
        imageManifestMediaType: image.imageManifestMediaType,
      }),
    );
    return 'tagged';
  } catch (err) {
    if (errorName(err) === 'ImageAlreadyExistsException') return 'already-tagged';
    throw err;
  }
}

/** The digest `tag` names in the repository now; null when the tag names no image. */
export async function digestOfTag(c: Clients<'ecr'>, repositoryName: string, tag: string): Promise<string | null> {
  const got = await c.ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: tag }], acceptedMediaTypes: MANIFEST_MEDIA_TYPES }));
  return got.images?.find((i) => i.imageId?.imageTag === tag)?.imageId?.imageDigest ?? got.images?.[0]?.imageId?.imageDigest ?? null;
}

/**
 * Removes the tag only: "When you remove the last tag from an image, the image is deleted" (ECR API
 * reference, BatchDeleteImage), and every release image keeps its immutable commit tag.
 */
export async function removeTag(c: Clients<'ecr'>, repositoryName: string, tag: string): Promise<void> {
  const out = await c.ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: tag }] }));
  const failure = out.failures?.find((f) => f.failureCode !== 'ImageNotFound' && f.failureCode !== 'ImageTagDoesNotMatchDigest');
  if (failure) throw new Error(`removing tag ${tag} from ${repositoryName} failed (${failure.failureCode}: ${failure.failureReason})`);
}

/**
 * The repository's tag mutability. DescribeRepositories names the repository, so one answer (or
 * RepositoryNotFoundException) is the whole result; a response without the field is the API's
 * default, MUTABLE (ECR API Reference, CreateRepository: imageTagMutability).
 */
export async function describeTagMutability(c: Clients<'ecr'>, repositoryName: string): Promise<TagMutabilitySetting> {
  const out = await c.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
  const repository = out?.repositories?.find((r) => r.repositoryName === repositoryName);
  if (repository === undefined) throw new Error(`DescribeRepositories did not describe repository ${repositoryName}`);
  return {
    mutability: repository.imageTagMutability ?? 'MUTABLE',
    exclusions: (repository.imageTagMutabilityExclusionFilters ?? []).filter((f) => f.filterType === 'WILDCARD' && f.filter !== undefined).map((f) => f.filter as string),
  };
}

export function ecrImages(c: Clients<'ecr'>, repositoryName: string): ImagesPort {
  return {
    tag: (digest, tag) => tagImage(c, repositoryName, digest, tag),
    tagged: (tag) => digestOfTag(c, repositoryName, tag),
    untag: (tag) => removeTag(c, repositoryName, tag),
    tagMutability: () => describeTagMutability(c, repositoryName),
  };
}
