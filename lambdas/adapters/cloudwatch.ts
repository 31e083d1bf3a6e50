// Alarm states (CloudWatch), for the bake window.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { AlarmsPort, ObservedAlarm } from '../core/ports';

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

/** Metric and composite alarms by name, all pages; names that do not exist are simply absent. */
export async function describeAlarms(c: { cloudwatch: CloudWatchClient }, names: readonly string[]): Promise<ObservedAlarm[]> {
  const alarms: ObservedAlarm[] = [];
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    let nextToken: string | undefined;
    do {
      const out = await c.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(i, i + NAMES_PER_CALL),
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
        if (a.AlarmName) alarms.push({ name: a.AlarmName, state: a.StateValue ?? 'INSUFFICIENT_DATA', reason: a.StateReason ?? null });
      }
      nextToken = out.NextToken;
    } while (nextToken);
  }
  return alarms;
}

export function cloudWatchAlarms(c: { cloudwatch: CloudWatchClient }): AlarmsPort {
  return { describe: (names) => describeAlarms(c, names) };
}
