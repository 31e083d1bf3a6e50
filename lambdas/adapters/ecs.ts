// Slot services and their tasks (ECS).
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  NetworkConfiguration,
  Service,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ReleaseConfig, SlotName } from '../core/config';
import { SlotServiceProperties } from '../core/events';
import { ObservedService, ObservedTask, SlotObservation, SlotsPort } from '../core/ports';
import { Clients, errorName } from './clients';
import { readTargetHealth } from './elb';

type SlotsConfig = Pick<ReleaseConfig, 'clusterArn' | 'slots'>;

export function toObservedService(s: Service): ObservedService {
  return {
    serviceArn: s.serviceArn ?? '',
    status: s.status ?? 'UNKNOWN',
    desiredCount: s.desiredCount ?? 0,
    runningCount: s.runningCount ?? 0,
    pendingCount: s.pendingCount ?? 0,
    deployments: (s.deployments ?? []).map((d) => ({
      id: d.id ?? '',
      status: d.status ?? 'UNKNOWN',
      rolloutState: d.rolloutState ?? null,
      rolloutStateReason: d.rolloutStateReason ?? null,
      desiredCount: d.desiredCount ?? 0,
      runningCount: d.runningCount ?? 0,
      failedTasks: d.failedTasks ?? 0,
      taskDefinition: d.taskDefinition ?? '',
    })),
  };
}

/** One DescribeServices for the given slots; missing services are left out. */
export async function describeSlotServices(c: Clients<'ecs'>, config: SlotsConfig, slots: readonly SlotName[]): Promise<Partial<Record<SlotName, ObservedService>>> {
  const out = await c.ecs.send(new DescribeServicesCommand({ cluster: config.clusterArn, services: slots.map((s) => config.slots[s].serviceArn) }));
  const result: Partial<Record<SlotName, ObservedService>> = {};
  for (const slot of slots) {
    const s = (out.services ?? []).find((x) => x.serviceArn === config.slots[slot].serviceArn);
    if (s) result[slot] = toObservedService(s);
  }
  return result;
}

/** ListTasks returns at most 100 ARNs a page and DescribeTasks takes at most 100 (ECS API reference). */
const TASKS_PER_CALL = 100;

/** A slot's tasks with desired status RUNNING (listServiceTasks). */
export async function listSlotTasks(c: Clients<'ecs'>, config: SlotsConfig, slot: SlotName): Promise<ObservedTask[]> {
  return listServiceTasks(c, config.clusterArn, serviceNameOf(config.slots[slot].serviceArn));
}

/** One service as observed; null when DescribeServices does not find it. */
export async function describeService(c: Clients<'ecs'>, clusterArn: string, serviceArn: string): Promise<ObservedService | null> {
  const out = await c.ecs.send(new DescribeServicesCommand({ cluster: clusterArn, services: [serviceArn] }));
  const s = (out.services ?? []).find((x) => x.serviceArn === serviceArn);
  return s ? toObservedService(s) : null;
}

/**
 * Every task of a service with desired status RUNNING (all ListTasks pages, then DescribeTasks in
 * batches of 100): a slot may run 1,000 tasks, twice that during a rollout, and the digest check
 * needs each.
 */
export async function listServiceTasks(c: Clients<'ecs'>, clusterArn: string, serviceName: string): Promise<ObservedTask[]> {
  const taskArns: string[] = [];
  let nextToken: string | undefined;
  do {
    const list = await c.ecs.send(
      new ListTasksCommand({ cluster: clusterArn, serviceName, desiredStatus: 'RUNNING', maxResults: TASKS_PER_CALL, ...(nextToken ? { nextToken } : {}) }),
    );
    taskArns.push(...(list.taskArns ?? []));
    nextToken = list.nextToken;
  } while (nextToken);
  const batches: string[][] = [];
  for (let i = 0; i < taskArns.length; i += TASKS_PER_CALL) batches.push(taskArns.slice(i, i + TASKS_PER_CALL));
  const described = await Promise.all(batches.map((tasks) => c.ecs.send(new DescribeTasksCommand({ cluster: clusterArn, tasks }))));
  return described.flatMap((out) =>
    (out.tasks ?? []).map((t) => ({
      taskArn: t.taskArn ?? '',
      lastStatus: t.lastStatus ?? 'UNKNOWN',
      containers: (t.containers ?? []).map((ct) => ({ name: ct.name ?? '', image: ct.image ?? null, imageDigest: ct.imageDigest ?? null })),
    })),
  );
}

/** Service, tasks and target health of one slot, read concurrently. */
export async function observeSlot(c: Clients<'ecs' | 'elbv2'>, config: SlotsConfig, slot: SlotName): Promise<SlotObservation> {
  const [services, tasks, targets] = await Promise.all([
    describeSlotServices(c, config, [slot]),
    listSlotTasks(c, config, slot),
    readTargetHealth(c, config.slots[slot].targetGroupArn),
  ]);
  return { slot, service: services[slot] ?? null, tasks, targets };
}

/** Starts a new deployment of the slot (its task definition resolves the slot's image tag afresh). */
export async function rollSlot(c: Clients<'ecs'>, config: SlotsConfig, slot: SlotName, desiredCount: number): Promise<{ deploymentId: string | null }> {
  const out = await c.ecs.send(
    new UpdateServiceCommand({ cluster: config.clusterArn, service: config.slots[slot].serviceArn, forceNewDeployment: true, desiredCount }),
  );
  return { deploymentId: out.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id ?? null };
}

/** Sets the slot's desired count and nothing else (no new deployment): the scheduled scale-down. */
export async function scaleSlot(c: Clients<'ecs'>, config: SlotsConfig, slot: SlotName, desiredCount: number): Promise<void> {
  await c.ecs.send(new UpdateServiceCommand({ cluster: config.clusterArn, service: config.slots[slot].serviceArn, desiredCount }));
}

export function ecsSlots(c: Clients<'ecs' | 'elbv2'>, config: SlotsConfig): SlotsPort {
  return {
    observe: (slot) => observeSlot(c, config, slot),
    describeServices: (slots) => describeSlotServices(c, config, slots),
    roll: (slot, desiredCount) => rollSlot(c, config, slot, desiredCount),
    scale: (slot, desiredCount) => scaleSlot(c, config, slot, desiredCount),
  };
}

export function serviceNameOf(serviceArn: string): string {
  return serviceArn.slice(serviceArn.lastIndexOf('/') + 1);
}

// ---- for Custom::BlueGreenSlotService

function networkOf(p: SlotServiceProperties): NetworkConfiguration {
  return { awsvpcConfiguration: { subnets: p.subnets, securityGroups: p.securityGroups, assignPublicIp: p.assignPublicIp ? 'ENABLED' : 'DISABLED' } };
}

function loadBalancersOf(p: SlotServiceProperties) {
  return [{ targetGroupArn: p.targetGroupArn, containerName: p.containerName, containerPort: p.containerPort }];
}

/** Creates the slot's service empty (desiredCount 0): a slot gets tasks only from a release. */
export async function createSlotService(c: Clients<'ecs'>, p: SlotServiceProperties, clientToken: string): Promise<{ serviceArn: string; serviceName: string }> {
  const out = await c.ecs.send(
    new CreateServiceCommand({
      cluster: p.clusterArn,
      serviceName: p.serviceName,
      taskDefinition: p.taskDefinitionArn,
      desiredCount: 0,
      launchType: 'FARGATE',
      loadBalancers: loadBalancersOf(p),
      networkConfiguration: networkOf(p),
      healthCheckGracePeriodSeconds: p.healthCheckGracePeriodSeconds,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
      enableECSManagedTags: true,
      propagateTags: 'SERVICE',
      tags: p.tags.map((t) => ({ key: t.key, value: t.value })),
      clientToken: clientToken.slice(0, 36),
    }),
  );
  const serviceArn = out.service?.serviceArn;
  if (!serviceArn) throw new Error(`CreateService ${p.serviceName} returned no service ARN`);
  return { serviceArn, serviceName: out.service?.serviceName ?? p.serviceName };
}

/**
 * What an update sends: task definition, network, load balancer and grace period only, and only
 * what changed (so an unchanged template starts no deployment): never desiredCount, never an image.
 * `startsDeployment`: ECS starts a new deployment, which resolves the slot's image tag again.
 */
export function slotServiceUpdate(p: SlotServiceProperties, old: SlotServiceProperties) {
  const changed = <T>(next: T, prev: T) => JSON.stringify(next) !== JSON.stringify(prev);
  const deploying = {
    ...(p.taskDefinitionArn !== old.taskDefinitionArn ? { taskDefinition: p.taskDefinitionArn } : {}),
    ...(changed(networkOf(p), networkOf(old)) ? { networkConfiguration: networkOf(p) } : {}),
    ...(changed(loadBalancersOf(p), loadBalancersOf(old)) ? { loadBalancers: loadBalancersOf(p) } : {}),
  };
  const input = {
    ...deploying,
    ...(p.healthCheckGracePeriodSeconds !== old.healthCheckGracePeriodSeconds ? { healthCheckGracePeriodSeconds: p.healthCheckGracePeriodSeconds } : {}),
  };
  return { input, startsDeployment: Object.keys(deploying).length > 0 };
}

export async function updateSlotService(c: Clients<'ecs'>, serviceArn: string, p: SlotServiceProperties, old: SlotServiceProperties): Promise<void> {
  const { input } = slotServiceUpdate(p, old);
  if (Object.keys(input).length > 0) await c.ecs.send(new UpdateServiceCommand({ cluster: p.clusterArn, service: serviceArn, ...input }));
  const removed = old.tags.filter((t) => !p.tags.some((n) => n.key === t.key)).map((t) => t.key);
  if (removed.length > 0) await c.ecs.send(new UntagResourceCommand({ resourceArn: serviceArn, tagKeys: removed }));
  if (JSON.stringify(p.tags) !== JSON.stringify(old.tags) && p.tags.length > 0) {
    await c.ecs.send(new TagResourceCommand({ resourceArn: serviceArn, tags: p.tags.map((t) => ({ key: t.key, value: t.value })) }));
  }
}

/** Scales to 0, then deletes with force; a service that is already gone is fine. */
export async function deleteSlotService(c: Clients<'ecs'>, clusterArn: string, serviceArn: string): Promise<void> {
  const gone = (err: unknown) => ['ServiceNotFoundException', 'ServiceNotActiveException', 'ClusterNotFoundException'].includes(errorName(err) ?? '');
  try {
    await c.ecs.send(new UpdateServiceCommand({ cluster: clusterArn, service: serviceArn, desiredCount: 0 }));
    await c.ecs.send(new DeleteServiceCommand({ cluster: clusterArn, service: serviceArn, force: true }));
  } catch (err) {
    if (!gone(err)) throw err;
  }
}
