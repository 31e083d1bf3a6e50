// aws-sdk-client-mock set-up for handler tests: every client the handlers use, and helpers that
// answer the reads for a given routes / slots / state picture.
import {
  CodePipelineClient, GetPipelineExecutionCommand, ListActionExecutionsCommand, PutJobFailureResultCommand, PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { BatchGetImageCommand, DescribeRepositoriesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ResourceGroupsTaggingAPIClient, TagResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteParameterCommand, DescribeParametersCommand, GetParameterCommand, GetParametersByPathCommand, ParameterNotFound, PutParameterCommand, SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ReleaseConfig, SlotName } from '../../../lambdas/core/config';
import { SlotObservation } from '../../../lambdas/core/ports';
import { StateRecord } from '../../../lambdas/core/state';
import { config, tg } from '../core/fixtures';

export const aws = {
  elbv2: mockClient(ElasticLoadBalancingV2Client),
  ecs: mockClient(ECSClient),
  ecr: mockClient(ECRClient),
  ssm: mockClient(SSMClient),
  tagging: mockClient(ResourceGroupsTaggingAPIClient),
  codepipeline: mockClient(CodePipelineClient),
  sns: mockClient(SNSClient),
};

export function resetAws(cfg: ReleaseConfig = config): void {
  for (const m of Object.values(aws)) m.reset();
  process.env.BLUEGREEN_CONFIG = JSON.stringify(cfg);
  aws.codepipeline.on(PutJobSuccessResultCommand).resolves({});
  aws.codepipeline.on(PutJobFailureResultCommand).resolves({});
  aws.elbv2.on(ModifyRuleCommand).resolves({});
  aws.tagging.on(TagResourcesCommand).resolves({});
  aws.ssm.on(PutParameterCommand).resolves({});
  aws.ecr.on(PutImageCommand).resolves({});
  // As the construct creates the repository: release tags immutable, the slot tags excluded.
  aws.ecr.on(DescribeRepositoriesCommand).resolves({
    repositories: [{ repositoryName: cfg.repositoryName, imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'slot-*' }] }],
  });
  aws.sns.on(PublishCommand).resolves({});
  aws.codepipeline.on(ListActionExecutionsCommand).resolves({ actionExecutionDetails: [] });
  // The release lease: free, every write wins; every execution asked about is running.
  aws.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  aws.ssm.on(DeleteParameterCommand).resolves({});
  aws.ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: cfg.stateParameterName, Type: 'SecureString', KeyId: cfg.stateKeyArn }] });
  aws.codepipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'InProgress' } });
}

/** The release lease as DeployGreen of `executionId` left it: held by that execution. */
export function givenLeaseHeldBy(executionId: string, generation = 1): void {
  const lease = { schema: 1, generation, release: { executionId, since: '2026-01-01T00:00:00.000Z' }, operation: null, writer: 'deploy', at: '2026-01-01T00:00:00.000Z' };
  aws.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [{ Name: `${config.leaseParameterPath}/${String(generation).padStart(10, '0')}`, Value: JSON.stringify(lease) }] });
}

/** CodePipeline's record of `executionId`: its approval succeeded and its Swap made `digest` live. */
export function givenReleaseRecord(executionId: string, digest: string): void {
  const approval = { category: 'Approval' as const, owner: 'AWS' as const, provider: 'Manual', version: '1' };
  const invoke = { category: 'Invoke' as const, owner: 'AWS' as const, provider: 'Lambda', version: '1' };
  aws.codepipeline.on(ListActionExecutionsCommand, { filter: { pipelineExecutionId: executionId } }).resolves({
    actionExecutionDetails: [
      { actionName: 'Approve', status: 'Succeeded', updatedBy: 'arn:aws:iam::123456789012:user/alice', input: { actionTypeId: approval } },
      { actionName: 'Swap', status: 'Succeeded', input: { actionTypeId: invoke }, output: { outputVariables: { LIVE_DIGEST: digest } } },
    ],
  });
}

/** The state record's writes (not the lease's), newest last. */
export function stateWrites(cfg: ReleaseConfig = config): string[] {
  return aws.ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input).filter((i) => i.Name === cfg.stateParameterName).map((i) => i.Value!);
}

/** The execution id jobEvent's pipeline context carries unless told otherwise. */
export const EXECUTION_ID = 'exec-2';

export function rulesOutput(production: SlotName, test: SlotName) {
  return {
    Rules: [
      { RuleArn: config.productionRuleArn, Actions: [{ Type: 'forward' as const, TargetGroupArn: tg(production) }] },
      { RuleArn: config.testRuleArn, Actions: [{ Type: 'forward' as const, TargetGroupArn: tg(test) }] },
    ],
  };
}

export function givenRoutes(production: SlotName, test: SlotName): void {
  aws.elbv2.on(DescribeRulesCommand).resolves(rulesOutput(production, test));
}

const toSdkService = (o: SlotObservation) =>
  o.service && { ...o.service, deployments: o.service.deployments.map((d) => ({ ...d, rolloutState: d.rolloutState ?? undefined, rolloutStateReason: d.rolloutStateReason ?? undefined })) };

/** Answers DescribeServices / ListTasks / DescribeTasks / DescribeTargetHealth for each slot given. */
export function givenSlots(...slots: SlotObservation[]): void {
  const services = slots.map(toSdkService).filter((s) => s !== null);
  aws.ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: services.filter((s) => input.services.includes(s!.serviceArn)),
  }));
  for (const o of slots) {
    const name = config.slots[o.slot].serviceArn.split('/').pop();
    aws.ecs.on(ListTasksCommand, { serviceName: name }).resolves({ taskArns: o.tasks.map((t) => t.taskArn + o.slot) });
    aws.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: tg(o.slot) }).resolves({
      TargetHealthDescriptions: o.targets.map((t) => ({ Target: { Id: t.id, Port: t.port ?? undefined }, TargetHealth: { State: t.state as 'healthy' } })),
    });
  }
  // Each slot's tag names the digest its tasks run (the slot-tag rule).
  for (const o of slots) {
    const digest = o.tasks[0]?.containers[0]?.imageDigest;
    const tag = config.slots[o.slot].imageTag;
    aws.ecr.on(BatchGetImageCommand, { imageIds: [{ imageTag: tag }] }).resolves(digest ? { images: [{ imageId: { imageDigest: digest, imageTag: tag }, imageManifest: '{}' }] } : { images: [] });
  }
  aws.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: slots.flatMap((o) => o.tasks.filter((t) => input.tasks.includes(t.taskArn + o.slot)).map((t) => ({ ...t, containers: t.containers.map((c) => ({ ...c, imageDigest: c.imageDigest ?? undefined, image: c.image ?? undefined })) }))),
  }));
}

export function givenState(record: StateRecord | null): void {
  if (record === null) aws.ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'none', $metadata: {} }));
  else aws.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(record) } });
}

export function jobEvent(userParameters: unknown, extra: Record<string, unknown> = {}) {
  return {
    'CodePipeline.job': {
      id: 'job-1',
      accountId: '123456789012',
      data: {
        actionConfiguration: { configuration: { FunctionName: 'f', UserParameters: typeof userParameters === 'string' ? userParameters : JSON.stringify(userParameters) } },
        pipelineContext: { pipelineName: 'shop', pipelineExecutionId: EXECUTION_ID },
        ...extra,
      },
    },
  };
}

export function jobResults() {
  return {
    successes: aws.codepipeline.commandCalls(PutJobSuccessResultCommand).map((c) => c.args[0].input),
    failures: aws.codepipeline.commandCalls(PutJobFailureResultCommand).map((c) => c.args[0].input),
  };
}

/** Every SDK call made, as command names in order per client, and the total. */
export function callCounts(): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const m of Object.values(aws)) {
    for (const call of m.calls()) {
      const name = (call.args[0] as object).constructor.name;
      byCommand[name] = (byCommand[name] ?? 0) + 1;
      total++;
    }
  }
  return { total, byCommand };
}

/** Captures structured log lines. */
export function logCapture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, sink: (line: string) => lines.push(JSON.parse(line)) };
}
