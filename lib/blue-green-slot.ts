import { CustomResource } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';

/** One of the two permanent slots: a Fargate service in its own target group. */
export interface BlueGreenSlot {
  /** `a` or `b`. */
  readonly slotName: string;
  /** The mutable ECR tag the slot's task definition runs (`slot-a` or `slot-b`). */
  readonly imageTag: string;
  /** The slot's Fargate task definition; its container runs the slot's image tag. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The application container of the task definition. */
  readonly container: ecs.ContainerDefinition;
  /** The slot's target group; the routes forward to it. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The Custom::BlueGreenSlotService resource that owns the ECS service. */
  readonly resource: CustomResource;
  /** The slot's ECS service (a reference: the service is created by `resource`, not by CloudFormation's ECS type). */
  readonly service: ecs.IBaseService;
  /** Name of the slot's ECS service (`<pipelineName>-slot-a` or `-slot-b`). */
  readonly serviceName: string;
  /** ARN of the slot's ECS service. */
  readonly serviceArn: string;
}
