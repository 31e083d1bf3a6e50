// A stateful in-memory model of the AWS state the release control plane touches, installed
// under aws-sdk-client-mock so the real handlers and adapters run against it unchanged.
//
//   const world = new AwsWorld();
//   const stack = seedReleaseStack(world);     // test/support/release-stack.ts
//   world.install();                           // every SDK client's send() now hits the model
//   ...; world.tick(3); ...
//   world.uninstall();
//
// Each service model (world.ecs, world.elbv2, …) exposes its state, seeding helpers and a
// `commands` table; `world.extend(service, command, fn)` adds or overrides an operation.
// Every call is logged in `world.calls`; `world.faults` injects throttling and 5xx errors.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mockClient, AwsStub } from 'aws-sdk-client-mock';
import { CommandFn } from './model/common';
import { CodePipelineModel } from './model/codepipeline';
import { Ec2Model } from './model/ec2';
import { EcrModel } from './model/ecr';
import { EcsModel } from './model/ecs';
import { Elbv2Model } from './model/elbv2';
import { FaultKind, SDK, ServiceKey, faultError, metadata } from './model/errors';
import { CloudFormationModel, LambdaModel, SnsModel, SsmModel, StsModel, TagStore, TaggingModel } from './model/small-services';

export type { ServiceKey, FaultKind } from './model/errors';
export type { CommandFn } from './model/common';

export interface CallRecord {
  /** Position in `world.calls` (0-based). */
  seq: number;
  service: ServiceKey;
  command: string;
  input: unknown;
  /** World time (ms) of the call. */
  at: number;
  /** Error name, when the call failed (modelled error or injected fault). */
  error?: string;
  /** The fault injected into this call, if any. */
  fault?: FaultKind;
  /** Which function made the call (its role), when the handler runs `world.actingAs(…)`. */
  principal?: string;
}

const READ_PREFIXES = ['Describe', 'Get', 'List', 'BatchGet'];

export function isRead(command: string): boolean {
  return READ_PREFIXES.some((p) => command.startsWith(p));
}

export const ROUTE_WRITES = new Set(['elbv2:ModifyRule', 'elbv2:CreateRule', 'elbv2:DeleteRule']);

export interface FaultRule {
  matches: (call: CallRecord) => boolean;
  kind: FaultKind | (() => Error);
  /** How many more calls this rule fails (Infinity = until removed). */
  remaining: number;
  /** Apply the operation, then fail: the response was lost after the change took effect. */
  afterEffect: boolean;
}

export interface FaultOptions {
  /** Calls to fail (default 1). */
  times?: number;
  /** Let the operation take effect before failing (a lost response). Default false. */
  afterEffect?: boolean;
}

export class Faults {
  readonly rules: FaultRule[] = [];

  /** Fails the next call to `service` `command` (e.g. `('elbv2', 'ModifyRule', 'throttle')`). */
  failNext(service: ServiceKey, command: string, kind: FaultRule['kind'], opts: FaultOptions = {}): FaultRule {
    return this.when((c) => c.service === service && c.command === command, kind, opts);
  }

  /** Fails the call that will be `world.calls[seq]`, whatever it is. */
  failAtCall(seq: number, kind: FaultRule['kind'], opts: FaultOptions = {}): FaultRule {
    return this.when((c) => c.seq === seq, kind, opts);
  }

  /** Fails calls matching `predicate`, `times` times (default 1; `Infinity` for every match). */
  when(predicate: (call: CallRecord) => boolean, kind: FaultRule['kind'], opts: FaultOptions = {}): FaultRule {
    const rule: FaultRule = { matches: predicate, kind, remaining: opts.times ?? 1, afterEffect: Boolean(opts.afterEffect) };
    this.rules.push(rule);
    return rule;
  }

  clear(): void {
    this.rules.length = 0;
  }

  /** The rule that fires for `call`, consuming one of its shots. */
  take(call: CallRecord): FaultRule | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && r.matches(call));
    if (rule) rule.remaining -= 1;
    return rule;
  }
}

export interface WorldOptions {
  /** World start time (ms since epoch). Default 2025-01-01T00:00:00Z. */
  startTime?: number;
  /** Time a `tick()` advances. Default 15 s. */
  tickMs?: number;
  account?: string;
  region?: string;
}

/** A change of world time; `useWorldClock` (test/support/jest-world.ts) maps it onto `Date`. */
export type ClockListener = (nowMs: number) => void;

export class AwsWorld {
  readonly account: string;
  readonly region: string;
  readonly tickMs: number;
  readonly calls: CallRecord[] = [];
  readonly faults = new Faults();
  /**
   * Called with every call before it takes effect; throws to refuse it (e.g. an IAM evaluation,
   * test/support/iam.ts). Unset: every call is allowed.
   */
  authorize?: (call: CallRecord) => void;
  /** The function whose code is running: every call made inside `actingAs` is recorded with it (through awaits and nested invokes). */
  private readonly principals = new AsyncLocalStorage<string>();
  readonly tags = new TagStore();

  readonly elbv2: Elbv2Model;
  readonly ecs: EcsModel;
  readonly ecr: EcrModel;
  readonly ssm: SsmModel;
  readonly tagging: TaggingModel;
  readonly sns: SnsModel;
  readonly codepipeline: CodePipelineModel;
  readonly lambda: LambdaModel;
  readonly cloudformation: CloudFormationModel;
  readonly sts: StsModel;
  readonly ec2: Ec2Model;

  private nowMs: number;
  private ticks = 0;
  private readonly clockListeners: ClockListener[] = [];
  private readonly overrides = new Map<string, CommandFn>();

  constructor(opts: WorldOptions = {}) {
    this.account = opts.account ?? '111122223333';
    this.region = opts.region ?? 'us-east-1';
    this.tickMs = opts.tickMs ?? 15_000;
    this.nowMs = opts.startTime ?? Date.UTC(2025, 0, 1);
    this.elbv2 = new Elbv2Model(this);
    this.ecs = new EcsModel(this);
    this.ecr = new EcrModel(this);
    this.ssm = new SsmModel(this);
    this.tagging = new TaggingModel(this);
    this.sns = new SnsModel(this);
    this.codepipeline = new CodePipelineModel(this);
    this.lambda = new LambdaModel(this);
    this.cloudformation = new CloudFormationModel(this);
    this.sts = new StsModel(this);
    this.ec2 = new Ec2Model(this);
  }

  // ---- time ------------------------------------------------------------------------------------

  now(): number {
    return this.nowMs;
  }

  /** Ticks elapsed since the world was created. */
  get tickCount(): number {
    return this.ticks;
  }

  /** Advances time by `n` ticks; deployments, tasks and health move one step per tick. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      this.ticks += 1;
      this.setTime(this.nowMs + this.tickMs);
      this.ecs.step();
    }
  }

  onClock(listener: ClockListener): void {
    this.clockListeners.push(listener);
    listener(this.nowMs);
  }

  private setTime(ms: number): void {
    this.nowMs = ms;
    for (const l of this.clockListeners) l(ms);
  }

  // ---- operations ------------------------------------------------------------------------------

  /** Adds or replaces the implementation of `service` `command` (e.g. `('ecs', 'ListClusters', fn)`). */
  extend(service: ServiceKey, command: string, fn: CommandFn): void {
    this.overrides.set(`${service}:${command}`, fn);
  }

  commandFn(service: ServiceKey, command: string): CommandFn | undefined {
    // A service added only through `extend` (S3, CloudWatch) has no model object of its own.
    return this.overrides.get(`${service}:${command}`) ?? (this[service] as { commands: Record<string, CommandFn> } | undefined)?.commands[command];
  }

  /** Whether an ARN names something in the world (for tagging). */
  resourceExists(arn: string): boolean {
    return (
      this.ecs.services.has(arn) ||
      this.elbv2.targetGroups.has(arn) ||
      this.elbv2.rules.has(arn) ||
      this.elbv2.listeners.has(arn)
    );
  }

  /**
   * The ARN AWS records as the caller of the call being made now: a principal that is an ARN (a
   * person's role session, e.g. from a chat channel) as it is; a function's role session; or, with
   * no principal, the CLI's caller (`sts.callerArn`).
   */
  callerArn(): string {
    const principal = this.principals.getStore();
    if (principal === undefined) return this.sts.callerArn;
    return principal.startsWith('arn:') ? principal : `arn:aws:sts::${this.account}:assumed-role/${principal}Role/${principal}`;
  }

  /** `handler`, with every AWS call it makes recorded as made by `principal` (a function's role, e.g. `Swap`). */
  actingAs<A extends unknown[], R>(principal: string, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return (...args: A) => this.principals.run(principal, () => handler(...args));
  }

  /** Runs one API call against the model: logs it, applies faults, returns the SDK output. */
  async dispatch(service: ServiceKey, command: string, input: unknown): Promise<unknown> {
    const principal = this.principals.getStore();
    const call: CallRecord = { seq: this.calls.length, service, command, input: snapshotInput(input), at: this.nowMs, ...(principal ? { principal } : {}) };
    this.calls.push(call);
    const fault = this.faults.take(call);
    const injected = () => {
      call.fault = typeof fault!.kind === 'string' ? fault!.kind : undefined;
      const e = typeof fault!.kind === 'string' ? faultError(service, fault!.kind) : fault!.kind();
      call.error = e.name;
      return e;
    };
    if (fault && !fault.afterEffect) throw injected();
    try {
      this.authorize?.(call);
    } catch (e) {
      call.error = e instanceof Error ? e.name : String(e);
      throw e;
    }
    const fn = this.commandFn(service, command);
    if (!fn) {
      call.error = 'NotModelled';
      throw new Error(`AwsWorld: ${service} ${command} is not modelled; add it with world.extend('${service}', '${command}', fn)`);
    }
    let output: unknown;
    try {
      output = await fn(input ?? {});
    } catch (e) {
      call.error = e instanceof Error ? e.name : String(e);
      throw e;
    }
    if (fault) throw injected();
    return { ...(output as object), $metadata: metadata(200) };
  }

  // ---- call log --------------------------------------------------------------------------------

  /** Calls since `from` (a `calls.length` taken earlier), optionally of one service/command. */
  callsSince(from: number, filter: { service?: ServiceKey; command?: string } = {}): CallRecord[] {
    return this.calls
      .slice(from)
      .filter((c) => (!filter.service || c.service === filter.service) && (!filter.command || c.command === filter.command));
  }

  /** Reads, writes, route writes and total since `from`. */
  countCalls(from = 0): { reads: number; writes: number; routeWrites: number; total: number } {
    const calls = this.calls.slice(from);
    const reads = calls.filter((c) => isRead(c.command)).length;
    return {
      reads,
      writes: calls.length - reads,
      routeWrites: calls.filter((c) => ROUTE_WRITES.has(`${c.service}:${c.command}`)).length,
      total: calls.length,
    };
  }

  // ---- aws-sdk-client-mock ---------------------------------------------------------------------

  /**
   * Routes every SDK v3 client of the modelled services to this world. The mocks are created once
   * per process and re-pointed on each `install()`, so many worlds (one per property run) are cheap.
   */
  install(): Installation {
    installation ??= createInstallation();
    // sinon keeps every call a stub answers (its command, its promise): a new world forgets the
    // last one's, or a property test's thousands of worlds keep them all until the heap runs out.
    if (installation.world !== this) for (const stub of Object.values(installation.mocks)) stub.resetHistory();
    installation.world = this;
    return installation;
  }

  /** Restores the real SDK clients. */
  static uninstall(): void {
    if (!installation) return;
    for (const stub of Object.values(installation.mocks)) stub.restore();
    installation = undefined;
  }

  uninstall(): void {
    AwsWorld.uninstall();
  }
}

export interface Installation {
  world: AwsWorld;
  /** The aws-sdk-client-mock stubs, for `on(...)` overrides or `commandCalls(...)`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly mocks: Record<ServiceKey, AwsStub<any, any, any>>;
}

let installation: Installation | undefined;

function createInstallation(): Installation {
  const mocks = {} as Installation['mocks'];
  const inst = { mocks } as Installation;
  for (const service of Object.keys(SDK) as ServiceKey[]) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const stub = mockClient(SDK[service].client as any);
    // `on(Command)` behaviours (sinon withArgs) still take precedence over this default.
    stub.send.callsFake(
      (command: { input: unknown; constructor: { name: string } }) =>
        inst.world.dispatch(service, command.constructor.name.replace(/Command$/, ''), command.input) as Promise<never>,
    );
    mocks[service] = stub;
  }
  return inst;
}

function snapshotInput(input: unknown): unknown {
  try {
    return structuredClone(input);
  } catch {
    return input;
  }
}
