// Custom::BlueGreenSlotService: the slot's ECS service, owned here so that an infrastructure
// deploy never changes its desired count or the image it runs.
import { judgeDeployment, judgeSlotImage, serviceGone } from '../core/decide-slot-service';
import { CustomResourceEvent, SlotServiceProperties, parseSlotServiceProperties } from '../core/events';
import { ImageNotFoundError } from '../core/ports';
import { Clients, errorName } from '../adapters/clients';
import { digestOfTag, tagImage } from '../adapters/ecr';
import { createSlotService, deleteSlotService, describeService, listServiceTasks, serviceNameOf, slotServiceUpdate, updateSlotService } from '../adapters/ecs';
import { ResourceResult } from './routes';

const SERVICE_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/([^/]+)\/([^/]+)$/;

/** Where an operation stands: finished, or waiting for ECS (carried to the next poll as `state`). */
export type Step =
  | { readonly kind: 'done'; readonly result: ResourceResult }
  | { readonly kind: 'wait'; readonly state: Record<string, unknown>; readonly reason: string };

type SlotClients = Clients<'ecs' | 'ecr'>;

const done = (result: ResourceResult): Step => ({ kind: 'done', result });

function slotLabel(p: SlotServiceProperties): string {
  const slot = p.tags.find((t) => t.key === 'bluegreen:slot')?.value;
  return slot ? `slot ${slot}` : `service ${p.serviceName}`;
}

export async function slotServiceResource(c: SlotClients, event: CustomResourceEvent, state: Record<string, unknown> | undefined): Promise<Step> {
  const physicalId = event.physicalResourceId ?? '';
  if (event.requestType === 'Delete') return deleteStep(c, physicalId, state?.phase === 'deleting');
  const props = parseSlotServiceProperties(event.properties);
  if (event.requestType === 'Create') {
    const created = await createSlotService(c, props, event.requestId);
    return done({ physicalResourceId: created.serviceArn, data: { ServiceArn: created.serviceArn, ServiceName: created.serviceName } });
  }
  const old = parseSlotServiceProperties(event.oldProperties ?? {}, 'Custom::BlueGreenSlotService old properties');
  if (old.clusterArn !== props.clusterArn || old.serviceName !== props.serviceName) {
    throw new Error(
      `changing ClusterArn or ServiceName would replace slot service ${old.serviceName} and drop its running tasks; create a new slot pair instead`,
    );
  }
  if (!SERVICE_ARN.test(physicalId)) throw new Error(`the physical id ${JSON.stringify(physicalId)} is not an ECS service ARN`);
  const result: ResourceResult = { physicalResourceId: physicalId, data: { ServiceArn: physicalId, ServiceName: serviceNameOf(physicalId) } };
  if (state?.phase === 'deploying') return deployingStep(c, physicalId, props, { ...result, note: typeof state.note === 'string' ? state.note : undefined });
  return updateStep(c, physicalId, props, old, result);
}

/**
 * Applies the update. One that starts a deployment first holds the slot tag rule (the tag names
 * exactly the digest the slot's tasks run: repaired when it does not, refused when the tasks
 * disagree), then waits for the deployment, so the stack moves on (and CloudFormation's cleanup,
 * e.g. of a replaced security group rule, runs) only once the slot is steady again.
 */
async function updateStep(c: SlotClients, serviceArn: string, props: SlotServiceProperties, old: SlotServiceProperties, result: ResourceResult): Promise<Step> {
  const label = slotLabel(props);
  const { startsDeployment } = slotServiceUpdate(props, old);
  let note: string | undefined;
  let desiredCount = 0;
  if (startsDeployment) {
    const [service, tasks, tagDigest] = await Promise.all([
      describeService(c, props.clusterArn, serviceArn),
      listServiceTasks(c, props.clusterArn, props.serviceName),
      digestOfTag(c, props.repositoryName, props.imageTag),
    ]);
    desiredCount = service?.desiredCount ?? 0;
    const verdict = judgeSlotImage({ slotLabel: label, service, tasks, repositoryName: props.repositoryName, imageTag: props.imageTag, tagDigest });
    if (verdict.kind === 'wait') return { kind: 'wait', state: { phase: 'settling' }, reason: verdict.reason };
    if (verdict.kind === 'refuse') throw new Error(verdict.reason);
    if (verdict.kind === 'repair') {
      try {
        await tagImage(c, props.repositoryName, verdict.digest, props.imageTag);
      } catch (err) {
        if (!(err instanceof ImageNotFoundError)) throw err;
        throw new Error(
          `${label} runs ${verdict.digest}, which is no longer in repository ${props.repositoryName}, while ${props.imageTag} names ${tagDigest ?? 'no image'}; ` +
            `a deployment now would start an image ${label} does not run, so nothing was changed: release again to put an approved image in ${label}, then retry the deploy`,
        );
      }
      note = verdict.note;
    }
  }
  await updateSlotService(c, serviceArn, props, old);
  const withNote = { ...result, note };
  if (startsDeployment && desiredCount > 0) return { kind: 'wait', state: { phase: 'deploying', ...(note ? { note } : {}) }, reason: `${label} is rolling out ${props.taskDefinitionArn}` };
  return done(withNote);
}

async function deployingStep(c: SlotClients, serviceArn: string, props: SlotServiceProperties, result: ResourceResult): Promise<Step> {
  const verdict = judgeDeployment(slotLabel(props), await describeService(c, props.clusterArn, serviceArn), props.taskDefinitionArn);
  if (verdict.kind === 'wait') return { kind: 'wait', state: { phase: 'deploying', ...(result.note ? { note: result.note } : {}) }, reason: verdict.reason };
  if (verdict.kind === 'failed') throw new Error(verdict.reason);
  return done(result);
}

/**
 * Scales to 0 and deletes with force, then waits until the service is gone: DeleteService
 * returns while it is still DRAINING, and the cluster, subnets and security group CloudFormation
 * deletes next cannot go while its tasks run.
 */
async function deleteStep(c: SlotClients, physicalId: string, deleted: boolean): Promise<Step> {
  const result = done({ physicalResourceId: physicalId, data: {} });
  // An id that is not a service ARN means the Create never made one.
  const match = SERVICE_ARN.exec(physicalId);
  if (!match) return result;
  const clusterArn = match[1];
  if (!deleted) await deleteSlotService(c, clusterArn, physicalId);
  let service;
  try {
    service = await describeService(c, clusterArn, physicalId);
  } catch (err) {
    if (errorName(err) === 'ClusterNotFoundException') return result;
    throw err;
  }
  if (serviceGone(service)) return result;
  return { kind: 'wait', state: { phase: 'deleting' }, reason: `service ${serviceNameOf(physicalId)} is ${service!.status}: its tasks are still stopping` };
}
