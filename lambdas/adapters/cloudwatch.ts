// Alarm states (CloudWatch), for the bake window.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { AlarmsPort, ObservedAlarm } from '../core/ports';

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;
/**
 * How far Bake follows a firing composite alarm down to the alarms that set it off: the construct
 * nests its own composites two or three levels deep, and a composite alarm of the user's adds its own.
 */
const MAX_COMPOSITE_DEPTH = 6;
/** How many firing alarms Bake names (the reason names fewer; the log line names these). */
const MAX_FIRED_BY = 10;

interface Described {
  readonly alarm: ObservedAlarm;
  /** For a composite alarm: the alarms its state reason data names as triggering its state. */
  readonly triggering: readonly string[] | null;
}

/**
 * The alarm names a composite alarm's StateReasonData gives as triggering its state:
 * `{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:…:alarm:<name>","state":{…}}]}` (CloudWatch
 * User Guide, "Alarm events and EventBridge", composite alarm example). Anything else: none.
 */
export function triggeringAlarmNames(stateReasonData: string | undefined): string[] {
  let data: unknown;
  try {
    data = JSON.parse(stateReasonData ?? '');
  } catch {
    return [];
  }
  const triggering = (data as { triggeringAlarms?: unknown } | null)?.triggeringAlarms;
  if (!Array.isArray(triggering)) return [];
  const names = triggering
    .map((t) => (t as { arn?: unknown } | null)?.arn)
    .filter((arn): arn is string => typeof arn === 'string' && arn.includes(':alarm:'))
    .map((arn) => arn.slice(arn.indexOf(':alarm:') + ':alarm:'.length));
  return [...new Set(names)];
}

/** Metric and composite alarms by name, all pages; names that do not exist are simply absent. */
async function describeByName(c: { cloudwatch: CloudWatchClient }, names: readonly string[]): Promise<Described[]> {
  const found: Described[] = [];
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    let nextToken: string | undefined;
    do {
      const out = await c.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(i, i + NAMES_PER_CALL),
          // Without AlarmTypes only metric alarms come back (DescribeAlarms reference).
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      const observed = (a: { AlarmName?: string; StateValue?: string; StateReason?: string }): ObservedAlarm => ({
        name: a.AlarmName as string,
        state: a.StateValue ?? 'INSUFFICIENT_DATA',
        reason: a.StateReason ?? null,
      });
      for (const a of out.MetricAlarms ?? []) if (a.AlarmName) found.push({ alarm: observed(a), triggering: null });
      for (const a of out.CompositeAlarms ?? []) if (a.AlarmName) found.push({ alarm: observed(a), triggering: triggeringAlarmNames(a.StateReasonData) });
      nextToken = out.NextToken;
    } while (nextToken);
  }
  return found;
}

/** The alarms that set off the `triggering` ones, following firing composite alarms down to the alarms that fired. */
async function firingAlarms(c: { cloudwatch: CloudWatchClient }, triggering: readonly string[], depth: number): Promise<string[]> {
  if (triggering.length === 0) return [];
  const byName = new Map((await describeByName(c, triggering)).map((d) => [d.alarm.name, d]));
  const fired: string[] = [];
  for (const name of triggering) {
    const d = byName.get(name);
    const below = d?.triggering && d.alarm.state === 'ALARM' && depth < MAX_COMPOSITE_DEPTH ? await firingAlarms(c, d.triggering, depth + 1) : [];
    fired.push(...(below.length > 0 ? below : [name]));
    if (fired.length >= MAX_FIRED_BY) break;
  }
  return [...new Set(fired)].slice(0, MAX_FIRED_BY);
}

/**
 * The named alarms that exist, all pages. A composite alarm in ALARM also says which alarms set it
 * off (`firedBy`): one more DescribeAlarms per level of nesting, and only while something fires.
 */
export async function describeAlarms(c: { cloudwatch: CloudWatchClient }, names: readonly string[]): Promise<ObservedAlarm[]> {
  const found = await describeByName(c, names);
  return Promise.all(
    found.map(async ({ alarm, triggering }) =>
      triggering !== null && alarm.state === 'ALARM' ? { ...alarm, firedBy: await firingAlarms(c, triggering, 1) } : alarm,
    ),
  );
}

export function cloudWatchAlarms(c: { cloudwatch: CloudWatchClient }): AlarmsPort {
  return { describe: (names) => describeAlarms(c, names) };
}
