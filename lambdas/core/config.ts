// ReleaseConfig: the one document (env BLUEGREEN_CONFIG, and its SSM discovery copy) that tells the
// control plane which cluster, services, target groups, rules and repository make up the release.
import { listSome, quote } from './text';

export type SlotName = 'a' | 'b';
export const SLOT_NAMES: readonly SlotName[] = ['a', 'b'];

export function isSlotName(value: unknown): value is SlotName {
  return value === 'a' || value === 'b';
}

export function otherSlot(slot: SlotName): SlotName {
  return slot === 'a' ? 'b' : 'a';
}

export interface SlotConfig {
  /** arn:aws:ecs:<region>:<acct>:service/<cluster>/<name> */
  readonly serviceArn: string;
  readonly targetGroupArn: string;
  /** Mutable ECR tag the slot's task definition references ('slot-a' | 'slot-b'). */
  readonly imageTag: string;
}

export interface ReleaseConfig {
  readonly pipelineName: string;
  readonly clusterArn: string;
  /** ECR repository name (same account and region). */
  readonly repositoryName: string;
  readonly slots: { readonly a: SlotConfig; readonly b: SlotConfig };
  readonly productionRuleArn: string;
  readonly testRuleArn: string;
  /** e.g. http://<alb-dns>:8080 */
  readonly testUrl: string;
  /** /bluegreen/<pipelineName>/state */
  readonly stateParameterName: string;
  /** /bluegreen/<pipelineName>/lease: the release lease's generations live under this path. */
  readonly leaseParameterPath: string;
  /** The KMS key that seals the state record and the lease: only the control plane may encrypt with it. */
  readonly stateKeyArn: string;
  /** The swap function's timeout: an operation's hold on the slots lapses after it (plus a margin). */
  readonly operationTimeoutSeconds: number;
  /** Tasks for a slot being released when the live slot has none. */
  readonly desiredCount: number;
  /** DeployGreen deadline. */
  readonly deployTimeoutSeconds: number;
  /** A Bake action follows the Swap, and gives the release lease back when it ends; else Swap does. */
  readonly bakeAfterSwap: boolean;
  /** Audit topic; swap and rollback publish here when set. */
  readonly notificationTopicArn?: string;
  /** Only in the SSM discovery copy. */
  readonly swapFunctionName?: string;
  /** Only in the Bake function's copy: what the bake window watches. */
  readonly bake?: BakeConfig;
  /** Where the release evidence is written (core/evidence.ts); none written when absent. */
  readonly evidence?: EvidenceConfig;
  /** How Swap moves production: absent = all at once; else in weighted steps (canary, linear). */
  readonly trafficShift?: TrafficShiftConfig;
  /**
   * How to reach the green slot besides `testUrl`, when the test route is a header rule on the
   * production listener: the header line, e.g. `X-Release-Test: green` (absent: a test port).
   */
  readonly testHeader?: string;
  /** Each slot's scalable target, owned by the control plane's floors (core/scaling.ts); absent: no auto scaling. */
  readonly autoScaling?: AutoScalingConfig;
  /**
   * /bluegreen/<pipelineName>/rollback-request: writing it asks for a rollback, with the writer's
   * identity as Parameter Store records it (core/requested.ts). Absent in older configurations.
   */
  readonly rollbackRequestParameterName?: string;
  /** The previous slot is scaled to zero this long after a release ends (core/retire.ts); absent: it stays warm. */
  readonly previousSlotRetention?: RetentionConfig;
}

/**
 * How the previous slot is retired: a one-time EventBridge Scheduler schedule in the control
 * plane's own group, whose role may only invoke the swap function.
 */
export interface RetentionConfig {
  readonly seconds: number;
  readonly scheduleGroupName: string;
  readonly schedulerRoleArn: string;
  /** The swap function the schedule invokes: in Bake's copy (the swap function knows its own ARN from its invocation). */
  readonly swapFunctionArn?: string;
}

/** The bounds the live slot scales within between releases. */
export interface AutoScalingConfig {
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/** The evidence record's place: the evidence bucket (KMS-encrypted, TLS-only) under one prefix. */
export interface EvidenceConfig {
  readonly bucket: string;
  /** e.g. bluegreen-evidence/<pipelineName>: no leading or trailing "/". */
  readonly prefix: string;
}

/** Alarms watched per slot (the construct's composite alarm of each slot) and whichever slot is watched (the user's own). */
export interface AlarmWatch {
  readonly alarms: { readonly a: readonly string[]; readonly b: readonly string[] };
  readonly sharedAlarms: readonly string[];
}

/**
 * Weighted steps of a traffic shift: production's share on the candidate slot at each step before
 * 100%, each held for `holdSeconds` while the candidate's alarms are watched.
 */
export interface TrafficShiftConfig extends AlarmWatch {
  /** Percent of production on the candidate at each step before 100, strictly increasing, 1..99. */
  readonly percents: readonly number[];
  /** How long each step holds before the next increase. */
  readonly holdSeconds: number;
  /** ALB target-group stickiness written with every weighted rule; 0 = off. */
  readonly stickinessSeconds: number;
}

/** The bake window after a swap: alarms watched on the new live slot, and how to swap back. */
export interface BakeConfig extends AlarmWatch {
  /** The swap function, invoked with a rollback event when an alarm fires. */
  readonly swapFunctionName: string;
  readonly windowSeconds: number;
}

export const DEFAULT_DEPLOY_TIMEOUT_SECONDS = 1800;
export const DEFAULT_OPERATION_TIMEOUT_SECONDS = 120;
/**
 * CodePipeline fails a Lambda invoke action after 24 hours (CodePipeline User Guide, "Quotas in AWS
 * CodePipeline"); DeployGreen's and Bake's own windows stop an hour short of it, so waiting for the
 * lease, polls and the bake's grace still end in a result of ours, not in CodePipeline's timeout.
 */
export const MAX_ACTION_WINDOW_SECONDS = 23 * 3600;
export const CONFIG_ENV = 'BLUEGREEN_CONFIG';

/** Thrown when an event, parameter or document does not have the expected shape. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** How many problems one error names; a document with thousands of bad fields says how many more. */
const LISTED_PROBLEMS = 10;

/** Collects field problems so one error can list all of them. */
export class FieldProblems {
  private readonly problems: string[] = [];

  constructor(private readonly source: unknown) {}

  add(problem: string): void {
    this.problems.push(problem);
  }

  /** Required non-empty string at `path` (dotted) of the source. */
  string(path: string, pattern?: RegExp, hint?: string): string {
    const value = at(this.source, path);
    if (typeof value !== 'string' || value.trim() === '') {
      this.add(`${path} must be a non-empty string (got ${describe(value)})`);
      return '';
    }
    if (pattern && !pattern.test(value)) {
      this.add(`${path} must be ${hint ?? `match ${pattern}`} (got ${quote(value)})`);
    }
    return value;
  }

  optionalString(path: string, pattern?: RegExp, hint?: string): string | undefined {
    const value = at(this.source, path);
    if (value === undefined || value === null) return undefined;
    return this.string(path, pattern, hint);
  }

  integer(path: string, min: number, max: number, fallback?: number): number {
    const value = at(this.source, path);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.add(`${path} must be an integer from ${min} to ${max} (got ${describe(value)})`);
      return fallback ?? min;
    }
    return value;
  }

  boolean(path: string, fallback: boolean): boolean {
    const value = at(this.source, path);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.add(`${path} must be true or false (got ${describe(value)})`);
      return fallback;
    }
    return value;
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  /** Throws one InputError naming the problems (the first few, and how many more), prefixed with `what`. */
  throwIfAny(what: string): void {
    if (this.problems.length > 0) {
      throw new InputError(`${what} is invalid: ${listSome(this.problems, LISTED_PROBLEMS, '; ')}.`);
    }
  }
}

export function at(source: unknown, path: string): unknown {
  let value: unknown = source;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? 'an empty string' : quote(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const ARN = /^arn:aws[a-z-]*:/;
const ECS_SERVICE_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/[^/]+\/[^/]+$/;
const ECS_CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[^/]+$/;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\//;
const RULE_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\//;
const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ECR_TAG = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$/;
const SSM_NAME = /^\/[a-zA-Z0-9_.\-/]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-f0-9-]+$/;

/**
 * Parses and validates BLUEGREEN_CONFIG. Throws one InputError listing every missing or invalid
 * field, so a broken deployment says everything that is wrong at once.
 */
export function parseReleaseConfig(raw: string | undefined): ReleaseConfig {
  if (raw === undefined || raw.trim() === '') {
    throw new InputError(`${CONFIG_ENV} is not set: the construct passes the release configuration as JSON.`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new InputError(`${CONFIG_ENV} is not valid JSON: ${(err as Error).message}.`);
  }
  if (!isRecord(doc)) throw new InputError(`${CONFIG_ENV} must be a JSON object (got ${describe(doc)}).`);

  const p = new FieldProblems(doc);
  // A slot names its service by ARN, or by name in the cluster (what the construct writes: the
  // cluster's name is then carried once, which keeps the function environment under Lambda's 4 KB).
  const serviceArnOf = (name: SlotName): string => {
    const serviceName = at(doc, `slots.${name}.serviceName`);
    if (serviceName === undefined) return p.string(`slots.${name}.serviceArn`, ECS_SERVICE_ARN, 'an ECS service ARN');
    const cluster = typeof doc.clusterArn === 'string' ? doc.clusterArn : '';
    return `${cluster.replace(':cluster/', ':service/')}/${p.string(`slots.${name}.serviceName`, /^[A-Za-z0-9_-]{1,255}$/, 'an ECS service name')}`;
  };
  const slot = (name: SlotName): SlotConfig => ({
    serviceArn: serviceArnOf(name),
    targetGroupArn: p.string(`slots.${name}.targetGroupArn`, TARGET_GROUP_ARN, 'a target group ARN'),
    imageTag: p.string(`slots.${name}.imageTag`, ECR_TAG, 'a valid ECR tag'),
  });
  const config: ReleaseConfig = {
    pipelineName: p.string('pipelineName', /^[A-Za-z0-9.@_-]{1,100}$/, 'a CodePipeline name'),
    clusterArn: p.string('clusterArn', ECS_CLUSTER_ARN, 'an ECS cluster ARN'),
    repositoryName: p.string('repositoryName', ECR_REPOSITORY_NAME, 'an ECR repository name'),
    slots: { a: slot('a'), b: slot('b') },
    productionRuleArn: p.string('productionRuleArn', RULE_ARN, 'a listener rule ARN'),
    testRuleArn: p.string('testRuleArn', RULE_ARN, 'a listener rule ARN'),
    testUrl: p.string('testUrl', /^https?:\/\/\S+$/, 'an http(s) URL'),
    stateParameterName: p.string('stateParameterName', SSM_NAME, 'an SSM parameter name starting with /'),
    leaseParameterPath: p.string('leaseParameterPath', SSM_NAME, 'an SSM parameter path starting with /'),
    stateKeyArn: p.string('stateKeyArn', KMS_KEY_ARN, 'a KMS key ARN'),
    operationTimeoutSeconds: p.integer('operationTimeoutSeconds', 1, 900, DEFAULT_OPERATION_TIMEOUT_SECONDS),
    desiredCount: p.integer('desiredCount', 1, 1000),
    deployTimeoutSeconds: p.integer('deployTimeoutSeconds', 60, MAX_ACTION_WINDOW_SECONDS, DEFAULT_DEPLOY_TIMEOUT_SECONDS),
    bakeAfterSwap: p.boolean('bakeAfterSwap', false),
    notificationTopicArn: p.optionalString('notificationTopicArn', ARN, 'an SNS topic ARN'),
    swapFunctionName: p.optionalString('swapFunctionName'),
    bake: doc.bake === undefined ? undefined : parseBakeConfig(p, doc.bake),
    evidence: doc.evidence === undefined ? undefined : parseEvidenceConfig(p, doc.evidence),
    trafficShift: doc.trafficShift === undefined ? undefined : parseTrafficShiftConfig(p, doc.trafficShift),
    autoScaling: doc.autoScaling === undefined ? undefined : parseAutoScalingConfig(p, doc.autoScaling),
    previousSlotRetention: doc.previousSlotRetention === undefined ? undefined : parseRetentionConfig(p, doc.previousSlotRetention),
    rollbackRequestParameterName: p.optionalString('rollbackRequestParameterName', SSM_NAME, 'an SSM parameter name starting with /'),
    testHeader: p.optionalString('testHeader', TEST_HEADER, 'a header line "<name>: <value>" (name: 1-40 token characters; value: 1-128 printable characters)'),
  };
  if (p.ok) {
    if (config.slots.a.serviceArn === config.slots.b.serviceArn) p.add('slots.a and slots.b must be different services');
    if (config.slots.a.targetGroupArn === config.slots.b.targetGroupArn) p.add('slots.a and slots.b must have different target groups');
    if (config.slots.a.imageTag === config.slots.b.imageTag) p.add('slots.a and slots.b must have different image tags');
    if (config.productionRuleArn === config.testRuleArn) p.add('productionRuleArn and testRuleArn must differ');
  }
  p.throwIfAny(CONFIG_ENV);
  if (config.notificationTopicArn === undefined) delete (config as { notificationTopicArn?: string }).notificationTopicArn;
  if (config.swapFunctionName === undefined) delete (config as { swapFunctionName?: string }).swapFunctionName;
  if (config.bake === undefined) delete (config as { bake?: BakeConfig }).bake;
  if (config.evidence === undefined) delete (config as { evidence?: EvidenceConfig }).evidence;
  if (config.trafficShift === undefined) delete (config as { trafficShift?: TrafficShiftConfig }).trafficShift;
  if (config.testHeader === undefined) delete (config as { testHeader?: string }).testHeader;
  if (config.autoScaling === undefined) delete (config as { autoScaling?: AutoScalingConfig }).autoScaling;
  if (config.previousSlotRetention === undefined) delete (config as { previousSlotRetention?: RetentionConfig }).previousSlotRetention;
  if (config.rollbackRequestParameterName === undefined) delete (config as { rollbackRequestParameterName?: string }).rollbackRequestParameterName;
  return config;
}

const ALARM_NAME = /^[^\x00-\x1f]{1,255}$/;
/**
 * An HTTP header condition: a name of 1-40 RFC 7230 token characters and a value of at most 128
 * characters (Elastic Load Balancing API reference, HttpHeaderConditionConfig).
 */
const TEST_HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}: [\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;
const LAMBDA_FUNCTION = /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,140}$/;
export const MAX_BAKE_WINDOW_SECONDS = MAX_ACTION_WINDOW_SECONDS;

function alarmNames(p: FieldProblems, value: unknown, path: string): string[] {
  if (!Array.isArray(value)) {
    p.add(`${path} must be a list of alarm names (got ${describe(value)})`);
    return [];
  }
  value.forEach((v, i) => {
    if (typeof v !== 'string' || !ALARM_NAME.test(v)) p.add(`${path}[${i}] must be a CloudWatch alarm name (got ${describe(v)})`);
  });
  return value.filter((v): v is string => typeof v === 'string');
}

/**
 * The document as the construct writes it: each slot names its service in the cluster instead of
 * by ARN (parseReleaseConfig accepts both and gives every reader the ARN).
 */
export type ReleaseConfigDocument = Omit<ReleaseConfig, 'slots'> & {
  readonly slots: { readonly [S in SlotName]: Omit<SlotConfig, 'serviceArn'> & { readonly serviceName: string } };
};

/** The alarms of an `AlarmWatch`: each slot must be watched by at least one, or a step or a bake would pass blind. */
function parseAlarmWatch(p: FieldProblems, raw: Record<string, unknown>, section: string): AlarmWatch {
  const alarms = at(raw, 'alarms');
  if (!isRecord(alarms)) p.add(`${section}.alarms must be an object {a, b} (got ${describe(alarms)})`);
  const watch: AlarmWatch = {
    alarms: { a: alarmNames(p, at(raw, 'alarms.a'), `${section}.alarms.a`), b: alarmNames(p, at(raw, 'alarms.b'), `${section}.alarms.b`) },
    sharedAlarms: alarmNames(p, raw.sharedAlarms, `${section}.sharedAlarms`),
  };
  for (const slot of SLOT_NAMES) {
    if (isRecord(alarms) && watch.alarms[slot].length + watch.sharedAlarms.length === 0) p.add(`${section} would watch no alarm on slot ${slot}`);
  }
  return watch;
}

function refuseUnknownKeys(p: FieldProblems, raw: Record<string, unknown>, section: string, known: readonly string[]): void {
  for (const key of Object.keys(raw)) if (!known.includes(key)) p.add(`${section}.${/^\w{1,64}$/.test(key) ? key : quote(key)} is not a known field`);
}

/** The optional `autoScaling` section: strict; an ECS service's desired count is 0-5000 here (the construct checks the same). */
function parseAutoScalingConfig(p: FieldProblems, raw: unknown): AutoScalingConfig | undefined {
  if (!isRecord(raw)) {
    p.add(`autoScaling must be an object {minCapacity, maxCapacity} (got ${describe(raw)})`);
    return undefined;
  }
  refuseUnknownKeys(p, raw, 'autoScaling', ['minCapacity', 'maxCapacity']);
  const scaling = { minCapacity: p.integer('autoScaling.minCapacity', 1, MAX_TASKS), maxCapacity: p.integer('autoScaling.maxCapacity', 1, MAX_TASKS) };
  if (scaling.minCapacity > scaling.maxCapacity) p.add(`autoScaling.minCapacity ${scaling.minCapacity} is above autoScaling.maxCapacity ${scaling.maxCapacity}`);
  return scaling;
}

/** A schedule group's name: 1-64 of [0-9a-zA-Z-_.] (EventBridge Scheduler API Reference, CreateScheduleGroup: Name). */
export const SCHEDULE_GROUP_NAME = /^[0-9a-zA-Z._-]{1,64}$/;
/** The longest retention the construct accepts (it checks the same): a year. */
export const MAX_RETENTION_SECONDS = 366 * 24 * 3600;

/** The optional `previousSlotRetention` section: strict. */
function parseRetentionConfig(p: FieldProblems, raw: unknown): RetentionConfig | undefined {
  if (!isRecord(raw)) {
    p.add(`previousSlotRetention must be an object {seconds, scheduleGroupName, schedulerRoleArn} (got ${describe(raw)})`);
    return undefined;
  }
  refuseUnknownKeys(p, raw, 'previousSlotRetention', ['seconds', 'scheduleGroupName', 'schedulerRoleArn', 'swapFunctionArn']);
  const retention: RetentionConfig = {
    seconds: p.integer('previousSlotRetention.seconds', 60, MAX_RETENTION_SECONDS),
    scheduleGroupName: p.string('previousSlotRetention.scheduleGroupName', SCHEDULE_GROUP_NAME, 'a schedule group name (1-64 of 0-9 a-z A-Z - _ .)'),
    schedulerRoleArn: p.string('previousSlotRetention.schedulerRoleArn', /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, 'an IAM role ARN'),
    swapFunctionArn: p.optionalString('previousSlotRetention.swapFunctionArn', LAMBDA_FUNCTION_ARN, 'a Lambda function ARN'),
  };
  if (retention.swapFunctionArn === undefined) delete (retention as { swapFunctionArn?: string }).swapFunctionArn;
  return retention;
}

const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,140}$/;

/** The most tasks the construct lets a slot scale to. */
export const MAX_TASKS = 1000;

/** The optional `bake` section: strict, since a bake that watches nothing would pass every release. */
function parseBakeConfig(p: FieldProblems, raw: unknown): BakeConfig | undefined {
  if (!isRecord(raw)) {
    p.add(`bake must be an object (got ${describe(raw)})`);
    return undefined;
  }
  refuseUnknownKeys(p, raw, 'bake', ['alarms', 'sharedAlarms', 'swapFunctionName', 'windowSeconds']);
  return {
    ...parseAlarmWatch(p, raw, 'bake'),
    swapFunctionName: p.string('bake.swapFunctionName', LAMBDA_FUNCTION, 'a Lambda function name or ARN'),
    windowSeconds: p.integer('bake.windowSeconds', 1, MAX_BAKE_WINDOW_SECONDS),
  };
}

/** ALB target-group stickiness for weighted forwarding: 1 second to 7 days (API reference, TargetGroupStickinessConfig). */
export const MAX_STICKINESS_SECONDS = 604_800;

/**
 * The optional `trafficShift` section: strict, like `bake`. The whole shift runs inside the Swap
 * action, so its steps together must end inside the action window.
 */
function parseTrafficShiftConfig(p: FieldProblems, raw: unknown): TrafficShiftConfig | undefined {
  if (!isRecord(raw)) {
    p.add(`trafficShift must be an object (got ${describe(raw)})`);
    return undefined;
  }
  refuseUnknownKeys(p, raw, 'trafficShift', ['percents', 'holdSeconds', 'stickinessSeconds', 'alarms', 'sharedAlarms']);
  const percents = raw.percents;
  const valid =
    Array.isArray(percents) &&
    percents.length > 0 &&
    percents.length <= 99 &&
    percents.every((v, i) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 99 && (i === 0 || v > (percents[i - 1] as number)));
  if (!valid) p.add(`trafficShift.percents must be 1 to 99 strictly increasing whole percents from 1 to 99 (got ${Array.isArray(percents) ? JSON.stringify(percents).slice(0, 64) : describe(percents)})`);
  const shift: TrafficShiftConfig = {
    percents: valid ? (percents as number[]) : [],
    holdSeconds: p.integer('trafficShift.holdSeconds', 1, MAX_ACTION_WINDOW_SECONDS),
    stickinessSeconds: p.integer('trafficShift.stickinessSeconds', 0, MAX_STICKINESS_SECONDS, 0),
    ...parseAlarmWatch(p, raw, 'trafficShift'),
  };
  if (valid && shift.percents.length * shift.holdSeconds > MAX_ACTION_WINDOW_SECONDS) {
    p.add(`trafficShift takes ${shift.percents.length} step(s) of ${shift.holdSeconds} s, longer than the ${MAX_ACTION_WINDOW_SECONDS} s a Swap action may run`);
  }
  return shift;
}

/** The slot whose target group is `targetGroupArn`, or null for any other target group. */
export function slotOfTargetGroup(config: ReleaseConfig, targetGroupArn: string): SlotName | null {
  return SLOT_NAMES.find((s) => config.slots[s].targetGroupArn === targetGroupArn) ?? null;
}

/** S3 bucket names (S3 User Guide, "General purpose bucket naming rules"): 3-63 of a-z 0-9 . - */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Key segments of S3's "safe characters" (S3 User Guide, "Naming Amazon S3 objects"). */
const KEY_PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

function parseEvidenceConfig(p: FieldProblems, raw: unknown): EvidenceConfig | undefined {
  if (!isRecord(raw)) {
    p.add(`evidence must be an object {bucket, prefix} (got ${describe(raw)})`);
    return undefined;
  }
  return {
    bucket: p.string('evidence.bucket', BUCKET_NAME, 'an S3 bucket name'),
    prefix: p.string('evidence.prefix', KEY_PREFIX, 'an S3 key prefix of safe characters, without a leading or trailing "/"'),
  };
}
