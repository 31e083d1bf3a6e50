import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
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

  constructor(scope: Construct, shared: SharedFunctionProps, pipelineName: string) {
    this.handler = new ControlPlaneFunction(scope, 'InfraOwner', {
      ...shared,
      bundle: 'infra-owner',
      description: `Owns the routes and slot services of ${pipelineName} for CloudFormation`,
      timeout: Duration.minutes(5),
    });
    // The slot services wait (draining, deploying) across invocations of the infra owner.
    this.selfInvoke = this.handler.allowSelfInvoke();
  }

  public get function(): lambda.Function {
    return this.handler.function;
  }

  /** The service token of the custom resources it answers. */
  public get serviceToken(): string {
    return this.handler.function.functionArn;
  }
}
