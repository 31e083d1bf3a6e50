// CloudWatch alarms in the in-memory world: metric alarms whose state a test sets, composite alarms
// that follow their rules, and DescribeAlarms as its reference describes it, including how the
// caller's IAM grant scopes the answer. Every rule below names its source.
import { CloudWatchServiceException, CompositeAlarm, DescribeAlarmsCommandInput, DescribeAlarmsCommandOutput, MetricAlarm, StateValue } from '@aws-sdk/client-cloudwatch';

interface Alarm {
  readonly name: string;
  readonly arn: string;
  readonly type: 'MetricAlarm' | 'CompositeAlarm';
  state: StateValue;
  reason: string;
  reasonData?: string;
  updatedAt: number;
  /** Composite alarms: the rule as written, and the alarms it names (by name). */
  readonly rule?: string;
  readonly children?: readonly string[];
}

function cloudWatchError(name: string, message: string): Error {
  return new CloudWatchServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** DescribeAlarms: "Array Members: Maximum number of 100 items" for AlarmNames. */
const MAX_NAMES = 100;
/** The reference gives MaxRecords a range of 1-100 and no default; a page of 50 exercises NextToken. */
const PAGE = 50;
/** PutCompositeAlarm: "The rule expression of a composite alarm can include as many as 100 underlying alarms." */
const MAX_RULE_ALARMS = 100;
/** PutCompositeAlarm: "Any single alarm can be included in the rule expressions of as many as 150 composite alarms." */
const MAX_PARENTS = 150;
/** PutCompositeAlarm: AlarmRule is at most 10,240 characters. */
const MAX_RULE_LENGTH = 10240;

export class AlarmModel {
  readonly alarms = new Map<string, Alarm>();
  /**
   * The Resource list of the caller's cloudwatch:DescribeAlarms grant; ['*'] unless a test gives the
   * construct's (read off its synthesized Bake role policy).
   */
  grant: readonly string[] = ['*'];

  constructor(private readonly where: { region: string; account: string; now: () => number }) {}

  arnOf(name: string): string {
    return `arn:aws:cloudwatch:${this.where.region}:${this.where.account}:alarm:${name}`;
  }

  addMetric(name: string, state: StateValue = 'OK'): void {
    this.add({ name, arn: this.arnOf(name), type: 'MetricAlarm', state, reason: 'created', updatedAt: this.where.now() });
  }

  /**
   * A composite alarm whose rule ORs ALARM() of other alarms, named or by ARN (the form the
   * construct writes; PutCompositeAlarm: "You can use either alarm names or ARNs"). Any other rule
   * is not modelled.
   */
  addComposite(name: string, rule: string): void {
    if (rule.length > MAX_RULE_LENGTH) throw cloudWatchError('ValidationError', `AlarmRule is ${rule.length} characters, over ${MAX_RULE_LENGTH}`);
    const terms = rule.replace(/^\((.*)\)$/s, '$1').split(' OR ');
    const children = terms.map((term) => {
      const m = /^ALARM\("?([^"()]+)"?\)$/.exec(term.trim());
      if (!m) throw new Error(`AlarmModel: the rule term ${term} is not modelled (only ALARM(x) OR ALARM(y) …)`);
      return m[1].includes(':alarm:') ? m[1].slice(m[1].indexOf(':alarm:') + ':alarm:'.length) : m[1];
    });
    if (children.length > MAX_RULE_ALARMS) throw cloudWatchError('ValidationError', `The rule names ${children.length} alarms, over ${MAX_RULE_ALARMS}`);
    // CloudFormation reports PutCompositeAlarm's refusal as "Could not save the composite alarm as
    // alarms [...] in the alarm rule do not exist" (aws-cloudformation-user-guide issue 911).
    const missing = children.filter((c) => !this.alarms.has(c));
    if (missing.length > 0) throw cloudWatchError('ValidationError', `Could not save the composite alarm as alarms [${missing.join(', ')}] in the alarm rule do not exist`);
    for (const child of children) {
      if (this.parentsOf(child).length >= MAX_PARENTS) throw cloudWatchError('LimitExceeded', `${child} is already in ${MAX_PARENTS} composite alarm rules`);
    }
    this.add({ name, arn: this.arnOf(name), type: 'CompositeAlarm', state: 'INSUFFICIENT_DATA', reason: 'created', updatedAt: this.where.now(), rule, children });
    this.evaluate(name, children.find((c) => this.alarms.get(c)!.state === 'ALARM') ?? children[0]);
  }

  /** Sets a metric alarm's state; the composite alarms above it follow. */
  set(name: string, state: StateValue): void {
    const alarm = this.alarms.get(name);
    if (!alarm || alarm.type !== 'MetricAlarm') throw new Error(`AlarmModel: no metric alarm ${name}`);
    if (alarm.state === state) return;
    Object.assign(alarm, { state, reason: `Threshold ${state === 'ALARM' ? 'Crossed' : 'no longer crossed'} (modelled)`, updatedAt: this.where.now() });
    this.propagate(name, new Set());
  }

  /**
   * DeleteAlarms of one alarm. CloudWatch refuses while a composite alarm depends on it
   * ("ValidationError: Cannot delete <name> as there are composite alarm(s) depending on it",
   * DeleteAlarms reference on composite cycles; ekristen/aws-nuke issue 462 for the message).
   */
  delete(name: string): void {
    if (this.parentsOf(name).length > 0) throw cloudWatchError('ValidationError', `Cannot delete ${name} as there are composite alarm(s) depending on it.`);
    this.alarms.delete(name);
  }

  parentsOf(name: string): Alarm[] {
    return [...this.alarms.values()].filter((a) => a.children?.includes(name));
  }

  /** DescribeAlarms by name (the only form Bake sends; anything else is not modelled). */
  describe(input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput {
    const { AlarmNames, AlarmTypes, NextToken, MaxRecords, ...rest } = input;
    const unmodelled = Object.keys(rest).filter((k) => (rest as Record<string, unknown>)[k] !== undefined);
    if (unmodelled.length > 0 || AlarmNames === undefined) throw new Error(`AlarmModel: DescribeAlarms with ${unmodelled.join(', ') || 'no AlarmNames'} is not modelled`);
    if (AlarmNames.length > MAX_NAMES) throw cloudWatchError('ValidationError', `AlarmNames has ${AlarmNames.length} members, over ${MAX_NAMES}`);
    // "If you omit this parameter, only metric alarms are returned, even if composite alarms exist."
    const types = AlarmTypes ?? ['MetricAlarm'];
    const everything = this.grant.includes('*');
    const found = AlarmNames.map((n) => this.alarms.get(n)).filter((a): a is Alarm => a !== undefined && types.includes(a.type));
    const visible = found.filter((a) => {
      // "To use this operation and return information about composite alarms, you must be signed on
      // with the cloudwatch:DescribeAlarms permission that is scoped to *. You can't return
      // information about composite alarms if your cloudwatch:DescribeAlarms permission has a
      // narrower scope." (DescribeAlarms API reference): not returned, not an error.
      if (a.type === 'CompositeAlarm') return everything;
      if (everything || this.grant.some((pattern) => matches(pattern, a.arn))) return true;
      // The reference does not say what a narrower grant that misses a named metric alarm does.
      throw new Error(`AlarmModel: DescribeAlarms of ${a.name}, outside the caller's grant, is not modelled`);
    });
    const start = NextToken === undefined ? 0 : Number(NextToken);
    const page = visible.slice(start, start + (MaxRecords ?? PAGE));
    const next = start + page.length < visible.length ? String(start + page.length) : undefined;
    return {
      MetricAlarms: page.filter((a) => a.type === 'MetricAlarm').map((a): MetricAlarm => ({ AlarmName: a.name, AlarmArn: a.arn, StateValue: a.state, StateReason: a.reason, StateUpdatedTimestamp: new Date(a.updatedAt) })),
      CompositeAlarms: page
        .filter((a) => a.type === 'CompositeAlarm')
        .map((a): CompositeAlarm => ({ AlarmName: a.name, AlarmArn: a.arn, AlarmRule: a.rule, StateValue: a.state, StateReason: a.reason, StateReasonData: a.reasonData, StateUpdatedTimestamp: new Date(a.updatedAt) })),
      ...(next !== undefined ? { NextToken: next } : {}),
      $metadata: {},
    };
  }

  private add(alarm: Alarm): void {
    if (this.alarms.has(alarm.name)) throw new Error(`AlarmModel: alarm ${alarm.name} exists`);
    this.alarms.set(alarm.name, alarm);
  }

  private propagate(changed: string, seen: Set<string>): void {
    for (const parent of this.parentsOf(changed)) {
      // "The evaluation of composite alarms stops if CloudWatch detects a cycle" (DeleteAlarms reference).
      if (seen.has(parent.name)) continue;
      seen.add(parent.name);
      if (this.evaluate(parent.name, changed)) this.propagate(parent.name, seen);
    }
  }

  /**
   * Re-evaluates a composite alarm after `changed` moved; true when its state changed. Its state
   * reason names the triggering alarms as CloudWatch does: "<arn> transitioned to ALARM at …" and
   * `{"triggeringAlarms":[{"arn":…,"state":{"value":…,"timestamp":…}}]}` (CloudWatch User Guide,
   * "Alarm events and EventBridge", composite alarm example).
   */
  private evaluate(name: string, changed: string): boolean {
    const alarm = this.alarms.get(name)!;
    const children = alarm.children!.map((c) => this.alarms.get(c)!);
    const state: StateValue = children.some((c) => c.state === 'ALARM') ? 'ALARM' : 'OK';
    if (state === alarm.state) return false;
    const triggering = state === 'ALARM' ? children.filter((c) => c.state === 'ALARM') : [this.alarms.get(changed)!];
    const at = new Date(this.where.now()).toISOString();
    Object.assign(alarm, {
      state,
      updatedAt: this.where.now(),
      reason: `${triggering[0].arn} transitioned to ${triggering[0].state} at ${at}`,
      reasonData: JSON.stringify({ triggeringAlarms: triggering.map((c) => ({ arn: c.arn, state: { value: c.state, timestamp: at } })) }),
    });
    return true;
  }
}

/** An IAM resource pattern (`*` matches any run of characters) against an ARN. */
function matches(pattern: string, arn: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(arn);
}
