import { CreateServiceCommand, DeleteServiceCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CreateRuleCommand, DeleteRuleCommand, DescribeRulesCommand, ModifyRuleCommand, PriorityInUseException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CustomResourceResponse } from '../../../lambdas/adapters/cfn-response';
import { createInfraOwnerHandler } from '../../../lambdas/infra-owner/index';
import { config, tg } from '../core/fixtures';
import { aws, logCapture, resetAws } from './aws-mocks';

const elb = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const PROD = `${elb}:listener/app/shop/abc/443`;
const TEST = `${elb}:listener/app/shop/abc/8080`;
const TEST2 = `${elb}:listener/app/shop/abc/8443`;
const routesProps = { ProductionListenerArn: PROD, TestListenerArn: TEST, SlotATargetGroupArn: tg('a'), SlotBTargetGroupArn: tg('b') };
const serviceProps = {
  ClusterArn: config.clusterArn, ServiceName: 'shop-a', TaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:2', ContainerName: 'app',
  ContainerPort: '8080', TargetGroupArn: tg('a'), Subnets: ['subnet-1'], SecurityGroups: ['sg-1'], HealthCheckGracePeriodSeconds: '60', Tags: [{ Key: 'bluegreen:slot', Value: 'a' }],
};

function cfnEvent(requestType: string, resourceType: string, props: object, extra: object = {}) {
  return {
    RequestType: requestType, ResponseURL: 'https://cloudformation-custom-resource-response.example/r', StackId: 'stack', RequestId: 'req-1',
    LogicalResourceId: 'Routes', ResourceType: resourceType, ResourceProperties: { ServiceToken: 'arn', ...props }, ...extra,
  };
}

let sent: { url: string; response: CustomResourceResponse }[];
let run: ReturnType<typeof createInfraOwnerHandler>;

beforeEach(() => {
  resetAws();
  sent = [];
  run = createInfraOwnerHandler({ logSink: logCapture().sink, send: async (url, response) => void sent.push({ url, response }) });
});

/** Listener rules as DescribeRules(ListenerArn) reports them: the slot rule plus the default. */
function givenListener(listenerArn: string, slotRule: { arn: string; tg: string } | null) {
  aws.elbv2.on(DescribeRulesCommand, { ListenerArn: listenerArn }).resolves({
    Rules: [
      ...(slotRule ? [{ RuleArn: slotRule.arn, Priority: '1', Actions: [{ Type: 'forward' as const, TargetGroupArn: slotRule.tg }] }] : []),
      { RuleArn: `${listenerArn}/default`, Priority: 'default', IsDefault: true, Actions: [{ Type: 'fixed-response' as const }] },
    ],
  });
}

describe('Custom::BlueGreenRoutes', () => {
  test('Create: production → slot a, test → slot b, ARNs as attributes', async () => {
    aws.elbv2.on(CreateRuleCommand, { ListenerArn: PROD }).resolves({ Rules: [{ RuleArn: 'rule-prod' }] });
    aws.elbv2.on(CreateRuleCommand, { ListenerArn: TEST }).resolves({ Rules: [{ RuleArn: 'rule-test' }] });
    await run(cfnEvent('Create', 'Custom::BlueGreenRoutes', routesProps));
    expect(aws.elbv2.commandCalls(CreateRuleCommand).map((c) => [c.args[0].input.ListenerArn, c.args[0].input.Actions?.[0].TargetGroupArn])).toEqual([[PROD, tg('a')], [TEST, tg('b')]]);
    expect(sent).toEqual([{
      url: 'https://cloudformation-custom-resource-response.example/r',
      response: { Status: 'SUCCESS', Reason: 'OK', PhysicalResourceId: 'bluegreen-routes:Routes', StackId: 'stack', RequestId: 'req-1', LogicalResourceId: 'Routes', Data: { ProductionRuleArn: 'rule-prod', TestRuleArn: 'rule-test' } },
    }]);
  });

  test('Create: a taken priority fails clearly and removes the half-made pair', async () => {
    aws.elbv2.on(CreateRuleCommand, { ListenerArn: PROD }).resolves({ Rules: [{ RuleArn: 'rule-prod' }] });
    aws.elbv2.on(CreateRuleCommand, { ListenerArn: TEST }).rejects(new PriorityInUseException({ message: 'in use', $metadata: {} }));
    aws.elbv2.on(DeleteRuleCommand).resolves({});
    await run(cfnEvent('Create', 'Custom::BlueGreenRoutes', routesProps));
    expect(aws.elbv2.commandCalls(DeleteRuleCommand)[0].args[0].input).toEqual({ RuleArn: 'rule-prod' });
    expect(sent[0].response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'bluegreen-not-created:req-1', Reason: expect.stringMatching(/priority 1 on listener .*8080 is already used/) });
  });

  test('Update with the same listeners never moves a route, even after swaps', async () => {
    givenListener(PROD, { arn: 'rule-prod', tg: tg('b') });
    givenListener(TEST, { arn: 'rule-test', tg: tg('a') });
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', routesProps, { PhysicalResourceId: 'bluegreen-routes:Routes', OldResourceProperties: routesProps }));
    expect(aws.elbv2.commandCalls(ModifyRuleCommand)).toHaveLength(0);
    expect(aws.elbv2.commandCalls(CreateRuleCommand)).toHaveLength(0);
    expect(sent[0].response).toMatchObject({ Status: 'SUCCESS', Data: { ProductionRuleArn: 'rule-prod', TestRuleArn: 'rule-test' } });
  });

  test('Update with a new test listener re-creates that rule on the same slot and removes the old one', async () => {
    givenListener(PROD, { arn: 'rule-prod', tg: tg('b') });
    givenListener(TEST, { arn: 'rule-test', tg: tg('a') });
    aws.elbv2.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: 'rule-test-2' }] });
    aws.elbv2.on(DeleteRuleCommand).resolves({});
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', { ...routesProps, TestListenerArn: TEST2 }, { PhysicalResourceId: 'bluegreen-routes:Routes', OldResourceProperties: routesProps }));
    expect(aws.elbv2.commandCalls(CreateRuleCommand).map((c) => [c.args[0].input.ListenerArn, c.args[0].input.Actions?.[0].TargetGroupArn])).toEqual([[TEST2, tg('a')]]);
    expect(aws.elbv2.commandCalls(DeleteRuleCommand)[0].args[0].input).toEqual({ RuleArn: 'rule-test' });
    expect(sent[0].response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'bluegreen-routes:Routes', Data: { ProductionRuleArn: 'rule-prod', TestRuleArn: 'rule-test-2' } });
  });

  test('Update refuses to guess the live slot when the production rule is gone', async () => {
    givenListener(PROD, null);
    givenListener(TEST, { arn: 'rule-test', tg: tg('a') });
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', { ...routesProps, ProductionListenerArn: `${PROD}x` }, { PhysicalResourceId: 'bluegreen-routes:Routes', OldResourceProperties: routesProps }));
    expect(aws.elbv2.commandCalls(CreateRuleCommand)).toHaveLength(0);
    expect(sent[0].response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'bluegreen-routes:Routes', Reason: expect.stringMatching(/live slot is unknown/) });
  });

  test('Delete removes both rules; missing rules and listeners are fine', async () => {
    givenListener(PROD, { arn: 'rule-prod', tg: tg('a') });
    aws.elbv2.on(DescribeRulesCommand, { ListenerArn: TEST }).rejects(Object.assign(new Error('gone'), { name: 'ListenerNotFoundException' }));
    aws.elbv2.on(DeleteRuleCommand).resolves({});
    await run(cfnEvent('Delete', 'Custom::BlueGreenRoutes', routesProps, { PhysicalResourceId: 'bluegreen-routes:Routes' }));
    expect(aws.elbv2.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input.RuleArn)).toEqual(['rule-prod']);
    expect(sent[0].response.Status).toBe('SUCCESS');
  });
});

describe('Custom::BlueGreenSlotService', () => {
  test('Create makes an empty service and returns its ARN', async () => {
    aws.ecs.on(CreateServiceCommand).resolves({ service: { serviceArn: config.slots.a.serviceArn, serviceName: 'shop-a' } });
    await run(cfnEvent('Create', 'Custom::BlueGreenSlotService', serviceProps));
    expect(aws.ecs.commandCalls(CreateServiceCommand)[0].args[0].input).toMatchObject({ desiredCount: 0, serviceName: 'shop-a', clientToken: 'req-1' });
    expect(sent[0].response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: config.slots.a.serviceArn, Data: { ServiceArn: config.slots.a.serviceArn, ServiceName: 'shop-a' } });
  });

  test('Update changes the task definition but never the desired count', async () => {
    aws.ecs.on(UpdateServiceCommand).resolves({});
    await run(cfnEvent('Update', 'Custom::BlueGreenSlotService', { ...serviceProps, TaskDefinitionArn: `${serviceProps.TaskDefinitionArn}0` }, { PhysicalResourceId: config.slots.a.serviceArn, OldResourceProperties: serviceProps }));
    const input = aws.ecs.commandCalls(UpdateServiceCommand)[0].args[0].input;
    expect(input).not.toHaveProperty('desiredCount');
    expect(input).not.toHaveProperty('forceNewDeployment');
    expect(input.taskDefinition).toBe(`${serviceProps.TaskDefinitionArn}0`);
    expect(sent[0].response.Status).toBe('SUCCESS');
  });

  test('Update refuses to replace the service', async () => {
    await run(cfnEvent('Update', 'Custom::BlueGreenSlotService', { ...serviceProps, ServiceName: 'shop-a2' }, { PhysicalResourceId: config.slots.a.serviceArn, OldResourceProperties: serviceProps }));
    expect(aws.ecs.calls()).toHaveLength(0);
    expect(sent[0].response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: config.slots.a.serviceArn, Reason: expect.stringMatching(/would replace slot service shop-a/) });
  });

  test('Delete scales to 0 and force-deletes; a never-created service is a no-op', async () => {
    aws.ecs.on(UpdateServiceCommand).resolves({});
    aws.ecs.on(DeleteServiceCommand).resolves({});
    await run(cfnEvent('Delete', 'Custom::BlueGreenSlotService', serviceProps, { PhysicalResourceId: config.slots.a.serviceArn }));
    expect(aws.ecs.commandCalls(UpdateServiceCommand)[0].args[0].input).toEqual({ cluster: 'shop', service: config.slots.a.serviceArn, desiredCount: 0 });
    expect(aws.ecs.commandCalls(DeleteServiceCommand)[0].args[0].input).toMatchObject({ force: true });
    await run(cfnEvent('Delete', 'Custom::BlueGreenSlotService', {}, { PhysicalResourceId: 'bluegreen-not-created:req-0' }));
    expect(aws.ecs.calls()).toHaveLength(2);
    expect(sent.map((s) => s.response.Status)).toEqual(['SUCCESS', 'SUCCESS']);
  });
});

describe('answering CloudFormation', () => {
  test.each([
    ['an unknown resource type', cfnEvent('Create', 'Custom::Nope', {}), /unknown resource type Custom::Nope/],
    ['an unknown request type', cfnEvent('Upsert', 'Custom::BlueGreenRoutes', routesProps), /RequestType must be Create, Update or Delete/],
    ['invalid properties', cfnEvent('Create', 'Custom::BlueGreenSlotService', { ...serviceProps, Subnets: 'subnet-1' }), /Subnets must be a non-empty list/],
  ])('%s gets a FAILED response', async (_n, event, reason) => {
    await run(event);
    expect(sent).toHaveLength(1);
    expect(sent[0].response).toMatchObject({ Status: 'FAILED', RequestId: 'req-1', Reason: expect.stringMatching(reason) });
  });

  test('a slow operation is answered before the function times out', async () => {
    aws.ecs.on(CreateServiceCommand).callsFake(() => new Promise(() => undefined));
    run = createInfraOwnerHandler({ logSink: logCapture().sink, answerMarginMs: 1000, send: async (url, response) => void sent.push({ url, response }) });
    await run(cfnEvent('Create', 'Custom::BlueGreenSlotService', serviceProps), { getRemainingTimeInMillis: () => 1050 });
    expect(sent[0].response).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/did not finish within 0 s/) });
  });

  test('an event without a ResponseURL cannot be answered and does not throw', async () => {
    await expect(run({ RequestType: 'Create' })).resolves.toBeUndefined();
    expect(sent).toHaveLength(0);
  });

  test('a failure to send the response is rethrown', async () => {
    run = createInfraOwnerHandler({ logSink: logCapture().sink, send: async () => { throw new Error('HTTP 403'); } });
    await expect(run(cfnEvent('Create', 'Custom::Nope', {}))).rejects.toThrow('HTTP 403');
  });
});
