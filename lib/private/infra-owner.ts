import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DEFAULT_SECURITY_GROUP_RESOURCE_TYPE } from '../../lambdas/core/events';
import { ControlPlaneFunction, SharedFunctionProps } from './control-plane-function';

/**
 * The control plane's side of CloudFormation: the function that answers the custom resources
 * owning the routes (`Custom::BlueGreenRoutes`) and the slot services
 * (`Custom::BlueGreenSlotService`). The parts that declare those resources grant it what
 * handling them takes.
 */
export class InfraOwner {
  public readonly handler: ControlPlaneFunction;
  /** The function's permission to hand a long wait on to a new invocation; resources it answers wait for it. */
  public readonly selfInvoke: iam.Policy;
  /** Closes the default security group of a VPC the construct created. */
  public readonly defaultSecurityGroup?: CustomResource;

  constructor(scope: Construct, shared: SharedFunctionProps, pipelineName: string, createdVpc?: ec2.Vpc) {
    this.handler = new ControlPlaneFunction(scope, 'InfraOwner', {
      ...shared,
      bundle: 'infra-owner',
      description: `Owns the routes and slot services of ${pipelineName} for CloudFormation`,
      timeout: Duration.minutes(5),
    });
    // The slot services wait (draining, deploying) across invocations of the infra owner.
    this.selfInvoke = this.handler.allowSelfInvoke();
    if (createdVpc) this.defaultSecurityGroup = this.closeDefaultSecurityGroup(scope, createdVpc);
  }

  /**
   * `Custom::BlueGreenDefaultSecurityGroup`: the infra owner revokes the default group's two rules
   * (aws-cdk-lib would run a function of its own for it, outside the VPC). Revoking is authorised
   * on the security group's ARN (Service Authorization Reference, Amazon EC2: security-group).
   */
  private closeDefaultSecurityGroup(scope: Construct, vpc: ec2.Vpc): CustomResource {
    const groupId = vpc.vpcDefaultSecurityGroup;
    const groupArn = Stack.of(scope).formatArn({ service: 'ec2', resource: 'security-group', resourceName: groupId });
    this.handler.allow(['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'], [groupArn]);
    return new CustomResource(scope, 'DefaultSecurityGroup', {
      serviceToken: this.serviceToken,
      resourceType: DEFAULT_SECURITY_GROUP_RESOURCE_TYPE,
      properties: { SecurityGroupId: groupId },
    });
  }

  public get function(): lambda.Function {
    return this.handler.function;
  }

  /** The service token of the custom resources it answers. */
  public get serviceToken(): string {
    return this.handler.function.functionArn;
  }
}
