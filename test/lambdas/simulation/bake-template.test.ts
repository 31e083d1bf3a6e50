// The real Bake handler against the alarms the construct deploys: the synthesized template's metric
// and composite alarms loaded into the CloudWatch model, with the DescribeAlarms grant of the
// template's Bake role, so a regression in the construct shows up as a bake that cannot see.
import { CloudWatchClient, DescribeAlarmsCommand, DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { createBakeHandler } from '../../../lambdas/bake';
import { BakeToken } from '../../../lambdas/core/decide-bake';
import { MAX_ALARM_RULE_LENGTH, MAX_RULE_ALARMS } from '../../../lib/private/bake-alarms';
import { AlarmModel } from '../../support/cloudwatch-model';
import { deployAlarms } from '../../support/template-alarms';
import { synth } from '../../lib/fixtures';
import { ACCOUNT, D1, D2, REGION, config } from '../core/fixtures';
import { givenRoutes, jobResults, resetAws } from '../handlers/aws-mocks';

const cloudwatchMock = mockClient(CloudWatchClient);
const lambda = mockClient(LambdaClient);

const T0 = new Date('2025-03-01T10:00:00.000Z');
const token: BakeToken = { slot: 'b', digest: D2, startedAt: T0.toISOString(), until: new Date(T0.getTime() + 600_000).toISOString() };
const userArn = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
const newModel = () => new AlarmModel({ region: REGION, account: ACCOUNT, now: () => T0.getTime() });

/** One poll of the real Bake handler inside the window, production on slot b, against `alarms`. */
async function poll(alarms: AlarmModel, bake: ReturnType<typeof deployAlarms>['bake']) {
  resetAws({ ...config, bake });
  givenRoutes('b', 'a');
  cloudwatchMock.reset();
  cloudwatchMock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => alarms.describe(input));
  lambda.reset();
  lambda.on(InvokeCommand).resolves({
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify({ outcome: 'rolled-back', message: 'Production moved back.', liveSlot: 'a', liveDigest: D1, previousDigest: D2, state: 'new' })) as never,
  });
  const event = {
    'CodePipeline.job': {
      id: 'job-1',
      data: {
        actionConfiguration: { configuration: { UserParameters: JSON.stringify({ liveSlot: 'b', imageDigest: D2, executionId: 'exec-7' }) } },
        continuationToken: JSON.stringify(token),
        pipelineContext: { pipelineName: 'shop', pipelineExecutionId: 'exec-7' },
      },
    },
  };
  await createBakeHandler({ now: () => new Date(T0.getTime() + 60_000), logSink: () => undefined })(event);
  const invoked = lambda.commandCalls(InvokeCommand).map((c) => JSON.parse(new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)).reason as string);
  const { successes, failures } = jobResults();
  return { invoked, failure: failures[0]?.failureDetails?.message, continued: successes[0]?.continuationToken !== undefined };
}

describe('Bake against the alarms the construct deploys', () => {
  test('a composite alarm of yours in bakeAlarms is seen: when an alarm under it fires, Bake rolls back naming that alarm', async () => {
    // GIVEN your composite alarm, with its own two alarms, already in the account
    const alarms = newModel();
    alarms.addMetric('checkout-errors');
    alarms.addMetric('checkout-latency');
    alarms.addComposite('checkout-health', `(ALARM("${userArn('checkout-errors')}") OR ALARM("${userArn('checkout-latency')}"))`);
    const { template } = synth({}, (stack) => ({ bakeAlarms: [cloudwatch.CompositeAlarm.fromCompositeAlarmArn(stack, 'Checkout', userArn('checkout-health'))] }));
    const deployed = deployAlarms(template, alarms);

    // WHEN all is quiet, Bake sees every watched alarm and waits
    expect(await poll(alarms, deployed.bake)).toEqual({ invoked: [], failure: undefined, continued: true });

    // WHEN an alarm under your composite alarm fires
    alarms.set('checkout-latency', 'ALARM');
    const fired = await poll(alarms, deployed.bake);

    // THEN Bake rolls back, naming the alarm that fired, not the composite alarms above it
    expect(fired.invoked).toEqual(['bake: alarm checkout-latency fired on slot b']);
    expect(fired.failure).toBe(`Bake failed: alarm checkout-latency fired on slot b, so the release was rolled back: production is on slot a (${D1}) again.`);
    expect(deployed.describeAlarmsGrant).toEqual(['*']);
  });

  test('a slot alarm the construct creates fires through its slot\'s composite alarm', async () => {
    const alarms = newModel();
    const { template } = synth();
    const deployed = deployAlarms(template, alarms);
    const latency = deployed.nameOf(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).find((id) => id.startsWith('ReleaseBakeAlarmsSlotBLatency'))!);

    alarms.set(latency, 'ALARM');

    expect((await poll(alarms, deployed.bake)).invoked).toEqual([`bake: alarm ${latency} fired on slot b`]);
  });

  test('hundreds of your alarms: each is watched through nested composite alarms within CloudWatch\'s rule limits', async () => {
    const count = 300;
    const alarms = newModel();
    const { template } = synth({}, (stack) => ({
      bakeAlarms: Array.from(
        { length: count },
        (_, i) =>
          new cloudwatch.Alarm(stack, `Yours${i}`, {
            metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: `Errors${i}`, period: Duration.minutes(1) }),
            threshold: 1,
            evaluationPeriods: 1,
          }),
      ),
    }));
    // Every rule within 100 alarms and 10,240 characters (the model refuses more, as PutCompositeAlarm does).
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'))) {
      const rule = JSON.stringify(alarm.Properties.AlarmRule);
      expect((rule.match(/ALARM\(/g) ?? []).length).toBeLessThanOrEqual(MAX_RULE_ALARMS);
      expect(rule.length).toBeLessThan(MAX_ALARM_RULE_LENGTH);
    }
    const deployed = deployAlarms(template, alarms);
    expect(deployed.bake.sharedAlarms).toEqual(['shop-bake-shared']);

    // Every one of your alarms reaches the watched composite alarm.
    const yours = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).filter((id) => id.startsWith('Yours')).map(deployed.nameOf);
    expect(yours).toHaveLength(count);
    const reaches = (name: string): boolean => name === 'shop-bake-shared' || alarms.parentsOf(name).some((p) => reaches(p.name));
    expect(yours.filter((name) => !reaches(name))).toEqual([]);
    // 300 alarms whose ARNs are tokens at synthesis fit 30 to a rule (each counted at the longest an
    // alarm ARN can be): 10 groups under the watched one, besides the two slots' composite alarms.
    expect(Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm'))).toHaveLength(2 + 10 + 1);

    alarms.set(yours[257], 'ALARM');
    expect((await poll(alarms, deployed.bake)).invoked).toEqual([`bake: alarm ${yours[257]} fired on slot b`]);
  });
});
