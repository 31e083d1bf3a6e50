// The Application Auto Scaling SDK client behind the `AasSend` seam (adapters/scaling.ts): one
// command per operation, the client created on first use (only a pipeline with autoScaling calls it).
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import type { AasInputs, AasOperation, AasOutputs, AasSend } from './scaling';

type AasCommand = RegisterScalableTargetCommand | DescribeScalableTargetsCommand | DeregisterScalableTargetCommand;

const COMMANDS: { readonly [O in AasOperation]: (input: AasInputs[O]) => AasCommand } = {
  RegisterScalableTarget: (input) => new RegisterScalableTargetCommand(input),
  DescribeScalableTargets: (input) => new DescribeScalableTargetsCommand(input),
  DeregisterScalableTarget: (input) => new DeregisterScalableTargetCommand(input),
};

export function aasSend(): AasSend {
  let client: ApplicationAutoScalingClient | undefined;
  return async <O extends AasOperation>(operation: O, input: AasInputs[O]) => {
    client ??= new ApplicationAutoScalingClient({});
    return (await client.send(COMMANDS[operation](input) as RegisterScalableTargetCommand)) as unknown as AasOutputs[O];
  };
}
