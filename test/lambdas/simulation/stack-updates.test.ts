// Stack operations through the shipped infra owner, against the model: CloudFormation's update,
// rollback and cleanup events (test/support/cfn-stack.ts), the construct's own IAM policy
// evaluated on every rule write (test/support/iam.ts), invariants 2 and 6 after every step.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BlueGreenPipeline } from '../../../lib';
import { ROUTE_RULE_TAG } from '../../../lambdas/core/events';
import { AwsWorld, isRead } from '../../support/aws-model';
import { UpdateStep } from '../../support/cfn-stack';
import { PolicyStatement, elbRuleAuthorizer, resolveCfn } from '../../support/iam';
import { InfraWorld, SLOT_RESOURCE, infraInvariantViolations, infraWorld, routesProperties, slotProperties } from '../../support/infra-world';
import { awsError } from '../../support/model/errors';
import { SLOTS } from '../../support/release-stack';
import { baseProps } from '../../lib/fixtures';

afterAll(() => {
  AwsWorld.uninstall();
  jest.useRealTimers();
});

// ---- the construct's infra-owner policy, for the world's account and region

interface SynthesizedPolicy {
  readonly routesLogicalId: string;
  /** The infra owner's ELB statements with the listeners' Refs resolved to the given ARNs. */
  statements(world: AwsWorld, stackId: string, listeners: { production: string; test: string }): PolicyStatement[];
}

let policy: SynthesizedPolicy;

beforeAll(() => {
  const app = new App();
  const stack = new Stack(app, 'Service', { env: { account: '111122223333', region: 'us-east-1' } });
  new BlueGreenPipeline(stack, 'Release', baseProps());
  const template = Template.fromStack(stack).toJSON();
  const resources = Object.entries(template.Resources as Record<string, { Type: string; Properties: any }>);
  const idOf = (type: string, prefix: string) => resources.find(([id, r]) => r.Type === type && id.startsWith(prefix))![0];
  const raw = resources
    .filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref.startsWith('ReleaseInfraOwnerRole')))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
    .filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('elasticloadbalancing:') && !a.startsWith('elasticloadbalancing:Describe')));
  policy = {
    routesLogicalId: idOf('Custom::BlueGreenRoutes', 'ReleaseRoutes'),
    statements: (world, stackId, listeners) =>
      resolveCfn(raw, {
        'AWS::Partition': 'aws',
        'AWS::Region': world.region,
        'AWS::AccountId': world.account,
        'AWS::StackId': stackId,
        [idOf('AWS::ElasticLoadBalancingV2::Listener', 'ReleaseProductionListener')]: listeners.production,
        [idOf('AWS::ElasticLoadBalancingV2::Listener', 'ReleaseTestListener')]: listeners.test,
      }) as PolicyStatement[],
  };
});

// ---- a released stack, watched after every step

interface Watched extends InfraWorld {
  readonly violations: string[];
  /** The listeners the current template's policy names (a replaced listener's ARN once it exists). */
  policyListeners: { production: string; test: string };
}

async function watched(opts: { releases?: number; onStep?: (w: Watched, label: string) => void } = {}): Promise<Watched> {
  const violations: string[] = [];
  let w: Watched | undefined;
  const afterStep = (label: string) => {
    if (!w) return;
    violations.push(...infraInvariantViolations(w).map((v) => `after ${label}: ${v}`));
    opts.onStep?.(w, label);
  };
  const iw = await infraWorld({ releases: opts.releases, routesLogicalId: policy.routesLogicalId, afterStep });
  w = { ...iw, violations, policyListeners: { production: iw.stack.ids.productionListenerArn, test: iw.stack.ids.testListenerArn } };
  const target = w;
  iw.world.authorize = elbRuleAuthorizer(iw.world, () => policy.statements(iw.world, iw.cfn.stackId, target.policyListeners));
  return w;
}

const ROUTES_ID = () => policy.routesLogicalId;

/** A new production listener on the same load balancer, replacing the old one (a changed logical id). */
function listenerReplacement(w: Watched, loadBalancerArn = w.stack.ids.loadBalancerArn): UpdateStep[] {
  const old = w.stack.ids.productionListenerArn;
  let created = '';
  return [
    {
      kind: 'resource',
      name: 'ProductionListener (replacement)',
      create: () => {
        created = w.world.elbv2.addListener({ loadBalancerArn, port: 81 });
        // The template's policy now names the new listener; it keeps naming it through a rollback.
        w.policyListeners = { ...w.policyListeners, production: created };
      },
      remove: () => w.world.elbv2.deleteListener(created),
      retire: () => w.world.elbv2.deleteListener(old),
    },
    { kind: 'custom', logicalId: ROUTES_ID(), properties: () => routesProperties(w.stack, { ProductionListenerArn: created }) },
  ];
}

/** New slot target groups (what a change of VPC, protocol or target type does), routes and services following. */
function targetGroupReplacement(w: Watched): UpdateStep[] {
  const old = SLOTS.map((s) => w.stack.config.slots[s].targetGroupArn);
  const created: string[] = [];
  return [
    {
      kind: 'resource',
      name: 'slot target groups (replacement)',
      create: () => void created.push(...SLOTS.map((s) => w.world.elbv2.addTargetGroup({ name: `app-slot-${s}-2` }))),
      remove: () => created.forEach((tg) => w.world.elbv2.deleteTargetGroup(tg)),
      retire: () => old.forEach((tg) => w.world.elbv2.deleteTargetGroup(tg)),
    },
    { kind: 'custom', logicalId: ROUTES_ID(), properties: () => routesProperties(w.stack, { SlotATargetGroupArn: created[0], SlotBTargetGroupArn: created[1] }) },
    ...SLOTS.map((s, i): UpdateStep => ({ kind: 'custom', logicalId: SLOT_RESOURCE[s], properties: () => slotProperties(w.world, w.stack, s, { TargetGroupArn: created[i] }) })),
  ];
}

/** containerPort 8080 → 9090: new task definition revisions, the slot services follow (the target groups do not change). */
function containerPortChange(w: Watched): UpdateStep[] {
  const definitions: string[] = [];
  return [
    {
      kind: 'resource',
      name: 'slot task definitions (new revisions)',
      create: () => void definitions.push(...SLOTS.map((s) => w.world.ecs.registerTaskDefinition({ family: `app-slot-${s}`, image: `${w.stack.ids.repositoryUri}:slot-${s}`, containerPort: 9090 }))),
      remove: () => undefined,
    },
    ...SLOTS.map((s, i): UpdateStep => ({ kind: 'custom', logicalId: SLOT_RESOURCE[s], properties: () => slotProperties(w.world, w.stack, s, { TaskDefinitionArn: definitions[i], ContainerPort: '9090' }) })),
  ];
}

describe('a stack update that replaces a listener', () => {
  test('moves the rules to the new listener under the policy for it, leaving the old rule to go with the old listener', async () => {
    const w = await watched();
    const outcome = await w.cfn.update(listenerReplacement(w));
    expect(outcome).toMatchObject({ status: 'UPDATE_COMPLETE', failures: [], cleanupFailures: [] });
    const routes = w.cfn.answers[w.cfn.answers.length - 1];
    const production = routes.Data!.ProductionRuleArn;
    expect(production).toContain(w.policyListeners.production.split(':listener/')[1]);
    expect(w.world.elbv2.forwardTargets(production)).toEqual([w.stack.config.slots[w.baseline.liveSlot].targetGroupArn]);
    expect(w.world.tags.of(production)).toMatchObject({ [ROUTE_RULE_TAG.route]: 'production', [ROUTE_RULE_TAG.resource]: ROUTES_ID() });
    expect(w.violations).toEqual([]);
  });

  test('a throttled DeleteRule past the SDK retries never leaves the stack unable to roll back', async () => {
    const w = await watched();
    w.world.faults.when((c) => c.command === 'DeleteRule', 'throttle', { times: Infinity });
    const outcome = await w.cfn.update(listenerReplacement(w));
    expect(['UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']).toContain(outcome.status);
    expect(w.violations).toEqual([]);
  });

  test('to another load balancer is refused before anything moves, saying how to make the change', async () => {
    const w = await watched();
    const rulesBefore = [...w.world.elbv2.rules.keys()];
    const outcome = await w.cfn.update(listenerReplacement(w, w.world.elbv2.addLoadBalancer('other-alb')));
    expect(outcome.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(outcome.failures[0]).toMatchObject({ logicalId: ROUTES_ID(), requestType: 'Update', reason: expect.stringMatching(/serves only one load balancer, so nothing was changed: keep the load balancer .* or deploy the changed pipeline as a new stack/) });
    expect(outcome.failures).toHaveLength(1);
    expect([...w.world.elbv2.rules.keys()]).toEqual(rulesBefore);
    expect(w.violations).toEqual([]);
  });
});

describe('a stack update that replaces the slot target groups', () => {
  test('once released, fails before production moves, saying how, and rolls back cleanly', async () => {
    const w = await watched();
    const outcome = await w.cfn.update(targetGroupReplacement(w));
    expect(outcome.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(outcome.failures).toEqual([
      { logicalId: ROUTES_ID(), requestType: 'Update', reason: expect.stringMatching(/has no healthy targets, so nothing was changed: .*deploy the changed pipeline as a new stack/) },
    ]);
    expect(outcome.cleanupFailures).toEqual([]);
    expect(w.violations).toEqual([]);
  });

  test('before anything was released, is followed in place by the routes and the slot services', async () => {
    const w = await watched({ releases: 0 });
    const outcome = await w.cfn.update(targetGroupReplacement(w));
    expect(outcome).toMatchObject({ status: 'UPDATE_COMPLETE', failures: [], cleanupFailures: [] });
    const services = SLOTS.map((s) => w.world.ecs.service(w.stack.config.slots[s].serviceArn).loadBalancers[0].targetGroupArn);
    expect(services).toEqual(SLOTS.map((s) => w.cfn.resource(SLOT_RESOURCE[s]).properties.TargetGroupArn));
  });
});

describe('a containerPort change', () => {
  test('keeps the target groups, rolls each slot, and answers only once the slot is steady again', async () => {
    const steadyAtAnswer: string[] = [];
    const w = await watched({
      onStep: (ww, label) => {
        const slot = SLOTS.find((s) => label.startsWith(`Update ${SLOT_RESOURCE[s]}:`));
        if (slot) steadyAtAnswer.push(`${slot} ${ww.world.ecs.isSteady(ww.stack.config.slots[slot].serviceArn) ? 'steady' : 'deploying'}`);
      },
    });
    const outcome = await w.cfn.update(containerPortChange(w));
    expect(outcome).toMatchObject({ status: 'UPDATE_COMPLETE', failures: [] });
    expect(steadyAtAnswer).toEqual(['a steady', 'b steady']);
    for (const s of SLOTS) {
      expect(w.world.ecs.isSteady(w.stack.config.slots[s].serviceArn)).toBe(true);
      expect(new Set(w.world.ecs.targetsOf(w.stack.config.slots[s].targetGroupArn).map((t) => t.port))).toEqual(new Set([9090]));
    }
    expect(w.violations).toEqual([]);
  });
});

describe('the slot tag rule', () => {
  test('a tag left on a candidate the slot does not run is moved back before the deployment, and the answer says so', async () => {
    const w = await watched();
    const idle = w.baseline.liveSlot === 'a' ? 'b' : 'a';
    const candidate = w.stack.build('v3-tripped-the-breaker').digest;
    const repo = w.world.ecr.repositories.get(w.stack.config.repositoryName)!;
    repo.tags.set(w.stack.config.slots[idle].imageTag, candidate);
    const outcome = await w.cfn.update(containerPortChange(w));
    expect(outcome.status).toBe('UPDATE_COMPLETE');
    const answer = w.cfn.answers.find((a) => a.LogicalResourceId === SLOT_RESOURCE[idle])!;
    expect(answer.Reason).toMatch(new RegExp(`slot-${idle} named ${candidate}, which slot ${idle} does not run; it was moved back to ${w.baseline.digests[idle][0]}`));
    expect(repo.tags.get(w.stack.config.slots[idle].imageTag)).toBe(w.baseline.digests[idle][0]);
    expect(w.violations).toEqual([]);
  });

  test('tasks that run different images are refused, with what to do', async () => {
    const w = await watched();
    const idle = w.baseline.liveSlot === 'a' ? 'b' : 'a';
    w.world.ecs.liveTasks(w.stack.config.slots[idle].serviceArn)[0].digest = w.stack.build('stray').digest;
    const outcome = await w.cfn.update(containerPortChange(w));
    expect(outcome.failures[0]).toMatchObject({ logicalId: SLOT_RESOURCE[idle], reason: expect.stringMatching(/tasks run different images .* retry the deploy once a release has left slot/) });
  });
});

describe('the rule create', () => {
  async function bareListeners(w: Watched) {
    const production = w.world.elbv2.addListener({ loadBalancerArn: w.stack.ids.loadBalancerArn, port: 81 });
    const test = w.world.elbv2.addListener({ loadBalancerArn: w.stack.ids.loadBalancerArn, port: 8081 });
    w.policyListeners = { production, test };
    const groups = SLOTS.map((s) => w.world.elbv2.addTargetGroup({ name: `new-${s}` }));
    return { ProductionListenerArn: production, TestListenerArn: test, SlotATargetGroupArn: groups[0], SlotBTargetGroupArn: groups[1] };
  }
  const ownRules = (w: Watched, listener: string) => [...w.world.elbv2.rules.values()].filter((r) => r.listenerArn === listener);

  test('whose CreateRule answer was lost (made, then PriorityInUse on the retry) finds the rule it made by its tags', async () => {
    const w = await watched({ releases: 0 });
    const props = await bareListeners(w);
    w.world.faults.failNext('elbv2', 'CreateRule', () => awsError('elbv2', 'PriorityInUseException', "Priority '1' is currently in use"), { afterEffect: true });
    const answer = await w.cfn.create(ROUTES_ID(), 'Custom::BlueGreenRoutes', props);
    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { ProductionRuleArn: ownRules(w, props.ProductionListenerArn)[0].arn } });
    expect(ownRules(w, props.ProductionListenerArn)).toHaveLength(1);
    expect(ownRules(w, props.TestListenerArn)).toHaveLength(1);
  });

  test('that failed leaves nothing its Delete does not remove, so the next Create succeeds', async () => {
    const w = await watched({ releases: 0 });
    const props = await bareListeners(w);
    // The production rule is made; every call after it fails, the clean-up included.
    const from = w.world.calls.length;
    w.world.faults.when((c) => c.seq > from && !(c.command === 'CreateRule' && (c.input as { ListenerArn: string }).ListenerArn === props.ProductionListenerArn), 'unavailable', { times: Infinity });
    const failed = await w.cfn.create(ROUTES_ID(), 'Custom::BlueGreenRoutes', props);
    expect(failed.Status).toBe('FAILED');
    expect(ownRules(w, props.ProductionListenerArn)).toHaveLength(1);
    w.world.faults.clear();
    expect((await w.cfn.send('Delete', { logicalId: ROUTES_ID(), type: 'Custom::BlueGreenRoutes', physicalId: failed.PhysicalResourceId, properties: props })).Status).toBe('SUCCESS');
    expect(ownRules(w, props.ProductionListenerArn)).toHaveLength(0);
    expect((await w.cfn.create(ROUTES_ID(), 'Custom::BlueGreenRoutes', props)).Status).toBe('SUCCESS');
  });
});

describe('teardown', () => {
  test('each slot service is answered only once it is gone, so the cluster can be deleted next', async () => {
    const w = await watched();
    const outcome = await w.cfn.destroy([SLOT_RESOURCE.a, SLOT_RESOURCE.b, ROUTES_ID()], () => w.world.ecs.commands.DeleteCluster({ cluster: w.stack.config.clusterArn }));
    expect(outcome).toMatchObject({ status: 'DELETE_COMPLETE', failures: [] });
    expect(w.world.ecs.clusters.size).toBe(0);
  });

  test('a long drain is carried across invocations, none past its timeout, and answered once the service is gone', async () => {
    const w = await watched();
    w.world.ecs.timing = { ...w.world.ecs.timing, drainTicks: 40 }; // 10 minutes
    const outcome = await w.cfn.destroy([SLOT_RESOURCE.a], () => undefined);
    expect(outcome.status).toBe('DELETE_COMPLETE');
    const runs = w.world.lambda.invocations.filter((i) => i.functionName === 'infra-owner');
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.filter((r) => r.timedOut)).toEqual([]);
    expect(w.world.ecs.service(w.stack.config.slots.a.serviceArn).status).toBe('INACTIVE');
  });
});

describe('update, rollback and cleanup with a fault at every AWS call', () => {
  const scenarios: [string, (w: Watched) => UpdateStep[], string][] = [
    ['a listener replacement', listenerReplacement, 'UPDATE_COMPLETE'],
    ['a target group replacement', targetGroupReplacement, 'UPDATE_ROLLBACK_COMPLETE'],
    ['a containerPort change', containerPortChange, 'UPDATE_COMPLETE'],
  ];
  /** Runs the update on a fresh released stack with `faults` armed; what came of it, the next attempt included. */
  async function faulted(plan: (w: Watched) => UpdateStep[], expected: string, label: string, arm: (w: Watched, from: number) => void): Promise<{ problems: string[]; failed: boolean; calls: number }> {
    const w = await watched();
    const from = w.world.calls.length;
    arm(w, from);
    const first = await w.cfn.update(plan(w));
    const problems: string[] = [];
    if (!['UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'].includes(first.status)) problems.push(`${label}: ${first.status} ${JSON.stringify(first.failures)}`);
    const calls = w.world.calls.length - from;
    // Nothing left behind blocks the next attempt.
    if (first.status !== 'UPDATE_COMPLETE') {
      w.world.faults.clear();
      const again = await w.cfn.update(plan(w));
      if (again.status !== expected) problems.push(`${label}: the next attempt ended ${again.status} ${JSON.stringify(again.failures)}`);
    }
    problems.push(...w.violations.map((v) => `${label}: ${v}`));
    const overran = w.world.lambda.invocations.filter((i) => i.functionName === 'infra-owner' && i.timedOut);
    if (overran.length) problems.push(`${label}: ${overran.length} infra-owner invocation(s) ran past the 5-minute timeout`);
    return { problems, failed: first.failures.length > 0, calls };
  }

  test.each(scenarios)('%s keeps invariants 2 and 6 after every step and never wedges the stack', async (_name, plan, expected) => {
    // The calls the update makes without faults, counted once.
    const clean = await watched();
    const from = clean.world.calls.length;
    expect((await clean.cfn.update(plan(clean))).status).toBe(expected);
    const cleanCalls = clean.world.calls.slice(from);
    expect(cleanCalls.length).toBeGreaterThan(3);
    const problems: string[] = [];
    let answeredFailed = 0;
    let runs = 0;
    // One fault at each call of the update: throttled (no effect) or a lost response (took effect).
    for (let k = 0; k < cleanCalls.length; k++) {
      for (const afterEffect of [false, true]) {
        const label = `fault at call ${k} (${afterEffect ? 'lost response' : 'throttled'})`;
        const run = await faulted(plan, expected, label, (w, at) => w.world.faults.failAtCall(at + k, afterEffect ? 'unavailable' : 'throttle', { afterEffect }));
        runs += 1;
        answeredFailed += run.failed ? 1 : 0;
        problems.push(...run.problems);
      }
    }
    // The update fails at its last write, and a second fault hits each call of the rollback in turn
    // (an update refused before any write has its rollback among the calls above already).
    const lastWrite = cleanCalls.map((c, i) => ({ c, i })).filter(({ c }) => !isRead(c.command)).pop()?.i;
    let rollbackCalls = 0;
    if (lastWrite !== undefined) {
      const failLastWrite = (w: Watched, at: number) => w.world.faults.failAtCall(at + lastWrite, 'throttle');
      const rollback = await faulted(plan, expected, 'last write failed', failLastWrite);
      problems.push(...rollback.problems);
      rollbackCalls = rollback.calls - lastWrite - 1;
      for (let j = lastWrite + 1; j < rollback.calls; j++) {
        const run = await faulted(plan, expected, `last write failed, fault at rollback call ${j}`, (w, at) => {
          failLastWrite(w, at);
          w.world.faults.failAtCall(at + j, 'throttle');
        });
        runs += 1;
        problems.push(...run.problems);
      }
    }
    expect(problems).toEqual([]);
    // The faults bit: runs got FAILED answers and went through a rollback (or its continuation).
    expect(answeredFailed).toBeGreaterThan(0);
    expect(runs).toBe(2 * cleanCalls.length + Math.max(0, rollbackCalls));
  });
});
