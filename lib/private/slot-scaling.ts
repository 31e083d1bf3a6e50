import { CustomResource, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { SlotAutoScaling } from '../blue-green-service-props';
import { SLOT_SCALING_RESOURCE_TYPE } from '../../lambdas/core/scaling';
import { ControlPlaneFunction } from './control-plane-function';
import { InfraOwner } from './infra-owner';
import { SLOTS, SlotName } from './names';
import { Slots } from './slots';

export interface SlotScalingProps {
  readonly autoScaling: SlotAutoScaling;
  readonly cluster: ecs.ICluster;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly slots: Slots;
  readonly infraOwner: InfraOwner;
}

/** Application Auto Scaling's defaults for target tracking, stated (API Reference, TargetTrackingScalingPolicyConfiguration). */
export const SCALING_DEFAULTS = { scaleInCooldown: Duration.minutes(5), scaleOutCooldown: Duration.minutes(1) } as const;

const ECS_DESIRED_COUNT = 'ecs:service:DesiredCount';
const AAS_CONDITIONS = { StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': ECS_DESIRED_COUNT } };

/**
 * Auto scaling of the slots: each slot's scalable target as `Custom::BlueGreenSlotScaling` (the
 * infra owner registers it around the slot's count: a deploy moves no count), and CloudFormation's
 * target tracking policies on it. The control plane holds the floors during a release
 * (docs/design.md, "Auto scaling: the control plane holds each slot's floor"): `grantFloors`.
 */
export class SlotScaling {
  public readonly targets: Record<SlotName, CustomResource>;
  private readonly anyTarget: string;

  constructor(scope: Construct, props: SlotScalingProps) {
    const stack = Stack.of(scope);
    const { autoScaling, slots } = props;
    // A scalable target is named by an id Application Auto Scaling generates at registration, so
    // its ARN is not known at synth: the statements are held to ECS desired counts by condition
    // (Service Authorization Reference, Application Auto Scaling: scalable-target, condition keys).
    const anyTarget = stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' });
    const owner = props.infraOwner.handler;
    owner.allow(['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:DeregisterScalableTarget'], [anyTarget], AAS_CONDITIONS);
    owner.allow(['application-autoscaling:DescribeScalableTargets'], ['*']);
    owner.allow(
      ['iam:CreateServiceLinkedRole'],
      [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService' })],
      { StringEquals: { 'iam:AWSServiceName': 'ecs.application-autoscaling.amazonaws.com' } },
    );
    const targets = {} as Record<SlotName, CustomResource>;
    for (const slotName of SLOTS) {
      const slot = slotName === 'a' ? slots.a : slots.b;
      const id = `Slot${slotName.toUpperCase()}`;
      const target = new CustomResource(scope, `${id}Scaling`, {
        serviceToken: props.infraOwner.serviceToken,
        resourceType: SLOT_SCALING_RESOURCE_TYPE,
        properties: { ClusterArn: props.cluster.clusterArn, ServiceArn: slot.serviceArn, MinCapacity: autoScaling.minCapacity, MaxCapacity: autoScaling.maxCapacity },
      });
      target.node.addDependency(slot.resource);
      const resourceId = `service/${props.cluster.clusterName}/${slot.serviceName}`;
      const policy = (name: string, metric: appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty, targetValue: number) =>
        new appscaling.CfnScalingPolicy(scope, `${id}${name}Scaling`, {
          policyName: `${slot.serviceName}-${name.toLowerCase()}`,
          policyType: 'TargetTrackingScaling',
          serviceNamespace: 'ecs',
          scalableDimension: ECS_DESIRED_COUNT,
          resourceId,
          targetTrackingScalingPolicyConfiguration: {
            targetValue,
            predefinedMetricSpecification: metric,
            scaleInCooldown: (autoScaling.scaleInCooldown ?? SCALING_DEFAULTS.scaleInCooldown).toSeconds(),
            scaleOutCooldown: (autoScaling.scaleOutCooldown ?? SCALING_DEFAULTS.scaleOutCooldown).toSeconds(),
          },
        }).node.addDependency(target);
      if (autoScaling.targetCpuUtilizationPercent !== undefined) {
        policy('Cpu', { predefinedMetricType: 'ECSServiceAverageCPUUtilization' }, autoScaling.targetCpuUtilizationPercent);
      }
      if (autoScaling.targetRequestsPerTarget !== undefined) {
        // "app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id>" (API Reference, PredefinedMetricSpecification: ResourceLabel).
        const loadBalancerFullName = Fn.select(1, Fn.split('loadbalancer/', props.loadBalancer.loadBalancerArn));
        policy('Requests', { predefinedMetricType: 'ALBRequestCountPerTarget', resourceLabel: `${loadBalancerFullName}/${slot.targetGroup.targetGroupFullName}` }, autoScaling.targetRequestsPerTarget);
      }
      targets[slotName] = target;
    }
    this.targets = targets;
    this.anyTarget = anyTarget;
  }

  /** Lets a control-plane function (DeployGreen, Swap, Bake) set the slots' floors. */
  public grantFloors(fn: ControlPlaneFunction): void {
    fn.allow(['application-autoscaling:RegisterScalableTarget'], [this.anyTarget], AAS_CONDITIONS);
  }
}
