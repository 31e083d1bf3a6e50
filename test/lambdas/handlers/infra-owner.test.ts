// The infra owner's contract (lambdas/README.md "Custom resources"), event by event, against the
// AWS model. Whole stack operations (update, rollback, cleanup, faults) are in
// test/lambdas/simulation/stack-updates.test.ts.
import { CustomResourceResponse } from '../../../lambdas/adapters/cfn-response';
import { ROUTE_RULE_TAG, WAIT_KEY } from '../../../lambdas/core/events';
import { createInfraOwnerHandler } from '../../../lambdas/infra-owner/index';
import { AwsWorld } from '../../support/aws-model';
import { createWorld } from '../../support/jest-world';
import { ReleaseStack, seedReleaseStack } from '../../support/release-stack';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:111122223333:stack/AppStack/0b0e4e6d-0000-4000-8000-000000000001';

let world: AwsWorld;
let stack: ReleaseStack;
let sent: CustomResourceResponse[];
let run: ReturnType<typeof createInfraOwnerHandler>;
let requests = 0;

beforeEach(() => {
  world = createWorld();
  stack = seedReleaseStack(world);
  sent = [];
  run = handler();
});

afterAll(() => {
  AwsWorld.uninstall();
  jest.useRealTimers();
});

function handler(over: Parameters<typeof createInfraOwnerHandler>[0] = {}) {
  return createInfraOwnerHandler({
    send: async (_url, response) => void sent.push(response),
    sleep: async () => world.tick(),
    pollIntervalMs: world.tickMs,
    logSink: () => undefined,
    ...over,
  });
}

function cfnEvent(requestType: string, resourceType: string, props: object, extra: object = {}) {
  requests += 1;
  return {
    RequestType: requestType, ResponseURL: 'https://cloudformation-custom-resource-response.example/r', StackId: STACK_ID, RequestId: `req-${requests}`,
    LogicalResourceId: resourceType === 'Custom::BlueGreenRoutes' ? 'Routes' : 'SlotA', ResourceType: resourceType, ResourceProperties: { ServiceToken: 'arn', ...props }, ...extra,
  };
}

const routesProps = () => ({
  ProductionListenerArn: stack.ids.productionListenerArn,
  TestListenerArn: stack.ids.testListenerArn,
  SlotATargetGroupArn: stack.config.slots.a.targetGroupArn,
  SlotBTargetGroupArn: stack.config.slots.b.targetGroupArn,
});

/** Listeners on the seeded load balancer with no rule yet, and target groups for them. */
function bareRoutesProps() {
  const lb = stack.ids.loadBalancerArn;
  const [a, b] = ['a', 'b'].map((s) => world.elbv2.addTargetGroup({ name: `fresh-${s}` }));
  return { ProductionListenerArn: world.elbv2.addListener({ loadBalancerArn: lb, port: 81 }), TestListenerArn: world.elbv2.addListener({ loadBalancerArn: lb, port: 8081 }), SlotATargetGroupArn: a, SlotBTargetGroupArn: b };
}

const rulesOn = (listenerArn: string) => [...world.elbv2.rules.values()].filter((r) => r.listenerArn === listenerArn);
const writes = (from: number) => world.callsSince(from).filter((c) => ['CreateRule', 'ModifyRule', 'DeleteRule'].includes(c.command)).map((c) => c.command);

/** The seeded rules, tagged as the Create with RequestId `seed` made them. */
function seededRoutes(): string {
  for (const [arn, route] of [[stack.config.productionRuleArn, 'production'], [stack.config.testRuleArn, 'test']]) {
    world.tags.put(arn, { [ROUTE_RULE_TAG.stack]: STACK_ID, [ROUTE_RULE_TAG.resource]: 'Routes', [ROUTE_RULE_TAG.route]: route, [ROUTE_RULE_TAG.generation]: 'seed' });
  }
  return 'bluegreen-routes:Routes:seed';
}

describe('Custom::BlueGreenRoutes', () => {
  test('Create: production → slot a, test → slot b, each rule tagged with what it is, ARNs as attributes', async () => {
    const props = bareRoutesProps();
    await run(cfnEvent('Create', 'Custom::BlueGreenRoutes', props));
    const [production] = rulesOn(props.ProductionListenerArn);
    const [test] = rulesOn(props.TestListenerArn);
    expect(world.elbv2.forwardTargets(production.arn)).toEqual([props.SlotATargetGroupArn]);
    expect(world.elbv2.forwardTargets(test.arn)).toEqual([props.SlotBTargetGroupArn]);
    expect(world.tags.of(production.arn)).toEqual({ [ROUTE_RULE_TAG.stack]: STACK_ID, [ROUTE_RULE_TAG.resource]: 'Routes', [ROUTE_RULE_TAG.route]: 'production', [ROUTE_RULE_TAG.generation]: `req-${requests}` });
    expect(sent).toEqual([{
      Status: 'SUCCESS', Reason: 'OK', PhysicalResourceId: `bluegreen-routes:Routes:req-${requests}`, StackId: STACK_ID, RequestId: `req-${requests}`, LogicalResourceId: 'Routes',
      Data: { ProductionRuleArn: production.arn, TestRuleArn: test.arn },
    }]);
  });

  test('Create: a priority held by a rule that is not its own fails clearly and removes the half-made pair', async () => {
    const props = { ...bareRoutesProps(), TestListenerArn: stack.ids.testListenerArn };
    await run(cfnEvent('Create', 'Custom::BlueGreenRoutes', props));
    expect(rulesOn(props.ProductionListenerArn)).toEqual([]);
    expect(sent[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `bluegreen-not-created:req-${requests}`, Reason: expect.stringMatching(/priority 1 on listener .* is already used by another rule, and the test route needs it/) });
  });

  test('Update with the same listeners never moves a route, even after swaps', async () => {
    const physicalId = seededRoutes();
    world.elbv2.setForward(stack.config.productionRuleArn, stack.config.slots.b.targetGroupArn);
    world.elbv2.setForward(stack.config.testRuleArn, stack.config.slots.a.targetGroupArn);
    const from = world.calls.length;
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', routesProps(), { PhysicalResourceId: physicalId, OldResourceProperties: routesProps() }));
    expect(writes(from)).toEqual([]);
    expect(sent[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: { ProductionRuleArn: stack.config.productionRuleArn, TestRuleArn: stack.config.testRuleArn } });
  });

  test('Update with a new test listener makes that rule on the same slot; the old rule stays on the old listener', async () => {
    const physicalId = seededRoutes();
    world.elbv2.setForward(stack.config.productionRuleArn, stack.config.slots.b.targetGroupArn);
    world.elbv2.setForward(stack.config.testRuleArn, stack.config.slots.a.targetGroupArn);
    const test2 = world.elbv2.addListener({ loadBalancerArn: stack.ids.loadBalancerArn, port: 8443 });
    const from = world.calls.length;
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', { ...routesProps(), TestListenerArn: test2 }, { PhysicalResourceId: physicalId, OldResourceProperties: routesProps() }));
    expect(writes(from)).toEqual(['CreateRule']);
    const [created] = rulesOn(test2);
    expect(world.elbv2.forwardTargets(created.arn)).toEqual([stack.config.slots.a.targetGroupArn]);
    expect(world.elbv2.rules.has(stack.config.testRuleArn)).toBe(true);
    expect(sent[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: { ProductionRuleArn: stack.config.productionRuleArn, TestRuleArn: created.arn } });
  });

  test('Update refuses to guess the live slot when the production rule is gone', async () => {
    const physicalId = seededRoutes();
    world.elbv2.commands.DeleteRule({ RuleArn: stack.config.productionRuleArn });
    const from = world.calls.length;
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', routesProps(), { PhysicalResourceId: physicalId, OldResourceProperties: routesProps() }));
    expect(writes(from)).toEqual([]);
    expect(sent[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: physicalId, Reason: expect.stringMatching(/live slot is unknown and no route was changed/) });
  });

  test('Update during a weighted shift changes nothing and says to retry after the release', async () => {
    const physicalId = seededRoutes();
    world.elbv2.commands.ModifyRule({ RuleArn: stack.config.productionRuleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: stack.config.slots.a.targetGroupArn, Weight: 90 }, { TargetGroupArn: stack.config.slots.b.targetGroupArn, Weight: 10 }] } }] });
    const from = world.calls.length;
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', { ...routesProps(), TestListenerArn: world.elbv2.addListener({ loadBalancerArn: stack.ids.loadBalancerArn, port: 8443 }) }, { PhysicalResourceId: physicalId, OldResourceProperties: routesProps() }));
    expect(writes(from)).toEqual([]);
    expect(sent[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/weighted shift is under way.*retry the deploy once the release has finished/) });
  });

  test('Delete removes its own rules only; a missing listener is fine', async () => {
    const physicalId = seededRoutes();
    const foreign = world.elbv2.commands.CreateRule({ ListenerArn: stack.ids.productionListenerArn, Priority: 7, Conditions: [{ Field: 'path-pattern', Values: ['/x'] }], Actions: [{ Type: 'forward', TargetGroupArn: stack.config.slots.a.targetGroupArn }] }) as { Rules: { RuleArn: string }[] };
    world.elbv2.deleteListener(stack.ids.testListenerArn);
    await run(cfnEvent('Delete', 'Custom::BlueGreenRoutes', routesProps(), { PhysicalResourceId: physicalId }));
    expect(rulesOn(stack.ids.productionListenerArn).map((r) => r.arn)).toEqual([foreign.Rules[0].RuleArn]);
    expect(sent[0].Status).toBe('SUCCESS');
  });
});

describe('Custom::BlueGreenRoutes with a header test route', () => {
  const header = { TestHeaderName: 'X-Release-Test', TestHeaderValue: 'green' };
  const headerProps = (over: object = {}) => {
    const { TestListenerArn: _none, ...rest } = routesProps();
    return { ...rest, ...header, ...over };
  };
  const ruleOf = (arn: string) => world.elbv2.rules.get(arn)!;
  const headerCondition = (value = 'green') => ({ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Release-Test', Values: [value] } });

  test('Create: the test rule on the production listener at priority 1, taking only requests with the header (and from the CIDRs), production behind it at 2', async () => {
    const { TestListenerArn: _none, ...props } = bareRoutesProps();
    await run(cfnEvent('Create', 'Custom::BlueGreenRoutes', { ...props, ...header, TestSourceCidrs: ['203.0.113.0/24'] }));
    const rules = rulesOn(props.ProductionListenerArn).sort((x, y) => x.priority - y.priority);
    expect(rules.map((r) => [r.priority, world.tags.of(r.arn)[ROUTE_RULE_TAG.route], world.elbv2.forwardTargets(r.arn)])).toEqual([
      [1, 'test', [props.SlotBTargetGroupArn]],
      [2, 'production', [props.SlotATargetGroupArn]],
    ]);
    expect(rules[0].conditions).toEqual([headerCondition(), { Field: 'source-ip', SourceIpConfig: { Values: ['203.0.113.0/24'] } }]);
    expect(sent[0]).toMatchObject({ Status: 'SUCCESS', Data: { ProductionRuleArn: rules[1].arn, TestRuleArn: rules[0].arn } });
  });

  test('Update from a test port to a header after swaps: production moves back a priority, the header rule forwards to the idle slot, no route moves', async () => {
    const physicalId = seededRoutes();
    world.elbv2.setForward(stack.config.productionRuleArn, stack.config.slots.b.targetGroupArn);
    world.elbv2.setForward(stack.config.testRuleArn, stack.config.slots.a.targetGroupArn);
    const from = world.calls.length;
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', headerProps(), { PhysicalResourceId: physicalId, OldResourceProperties: routesProps() }));
    expect(world.callsSince(from).filter((c) => ['CreateRule', 'ModifyRule', 'DeleteRule', 'SetRulePriorities'].includes(c.command)).map((c) => c.command)).toEqual(['SetRulePriorities', 'CreateRule']);
    expect(ruleOf(stack.config.productionRuleArn)).toMatchObject({ priority: 2 });
    expect(world.elbv2.forwardTargets(stack.config.productionRuleArn)).toEqual([stack.config.slots.b.targetGroupArn]);
    const created = rulesOn(stack.ids.productionListenerArn).find((r) => r.priority === 1)!;
    expect(world.elbv2.forwardTargets(created.arn)).toEqual([stack.config.slots.a.targetGroupArn]);
    expect(created.conditions).toEqual([headerCondition()]);
    // The port rule stays on the old listener, which CloudFormation deletes with its rules.
    expect(world.elbv2.rules.has(stack.config.testRuleArn)).toBe(true);
    expect(sent[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: { ProductionRuleArn: stack.config.productionRuleArn, TestRuleArn: created.arn } });

    // A new header value is the same rule with new conditions; and back to a port, the header rule goes.
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', headerProps({ TestHeaderValue: 'candidate' }), { PhysicalResourceId: physicalId, OldResourceProperties: headerProps() }));
    expect(ruleOf(created.arn).conditions).toEqual([headerCondition('candidate')]);
    expect(world.elbv2.forwardTargets(created.arn)).toEqual([stack.config.slots.a.targetGroupArn]);
    const test2 = world.elbv2.addListener({ loadBalancerArn: stack.ids.loadBalancerArn, port: 8443 });
    await run(cfnEvent('Update', 'Custom::BlueGreenRoutes', { ...routesProps(), TestListenerArn: test2 }, { PhysicalResourceId: physicalId, OldResourceProperties: headerProps({ TestHeaderValue: 'candidate' }) }));
    expect(world.elbv2.rules.has(created.arn)).toBe(false);
    expect(rulesOn(test2).map((r) => world.elbv2.forwardTargets(r.arn))).toEqual([[stack.config.slots.a.targetGroupArn]]);
    expect(sent.map((r) => r.Status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(world.elbv2.forwardTargets(stack.config.productionRuleArn)).toEqual([stack.config.slots.b.targetGroupArn]);
  });

  test.each([
    [{ TestListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/x/1/2' }, /TestListenerArn and TestHeaderName exclude each other/],
    [{ TestHeaderName: 'Host' }, /TestHeaderName cannot be Host/],
    [{ TestHeaderName: 'X Test' }, /TestHeaderName must be 1-40 letters, digits/],
    [{ TestSourceCidrs: ['10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16'] }, /TestSourceCidrs can name at most 4 CIDR blocks: a rule has 5 condition values and the header takes one \(got 5\)/],
  ])('a header route with %p is refused before any write', async (over, reason) => {
    const from = world.calls.length;
    await run(cfnEvent('Create', 'Custom::BlueGreenRoutes', headerProps(over)));
    expect(writes(from)).toEqual([]);
    expect(sent[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(reason) });
  });
});

const serviceProps = (over: object = {}) => ({
  ClusterArn: stack.config.clusterArn, ServiceName: 'app-slot-c', TaskDefinitionArn: world.ecs.service(stack.config.slots.a.serviceArn).taskDefinition, ContainerName: 'app',
  ContainerPort: '8080', TargetGroupArn: stack.config.slots.a.targetGroupArn, Subnets: ['subnet-1'], SecurityGroups: ['sg-1'], HealthCheckGracePeriodSeconds: '60',
  Tags: [{ Key: 'bluegreen:slot', Value: 'a' }], RepositoryName: stack.config.repositoryName, ImageTag: 'slot-a', ...over,
});

describe('Custom::BlueGreenSlotService', () => {
  test('Create makes an empty service and returns its ARN', async () => {
    await run(cfnEvent('Create', 'Custom::BlueGreenSlotService', serviceProps()));
    const service = world.ecs.service('app-slot-c');
    expect(service).toMatchObject({ desiredCount: 0, status: 'ACTIVE', circuitBreaker: { enable: true, rollback: true } });
    expect(sent[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: service.arn, Data: { ServiceArn: service.arn, ServiceName: 'app-slot-c' } });
  });

  test('Update applies a new task definition but never a desired count', async () => {
    const arn = stack.config.slots.a.serviceArn;
    const props = serviceProps({ ServiceName: 'app-slot-a' });
    const next = world.ecs.registerTaskDefinition({ family: 'app-slot-a', image: `${stack.ids.repositoryUri}:slot-a` });
    const from = world.calls.length;
    await run(cfnEvent('Update', 'Custom::BlueGreenSlotService', { ...props, TaskDefinitionArn: next }, { PhysicalResourceId: arn, OldResourceProperties: props }));
    const [update] = world.callsSince(from, { command: 'UpdateService' });
    expect(update.input).toEqual({ cluster: stack.config.clusterArn, service: arn, taskDefinition: next });
    expect(world.ecs.service(arn)).toMatchObject({ taskDefinition: next, desiredCount: 0 });
    expect(sent[0].Status).toBe('SUCCESS');
  });

  test('Update refuses to replace the service', async () => {
    const from = world.calls.length;
    await run(cfnEvent('Update', 'Custom::BlueGreenSlotService', serviceProps({ ServiceName: 'app-slot-a2' }), { PhysicalResourceId: stack.config.slots.a.serviceArn, OldResourceProperties: serviceProps({ ServiceName: 'app-slot-a' }) }));
    expect(world.callsSince(from)).toEqual([]);
    expect(sent[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: stack.config.slots.a.serviceArn, Reason: expect.stringMatching(/would replace slot service app-slot-a/) });
  });

  test('Delete scales to 0, force-deletes and answers once the service is gone; a never-created service is a no-op', async () => {
    const arn = stack.config.slots.a.serviceArn;
    world.ecs.runNow(arn, stack.build('v1').digest, 2);
    await run(cfnEvent('Delete', 'Custom::BlueGreenSlotService', serviceProps(), { PhysicalResourceId: arn }));
    expect(world.ecs.service(arn).status).toBe('INACTIVE');
    expect(sent[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arn });
    const from = world.calls.length;
    await run(cfnEvent('Delete', 'Custom::BlueGreenSlotService', {}, { PhysicalResourceId: 'bluegreen-not-created:req-0' }));
    expect(world.callsSince(from)).toEqual([]);
    expect(sent.map((s) => s.Status)).toEqual(['SUCCESS', 'SUCCESS']);
  });

  test('a wait that nears the end of the invocation is handed on with its state, and the next invocation answers', async () => {
    const arn = stack.config.slots.a.serviceArn;
    world.ecs.runNow(arn, stack.build('v1').digest, 2);
    world.ecs.timing = { ...world.ecs.timing, drainTicks: 20 };
    const handedOn: Record<string, unknown>[] = [];
    run = handler({ continueLater: async (event) => void handedOn.push(event) });
    const event = cfnEvent('Delete', 'Custom::BlueGreenSlotService', serviceProps(), { PhysicalResourceId: arn });
    const deadline = world.now() + 60_000;
    await run(event, { getRemainingTimeInMillis: () => deadline - world.now() });
    expect(sent).toEqual([]);
    expect(handedOn).toEqual([{ ...event, [WAIT_KEY]: { startedAt: expect.any(Number), state: { phase: 'deleting' } } }]);
    world.tick(20);
    await run(handedOn[0]);
    expect(sent[0]).toMatchObject({ Status: 'SUCCESS', RequestId: event.RequestId });
  });

  test('a wait past maxWaitMs is answered FAILED, saying what it waited for', async () => {
    const arn = stack.config.slots.a.serviceArn;
    world.ecs.runNow(arn, stack.build('v1').digest, 2);
    world.ecs.timing = { ...world.ecs.timing, drainTicks: 100 };
    run = handler({ maxWaitMs: 5 * 60_000 });
    await run(cfnEvent('Delete', 'Custom::BlueGreenSlotService', serviceProps(), { PhysicalResourceId: arn }));
    expect(sent[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/service app-slot-a is DRAINING: its tasks are still stopping, still after 5 min/) });
  });
});

describe('answering CloudFormation', () => {
  test.each([
    ['an unknown resource type', () => cfnEvent('Create', 'Custom::Nope', {}), /unknown resource type Custom::Nope/],
    ['an unknown request type', () => cfnEvent('Upsert', 'Custom::BlueGreenRoutes', routesProps()), /RequestType must be Create, Update or Delete/],
    ['invalid properties', () => cfnEvent('Create', 'Custom::BlueGreenSlotService', serviceProps({ Subnets: 'subnet-1' })), /Subnets must be a non-empty list/],
    ['a slot service without its repository', () => cfnEvent('Create', 'Custom::BlueGreenSlotService', serviceProps({ RepositoryName: undefined })), /RepositoryName/],
    ['a malformed hand-over', () => ({ ...cfnEvent('Delete', 'Custom::BlueGreenSlotService', serviceProps(), { PhysicalResourceId: stack.config.slots.a.serviceArn }), [WAIT_KEY]: { startedAt: 'now' } }), /BlueGreenWait must be/],
  ])('%s gets a FAILED response', async (_n, event, reason) => {
    await run(event());
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ Status: 'FAILED', RequestId: `req-${requests}`, Reason: expect.stringMatching(reason) });
  });

  test('a slow operation is answered before the function times out', async () => {
    world.extend('ecs', 'CreateService', () => new Promise(() => undefined));
    run = handler({ answerMarginMs: 1000 });
    await run(cfnEvent('Create', 'Custom::BlueGreenSlotService', serviceProps()), { getRemainingTimeInMillis: () => 1050 });
    expect(sent[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/did not finish within 0 s/) });
  });

  test('a hand-over that cannot be made is answered FAILED', async () => {
    const arn = stack.config.slots.a.serviceArn;
    world.ecs.runNow(arn, stack.build('v1').digest, 2);
    world.ecs.timing = { ...world.ecs.timing, drainTicks: 20 };
    run = handler({ continueLater: async () => { throw new Error('TooManyRequestsException: Rate exceeded'); } });
    const deadline = world.now() + 30_000;
    await run(cfnEvent('Delete', 'Custom::BlueGreenSlotService', serviceProps(), { PhysicalResourceId: arn }), { getRemainingTimeInMillis: () => deadline - world.now() });
    expect(sent[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/Rate exceeded/) });
  });

  test('an event without a ResponseURL cannot be answered and does not throw', async () => {
    await expect(run({ RequestType: 'Create' })).resolves.toBeUndefined();
    expect(sent).toHaveLength(0);
  });

  test('a failure to send the response is rethrown', async () => {
    run = handler({ send: async () => { throw new Error('HTTP 403'); } });
    await expect(run(cfnEvent('Create', 'Custom::Nope', {}))).rejects.toThrow('HTTP 403');
  });
});

describe('Custom::BlueGreenDefaultSecurityGroup', () => {
  const GROUP = 'sg-0d0e0f0a0b0c0d0e0';
  const TYPE = 'Custom::BlueGreenDefaultSecurityGroup';
  const revokes = (from: number) => world.callsSince(from, { service: 'ec2' }).map((c) => `${c.command}${c.error ? ` ${c.error}` : ''}`);

  test('Create: both default rules are revoked, and the answer says so', async () => {
    // GIVEN a new VPC's default security group, with its two default rules
    const rules = world.ec2.addDefaultSecurityGroup(GROUP);
    const from = world.calls.length;
    // WHEN CloudFormation creates the resource
    await run(cfnEvent('Create', TYPE, { SecurityGroupId: GROUP }));
    // THEN the group has no rule left, one call each
    expect([...rules.ingress, ...rules.egress]).toEqual([]);
    expect(revokes(from)).toEqual(['RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress']);
    expect(sent[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `bluegreen-default-sg:${GROUP}`, Reason: expect.stringMatching(/revoked the inbound rule and the outbound rule/) });
  });

  test('a repeated Create (a retry) finds the rules gone and succeeds', async () => {
    world.ec2.addDefaultSecurityGroup(GROUP);
    await run(cfnEvent('Create', TYPE, { SecurityGroupId: GROUP }));
    const from = world.calls.length;
    await run(cfnEvent('Create', TYPE, { SecurityGroupId: GROUP }));
    expect(revokes(from)).toEqual(['RevokeSecurityGroupIngress InvalidPermission.NotFound', 'RevokeSecurityGroupEgress InvalidPermission.NotFound']);
    expect(sent[1]).toMatchObject({ Status: 'SUCCESS', Reason: 'OK' });
  });

  test('Update to another VPC closes the new group; Delete leaves the group to its VPC', async () => {
    const other = 'sg-0a0a0a0a0a0a0a0a0';
    const [old, next] = [world.ec2.addDefaultSecurityGroup(GROUP), world.ec2.addDefaultSecurityGroup(other)];
    await run(cfnEvent('Update', TYPE, { SecurityGroupId: other }, { PhysicalResourceId: `bluegreen-default-sg:${GROUP}`, OldResourceProperties: { SecurityGroupId: GROUP } }));
    expect([next.ingress.size, next.egress.size, old.ingress.size, old.egress.size]).toEqual([0, 0, 1, 1]);
    const from = world.calls.length;
    await run(cfnEvent('Delete', TYPE, { SecurityGroupId: other }, { PhysicalResourceId: `bluegreen-default-sg:${other}` }));
    expect(revokes(from)).toEqual([]);
    expect(sent.map((r) => r.Status)).toEqual(['SUCCESS', 'SUCCESS']);
  });

  test('a malformed group id, or a group EC2 does not know, fails the request and says why', async () => {
    await run(cfnEvent('Create', TYPE, { SecurityGroupId: 'default' }));
    await run(cfnEvent('Create', TYPE, { SecurityGroupId: GROUP }));
    expect(sent.map((r) => r.Status)).toEqual(['FAILED', 'FAILED']);
    expect(sent[0].Reason).toMatch(/SecurityGroupId must be a security group id.*"default"/);
    expect(sent[1].Reason).toMatch(/does not exist/);
  });
});
