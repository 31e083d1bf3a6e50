// Typed parsers for everything the handlers receive. Unknown input is an InputError with a clear
// message, never a crash deeper in the handler.
import { FieldProblems, InputError, SlotName, at, describe, isRecord, isSlotName } from './config';
import { DIGEST_PATTERN } from './state';

// ---------------------------------------------------------------- CodePipeline job

export interface PipelineJob {
  readonly id: string;
  readonly userParameters: string | undefined;
  readonly continuationToken: string | undefined;
  /** data.pipelineContext.pipelineExecutionId when the event carries it. */
  readonly pipelineExecutionId: string | undefined;
  readonly pipelineName: string | undefined;
}

export const JOB_KEY = 'CodePipeline.job';

export function isPipelineJobEvent(event: unknown): boolean {
  return isRecord(event) && JOB_KEY in event;
}

/** The job id alone, when present, so even a malformed job can be answered. */
export function jobIdOf(event: unknown): string | undefined {
  const job = isRecord(event) ? event[JOB_KEY] : undefined;
  const id = isRecord(job) ? job.id : undefined;
  return typeof id === 'string' && id.trim() !== '' ? id : undefined;
}

export function parsePipelineJob(event: unknown): PipelineJob {
  const id = jobIdOf(event);
  if (id === undefined) throw new InputError(`The event is not a CodePipeline job: "${JOB_KEY}".id is missing.`);
  const job = (event as Record<string, unknown>)[JOB_KEY] as Record<string, unknown>;
  if (!isRecord(job.data)) throw new InputError(`CodePipeline job ${id} has no data.`);
  const str = (path: string): string | undefined => {
    const v = at(job.data, path);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  return {
    id,
    userParameters: str('actionConfiguration.configuration.UserParameters'),
    continuationToken: str('continuationToken'),
    pipelineExecutionId: str('pipelineContext.pipelineExecutionId'),
    pipelineName: str('pipelineContext.pipelineName'),
  };
}

export function parseJsonObject(raw: string | undefined, what: string): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') throw new InputError(`${what} are missing.`);
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new InputError(`${what} are not valid JSON: ${(err as Error).message}.`);
  }
  if (!isRecord(doc)) throw new InputError(`${what} must be a JSON object (got ${describe(doc)}).`);
  return doc;
}

const DIGEST_HINT = 'a sha256 digest (sha256:<64 hex>); an unresolved #{…} variable means the previous stage did not export it';

// ---------------------------------------------------------------- DeployGreen

export interface DeployGreenParameters {
  readonly imageUri: string;
  readonly imageDigest: string;
  readonly commit: string;
}

export function parseDeployGreenParameters(raw: string | undefined): DeployGreenParameters {
  const doc = parseJsonObject(raw, 'DeployGreen UserParameters');
  const p = new FieldProblems(doc);
  const params = {
    imageUri: p.string('imageUri', /^[^\s#]+$/, 'an image URI'),
    imageDigest: p.string('imageDigest', DIGEST_PATTERN, DIGEST_HINT),
    commit: p.string('commit', /^[^\s#]+$/, 'a commit id'),
  };
  if (p.ok && params.imageUri.includes('@') && !params.imageUri.endsWith(`@${params.imageDigest}`)) {
    p.add(`imageUri ${params.imageUri} does not reference imageDigest ${params.imageDigest}`);
  }
  p.throwIfAny('DeployGreen UserParameters');
  return params;
}

/**
 * State DeployGreen carries between its invocations (CodePipeline continuation token): waiting for
 * the release lease, or rolling the idle slot.
 */
export type DeployToken = DeployLeaseToken | DeployRollToken;

export interface DeployLeaseToken {
  readonly phase: 'lease';
  readonly digest: string;
  readonly commit: string;
  readonly startedAt: string;
  readonly deadline: string;
}

export interface DeployRollToken {
  readonly phase: 'rolling';
  readonly slot: SlotName;
  readonly digest: string;
  readonly commit: string;
  readonly startedAt: string;
  readonly deadline: string;
  readonly deploymentId: string | null;
  /** What the slot ran before (its tag goes back there if the release fails); null: nothing. */
  readonly previousDigest: string | null;
  /** The slot's desired count before the release, restored with it. */
  readonly previousDesiredCount: number;
}

export function serialiseDeployToken(token: DeployToken): string {
  return JSON.stringify(token);
}

export function parseDeployToken(raw: string): DeployToken {
  const doc = parseJsonObject(raw, 'The DeployGreen continuation token fields');
  const p = new FieldProblems(doc);
  const common = {
    digest: p.string('digest', DIGEST_PATTERN, 'a sha256 digest'),
    commit: p.string('commit'),
    startedAt: p.string('startedAt'),
    deadline: p.string('deadline'),
  };
  if (p.ok && Number.isNaN(Date.parse(common.deadline))) p.add(`deadline must be an ISO-8601 time (got ${describe(common.deadline)})`);
  let token: DeployToken;
  if (doc.phase === 'lease') {
    token = { phase: 'lease', ...common };
  } else {
    if (doc.phase !== 'rolling') p.add(`phase must be "lease" or "rolling" (got ${describe(doc.phase)})`);
    if (!isSlotName(doc.slot)) p.add(`slot must be "a" or "b" (got ${describe(doc.slot)})`);
    const previous = doc.previousDigest;
    if (previous !== null && (typeof previous !== 'string' || !DIGEST_PATTERN.test(previous))) p.add('previousDigest must be a sha256 digest or null');
    token = {
      phase: 'rolling',
      slot: isSlotName(doc.slot) ? doc.slot : 'a',
      ...common,
      deploymentId: typeof doc.deploymentId === 'string' ? doc.deploymentId : null,
      previousDigest: typeof previous === 'string' ? previous : null,
      previousDesiredCount: p.integer('previousDesiredCount', 0, 10000),
    };
  }
  p.throwIfAny('The DeployGreen continuation token');
  return token;
}

// ---------------------------------------------------------------- Swap

export interface SwapParameters {
  readonly greenSlot: SlotName;
  readonly imageDigest: string;
  readonly commit: string | null;
  readonly executionId: string;
}

export function parseSwapParameters(raw: string | undefined, fallbackExecutionId?: string): SwapParameters {
  const doc = parseJsonObject(raw, 'Swap UserParameters');
  const p = new FieldProblems(doc);
  if (!isSlotName(doc.greenSlot)) p.add(`greenSlot must be "a" or "b" (got ${describe(doc.greenSlot)})`);
  const imageDigest = p.string('imageDigest', DIGEST_PATTERN, DIGEST_HINT);
  const commit = typeof doc.commit === 'string' && doc.commit !== '' && !doc.commit.includes('#{') ? doc.commit : null;
  let executionId = typeof doc.executionId === 'string' && !doc.executionId.includes('#{') ? doc.executionId.trim() : '';
  if (executionId === '') executionId = fallbackExecutionId ?? '';
  if (executionId === '') p.add('executionId is missing and the job carries no pipelineContext.pipelineExecutionId');
  p.throwIfAny('Swap UserParameters');
  return { greenSlot: doc.greenSlot as SlotName, imageDigest, commit, executionId };
}

// ---------------------------------------------------------------- Rollback (direct invoke)

export interface RollbackRequest {
  readonly reason: string;
  readonly actor: string | null;
  readonly requestId: string;
  readonly expectedLiveSlot: SlotName | null;
  /** A bake's rollback: allowed only while this execution still holds the release lease. */
  readonly forRelease: string | null;
}

/** What an operator (or Bake, or a shift) asks the swap function directly. */
/** `retire` is the scheduled scale-down of the previous slot (core/retire.ts), never an operator's. */
export type OperatorAction = 'rollback' | 'promote' | 'abort' | 'retire';
const OPERATOR_ACTIONS: readonly OperatorAction[] = ['rollback', 'promote', 'abort', 'retire'];

export interface OperatorRequest extends RollbackRequest {
  readonly action: OperatorAction;
}

/**
 * Parses `{"action":"rollback"|"promote"|"abort","reason":"…","actor":"…","requestId":"…","expectedLiveSlot":"a"}`.
 * `fallbackRequestId` (the Lambda request id) keeps Lambda's own retries of one invoke idempotent.
 */
export function parseOperatorEvent(event: unknown, fallbackRequestId: string): OperatorRequest {
  if (!isRecord(event)) throw new InputError(`The event must be a JSON object (got ${describe(event)}).`);
  const p = new FieldProblems(event);
  if (!OPERATOR_ACTIONS.includes(event.action as OperatorAction)) p.add(`action must be one of ${OPERATOR_ACTIONS.map((a) => `"${a}"`).join(', ')} (got ${describe(event.action)})`);
  const reason = p.string('reason');
  const actor = p.optionalString('actor') ?? null;
  const requestId = p.optionalString('requestId', /^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-" (at most 128)') ?? fallbackRequestId;
  const expected = event.expectedLiveSlot;
  if (expected !== undefined && expected !== null && !isSlotName(expected)) {
    p.add(`expectedLiveSlot must be "a" or "b" (got ${describe(expected)})`);
  }
  const forRelease = p.optionalString('forRelease', /^[A-Za-z0-9._:-]{1,128}$/, 'a pipeline execution id') ?? null;
  if (event.action === 'retire') {
    // A schedule names the release whose previous slot it retires, and the slot that release made live.
    if (forRelease === null && event.forRelease === undefined) p.add('forRelease is required for "retire" (the release whose previous slot it scales down)');
    if (!isSlotName(expected)) p.add('expectedLiveSlot is required for "retire" (the slot that release made live)');
  }
  p.throwIfAny(`The ${OPERATOR_ACTIONS.includes(event.action as OperatorAction) ? String(event.action) : 'operator'} event`);
  return { action: event.action as OperatorAction, reason, actor, requestId, expectedLiveSlot: isSlotName(expected) ? expected : null, forRelease };
}

// ---------------------------------------------------------------- CloudFormation custom resources

export type CustomResourceRequestType = 'Create' | 'Update' | 'Delete';

export interface CustomResourceEvent {
  readonly requestType: CustomResourceRequestType;
  readonly responseUrl: string;
  readonly stackId: string;
  readonly requestId: string;
  readonly logicalResourceId: string;
  readonly resourceType: string;
  readonly physicalResourceId: string | undefined;
  readonly properties: Record<string, unknown>;
  readonly oldProperties: Record<string, unknown> | undefined;
  /** Set when the infra owner handed a wait on to its next invocation (see WAIT_KEY). */
  readonly wait: CustomResourceWait | undefined;
}

/**
 * A wait the infra owner carries from one invocation of itself to the next, under WAIT_KEY in
 * the CloudFormation event it re-sends: when the wait began and where the operation stands.
 */
export interface CustomResourceWait {
  readonly startedAt: number;
  readonly state: Record<string, unknown>;
}

export const WAIT_KEY = 'BlueGreenWait';

/** The fields needed to answer CloudFormation, read leniently so even a malformed event gets a reply. */
export interface CustomResourceReplyTarget {
  readonly responseUrl: string;
  readonly stackId: string;
  readonly requestId: string;
  readonly logicalResourceId: string;
  readonly physicalResourceId: string | undefined;
}

export function customResourceReplyTarget(event: unknown): CustomResourceReplyTarget | undefined {
  if (!isRecord(event) || typeof event.ResponseURL !== 'string' || !/^https:\/\//.test(event.ResponseURL)) return undefined;
  const s = (k: string): string => (typeof event[k] === 'string' ? (event[k] as string) : '');
  return {
    responseUrl: event.ResponseURL,
    stackId: s('StackId'),
    requestId: s('RequestId'),
    logicalResourceId: s('LogicalResourceId'),
    physicalResourceId: typeof event.PhysicalResourceId === 'string' && event.PhysicalResourceId !== '' ? event.PhysicalResourceId : undefined,
  };
}

export function parseCustomResourceEvent(event: unknown): CustomResourceEvent {
  if (!isRecord(event)) throw new InputError(`The custom resource event must be a JSON object (got ${describe(event)}).`);
  const p = new FieldProblems(event);
  const requestType = event.RequestType;
  if (requestType !== 'Create' && requestType !== 'Update' && requestType !== 'Delete') {
    p.add(`RequestType must be Create, Update or Delete (got ${describe(requestType)})`);
  }
  const parsed = {
    responseUrl: p.string('ResponseURL', /^https:\/\//, 'an https URL'),
    stackId: p.string('StackId'),
    requestId: p.string('RequestId'),
    logicalResourceId: p.string('LogicalResourceId'),
    resourceType: p.string('ResourceType'),
    physicalResourceId: requestType === 'Create' ? undefined : p.string('PhysicalResourceId'),
  };
  if (!isRecord(event.ResourceProperties)) p.add('ResourceProperties must be an object');
  if (requestType === 'Update' && !isRecord(event.OldResourceProperties)) p.add('OldResourceProperties must be an object on Update');
  const wait = event[WAIT_KEY];
  if (wait !== undefined && !(isRecord(wait) && typeof wait.startedAt === 'number' && Number.isFinite(wait.startedAt) && isRecord(wait.state))) {
    p.add(`${WAIT_KEY} must be {startedAt: <epoch ms>, state: {…}} (got ${describe(wait)})`);
  }
  p.throwIfAny('The custom resource event');
  return {
    ...parsed,
    requestType: requestType as CustomResourceRequestType,
    properties: event.ResourceProperties as Record<string, unknown>,
    oldProperties: isRecord(event.OldResourceProperties) ? event.OldResourceProperties : undefined,
    wait: isRecord(wait) ? (wait as unknown as CustomResourceWait) : undefined,
  };
}

export const ROUTES_RESOURCE_TYPE = 'Custom::BlueGreenRoutes';

/**
 * Tags on every rule Custom::BlueGreenRoutes makes: the stack (StackId), the resource
 * (LogicalResourceId), the route (production | test) and the generation (RequestId of the Create).
 * The infra owner's IAM policy scopes rule writes to the first two.
 */
export const ROUTE_RULE_TAG = {
  stack: 'bluegreen:stack',
  resource: 'bluegreen:resource',
  route: 'bluegreen:route',
  generation: 'bluegreen:generation',
} as const;
export const SLOT_SERVICE_RESOURCE_TYPE = 'Custom::BlueGreenSlotService';
export const DEFAULT_SECURITY_GROUP_RESOURCE_TYPE = 'Custom::BlueGreenDefaultSecurityGroup';

/**
 * The test route: a rule on the test listener (priority 1, every path), or, with a header, a rule
 * on the production listener at a higher priority than the production rule that forwards only
 * requests carrying the header (and, optionally, coming from the given CIDRs).
 */
export interface TestHeaderRoute {
  readonly name: string;
  /** The header value to match; `*` (any value) when none is given. */
  readonly value: string;
  /** Source CIDRs the request must come from; empty: any. */
  readonly sourceCidrs: readonly string[];
}

export interface RoutesProperties {
  readonly productionListenerArn: string;
  /** The test listener; null when the test route is a header rule on the production listener. */
  readonly testListenerArn: string | null;
  readonly testHeader: TestHeaderRoute | null;
  readonly slotATargetGroupArn: string;
  readonly slotBTargetGroupArn: string;
}

const LISTENER_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\//;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\//;
/** An HTTP header condition's name: 1-40 RFC 7230 token characters, not Host (API reference, HttpHeaderConditionConfig). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/;
/** A value of at most 128 printable characters (`*` and `?` are wildcards). */
const HEADER_VALUE = /^[\x20-\x7e]{1,128}$/;
const CIDR = /^(?:\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\/\d{1,3})$/;
/**
 * "Condition values per rule: 5" (Quotas for your Application Load Balancers): the header value
 * takes one, so at most four source CIDRs.
 */
export const MAX_TEST_SOURCE_CIDRS = 4;

export function parseRoutesProperties(props: Record<string, unknown>, what = 'Custom::BlueGreenRoutes properties'): RoutesProperties {
  const p = new FieldProblems(props);
  const productionListenerArn = p.string('ProductionListenerArn', LISTENER_ARN, 'a listener ARN');
  const headerName = props.TestHeaderName;
  let testHeader: TestHeaderRoute | null = null;
  let testListenerArn: string | null = null;
  if (headerName === undefined) {
    testListenerArn = p.string('TestListenerArn', LISTENER_ARN, 'a listener ARN');
  } else {
    if (props.TestListenerArn !== undefined) p.add('TestListenerArn and TestHeaderName exclude each other: the header route is on the production listener');
    const name = p.string('TestHeaderName', HEADER_NAME, '1-40 letters, digits or !#$%&\'*+.^_`|~- (an HTTP header name)');
    if (name.toLowerCase() === 'host') p.add('TestHeaderName cannot be Host: ALB matches the host header with a host condition');
    const value = p.optionalString('TestHeaderValue', HEADER_VALUE, 'at most 128 printable characters') ?? '*';
    const cidrs = props.TestSourceCidrs ?? [];
    if (!Array.isArray(cidrs) || !cidrs.every((c) => typeof c === 'string' && CIDR.test(c))) p.add(`TestSourceCidrs must be a list of CIDR blocks (got ${describe(cidrs)})`);
    else if (cidrs.length > MAX_TEST_SOURCE_CIDRS) p.add(`TestSourceCidrs can name at most ${MAX_TEST_SOURCE_CIDRS} CIDR blocks: a rule has 5 condition values and the header takes one (got ${cidrs.length})`);
    testHeader = { name, value, sourceCidrs: Array.isArray(cidrs) ? (cidrs as string[]) : [] };
  }
  const parsed = {
    productionListenerArn,
    testListenerArn,
    testHeader,
    slotATargetGroupArn: p.string('SlotATargetGroupArn', TARGET_GROUP_ARN, 'a target group ARN'),
    slotBTargetGroupArn: p.string('SlotBTargetGroupArn', TARGET_GROUP_ARN, 'a target group ARN'),
  };
  if (p.ok && parsed.productionListenerArn === parsed.testListenerArn) p.add('ProductionListenerArn and TestListenerArn must differ');
  if (p.ok && parsed.slotATargetGroupArn === parsed.slotBTargetGroupArn) p.add('SlotATargetGroupArn and SlotBTargetGroupArn must differ');
  p.throwIfAny(what);
  return parsed;
}

export interface ResourceTag {
  readonly key: string;
  readonly value: string;
}

export interface SlotServiceProperties {
  readonly clusterArn: string;
  readonly serviceName: string;
  readonly taskDefinitionArn: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly targetGroupArn: string;
  readonly subnets: string[];
  readonly securityGroups: string[];
  readonly healthCheckGracePeriodSeconds: number;
  readonly assignPublicIp: boolean;
  readonly tags: ResourceTag[];
  /** The release repository and the slot's mutable tag its task definition runs (the slot tag rule). */
  readonly repositoryName: string;
  readonly imageTag: string;
}

/** CloudFormation passes every property value as a string; numbers are accepted either way. */
function numberProperty(p: FieldProblems, props: Record<string, unknown>, key: string, min: number, max: number, fallback?: number): number {
  const raw = props[key];
  if (raw === undefined && fallback !== undefined) return fallback;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    p.add(`${key} must be an integer from ${min} to ${max} (got ${describe(raw)})`);
    return fallback ?? min;
  }
  return value;
}

function stringList(p: FieldProblems, props: Record<string, unknown>, key: string, pattern: RegExp): string[] {
  const value = props[key];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && pattern.test(v))) {
    p.add(`${key} must be a non-empty list of ids matching ${pattern} (got ${describe(value)})`);
    return [];
  }
  return value as string[];
}

export function parseSlotServiceProperties(props: Record<string, unknown>, what = 'Custom::BlueGreenSlotService properties'): SlotServiceProperties {
  const p = new FieldProblems(props);
  const tagsRaw = props.Tags ?? [];
  const tags: ResourceTag[] = [];
  if (!Array.isArray(tagsRaw)) p.add(`Tags must be a list of {Key, Value} (got ${describe(tagsRaw)})`);
  else {
    tagsRaw.forEach((t, i) => {
      if (!isRecord(t) || typeof t.Key !== 'string' || t.Key === '' || typeof t.Value !== 'string') p.add(`Tags[${i}] must be {Key, Value} strings`);
      else tags.push({ key: t.Key, value: t.Value });
    });
  }
  const assign = props.AssignPublicIp;
  if (assign !== undefined && !['ENABLED', 'DISABLED', 'true', 'false', true, false].includes(assign as string)) {
    p.add(`AssignPublicIp must be ENABLED or DISABLED (got ${describe(assign)})`);
  }
  const parsed: SlotServiceProperties = {
    clusterArn: p.string('ClusterArn', /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[^/]+$/, 'an ECS cluster ARN'),
    serviceName: p.string('ServiceName', /^[A-Za-z0-9_-]{1,255}$/, 'an ECS service name'),
    taskDefinitionArn: p.string('TaskDefinitionArn', /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/\S+$/, 'a task definition ARN'),
    containerName: p.string('ContainerName'),
    containerPort: numberProperty(p, props, 'ContainerPort', 1, 65535),
    targetGroupArn: p.string('TargetGroupArn', TARGET_GROUP_ARN, 'a target group ARN'),
    subnets: stringList(p, props, 'Subnets', /^subnet-[a-z0-9]+$/),
    securityGroups: stringList(p, props, 'SecurityGroups', /^sg-[a-z0-9]+$/),
    healthCheckGracePeriodSeconds: numberProperty(p, props, 'HealthCheckGracePeriodSeconds', 0, 2147483647, 60),
    assignPublicIp: assign === 'ENABLED' || assign === 'true' || assign === true,
    tags,
    repositoryName: p.string('RepositoryName', /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'an ECR repository name'),
    imageTag: p.string('ImageTag', /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'an image tag'),
  };
  p.throwIfAny(what);
  return parsed;
}

/** What a direct invoke (rollback, promote, abort) returns. Expected refusals are results, never exceptions. */
export interface OperatorResult {
  /** 'busy': another operation holds the slots (the release lease); nothing changed, ask again. */
  /**
   * 'in-progress': a rollback is scaling the previous slot back up; ask again with the same
   * `requestId` until it answers something else. 'retired': the scheduled scale-down ran.
   */
  readonly outcome: 'rolled-back' | 'promoted' | 'aborted' | 'retired' | 'already-done' | 'refused' | 'busy' | 'in-progress' | 'failed';
  /** One sentence. */
  readonly message: string;
  /** null only when the routes could not be read or are unrecognisable. */
  readonly liveSlot: SlotName | null;
  readonly liveDigest: string | null;
  readonly previousDigest: string | null;
  /** Which state the system is in ('failed': the one it ended in). */
  readonly state: 'old' | 'new';
  /** Each slot's share of production as the function left it, when it could read the routes (`a=100`, `a=90 b=10`). */
  readonly traffic?: string;
  /** With 'in-progress': the request id to ask again with. */
  readonly requestId?: string;
}

/** What a rollback invoke returns (Bake reads it). */
export interface RollbackResult extends OperatorResult {
  readonly outcome: 'rolled-back' | 'already-done' | 'refused' | 'busy' | 'in-progress' | 'failed';
}

/** The part of the Lambda context the handlers use; optional so tests can call handler(event). */
export interface InvocationContext {
  readonly awsRequestId?: string;
  /** The function's ARN as invoked (with a qualifier when invoked through a version or alias). */
  readonly invokedFunctionArn?: string;
  getRemainingTimeInMillis?(): number;
}
