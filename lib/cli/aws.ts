import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { CliError, EXIT_USAGE, errorMessage, explainAwsError, firstLine } from './errors';

/** The SDK clients one CLI run uses, all for the same region and profile. */
export interface AwsClients {
  readonly region: string;
  readonly ssm: SSMClient;
  readonly codepipeline: CodePipelineClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ecs: ECSClient;
  readonly lambda: LambdaClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
  readonly sts: STSClient;
}

export interface AwsOptions {
  /** @default - the SDK's default chain (AWS_REGION, then the profile's region) */
  readonly region?: string;
  /** @default - the SDK's default credential chain */
  readonly profile?: string;
}

/**
 * Resolves the region up front (the SDK would only find it missing at the first call, with a
 * message people do not recognise), then builds every client with it.
 */
export async function createClients(options: AwsOptions): Promise<AwsClients> {
  const base = { ...(options.profile ? { profile: options.profile } : {}) };
  const probe = new SSMClient({ ...base, ...(options.region ? { region: options.region } : {}) });
  let region: string;
  try {
    region = await probe.config.region();
  } catch (err) {
    if (options.region) throw new CliError(`invalid region ${JSON.stringify(options.region)} (${firstLine(errorMessage(err))})`, 'bad-region', EXIT_USAGE);
    throw explainAwsError(err) ?? new CliError('no AWS region (use --region or set AWS_REGION)', 'no-region');
  }
  if (!region) throw new CliError('no AWS region (use --region or set AWS_REGION)', 'no-region');
  const config = { ...base, region };
  return {
    region,
    ssm: new SSMClient(config),
    codepipeline: new CodePipelineClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    ecs: new ECSClient(config),
    lambda: new LambdaClient(config),
    tagging: new ResourceGroupsTaggingAPIClient(config),
    sts: new STSClient(config),
  };
}
