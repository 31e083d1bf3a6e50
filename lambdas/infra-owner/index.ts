// CloudFormation custom resources owned by the release control plane. Every event with a
// ResponseURL is answered, malformed or not, and before the function's time runs out.
import { errorSummary } from '../core/errors';
import {
  CustomResourceEvent,
  InvocationContext,
  ROUTES_RESOURCE_TYPE,
  SLOT_SERVICE_RESOURCE_TYPE,
  customResourceReplyTarget,
  parseCustomResourceEvent,
} from '../core/events';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ControlPlaneClients } from '../adapters/clients';
import { CustomResourceResponse, ResponseSender, httpsResponseSender } from '../adapters/cfn-response';
import { LogSink, createLogger } from '../adapters/log';
import { sentence } from '../adapters/job';
import { NOT_CREATED_PREFIX, ResourceResult, routesResource } from './routes';
import { slotServiceResource } from './slot-service';

export interface InfraOwnerDeps {
  readonly clients: Pick<ControlPlaneClients, 'elbv2' | 'ecs'>;
  readonly send: ResponseSender;
  /** Time kept back to answer CloudFormation before Lambda stops the function. */
  readonly answerMarginMs: number;
  readonly logSink?: LogSink;
}

// Created once per container, only the clients this function uses.
const clients = { elbv2: new ElasticLoadBalancingV2Client({}), ecs: new ECSClient({}) };

/** Used when the context does not say (tests, local runs). */
const DEFAULT_BUDGET_MS = 14 * 60 * 1000;

export function createInfraOwnerHandler(overrides: Partial<InfraOwnerDeps> = {}) {
  const deps: InfraOwnerDeps = { clients, send: httpsResponseSender, answerMarginMs: 10_000, ...overrides };
  return async (event: unknown, context?: InvocationContext): Promise<void> => {
    const target = customResourceReplyTarget(event);
    const log = createLogger(
      { operation: 'infra-owner', executionId: target?.requestId ?? null, jobId: null, logicalResourceId: target?.logicalResourceId ?? null },
      deps.logSink,
    );
    if (target === undefined) {
      log.error('The event has no https ResponseURL: there is nothing to answer.');
      return;
    }
    const budget = Math.max(0, (context?.getRemainingTimeInMillis?.() ?? DEFAULT_BUDGET_MS) - deps.answerMarginMs);
    let parsed: CustomResourceEvent | undefined;
    let response: CustomResourceResponse;
    try {
      parsed = parseCustomResourceEvent(event);
      const done = await withinBudget(handle(parsed, deps), budget);
      response = { ...base(target), Status: 'SUCCESS', Reason: 'OK', PhysicalResourceId: done.physicalResourceId, Data: { ...done.data } };
    } catch (err) {
      const reason = sentence(`${parsed?.resourceType ?? 'Custom resource'} ${parsed?.requestType ?? 'request'} failed: ${err instanceof Error ? err.message : String(err)}`);
      log.error(reason, { error: errorSummary(err) });
      response = { ...base(target), Status: 'FAILED', Reason: reason, PhysicalResourceId: target.physicalResourceId ?? `${NOT_CREATED_PREFIX}${target.requestId || 'unknown'}` };
    }
    try {
      await deps.send(target.responseUrl, response);
      log.info('answered CloudFormation', { status: response.Status, physicalResourceId: response.PhysicalResourceId });
    } catch (err) {
      log.error('could not answer CloudFormation', { error: errorSummary(err) });
      throw err;
    }
  };
}

export const handler = createInfraOwnerHandler();

function base(target: NonNullable<ReturnType<typeof customResourceReplyTarget>>) {
  return { StackId: target.stackId, RequestId: target.requestId, LogicalResourceId: target.logicalResourceId };
}

async function handle(event: CustomResourceEvent, deps: InfraOwnerDeps): Promise<ResourceResult> {
  switch (event.resourceType) {
    case ROUTES_RESOURCE_TYPE:
      return routesResource(deps.clients, event);
    case SLOT_SERVICE_RESOURCE_TYPE:
      return slotServiceResource(deps.clients, event);
    default:
      throw new Error(`unknown resource type ${event.resourceType} (expected ${ROUTES_RESOURCE_TYPE} or ${SLOT_SERVICE_RESOURCE_TYPE})`);
  }
}

function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the operation did not finish within ${Math.round(budgetMs / 1000)} s, the time left to answer`)), budgetMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
