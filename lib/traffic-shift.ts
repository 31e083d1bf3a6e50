import { Duration, Token } from 'aws-cdk-lib';

/** Options for a canary: a share of production first, then all of it. */
export interface CanaryOptions {
  /** Percent of production the candidate takes first, a whole number from 1 to 99. */
  readonly percent: number;
  /**
   * How long the canary holds, watching the candidate's bake alarms and yours, before all of
   * production moves. From 1 minute, in whole seconds.
   */
  readonly bake: Duration;
  /**
   * Keep a client on the slot it first reached for this long while production is split (ALB
   * target-group stickiness), so one session is not bounced between versions. 1 second to 7 days.
   * @default - no stickiness: each request is weighted on its own
   */
  readonly stickiness?: Duration;
}

/** Options for a linear shift: equal steps at a fixed interval, until all of production is on the candidate. */
export interface LinearOptions {
  /** Percent of production added at each step, a whole number from 1 to 99 (20: 20%, 40%, 60%, 80%, then 100%). */
  readonly stepPercent: number;
  /** How long each step holds, watching the alarms, before the next. From 1 minute, in whole seconds. */
  readonly interval: Duration;
  /**
   * Keep a client on the slot it first reached for this long while production is split (ALB
   * target-group stickiness). 1 second to 7 days.
   * @default - no stickiness
   */
  readonly stickiness?: Duration;
}

/** The steps of a shift, as the swap function takes them (the `trafficShift` section of its configuration, without the alarms). */
export interface TrafficShiftSteps {
  /** The candidate's share of production at each step before 100, strictly increasing. */
  readonly percents: number[];
  /** How long each step holds. */
  readonly holdSeconds: number;
  /** Target-group stickiness written with each weighted rule; 0 = none. */
  readonly stickinessSeconds: number;
}

/**
 * Each Swap action runs inside one CodePipeline Lambda action, which fails after 24 hours
 * (CodePipeline User Guide, "Quotas in AWS CodePipeline"): the whole shift ends an hour before.
 */
const MAX_SHIFT = Duration.hours(23);
const MIN_HOLD = Duration.minutes(1);
/** ALB target-group stickiness: 1 to 604800 seconds (Elastic Load Balancing API reference, TargetGroupStickinessConfig). */
const MAX_STICKINESS = Duration.days(7);

/**
 * How the Swap action moves production onto the approved release. Every step is bound to the
 * approved digest and re-verifies the candidate first; an alarm or a refusal at any step puts all
 * of production back on the previous slot in one route write.
 */
export abstract class TrafficShift {
  /** All of production in one route write, as soon as the release is approved (the default). */
  public static allAtOnce(): TrafficShift {
    return new AllAtOnce();
  }

  /**
   * `percent` of production for `bake`, then all of it: for example 10% for 10 minutes.
   * @param options the canary's share, how long it holds, and stickiness
   */
  public static canary(options: CanaryOptions): TrafficShift {
    return new Weighted('canary', options.percent === undefined || Token.isUnresolved(options.percent) ? [] : [options.percent], options.bake, options.stickiness, () =>
      checkPercent(options.percent, 'trafficShift canary percent'),
    );
  }

  /**
   * `stepPercent` more of production every `interval`: for example 20% every 5 minutes.
   * @param options the step, how long each holds, and stickiness
   */
  public static linear(options: LinearOptions): TrafficShift {
    const step = options.stepPercent;
    const valid = checkPercent(step, 'trafficShift linear stepPercent').length === 0 && !Token.isUnresolved(step);
    const percents = valid ? Array.from({ length: Math.ceil(100 / step) - 1 }, (_, i) => (i + 1) * step) : [];
    return new Weighted('linear', percents, options.interval, options.stickiness, () => checkPercent(step, 'trafficShift linear stepPercent'));
  }

  /** `all-at-once`, `canary` or `linear`. */
  public abstract readonly kind: string;

  /** Problems with the options, as sentences naming the value received and what was expected (empty when valid). Unresolved tokens are not checked. */
  public abstract validate(): string[];

  /** The steps the swap function takes; undefined all at once (one write, no steps). */
  public abstract steps(): TrafficShiftSteps | undefined;
}

class AllAtOnce extends TrafficShift {
  public readonly kind = 'all-at-once';

  public validate(): string[] {
    return [];
  }

  public steps(): TrafficShiftSteps | undefined {
    return undefined;
  }
}

function checkPercent(value: number, what: string): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  return Number.isInteger(value) && value >= 1 && value <= 99 ? [] : [`${what} must be a whole number from 1 to 99 (got ${value}).`];
}

function checkDuration(value: Duration | undefined, what: string, min: Duration, max: Duration): string[] {
  if (value === undefined) return [`${what} is required.`];
  if (value.isUnresolved()) return [];
  const ms = value.toMilliseconds();
  if (ms % 1000 !== 0) return [`${what} must be a whole number of seconds (got ${ms} ms).`];
  if (ms < min.toMilliseconds() || ms > max.toMilliseconds()) return [`${what} must be from ${min.toHumanString()} to ${max.toHumanString()} (got ${value.toHumanString()}).`];
  return [];
}

class Weighted extends TrafficShift {
  constructor(
    public readonly kind: 'canary' | 'linear',
    private readonly percents: number[],
    private readonly hold: Duration,
    private readonly stickiness: Duration | undefined,
    private readonly checkSteps: () => string[],
  ) {
    super();
  }

  public validate(): string[] {
    const holdName = this.kind === 'canary' ? 'trafficShift canary bake' : 'trafficShift linear interval';
    const problems = [...this.checkSteps(), ...checkDuration(this.hold, holdName, MIN_HOLD, MAX_SHIFT)];
    if (this.stickiness !== undefined) problems.push(...checkDuration(this.stickiness, `trafficShift ${this.kind} stickiness`, Duration.seconds(1), MAX_STICKINESS));
    if (problems.length === 0 && this.hold !== undefined && !this.hold.isUnresolved()) {
      const total = this.hold.toSeconds() * this.percents.length;
      if (total > MAX_SHIFT.toSeconds()) {
        problems.push(
          `trafficShift ${this.kind} takes ${this.percents.length} step(s) of ${this.hold.toHumanString()} (${Duration.seconds(total).toHumanString()}), longer than the ${MAX_SHIFT.toHumanString()} a Swap action may run; use fewer steps or a shorter ${this.kind === 'canary' ? 'bake' : 'interval'}.`,
        );
      }
    }
    return problems;
  }

  public steps(): TrafficShiftSteps {
    return {
      percents: [...this.percents],
      holdSeconds: this.hold.toSeconds(),
      stickinessSeconds: this.stickiness?.toSeconds() ?? 0,
    };
  }
}
