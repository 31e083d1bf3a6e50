import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { InfraOwner } from './infra-owner';
import { TASK_EXECUTION_UNUSED, narrowRole } from './managed-policies';
import { Slot, SlotContainerSettings } from './slot';

export interface SlotsProps {
  readonly pipelineName: string;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly repository: ecr.IRepository;
  readonly container: SlotContainerSettings;
  /** The application's role; one is created when not given. */
  readonly taskRole?: iam.IRole;
  readonly taskSubnets?: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Answers the slot services' custom resources; granted what that takes here. */
  readonly infraOwner: InfraOwner;
}

/**
 * The two slots, `a` and `b`: one log group and one pair of task and execution roles for both,
 * and a `Slot` each (task definition, target group, `Custom::BlueGreenSlotService`).
 */
export class Slots {
  public readonly a: Slot;
  public readonly b: Slot;
  public readonly logGroup: logs.LogGroup;
  public readonly taskRole: iam.IRole;
  public readonly executionRole: iam.Role;

  constructor(scope: Construct, props: SlotsProps) {
    this.logGroup = new logs.LogGroup(scope, 'ServiceLogGroup', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.taskRole = props.taskRole ?? new iam.Role(scope, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    this.executionRole = new iam.Role(scope, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    narrowRole(this.executionRole, TASK_EXECUTION_UNUSED);
    const slotProps = {
      ...props.container,
      pipelineName: props.pipelineName,
      vpc: props.vpc,
      cluster: props.cluster,
      repository: props.repository,
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      logGroup: this.logGroup,
      securityGroup: props.securityGroup,
      subnets: props.vpc.selectSubnets(props.taskSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }),
      serviceToken: props.infraOwner.serviceToken,
      dependencies: [props.infraOwner.selfInvoke],
    };
    this.a = new Slot(scope, 'SlotA', { ...slotProps, slot: 'a' });
    this.b = new Slot(scope, 'SlotB', { ...slotProps, slot: 'b' });
    grantSlotOwnership(Stack.of(scope), props.infraOwner, this, props);
  }

  public get serviceArns(): string[] {
    return [this.a.serviceArn, this.b.serviceArn];
  }

  public get targetGroupArns(): string[] {
    return [this.a.targetGroup.targetGroupArn, this.b.targetGroup.targetGroupArn];
  }
}

/** What answering `Custom::BlueGreenSlotService` takes: the two services, their tasks, the slot tag rule. */
function grantSlotOwnership(stack: Stack, infraOwner: InfraOwner, slots: Slots, props: SlotsProps): void {
  const owner = infraOwner.handler;
  owner.allow(
    ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices', 'ecs:TagResource', 'ecs:UntagResource'],
    slots.serviceArns,
  );
  // The slot tag rule: what the slots' tasks run and what their tags name (and moving a tag back).
  owner.allow(['ecs:ListTasks', 'ecs:DescribeTasks'], ['*'], { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } });
  owner.allow(['ecr:BatchGetImage', 'ecr:PutImage'], [props.repository.repositoryArn]);
  owner.allow(
    ['iam:CreateServiceLinkedRole'],
    [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS' })],
    { StringEquals: { 'iam:AWSServiceName': 'ecs.amazonaws.com' } },
  );
}
