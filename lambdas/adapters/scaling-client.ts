// The Application Auto Scaling client behind the `AasSend` seam (adapters/scaling.ts). The Lambda
// Node.js runtimes ship the AWS SDK for JavaScript v3 with every client (Lambda Developer Guide,
// "Building Lambda functions with Node.js"); this client is not among the build's packages, so the
// bundle leaves it to the runtime (lambdas/bundle.mjs: `external`) and loads it on first use.
import type { AasOperation, AasSend } from './scaling';

const CLIENT_MODULE = '@aws-sdk/client-application-auto-scaling';

type ScalingSdk = { readonly ApplicationAutoScalingClient: new (config: object) => { send(command: unknown): Promise<unknown> } } & {
  readonly [O in AasOperation as `${O}Command`]: new (input: unknown) => unknown;
};

export function runtimeAasSend(): AasSend {
  let client: InstanceType<ScalingSdk['ApplicationAutoScalingClient']> | undefined;
  let sdk: ScalingSdk | undefined;
  return (async (operation, input) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdk ??= require(CLIENT_MODULE) as ScalingSdk;
    client ??= new sdk.ApplicationAutoScalingClient({});
    return client.send(new sdk[`${operation as AasOperation}Command`](input));
  }) as AasSend;
}
