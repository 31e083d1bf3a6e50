// Custom::BlueGreenSlotService: the slot's ECS service, owned here so that an infrastructure
// deploy never changes its desired count or the image it runs.
import { CustomResourceEvent, parseSlotServiceProperties } from '../core/events';
import { Clients } from '../adapters/clients';
import { createSlotService, deleteSlotService, serviceNameOf, updateSlotService } from '../adapters/ecs';
import { ResourceResult } from './routes';

const SERVICE_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/([^/]+)\/([^/]+)$/;

export async function slotServiceResource(c: Clients<'ecs'>, event: CustomResourceEvent): Promise<ResourceResult> {
  const physicalId = event.physicalResourceId ?? '';
  if (event.requestType === 'Delete') {
    // An id that is not a service ARN means the Create never made one.
    const match = SERVICE_ARN.exec(physicalId);
    if (match) await deleteSlotService(c, match[1], physicalId);
    return { physicalResourceId: physicalId, data: {} };
  }
  const props = parseSlotServiceProperties(event.properties);
  if (event.requestType === 'Create') {
    const created = await createSlotService(c, props, event.requestId);
    return { physicalResourceId: created.serviceArn, data: { ServiceArn: created.serviceArn, ServiceName: created.serviceName } };
  }
  const old = parseSlotServiceProperties(event.oldProperties ?? {}, 'Custom::BlueGreenSlotService old properties');
  if (old.clusterArn !== props.clusterArn || old.serviceName !== props.serviceName) {
    throw new Error(
      `changing ClusterArn or ServiceName would replace slot service ${old.serviceName} and drop its running tasks; create a new slot pair instead`,
    );
  }
  if (!SERVICE_ARN.test(physicalId)) throw new Error(`the physical id ${JSON.stringify(physicalId)} is not an ECS service ARN`);
  await updateSlotService(c, physicalId, props, old);
  return { physicalResourceId: physicalId, data: { ServiceArn: physicalId, ServiceName: serviceNameOf(physicalId) } };
}
