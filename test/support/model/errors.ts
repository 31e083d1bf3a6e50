// SDK-shaped errors: instances of the client package's own exception classes where one is
// modelled (so `instanceof ParameterNotFound` works in handlers), otherwise the package's
// `<Service>ServiceException` base with the right `name`, `$fault` and `$metadata`.
import * as cloudformation from '@aws-sdk/client-cloudformation';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as codepipeline from '@aws-sdk/client-codepipeline';
import * as ec2 from '@aws-sdk/client-ec2';
import * as ecr from '@aws-sdk/client-ecr';
import * as ecs from '@aws-sdk/client-ecs';
import * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as lambda from '@aws-sdk/client-lambda';
import * as tagging from '@aws-sdk/client-resource-groups-tagging-api';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';
import * as sts from '@aws-sdk/client-sts';

export type ServiceKey =
  | 'ecs'
  | 'elbv2'
  | 'ecr'
  | 'ssm'
  | 'tagging'
  | 'sns'
  | 'codepipeline'
  | 'lambda'
  | 'cloudformation'
  | 'sts'
  | 'ec2';

interface ServiceSdk {
  readonly module: Record<string, unknown>;
  readonly client: new (config: object) => { send: (command: never) => Promise<unknown> };
  readonly base: new (options: object) => Error;
}

export const SDK: Record<ServiceKey, ServiceSdk> = {
  ecs: { module: ecs, client: ecs.ECSClient, base: ecs.ECSServiceException },
  elbv2: {
    module: elbv2,
    client: elbv2.ElasticLoadBalancingV2Client,
    base: elbv2.ElasticLoadBalancingV2ServiceException,
  },
  ecr: { module: ecr, client: ecr.ECRClient, base: ecr.ECRServiceException },
  ssm: { module: ssm, client: ssm.SSMClient, base: ssm.SSMServiceException },
  tagging: {
    module: tagging,
    client: tagging.ResourceGroupsTaggingAPIClient,
    base: tagging.ResourceGroupsTaggingAPIServiceException,
  },
  sns: { module: sns, client: sns.SNSClient, base: sns.SNSServiceException },
  codepipeline: {
    module: codepipeline,
    client: codepipeline.CodePipelineClient,
    base: codepipeline.CodePipelineServiceException,
  },
  lambda: { module: lambda, client: lambda.LambdaClient, base: lambda.LambdaServiceException },
  cloudformation: {
    module: cloudformation,
    client: cloudformation.CloudFormationClient,
    base: cloudformation.CloudFormationServiceException,
  },
  sts: { module: sts, client: sts.STSClient, base: sts.STSServiceException },
  ec2: { module: ec2, client: ec2.EC2Client, base: ec2.EC2ServiceException },
} as unknown as Record<ServiceKey, ServiceSdk>;

let requestSeq = 0;

export function metadata(httpStatusCode: number): {
  httpStatusCode: number;
  requestId: string;
  attempts: number;
  totalRetryDelay: number;
} {
  requestSeq += 1;
  const id = requestSeq.toString(16).padStart(12, '0');
  return { httpStatusCode, requestId: `00000000-0000-4000-8000-${id}`, attempts: 1, totalRetryDelay: 0 };
}

/**
 * Services whose errors are shaped here but whose clients `install()` leaves alone: CloudWatch is
 * served by the bake world (`serveAlarms`), with faults injected like any other call.
 */
const ERRORS_ONLY: Record<string, Pick<ServiceSdk, 'module' | 'base'>> = {
  cloudwatch: { module: cloudwatch as unknown as Record<string, unknown>, base: cloudwatch.CloudWatchServiceException as unknown as ServiceSdk['base'] },
};

/**
 * An error as the SDK would throw it for `name` from `service`. Client faults default to 400,
 * server faults to 500.
 */
export function awsError(
  service: ServiceKey,
  name: string,
  message: string,
  opts: { status?: number; fault?: 'client' | 'server'; retryable?: { throttling: boolean } } = {},
): Error {
  const fault = opts.fault ?? ((opts.status ?? 400) >= 500 ? 'server' : 'client');
  const status = opts.status ?? (fault === 'server' ? 500 : 400);
  const $metadata = metadata(status);
  const sdk = (SDK[service] ?? ERRORS_ONLY[service]) as Pick<ServiceSdk, 'module' | 'base'> | undefined;
  const modelled = sdk?.module[name];
  let err: Error & Record<string, unknown>;
  if (sdk === undefined) {
    // A service added with `world.extend` whose client package has no place here: the SDK's error
    // shape without its class.
    err = Object.assign(new Error(message), { name, $fault: fault, $metadata }) as unknown as Error & Record<string, unknown>;
  } else if (typeof modelled === 'function' && modelled.prototype instanceof sdk.base) {
    const Ctor = modelled as new (options: object) => Error & Record<string, unknown>;
    err = new Ctor({ message, $metadata });
    // Modelled classes fix their own `$fault`; keep it unless the caller insists.
    if (opts.fault) err.$fault = fault;
  } else {
    err = new sdk.base({ name, $fault: fault, $metadata, message }) as Error & Record<string, unknown>;
  }
  err.$metadata = $metadata;
  if (opts.retryable) err.$retryable = opts.retryable;
  // awsJson / awsQuery protocols also expose the wire message and code like this.
  err.Message = message;
  err.Code = name;
  return err;
}

export type FaultKind = 'throttle' | 'unavailable' | 'internal';

/** The transient errors a fault injection throws: throttling (400) and 5xx. */
export function faultError(service: ServiceKey, kind: FaultKind): Error {
  switch (kind) {
    case 'throttle':
      return awsError(service, 'ThrottlingException', 'Rate exceeded', {
        status: 400,
        fault: 'client',
        retryable: { throttling: true },
      });
    case 'unavailable':
      return awsError(service, 'ServiceUnavailable', 'Service is unavailable. Please try again later.', {
        status: 503,
        fault: 'server',
      });
    case 'internal':
      return awsError(service, 'InternalFailure', 'The request processing has failed because of an unknown error.', {
        status: 500,
        fault: 'server',
      });
  }
}
