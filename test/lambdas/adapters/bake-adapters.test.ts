// The Bake adapters against aws-sdk-client-mock: alarm reads (batches and pages) and the rollback invoke.
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describeAlarms, triggeringAlarmNames } from '../../../lambdas/adapters/cloudwatch';
import { invokeRollback } from '../../../lambdas/adapters/lambda';

const cloudwatch = mockClient(CloudWatchClient);
const lambda = mockClient(LambdaClient);
const clients = { cloudwatch: new CloudWatchClient({}), lambda: new LambdaClient({}) };

beforeEach(() => {
  cloudwatch.reset();
  lambda.reset();
});

describe('describeAlarms', () => {
  test('asks for at most 100 names a call, follows pages, and reads metric and composite alarms', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[]; NextToken?: string }) =>
      input.NextToken === undefined && input.AlarmNames[0] === 'alarm-0'
        ? { MetricAlarms: [{ AlarmName: 'alarm-0', StateValue: 'ALARM', StateReason: 'Threshold Crossed' }], NextToken: 'page-2' }
        : input.NextToken === 'page-2'
          ? { CompositeAlarms: [{ AlarmName: 'alarm-99', StateValue: 'OK' }] }
          : { MetricAlarms: [{ AlarmName: 'alarm-149' }] },
    );

    const alarms = await describeAlarms(clients, names);

    const inputs = cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.AlarmNames?.length, i.NextToken])).toEqual([[100, undefined], [100, 'page-2'], [50, undefined]]);
    expect(inputs[0].AlarmTypes).toEqual(['MetricAlarm', 'CompositeAlarm']);
    expect(alarms).toEqual([
      { name: 'alarm-0', state: 'ALARM', reason: 'Threshold Crossed' },
      { name: 'alarm-99', state: 'OK', reason: null },
      // No state yet reads as INSUFFICIENT_DATA, never as OK.
      { name: 'alarm-149', state: 'INSUFFICIENT_DATA', reason: null },
    ]);
  });
});

describe('describeAlarms of composite alarms', () => {
  const arn = (name: string) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`;
  const reasonData = (...names: string[]) => JSON.stringify({ triggeringAlarms: names.map((n) => ({ arn: arn(n), state: { value: 'ALARM', timestamp: '2025-01-01T00:00:00.000+0000' } })) });

  test('a firing composite alarm names the alarms that set it off, followed down through nested composite alarms', async () => {
    cloudwatch.on(DescribeAlarmsCommand, { AlarmNames: ['shop-bake-shared'] }).resolves({ CompositeAlarms: [{ AlarmName: 'shop-bake-shared', StateValue: 'ALARM', StateReasonData: reasonData('group-1') }] });
    cloudwatch.on(DescribeAlarmsCommand, { AlarmNames: ['group-1'] }).resolves({ CompositeAlarms: [{ AlarmName: 'group-1', StateValue: 'ALARM', StateReasonData: reasonData('checkout-latency', 'checkout-errors') }] });
    cloudwatch.on(DescribeAlarmsCommand, { AlarmNames: ['checkout-latency', 'checkout-errors'] }).resolves({
      MetricAlarms: [{ AlarmName: 'checkout-latency', StateValue: 'ALARM' }, { AlarmName: 'checkout-errors', StateValue: 'ALARM' }],
    });

    expect(await describeAlarms(clients, ['shop-bake-shared'])).toEqual([{ name: 'shop-bake-shared', state: 'ALARM', reason: null, firedBy: ['checkout-latency', 'checkout-errors'] }]);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(3);
  });

  test('a quiet composite alarm costs no extra call, and state reason data that says nothing leaves firedBy empty', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      CompositeAlarms: [
        { AlarmName: 'quiet', StateValue: 'OK', StateReasonData: reasonData('x') },
        { AlarmName: 'unclear', StateValue: 'ALARM', StateReasonData: 'not json' },
      ],
    });

    expect(await describeAlarms(clients, ['quiet', 'unclear'])).toEqual([
      { name: 'quiet', state: 'OK', reason: null },
      { name: 'unclear', state: 'ALARM', reason: null, firedBy: [] },
    ]);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  test('triggering alarms are read from the state reason data\'s ARNs', () => {
    expect(triggeringAlarmNames(reasonData('a', 'b:c'))).toEqual(['a', 'b:c']);
    expect(triggeringAlarmNames(undefined)).toEqual([]);
    expect(triggeringAlarmNames('{"triggeringAlarms":[{"arn":42}]}')).toEqual([]);
  });
});

describe('invokeRollback', () => {
  const event = { action: 'rollback', reason: 'bake: alarm x fired on slot a', requestId: 'bake:e-1' };
  const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

  test('sends the event synchronously and returns the RollbackResult', async () => {
    const result = { outcome: 'refused', message: 'Rollback refused and nothing changed: no previous digest.', liveSlot: 'a', liveDigest: null, previousDigest: null, state: 'old' };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(result) });

    expect(await invokeRollback(clients, 'shop-swap', event)).toEqual({ kind: 'result', result });
    const input = lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect(input).toMatchObject({ FunctionName: 'shop-swap', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual(event);
  });

  test('TooManyRequests (reserved concurrency taken) is busy, not an error', async () => {
    lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: {} }));
    expect(await invokeRollback(clients, 'shop-swap', event)).toEqual({ kind: 'busy', message: 'TooManyRequestsException: Rate Exceeded.' });
  });

  test('a function error or an unexpected payload is an error with the reason', async () => {
    lambda.on(InvokeCommand).resolvesOnce({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorType: 'TypeError', errorMessage: 'x is undefined' }) })
      .resolvesOnce({ StatusCode: 200, Payload: payload({ ok: true }) });
    expect(await invokeRollback(clients, 'shop-swap', event)).toEqual({ kind: 'error', message: 'the swap function shop-swap threw TypeError: x is undefined' });
    expect(await invokeRollback(clients, 'shop-swap', event)).toEqual({ kind: 'error', message: 'the swap function shop-swap answered something that is not a rollback result' });
  });

  test('other invoke errors are thrown to the caller', async () => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(invokeRollback(clients, 'shop-swap', event)).rejects.toThrow('denied');
  });
});
