// What the control plane needs from AWS, as small interfaces over plain data. Adapters in
// lambdas/adapters implement them with SDK v3 clients; tests and the CLI may bring their own.
import { ObservedActionExecution } from './approval';
import { SlotName } from './config';
import { RollbackResult } from './events';
import { LeaseRecord } from './lease';
import { TagMutabilitySetting } from './registry';
import { ScalingBounds } from './scaling';
import { StateRecord } from './state';

// ---------------------------------------------------------------- observations (plain data)

/** One listener rule as observed: the target groups its forward action sends traffic to. */
export interface ObservedRule {
  readonly ruleArn: string;
  /** Target groups with weight > 0 (a plain forward has exactly one). Empty when the rule does not forward. */
  readonly forwardTargetGroupArns: readonly string[];
  /** The weight of each of `forwardTargetGroupArns`, in the same order (absent: not read). */
  readonly weights?: readonly number[];
}

/** One target group of a weighted forward action. */
export interface WeightedTargetGroup {
  readonly targetGroupArn: string;
  /** 0..999 (Elastic Load Balancing API reference, TargetGroupTuple). */
  readonly weight: number;
}

export interface ObservedRoutes {
  readonly production: ObservedRule;
  readonly test: ObservedRule;
}

export interface ObservedDeployment {
  readonly id: string;
  /** PRIMARY | ACTIVE | INACTIVE */
  readonly status: string;
  /** IN_PROGRESS | COMPLETED | FAILED, when the service uses the rolling deployment controller. */
  readonly rolloutState: string | null;
  readonly rolloutStateReason: string | null;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly failedTasks: number;
  readonly taskDefinition: string;
}

export interface ObservedService {
  readonly serviceArn: string;
  /** ACTIVE | DRAINING | INACTIVE */
  readonly status: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly deployments: readonly ObservedDeployment[];
}

export interface ObservedContainer {
  readonly name: string;
  readonly image: string | null;
  readonly imageDigest: string | null;
}

export interface ObservedTask {
  readonly taskArn: string;
  /** PROVISIONING | PENDING | RUNNING | STOPPING | STOPPED … */
  readonly lastStatus: string;
  readonly containers: readonly ObservedContainer[];
}

export interface ObservedTarget {
  readonly id: string;
  readonly port: number | null;
  /** initial | healthy | unhealthy | unused | draining | unavailable */
  readonly state: string;
  readonly reason: string | null;
}

/** Everything the core needs to judge one slot. `service` is null when the service does not exist. */
export interface SlotObservation {
  readonly slot: SlotName;
  readonly service: ObservedService | null;
  /** Tasks with desired status RUNNING. */
  readonly tasks: readonly ObservedTask[];
  readonly targets: readonly ObservedTarget[];
}

/** Tags of one resource (service or target group), keyed by ARN in LabelsPort.read. */
export type ResourceTags = Readonly<Record<string, string>>;

// ---------------------------------------------------------------- ports

export interface RoutesPort {
  /** Both rules in one read. */
  read(): Promise<ObservedRoutes>;
  /** Makes `ruleArn` forward to exactly `targetGroupArn`. */
  forward(ruleArn: string, targetGroupArn: string): Promise<void>;
  /** Makes `ruleArn` split its traffic by weight, in one write; `stickinessSeconds` 0 = no target-group stickiness. */
  forwardWeighted(ruleArn: string, targetGroups: readonly WeightedTargetGroup[], stickinessSeconds: number): Promise<void>;
}

export interface SlotsPort {
  /** Service, RUNNING-desired tasks with their digests, and target health of one slot. */
  observe(slot: SlotName): Promise<SlotObservation>;
  /** One DescribeServices for the given slots; a missing service is absent from the result. */
  describeServices(slots: readonly SlotName[]): Promise<Partial<Record<SlotName, ObservedService>>>;
  /** UpdateService(forceNewDeployment, desiredCount); returns the new primary deployment id when known. */
  roll(slot: SlotName, desiredCount: number): Promise<{ deploymentId: string | null }>;
  /** UpdateService(desiredCount) alone: no new deployment. */
  scale(slot: SlotName, desiredCount: number): Promise<void>;
}

export interface ImagesPort {
  /**
   * Points `tag` at `digest` in the release repository (BatchGetImage + PutImage). Resolves
   * 'already-tagged' when the tag already points there. Throws ImageNotFoundError when the digest
   * is not in the repository.
   */
  tag(digest: string, tag: string): Promise<'tagged' | 'already-tagged'>;
  /** The digest `tag` names now, or null when the tag does not exist. */
  tagged(tag: string): Promise<string | null>;
  /** Removes `tag` (the image keeps its other tags); a tag that is already gone is fine. */
  untag(tag: string): Promise<void>;
  /** The repository's tag mutability and its exclusions (DescribeRepositories). */
  tagMutability(): Promise<TagMutabilitySetting>;
}

/** Each slot's Application Auto Scaling scalable target (present only with `config.autoScaling`). */
export interface ScalingPort {
  /** Registers the slot's bounds (RegisterScalableTarget); Application Auto Scaling then fits the count into them. */
  bound(slot: SlotName, bounds: ScalingBounds): Promise<void>;
}

/** A one-time EventBridge Scheduler schedule that invokes the swap function with `input`. */
export interface RetireSchedule {
  readonly name: string;
  /** `at(yyyy-mm-ddThh:mm:ss)`, UTC. */
  readonly expression: string;
  readonly targetArn: string;
  readonly input: string;
  /** What the schedule is for (at most 512 characters). */
  readonly description: string;
}

export interface RetirementPort {
  /** CreateSchedule; 'exists' when a schedule of that name is already there (ConflictException). */
  schedule(request: RetireSchedule): Promise<'created' | 'exists'>;
}

export class ImageNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageNotFoundError';
  }
}

export interface LabelsPort {
  /** One write of the same tags to every resource. */
  write(resourceArns: readonly string[], tags: ResourceTags): Promise<void>;
  read(resourceArns: readonly string[]): Promise<Record<string, ResourceTags>>;
}

export interface StateStore {
  /**
   * null when the parameter does not exist. Throws InputError when it exists but is malformed, or
   * is not sealed with the control plane's key (then it is not trusted either).
   */
  read(): Promise<StateRecord | null>;
  write(record: StateRecord): Promise<void>;
}

/** A version of the rollback request parameter, with its writer as Parameter Store recorded it. */
export interface WrittenRequest {
  readonly version: number;
  readonly value: string;
  /** LastModifiedUser: the ARN of whoever wrote this version (null if Parameter Store gives none). */
  readonly by: string | null;
  readonly at: string | null;
}

export interface RollbackRequestStore {
  /** The newest version; null when the parameter does not exist. */
  latest(): Promise<WrittenRequest | null>;
}

/** The lease generations (see core/lease.ts). */
export interface LeaseStore {
  /** The newest generation; generation 0 when none was ever written. */
  read(): Promise<LeaseRecord>;
  /** Creates generation `next.generation`; 'lost' when another writer created it first. */
  write(next: LeaseRecord): Promise<'written' | 'lost'>;
}

export interface ExecutionLookup {
  /** Whether a pipeline execution is still running (InProgress or Stopping); an unknown one has ended. */
  inProgress(executionId: string): Promise<boolean>;
}

export interface JobSuccess {
  readonly summary: string;
  readonly executionId?: string;
  readonly continuationToken?: string;
  readonly outputVariables?: Record<string, string>;
}

export interface JobReporter {
  succeed(jobId: string, result: JobSuccess): Promise<void>;
  /** `message` is one sentence. */
  fail(jobId: string, message: string, executionId?: string): Promise<void>;
}

export interface Notifier {
  publish(subject: string, message: string): Promise<void>;
}

export interface ApprovalLookup {
  /** The identity that approved the execution's manual approval, or null when not found. */
  approver(pipelineName: string, pipelineExecutionId: string): Promise<string | null>;
  /** Every action execution of one pipeline execution; 'not-found' when CodePipeline no longer has it. */
  releaseRecord(pipelineName: string, pipelineExecutionId: string): Promise<ObservedActionExecution[] | 'not-found'>;
}

/** What DeployGreen uses. */
export interface DeployPorts {
  readonly routes: RoutesPort;
  readonly slots: SlotsPort;
  readonly images: ImagesPort;
  readonly lease: LeaseStore;
  readonly executions: ExecutionLookup;
  /** The slots' scalable targets; absent without auto scaling. */
  readonly scaling?: ScalingPort;
}

/** What swap and rollback use. */
export interface SwapPorts {
  readonly routes: RoutesPort;
  readonly slots: SlotsPort;
  readonly images: ImagesPort;
  readonly labels: LabelsPort;
  readonly state: StateStore;
  readonly lease: LeaseStore;
  readonly executions: ExecutionLookup;
  /** null when no notification topic is configured. */
  readonly notifier: Notifier | null;
  readonly approvals: ApprovalLookup;
  /** The candidate's alarms, watched during each step of a traffic shift. */
  readonly alarms: AlarmsPort;
  /** The slots' scalable targets; absent without auto scaling. */
  readonly scaling?: ScalingPort;
  /** The previous slot's scheduled scale-down; absent without `previousSlotRetention`. */
  readonly retirement?: RetirementPort;
  /** The rollback request parameter; absent in configurations without one. */
  readonly requests?: RollbackRequestStore;
}

/** Structured logger: one JSON object per line. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** One CloudWatch alarm as observed. */
export interface ObservedAlarm {
  readonly name: string;
  /** OK | ALARM | INSUFFICIENT_DATA */
  readonly state: string;
  readonly reason: string | null;
  /**
   * For a composite alarm in ALARM: the alarms whose ALARM state set it off, followed down through
   * nested composite alarms. Absent for a metric alarm, or when CloudWatch did not say.
   */
  readonly firedBy?: readonly string[];
}

export interface AlarmsPort {
  /** The named alarms that exist (all pages); a name that does not exist is absent from the result. */
  describe(names: readonly string[]): Promise<ObservedAlarm[]>;
}

/** What invoking the swap function with a rollback event came to. */
export type RollbackInvocation =
  | { readonly kind: 'result'; readonly result: RollbackResult }
  /** Not taken yet: the swap function is busy (reserved concurrency 1: another swap runs) or the call failed transiently. */
  | { readonly kind: 'busy'; readonly message: string }
  /** The function ran but threw, or answered something that is not a RollbackResult. */
  | { readonly kind: 'error'; readonly message: string };

export interface RollbackPort {
  rollback(event: Record<string, unknown>): Promise<RollbackInvocation>;
}

/** What Bake uses. */
export interface BakePorts {
  readonly routes: RoutesPort;
  readonly alarms: AlarmsPort;
  readonly rollback: RollbackPort;
  /** Bake ends the release: it gives the lease back. */
  readonly lease: LeaseStore;
  /** The slots' scalable targets; absent without auto scaling. */
  readonly scaling?: ScalingPort;
  /** The previous slot's scheduled scale-down; absent without `previousSlotRetention`. */
  readonly retirement?: RetirementPort;
}
