import { ArnFormat, CustomResource, Duration, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IDependable } from 'constructs';
import type { BlueGreenSlot } from '../blue-green-slot';
import { CONTAINER_NAME, SLOT_ENV, SlotName, slotImageTag, slotServiceName } from './names';

export const SLOT_SERVICE_RESOURCE_TYPE = 'Custom::BlueGreenSlotService';

/**
 * The slot target groups' port. ECS registers each task with its container port, and "this port
 * is used unless you specify a port override when registering the target" (Elastic Load Balancing
 * API Reference, CreateTargetGroup): so it never matters, and a fixed value keeps a containerPort
 * change from replacing the target groups (Port is create-only on
 * AWS::ElasticLoadBalancingV2::TargetGroup), which would take production off its targets.
 */
export const TARGET_GROUP_PORT = 80;

/** What the application container of both slots runs with (the props, defaults applied). */
export interface SlotContainerSettings {
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  readonly cpuArchitecture: ecs.CpuArchitecture;
  readonly containerPort: number;
  readonly healthCheckPath: string;
  readonly healthCheckPort?: number;
  readonly healthCheckGracePeriod: Duration;
  readonly environment: Record<string, string>;
  readonly secrets: Record<string, ecs.Secret>;
  readonly readonlyRootFilesystem: boolean;
  readonly containerUser: string;
}

export interface SlotProps extends SlotContainerSettings {
  readonly slot: SlotName;
  readonly pipelineName: string;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly repository: ecr.IRepository;
  readonly taskRole: iam.IRole;
  readonly executionRole: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly subnets: ec2.SelectedSubnets;
  /** ARN of the infra-owner function that answers Custom::BlueGreenSlotService. */
  readonly serviceToken: string;
  /** What the service resource waits for besides its network (e.g. the infra owner's permission to hand on a wait). */
  readonly dependencies: IDependable[];
}

/**
 * One slot: a Fargate task definition that runs the slot's mutable image tag, a target group, and
 * the service itself as a Custom::BlueGreenSlotService (created at zero tasks; stack updates apply
 * a new task definition but never a desired count or an image).
 */
export class Slot extends Construct implements BlueGreenSlot {
  public readonly slotName: string;
  public readonly imageTag: string;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly resource: CustomResource;
  public readonly service: ecs.IBaseService;
  public readonly serviceName: string;
  public readonly serviceArn: string;

  constructor(scope: Construct, id: string, props: SlotProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.slotName = props.slot;
    this.imageTag = slotImageTag(props.slot);
    this.serviceName = slotServiceName(props.pipelineName, props.slot);
    // Known before the service exists, so IAM policies can name it without a dependency cycle.
    this.serviceArn = stack.formatArn({
      service: 'ecs',
      resource: 'service',
      resourceName: `${props.cluster.clusterName}/${this.serviceName}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    [this.taskDefinition, this.container] = this.createTaskDefinition(props);
    this.targetGroup = this.createTargetGroup(props);
    Tags.of(this.targetGroup).add('bluegreen:slot', props.slot);

    this.resource = new CustomResource(this, 'Service', {
      serviceToken: props.serviceToken,
      resourceType: SLOT_SERVICE_RESOURCE_TYPE,
      properties: {
        ClusterArn: props.cluster.clusterArn,
        ServiceName: this.serviceName,
        TaskDefinitionArn: this.taskDefinition.taskDefinitionArn,
        ContainerName: CONTAINER_NAME,
        ContainerPort: props.containerPort,
        TargetGroupArn: this.targetGroup.targetGroupArn,
        Subnets: props.subnets.subnetIds,
        SecurityGroups: [props.securityGroup.securityGroupId],
        HealthCheckGracePeriodSeconds: props.healthCheckGracePeriod.toSeconds(),
        Tags: [
          { Key: 'bluegreen:slot', Value: props.slot },
          { Key: 'bluegreen:pipeline', Value: props.pipelineName },
        ],
        // For the slot tag rule: a deployment an update starts resolves this tag again.
        RepositoryName: props.repository.repositoryName,
        ImageTag: this.imageTag,
      },
    });
    // Private subnets need their NAT routes before tasks can pull images.
    this.resource.node.addDependency(props.subnets.internetConnectivityEstablished, ...props.dependencies);

    this.service = ecs.FargateService.fromFargateServiceAttributes(this, 'ServiceRef', {
      cluster: props.cluster,
      serviceArn: this.serviceArn,
    });
  }

  /** The task definition and its one container, which runs the slot's mutable tag. */
  private createTaskDefinition(props: SlotProps): [ecs.FargateTaskDefinition, ecs.ContainerDefinition] {
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: this.serviceName,
      cpu: props.cpu,
      memoryLimitMiB: props.memoryLimitMiB,
      runtimePlatform: { cpuArchitecture: props.cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: props.taskRole,
      executionRole: props.executionRole,
    });
    const container = taskDefinition.addContainer('Container', {
      containerName: CONTAINER_NAME,
      // The slot's mutable tag: DeployGreen moves it to a release digest; stack updates never do.
      image: ecs.ContainerImage.fromEcrRepository(props.repository, this.imageTag),
      essential: true,
      // A hard limit at the task's memory: the one container may use all of it, and no more (CT.ECS.PR.7).
      memoryLimitMiB: props.memoryLimitMiB,
      user: props.containerUser,
      readonlyRootFilesystem: props.readonlyRootFilesystem,
      portMappings: [{ containerPort: props.containerPort, protocol: ecs.Protocol.TCP }],
      environment: { ...props.environment, [SLOT_ENV]: props.slot },
      secrets: props.secrets,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: `slot-${props.slot}`, logGroup: props.logGroup }),
    });
    if (props.readonlyRootFilesystem) {
      // A task-scoped scratch directory, so a read-only root filesystem still has a writable /tmp.
      taskDefinition.addVolume({ name: 'tmp' });
      container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });
    }
    return [taskDefinition, container];
  }

  /** The slot's target group: a fixed port (see TARGET_GROUP_PORT), IP targets, the app's health check. */
  private createTargetGroup(props: SlotProps): elbv2.ApplicationTargetGroup {
    return new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      port: TARGET_GROUP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: props.healthCheckPath,
        port: props.healthCheckPort !== undefined ? String(props.healthCheckPort) : 'traffic-port',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
  }
}
