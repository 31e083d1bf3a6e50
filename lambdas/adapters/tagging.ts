// Labels on services and target groups (Resource Groups Tagging API: one call for all four).
import { GetResourcesCommand, TagResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { LabelsPort, ResourceTags } from '../core/ports';
import { Clients } from './clients';

export async function writeLabels(c: Clients<'tagging'>, resourceArns: readonly string[], tags: ResourceTags): Promise<void> {
  const out = await c.tagging.send(new TagResourcesCommand({ ResourceARNList: [...resourceArns], Tags: { ...tags } }));
  // TagResources reports per-resource failures in its result instead of throwing.
  const failed = Object.entries(out.FailedResourcesMap ?? {});
  if (failed.length > 0) {
    const [arn, info] = failed[0];
    throw new Error(`TagResources failed for ${failed.length} resource(s), e.g. ${arn}: ${info.ErrorCode ?? ''} ${info.ErrorMessage ?? ''}`.trim());
  }
}

export async function readLabels(c: Clients<'tagging'>, resourceArns: readonly string[]): Promise<Record<string, ResourceTags>> {
  const out = await c.tagging.send(new GetResourcesCommand({ ResourceARNList: [...resourceArns] }));
  const labels: Record<string, ResourceTags> = {};
  for (const m of out.ResourceTagMappingList ?? []) {
    if (m.ResourceARN) labels[m.ResourceARN] = Object.fromEntries((m.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));
  }
  return labels;
}

export function taggingLabels(c: Clients<'tagging'>): LabelsPort {
  return { write: (arns, tags) => writeLabels(c, arns, tags), read: (arns) => readLabels(c, arns) };
}
