// CloudFormation custom resources owned by the release control plane. Every event with a
// ResponseURL is answered, malformed or not, and before the function's time runs out.
//
// An operation that waits for ECS (a slot service draining after DeleteService, a deployment an
// update started) polls within one invocation; when the invocation's time is nearly up, the
// function invokes itself asynchronously with the same event plus where the wait stands
// (WAIT_KEY), and the next invocation answers once the wait is over. A wait ends, answered
// FAILED, after `maxWaitMs`: within CloudFormation's custom resource timeout (ServiceTimeout,
// one hour by default), before which the ResponseURL must be answered.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { errorSummary } from '../core/errors';
import {
  CustomResourceEvent,
  DEFAULT_SECURITY_GROUP_RESOURCE_TYPE,
  InvocationContext,
  ROUTES_RESOURCE_TYPE,
  SLOT_SERVICE_RESOURCE_TYPE,
  WAIT_KEY,
  customResourceReplyTarget,
  parseCustomResourceEvent,
} from '../core/events';
import { ControlPlaneClients } from '../adapters/clients';
import { CustomResourceResponse, ResponseSender, httpsResponseSender } from '../adapters/cfn-response';
import { LogSink, createLogger } from '../adapters/log';
import { sentence } from '../adapters/job';
import { defaultSecurityGroupResource } from './default-security-group';
import { NOT_CREATED_PREFIX, routesResource } from './routes';
import { Step, slotServiceResource } from './slot-service';
import { SLOT_SCALING_RESOURCE_TYPE, slotScalingResource } from './slot-scaling';
import { AasSend } from '../adapters/scaling';
import { aasSend } from '../adapters/scaling-client';

/** The Lambda context fields the hand-over needs. */
export interface InfraOwnerContext extends InvocationContext {
  readonly invokedFunctionArn?: string;
}

/** Hands the event (with the wait's state under WAIT_KEY) to a new invocation of this function. */
export type ContinueLater = (event: Record<string, unknown>, context: InfraOwnerContext | undefined) => Promise<void>;

export interface InfraOwnerDeps {
  readonly clients: Pick<ControlPlaneClients, 'elbv2' | 'ecs' | 'ecr'> & { readonly ec2: EC2Client };
  readonly send: ResponseSender;
  /** Application Auto Scaling, for Custom::BlueGreenSlotScaling. */
  readonly aas: AasSend;
  /** Time kept back to answer CloudFormation (or hand the wait on) before Lambda stops the function. */
  readonly answerMarginMs: number;
  /** Between two looks at a slot service that is draining or deploying. */
  readonly pollIntervalMs: number;
  /** How long a wait may last across invocations before the operation is answered FAILED. */
  readonly maxWaitMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly continueLater: ContinueLater;
  readonly logSink?: LogSink;
}

// Created once per container, only the clients this function uses.
const clients = { elbv2: new ElasticLoadBalancingV2Client({}), ecs: new ECSClient({}), ecr: new ECRClient({}), ec2: new EC2Client({}) };
const lambda = new LambdaClient({});

/** Used when the context does not say (tests, local runs). */
const DEFAULT_BUDGET_MS = 14 * 60 * 1000;

const invokeSelf: ContinueLater = async (event, context) => {
  if (!context?.invokedFunctionArn) throw new Error('the invocation context names no function to hand the wait on to');
  await lambda.send(new InvokeCommand({ FunctionName: context.invokedFunctionArn, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(event)) }));
};

export function createInfraOwnerHandler(overrides: Partial<InfraOwnerDeps> = {}) {
  const deps: InfraOwnerDeps = {
    clients,
    aas: aasSend(),
    send: httpsResponseSender,
    answerMarginMs: 10_000,
    pollIntervalMs: 10_000,
    maxWaitMs: 50 * 60 * 1000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    continueLater: invokeSelf,
    ...overrides,
  };
  return async (event: unknown, context?: InfraOwnerContext): Promise<void> => {
    const target = customResourceReplyTarget(event);
    const log = createLogger(
      { operation: 'infra-owner', executionId: target?.requestId ?? null, jobId: null, logicalResourceId: target?.logicalResourceId ?? null },
      deps.logSink,
    );
    if (target === undefined) {
      log.error('The event has no https ResponseURL: there is nothing to answer.');
      return;
    }
    const remaining = () => Math.max(0, (context?.getRemainingTimeInMillis?.() ?? DEFAULT_BUDGET_MS) - deps.answerMarginMs);
    let parsed: CustomResourceEvent | undefined;
    let response: CustomResourceResponse;
    try {
      parsed = parseCustomResourceEvent(event);
      const startedAt = parsed.wait?.startedAt ?? deps.now();
      let state = parsed.wait?.state;
      for (;;) {
        const step: Step = await withinBudget(handle(parsed, deps, state), remaining());
        if (step.kind === 'done') {
          if (step.result.note) log.warn(step.result.note);
          response = { ...base(target), Status: 'SUCCESS', Reason: step.result.note ?? 'OK', PhysicalResourceId: step.result.physicalResourceId, Data: { ...step.result.data } };
          break;
        }
        const waited = deps.now() - startedAt;
        if (waited > deps.maxWaitMs) throw new Error(`${step.reason}, still after ${Math.round(waited / 60_000)} min`);
        state = step.state;
        if (remaining() < 2 * deps.pollIntervalMs) {
          // `event` is the CloudFormation event as received; the next invocation answers it.
          await deps.continueLater({ ...(event as Record<string, unknown>), [WAIT_KEY]: { startedAt, state } }, context);
          log.info('waiting on in the next invocation', { reason: step.reason, state });
          return;
        }
        log.info('waiting', { reason: step.reason });
        await deps.sleep(deps.pollIntervalMs);
      }
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

async function handle(event: CustomResourceEvent, deps: InfraOwnerDeps, state: Record<string, unknown> | undefined): Promise<Step> {
  switch (event.resourceType) {
    case ROUTES_RESOURCE_TYPE:
      return { kind: 'done', result: await routesResource(deps.clients, event) };
    case SLOT_SERVICE_RESOURCE_TYPE:
      return slotServiceResource(deps.clients, event, state);
    case DEFAULT_SECURITY_GROUP_RESOURCE_TYPE:
      return { kind: 'done', result: await defaultSecurityGroupResource(deps.clients.ec2, event) };
    case SLOT_SCALING_RESOURCE_TYPE:
      return { kind: 'done', result: await slotScalingResource(deps.clients, deps.aas, event) };
    default:
      throw new Error(
        `unknown resource type ${event.resourceType} (expected ${ROUTES_RESOURCE_TYPE}, ${SLOT_SERVICE_RESOURCE_TYPE}, ${DEFAULT_SECURITY_GROUP_RESOURCE_TYPE} or ${SLOT_SCALING_RESOURCE_TYPE})`,
      );
  }
}

function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the operation did not finish within ${Math.round(budgetMs / 1000)} s, the time left to answer`)), budgetMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
