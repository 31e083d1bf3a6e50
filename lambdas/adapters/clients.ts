// The SDK clients the control plane uses. Type-only imports here: each handler creates, once per
// Lambda container, just the clients it needs, so its bundle carries no other SDK package.
// aws-sdk-client-mock patches the client prototypes, so tests mock them without injection.
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';

/** Functions take the subset they need (Clients<'ecs' | 'elbv2'>), so the CLI can pass its own. */
export interface ControlPlaneClients {
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
  readonly ssm: SSMClient;
  readonly codepipeline: CodePipelineClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
  readonly sns: SNSClient;
}

export type Clients<K extends keyof ControlPlaneClients> = Pick<ControlPlaneClients, K>;

/** The SDK error name (e.g. 'ParameterNotFound'), or undefined. */
export function errorName(err: unknown): string | undefined {
  return err !== null && typeof err === 'object' && typeof (err as { name?: unknown }).name === 'string' ? (err as { name: string }).name : undefined;
}
