import { S3Client } from '@aws-sdk/client-s3';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
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
  readonly s3: S3Client;
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
export async function createClients(options: AwsOptions, env: NodeJS.ProcessEnv = process.env): Promise<AwsClients> {
  checkProfile(options.profile ?? env.AWS_PROFILE, options.profile !== undefined ? '--profile' : 'AWS_PROFILE', env);
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
  if (!REGION_NAME.test(region)) {
    const from = options.region !== undefined ? '--region' : 'the region from AWS_REGION or your profile,';
    throw new CliError(`${from} ${JSON.stringify(region)} is not an AWS region name (like us-east-1, eu-west-2 or ap-southeast-1)`, 'bad-region', EXIT_USAGE);
  }
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
    s3: new S3Client(config),
  };
}

/** Region codes: `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1` (AWS General Reference, "Regions and endpoints"). */
const REGION_NAME = /^[a-z]{2,4}(-[a-z]+){1,2}-\d{1,2}$/;

/**
 * The profile names of the shared config and credentials files (AWS CLI User Guide,
 * "Configuration and credential file settings"): `[default]` and `[profile NAME]` in config,
 * `[NAME]` in credentials. Missing files have none.
 */
export function sharedProfiles(env: NodeJS.ProcessEnv): { names: string[]; files: string[] } {
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  const config = env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config');
  const credentials = env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials');
  const names = new Set<string>();
  const sections = (file: string) => {
    try {
      return [...readFileSync(file, 'utf8').matchAll(/^\s*\[\s*([^\]]+?)\s*\]\s*$/gm)].map((m) => m[1]);
    } catch {
      return [];
    }
  };
  for (const section of sections(config)) {
    if (section === 'default') names.add('default');
    else if (section.startsWith('profile ')) names.add(section.slice('profile '.length).trim());
  }
  for (const section of sections(credentials)) names.add(section);
  return { names: [...names].sort(), files: [config, credentials] };
}

/** A named profile that is in neither file is a typo, not "no credentials": say so before the SDK does. */
function checkProfile(profile: string | undefined, source: string, env: NodeJS.ProcessEnv): void {
  if (profile === undefined || profile === '') return;
  const { names, files } = sharedProfiles(env);
  if (names.includes(profile)) return;
  const known = names.length === 0 ? 'there are no profiles there' : `profiles there: ${names.join(', ')}`;
  throw new CliError(`${source} ${JSON.stringify(profile)} is not a profile in ${files.join(' or ')} (${known})`, 'unknown-profile', EXIT_USAGE);
}
