// Custom::BlueGreenSlotScaling: a slot's Application Auto Scaling scalable target, registered
// around the count the slot has, so that a stack operation moves no count (invariant 6); the
// control plane sets the floors that matter during a release (core/scaling.ts).
import { Clients } from '../adapters/clients';
import { describeService } from '../adapters/ecs';
import { AasSend, deregister, registerBounds, registeredBounds, serviceResourceId } from '../adapters/scaling';
import { MAX_TASKS } from '../core/config';
import { CustomResourceEvent } from '../core/events';
import { aroundCount } from '../core/scaling';

export { SLOT_SCALING_RESOURCE_TYPE } from '../core/scaling';
import { ResourceResult } from './routes';

const SERVICE_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/[^/]+\/[^/]+$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[^/]+$/;
export const SCALING_ID_PREFIX = 'bluegreen-scaling:';

interface SlotScalingProperties {
  readonly clusterArn: string;
  readonly serviceArn: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/** Numbers may arrive as strings (CloudFormation passes custom resource properties as strings). */
function parseProperties(props: Record<string, unknown>): SlotScalingProperties {
  const problems: string[] = [];
  const text = (key: string, pattern: RegExp, what: string): string => {
    const v = props[key];
    if (typeof v !== 'string' || !pattern.test(v)) problems.push(`${key} must be ${what} (got ${JSON.stringify(v)?.slice(0, 64)})`);
    return String(v);
  };
  const count = (key: string): number => {
    const v = typeof props[key] === 'string' ? Number(props[key]) : props[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_TASKS) problems.push(`${key} must be a whole number from 1 to ${MAX_TASKS} (got ${JSON.stringify(props[key])})`);
    return v as number;
  };
  const parsed = { clusterArn: text('ClusterArn', CLUSTER_ARN, 'an ECS cluster ARN'), serviceArn: text('ServiceArn', SERVICE_ARN, 'an ECS service ARN'), minCapacity: count('MinCapacity'), maxCapacity: count('MaxCapacity') };
  if (problems.length === 0 && parsed.minCapacity > parsed.maxCapacity) problems.push(`MinCapacity ${parsed.minCapacity} is above MaxCapacity ${parsed.maxCapacity}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return parsed;
}

/**
 * Create and Update register the target around the service's count now (a new target held at it;
 * an existing one keeps a floor no higher than it, and gets a ceiling no lower). Delete
 * deregisters it, which removes its scaling policies with it.
 */
export async function slotScalingResource(clients: Clients<'ecs'>, aas: AasSend, event: CustomResourceEvent): Promise<ResourceResult> {
  if (event.requestType === 'Delete') {
    const id = event.physicalResourceId ?? '';
    if (id.startsWith(SCALING_ID_PREFIX)) await deregister(aas, id.slice(SCALING_ID_PREFIX.length));
    return { physicalResourceId: id, data: {} };
  }
  const p = parseProperties(event.properties);
  const resourceId = serviceResourceId(p.serviceArn);
  const service = await describeService(clients, p.clusterArn, p.serviceArn);
  if (service === null || service.status !== 'ACTIVE') throw new Error(`the slot service ${p.serviceArn} is not ACTIVE, so it has no count to scale`);
  const bounds = aroundCount({ minCapacity: p.minCapacity, maxCapacity: p.maxCapacity }, service.desiredCount, await registeredBounds(aas, resourceId));
  await registerBounds(aas, resourceId, bounds);
  return {
    physicalResourceId: `${SCALING_ID_PREFIX}${resourceId}`,
    data: { ResourceId: resourceId },
    note:
      bounds.min !== p.minCapacity || bounds.max !== p.maxCapacity
        ? `Registered ${resourceId} at ${bounds.min}-${bounds.max} around its ${service.desiredCount} task(s), so this deploy moves no count; the release flow applies ${p.minCapacity}-${p.maxCapacity} to the live slot when a release ends.`
        : undefined,
  };
}
