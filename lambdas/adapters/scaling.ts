// Application Auto Scaling, for the slots' scalable targets: the three operations the control
// plane and the infra owner need, as plain data in the API's own shapes (Application Auto Scaling
// API Reference: RegisterScalableTarget, DescribeScalableTargets, DeregisterScalableTarget),
// behind one `send` function like the evidence record's S3 (adapters/s3.ts). The SDK client comes
// from the Lambda runtime (adapters/scaling-client.ts); tests send to the in-memory model.
import { ReleaseConfig, SlotName } from '../core/config';
import { errorSummary } from '../core/errors';
import { Logger, RoutesPort, ScalingPort, SlotsPort } from '../core/ports';
import { resolveRoutes } from '../core/routes';
import { ScalingBounds, free, heldAt } from '../core/scaling';

/** An ECS service's desired count (API Reference, ScalableDimension). */
export const ECS_DESIRED_COUNT = 'ecs:service:DesiredCount';

interface TargetId {
  readonly ServiceNamespace: 'ecs';
  /** `service/<cluster name>/<service name>` (API Reference, RegisterScalableTarget: ResourceId). */
  readonly ResourceId: string;
  readonly ScalableDimension: typeof ECS_DESIRED_COUNT;
}

export interface AasInputs {
  /** Bounds left out are not changed for an existing target; a new one needs both. */
  readonly RegisterScalableTarget: TargetId & { readonly MinCapacity?: number; readonly MaxCapacity?: number };
  readonly DescribeScalableTargets: { readonly ServiceNamespace: 'ecs'; readonly ResourceIds: string[]; readonly ScalableDimension: typeof ECS_DESIRED_COUNT };
  readonly DeregisterScalableTarget: TargetId;
}

export interface AasOutputs {
  readonly RegisterScalableTarget: { readonly ScalableTargetARN?: string };
  readonly DescribeScalableTargets: { readonly ScalableTargets?: readonly { readonly ResourceId?: string; readonly MinCapacity?: number; readonly MaxCapacity?: number }[] };
  readonly DeregisterScalableTarget: object;
}

export type AasOperation = keyof AasInputs;
export type AasSend = <O extends AasOperation>(operation: O, input: AasInputs[O]) => Promise<AasOutputs[O]>;

/** The scalable target's resource id of an ECS service, from its ARN (`arn:…:service/<cluster>/<name>`). */
export function serviceResourceId(serviceArn: string): string {
  const [cluster, name] = serviceArn.slice(serviceArn.indexOf(':service/') + ':service/'.length).split('/');
  return `service/${cluster}/${name}`;
}

const targetId = (resourceId: string): TargetId => ({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: ECS_DESIRED_COUNT });

export async function registerBounds(send: AasSend, resourceId: string, bounds: ScalingBounds): Promise<void> {
  await send('RegisterScalableTarget', { ...targetId(resourceId), MinCapacity: bounds.min, MaxCapacity: bounds.max });
}

/** The target's registered bounds, or null when it is not registered. */
export async function registeredBounds(send: AasSend, resourceId: string): Promise<ScalingBounds | null> {
  const out = await send('DescribeScalableTargets', { ServiceNamespace: 'ecs', ResourceIds: [resourceId], ScalableDimension: ECS_DESIRED_COUNT });
  const target = out.ScalableTargets?.find((t) => t.ResourceId === resourceId);
  return target?.MinCapacity === undefined || target.MaxCapacity === undefined ? null : { min: target.MinCapacity, max: target.MaxCapacity };
}

/** Deregisters the target; one that is not registered (ObjectNotFoundException) is fine. */
export async function deregister(send: AasSend, resourceId: string): Promise<void> {
  try {
    await send('DeregisterScalableTarget', targetId(resourceId));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ObjectNotFoundException') throw err;
  }
}

/**
 * The release gave the lease back: the live slot scales within the configured bounds again, and
 * the other slot keeps its floor (the previous slot stays warm). Never throws: a floor left in
 * place only keeps a slot from scaling in, until the next release ends.
 */
export async function freeLiveSlot(ports: { readonly routes: RoutesPort; readonly scaling?: ScalingPort }, config: ReleaseConfig, log: Logger): Promise<void> {
  if (ports.scaling === undefined || config.autoScaling === undefined) return;
  try {
    const resolved = resolveRoutes(config, await ports.routes.read());
    if (!resolved.ok) {
      log.warn('the live slot keeps its scaling floor: the routes name no live slot', { reason: resolved.reason });
      return;
    }
    await ports.scaling.bound(resolved.view.liveSlot, free(config.autoScaling));
    log.info('the live slot scales freely again', { slot: resolved.view.liveSlot, ...config.autoScaling });
  } catch (err) {
    log.warn('the live slot keeps its scaling floor until the next release ends', { error: errorSummary(err) });
  }
}

/**
 * An operator's rollback between releases: the slot production left keeps the count it has (it is
 * the way back), and the live slot scales within the configured bounds. Never throws, like
 * `freeLiveSlot`.
 */
export async function settleAfterRollback(
  ports: { readonly routes: RoutesPort; readonly slots: SlotsPort; readonly scaling?: ScalingPort },
  config: ReleaseConfig,
  log: Logger,
): Promise<void> {
  if (ports.scaling === undefined || config.autoScaling === undefined) return;
  try {
    const resolved = resolveRoutes(config, await ports.routes.read());
    if (!resolved.ok) return;
    const previous = resolved.view.idleSlot;
    const count = (await ports.slots.describeServices([previous]))[previous]?.desiredCount ?? 0;
    await ports.scaling.bound(previous, heldAt(config.autoScaling, count));
  } catch (err) {
    log.warn('the slot production left keeps the bounds it had', { error: errorSummary(err) });
  }
  await freeLiveSlot(ports, config, log);
}

export function slotScaling(send: AasSend, config: ReleaseConfig): ScalingPort {
  return { bound: (slot: SlotName, bounds) => registerBounds(send, serviceResourceId(config.slots[slot].serviceArn), bounds) };
}
