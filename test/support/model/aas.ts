// Application Auto Scaling for ECS services: scalable targets with bounds, and what target
// tracking does to a service's desired count. Served with `world.extend('aas', …)`, like S3.
//
// From the Application Auto Scaling API Reference:
// * RegisterScalableTarget: "When you register a new scalable target, you must specify values for
//   the minimum and maximum capacity. If the specified resource is not active in the target
//   service, this operation does not change the resource's current capacity. Otherwise, it changes
//   the resource's current capacity to a value that is inside of this range." "To update a
//   scalable target, specify the parameters that you want to change ... Any parameters that you
//   don't specify are not changed by this update request."
// * "Application Auto Scaling scaling policies will not scale capacity to values that are outside
//   of the minimum and maximum range" (same page): `track` below never leaves the bounds.
// * DescribeScalableTargets: the targets of the given resource ids (none for one not registered).
// * DeregisterScalableTarget: ObjectNotFoundException for a target that is not registered.
import type { AwsWorld, ServiceKey } from '../aws-model';
import type { AasInputs, AasSend } from '../../../lambdas/adapters/scaling';
import { awsError } from './errors';

export const AAS = 'aas' as ServiceKey;

export interface ScalableTargetState {
  readonly resourceId: string;
  min: number;
  max: number;
}

const err = (name: string, message: string) => awsError(AAS, name, message);

export class AutoScalingModel {
  readonly targets = new Map<string, ScalableTargetState>();
  /** Every count change Application Auto Scaling made, newest last (for tests and the property's log). */
  readonly activities: { resourceId: string; from: number; to: number; cause: string }[] = [];

  constructor(private readonly world: AwsWorld) {}

  /** The ECS service a resource id (`service/<cluster>/<name>`) names, if it exists. */
  private service(resourceId: string) {
    const [, cluster, name] = resourceId.split('/');
    return [...this.world.ecs.services.values()].find((s) => s.name === name && s.clusterArn.endsWith(`:cluster/${cluster}`) && s.status === 'ACTIVE');
  }

  /** Sets the service's desired count the way Application Auto Scaling does: UpdateService with the count only. */
  private setCount(resourceId: string, to: number, cause: string): void {
    const svc = this.service(resourceId);
    if (svc === undefined || svc.desiredCount === to) return;
    this.activities.push({ resourceId, from: svc.desiredCount, to, cause });
    this.world.ecs.commands.UpdateService({ cluster: svc.clusterArn, service: svc.arn, desiredCount: to });
  }

  private fit(target: ScalableTargetState, cause: string): void {
    const svc = this.service(target.resourceId);
    if (svc === undefined) return;
    this.setCount(target.resourceId, Math.min(target.max, Math.max(target.min, svc.desiredCount)), cause);
  }

  /**
   * What a target tracking policy does when its alarm fires: asks for `wanted` tasks and gets the
   * nearest count inside the bounds. Returns the count the service has after it.
   */
  track(resourceId: string, wanted: number): number {
    const target = this.targets.get(resourceId);
    if (target === undefined) throw new Error(`AutoScalingModel: ${resourceId} is not registered`);
    this.setCount(resourceId, Math.min(target.max, Math.max(target.min, wanted)), `target tracking asked for ${wanted}`);
    return this.service(resourceId)?.desiredCount ?? 0;
  }

  readonly commands = {
    RegisterScalableTarget: (input: AasInputs['RegisterScalableTarget']) => {
      const existing = this.targets.get(input.ResourceId);
      if (existing === undefined && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) {
        throw err('ValidationException', 'MinCapacity and MaxCapacity are required to register a new scalable target.');
      }
      const target = existing ?? { resourceId: input.ResourceId, min: input.MinCapacity!, max: input.MaxCapacity! };
      if (input.MinCapacity !== undefined) target.min = input.MinCapacity;
      if (input.MaxCapacity !== undefined) target.max = input.MaxCapacity;
      this.targets.set(input.ResourceId, target);
      this.fit(target, 'RegisterScalableTarget');
      return { ScalableTargetARN: `arn:aws:application-autoscaling:${this.world.region}:${this.world.account}:scalable-target/${input.ResourceId.replace(/\//g, '-')}` };
    },
    DescribeScalableTargets: (input: AasInputs['DescribeScalableTargets']) => ({
      ScalableTargets: input.ResourceIds.map((id) => this.targets.get(id))
        .filter((t): t is ScalableTargetState => t !== undefined)
        .map((t) => ({ ServiceNamespace: 'ecs', ResourceId: t.resourceId, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: t.min, MaxCapacity: t.max })),
    }),
    DeregisterScalableTarget: (input: AasInputs['DeregisterScalableTarget']) => {
      if (!this.targets.delete(input.ResourceId)) throw err('ObjectNotFoundException', `No scalable target found for service namespace: ecs, resource ID: ${input.ResourceId}, scalable dimension: ecs:service:DesiredCount`);
      return {};
    },
  };
}

/** Serves the model to the world (`world.extend`), returning it. */
export function serveAutoScaling(world: AwsWorld): AutoScalingModel {
  const model = new AutoScalingModel(world);
  for (const [name, fn] of Object.entries(model.commands)) world.extend(AAS, name, fn);
  return model;
}

/** The `AasSend` the handlers get in tests: calls logged, faultable, authorizable like any other. */
export function worldAasSend(world: AwsWorld): AasSend {
  return ((operation, input) => world.dispatch(AAS, operation, input)) as AasSend;
}
