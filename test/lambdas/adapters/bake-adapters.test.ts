// The Bake adapters against aws-sdk-client-mock: alarm reads (batches and pages) and the rollback invoke.
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describeAlarms } from '../../../lambdas/adapters/cloudwatch';
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
