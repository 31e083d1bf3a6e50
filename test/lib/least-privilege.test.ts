// Least privilege, checked from both ends for every control-plane function: what its role may do
// (the synthesized template's policies) against what its code can call (the AWS SDK commands left
// in its tree-shaken bundle) and what it does call (every AWS call the real handlers make in the
// simulated world, attributed to the function that made it).
//
// * Every granted action has a code path that calls it, or is one AWS performs with the caller's
//   role on its behalf (IMPLIED), or one Lambda itself needs (RUNTIME).
// * Every command in a bundle is granted, unless the function never takes that path
//   (NOT_ON_THIS_PATH, each with its reason); the simulation proves it never does.
// * Every call a function makes in the simulation is granted to it.
//
// The roles AWS services assume (the pipeline and its actions, the builds, the tasks' execution
// role, replication, the scheduler) are test/lib/service-role-privilege.test.ts's.
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { AwsWorld, CallRecord } from '../support/aws-model';
import { addBake, uninstallCloudWatch } from '../support/bake-world';
import { PipelineEventFeed, uploadBuildEvidence } from '../support/evidence-world';
import { SLOT_RESOURCE, ROUTES, infraWorld, slotProperties } from '../support/infra-world';
import { useWorldClock } from '../support/jest-world';
import { createReleaseHarness } from '../support/release-harness';
import { SLOTS } from '../support/release-stack';
import { MAX_MANAGED_POLICY_CHARACTERS, splitDocument } from '../../lib/private/managed-policies';
import { ResolvedLength } from '../../lib/private/resolved-length';
import { CONFIGURATIONS, Configuration, capacityConfiguration, maximalConfiguration, releaseStrategiesConfiguration } from './nag/configurations';

afterAll(() => {
  AwsWorld.uninstall();
  uninstallCloudWatch();
  jest.useRealTimers();
});

const REPO = join(__dirname, '..', '..');

const FUNCTIONS = {
  DeployGreen: 'lambdas/deploy-green/index.ts',
  Swap: 'lambdas/swap/index.ts',
  Bake: 'lambdas/bake/index.ts',
  EvidenceRecorder: 'lambdas/evidence/index.ts',
  InfraOwner: 'lambdas/infra-owner/index.ts',
} as const;
type FunctionName = keyof typeof FUNCTIONS;
const NAMES = Object.keys(FUNCTIONS) as FunctionName[];

/** The IAM service prefix of each SDK client package (Service Authorization Reference). */
const PREFIX: Record<string, string> = {
  '@aws-sdk/client-application-auto-scaling': 'application-autoscaling',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-codepipeline': 'codepipeline',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-resource-groups-tagging-api': 'tag',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-scheduler': 'scheduler',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-ssm': 'ssm',
};
/** The world's service keys, for the calls the simulation records. */
const WORLD_PREFIX: Record<string, string> = {
  aas: 'application-autoscaling',
  cloudwatch: 'cloudwatch', codepipeline: 'codepipeline', ec2: 'ec2', ecr: 'ecr', ecs: 'ecs', elbv2: 'elasticloadbalancing', lambda: 'lambda', tagging: 'tag', s3: 's3', sns: 'sns', ssm: 'ssm', scheduler: 'scheduler',
};
/** API operations whose IAM action has another name (Service Authorization Reference: S3 ListObjectsV2 → s3:ListBucket; Lambda Invoke → lambda:InvokeFunction). */
const RENAMED: Record<string, string> = { 's3:ListObjectsV2': 's3:ListBucket', 'lambda:Invoke': 'lambda:InvokeFunction' };
const actionOf = (prefix: string, operation: string) => RENAMED[`${prefix}:${operation}`] ?? `${prefix}:${operation}`;

/**
 * Actions AWS authorises against the caller's role when the caller makes another call:
 * * SSM SecureString parameters under a customer managed key: PutParameter needs kms:Encrypt (and
 *   kms:GenerateDataKey for advanced parameters), reads need kms:Decrypt (Systems Manager User
 *   Guide, "How AWS Systems Manager Parameter Store uses AWS KMS").
 * * SSE-KMS objects: PutObject needs kms:GenerateDataKey, GetObject kms:Decrypt (S3 User Guide,
 *   "Using server-side encryption with AWS KMS keys", permissions).
 * * Publishing to a KMS-encrypted topic needs kms:GenerateDataKey and kms:Decrypt (SNS Developer
 *   Guide, "Key management", permissions for publishers).
 * * The Resource Groups Tagging API's TagResources needs the service's own tagging permission as
 *   well (Resource Groups Tagging API Reference, TagResources: ecs:TagResource, elasticloadbalancing:AddTags).
 * * CreateRule with tags also authorises elasticloadbalancing:AddTags (ELB User Guide, "Tag on create").
 * * ECS CreateService creates the ECS service-linked role when the account has none (ECS Developer
 *   Guide, "Using service-linked roles for Amazon ECS").
 * * CreateSchedule hands the schedule its execution role: the caller needs iam:PassRole on it
 *   (EventBridge Scheduler User Guide, "Set up the execution role").
 */
const IMPLIED: Record<string, readonly string[]> = {
  'ssm:PutParameter': ['kms:Encrypt', 'kms:GenerateDataKey'],
  'ssm:GetParameter': ['kms:Decrypt'],
  'ssm:GetParametersByPath': ['kms:Decrypt'],
  's3:PutObject': ['kms:GenerateDataKey'],
  's3:GetObject': ['kms:Decrypt'],
  'sns:Publish': ['kms:GenerateDataKey', 'kms:Decrypt'],
  'tag:TagResources': ['ecs:TagResource', 'elasticloadbalancing:AddTags'],
  'elasticloadbalancing:CreateRule': ['elasticloadbalancing:AddTags'],
  'ecs:CreateService': ['iam:CreateServiceLinkedRole'],
  'scheduler:CreateSchedule': ['iam:PassRole'],
};

/**
 * What Lambda does with every function's role, not its code: writing the function's logs
 * (CreateLogStream, PutLogEvents), the network interfaces of a function in a VPC (Lambda Developer
 * Guide, "Giving Lambda functions access to resources in an Amazon VPC", execution role), and the
 * dead-letter queue of asynchronous invocations (sqs:SendMessage; kms:GenerateDataKey and
 * kms:Decrypt for an encrypted queue, SQS Developer Guide, "Key management").
 */
const RUNTIME: readonly string[] = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'sqs:SendMessage',
  'kms:GenerateDataKey',
  'kms:Decrypt',
];

/**
 * Commands a bundle holds that a function does not call in every configuration: a path of a
 * shared adapter it never takes (`never`), or one only some props turn on (`onlyWith`: granted
 * then, and the strategies configuration sets those props). Where ungranted, the simulation
 * shows the function never calls it.
 */
/** The release functions hold and give back the slots' floors; registering and removing targets is the infra owner's. */
const HOLDS_FLOORS = {
    'application-autoscaling:RegisterScalableTarget': { onlyWith: 'autoScaling: a release holds the slots\' floors and gives them back' },
    'application-autoscaling:DescribeScalableTargets': { never: "the infra owner's read of a slot's registered bounds" },
    'application-autoscaling:DeregisterScalableTarget': { never: "the infra owner's teardown of a slot's scalable target" },
} as const;

const NOT_ON_THIS_PATH: Record<FunctionName, Readonly<Record<string, { readonly never: string } | { readonly onlyWith: string }>>> = {
  DeployGreen: {
    ...HOLDS_FLOORS,
  },
  Swap: {
    ...HOLDS_FLOORS,
    'ecr:DescribeRepositories': { never: "DeployGreen's check that the repository can hold a slot tag" },
    'ecr:BatchDeleteImage': { never: "DeployGreen's undo of its own tag move; a swap moves no slot tag" },
    'ecs:UpdateService': { onlyWith: "previousSlotRetention: a retired slot's count set to zero, and started again for a rollback" },
    'scheduler:CreateSchedule': { onlyWith: 'previousSlotRetention: a release that ends with its swap schedules the previous slot\'s scale-down' },
    'cloudwatch:DescribeAlarms': { onlyWith: 'trafficShift: a shift watches the candidate\'s alarms during its steps' },
  },
  Bake: {
    ...HOLDS_FLOORS,
    'elasticloadbalancing:ModifyRule': { never: "route writes are the swap function's; Bake invokes it to roll back and only reads the routes" },
    'scheduler:CreateSchedule': { onlyWith: "previousSlotRetention: a passed bake schedules the previous slot's scale-down" },
  },
  EvidenceRecorder: {},
  InfraOwner: {
    'application-autoscaling:RegisterScalableTarget': { onlyWith: "autoScaling: the slots' scalable targets, registered around the count each has" },
    'application-autoscaling:DescribeScalableTargets': { onlyWith: "autoScaling: a slot's registered bounds" },
    'application-autoscaling:DeregisterScalableTarget': { onlyWith: "autoScaling: a slot's scalable target removed with the stack" },
    'elasticloadbalancing:SetRulePriorities': { onlyWith: 'testRoute: TestRoute.header(…): the header rule goes ahead of production on its listener' },
  },
};

/** The actions each function's bundle can call: the AWS SDK commands esbuild keeps after tree shaking. */
function reachable(entry: string): Set<string> {
  const out = buildSync({ entryPoints: [join(REPO, entry)], bundle: true, write: false, format: 'esm', platform: 'node', packages: 'external', treeShaking: true, logLevel: 'silent' });
  const text = out.outputFiles[0].text;
  const packageOf = new Map<string, string>();
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/client-[a-z0-9-]+)"/g)) {
    for (const name of m[1].split(',').map((n) => n.trim().split(/\s+as\s+/)[0])) if (name) packageOf.set(name, m[2]);
  }
  const actions = new Set<string>();
  for (const [, command] of text.matchAll(/new (\w+)Command\(/g)) {
    const pkg = packageOf.get(`${command}Command`);
    if (!pkg || !PREFIX[pkg]) throw new Error(`${entry}: ${command}Command comes from ${pkg ?? 'no SDK package'}, which this test does not map`);
    actions.add(actionOf(PREFIX[pkg], command));
  }
  return actions;
}

interface Grants {
  readonly actions: Set<string>;
  readonly awsManaged: unknown[];
}

/** Every action a role is allowed, from its inline and attached customer managed policies. */
function grantsOf(template: Record<string, any>, roleId: string): Grants {
  const resources = Object.values(template.Resources as Record<string, any>);
  const attached = resources.filter((r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && (r.Properties.Roles ?? []).some((ref: { Ref?: string }) => ref.Ref === roleId));
  const role = template.Resources[roleId];
  const documents = [...attached.map((r) => r.Properties.PolicyDocument), ...(role.Properties.Policies ?? []).map((p: any) => p.PolicyDocument)];
  const actions = new Set<string>();
  for (const doc of documents) {
    for (const s of doc.Statement) if (s.Effect === 'Allow') ([] as string[]).concat(s.Action).forEach((a) => actions.add(a));
  }
  return { actions, awsManaged: role.Properties.ManagedPolicyArns ?? [] };
}

const granted = (grants: Grants, action: string) => [...grants.actions].some((g) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(action));

/** The actions each principal made in the simulated world. */
function calledBy(calls: readonly CallRecord[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const c of calls) {
    if (!c.principal || c.fault) continue;
    const prefix = WORLD_PREFIX[c.service];
    if (!prefix) throw new Error(`${c.principal} called ${c.service} ${c.command}, a service this test does not map`);
    if (!out.has(c.principal)) out.set(c.principal, new Set());
    out.get(c.principal)!.add(actionOf(prefix, c.command));
  }
  return out;
}

/** Releases with evidence, an approval, a bake that rolls back on an alarm, and an operator's rollback. */
async function releaseFlowCalls(): Promise<CallRecord[]> {
  const h = createReleaseHarness({ clock: useWorldClock, evidence: true });
  const bake = addBake(h, { windowSeconds: 60 });
  const feed = new PipelineEventFeed(h.world, h.stack, (l) => void h.logs.push(l));
  for (const label of ['v1', 'v2', 'v3']) {
    const release = h.driver.start(label);
    uploadBuildEvidence(h.world, h.stack, release);
    expect(await h.driver.deploy(release)).toMatchObject({ status: 'succeeded' });
    h.world.codepipeline.decide(release.execution.id, 'Approved', 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/alice', `ship ${label}`);
    release.approval = 'Approved';
    h.driver.approved.add(release.image.digest);
    expect(await h.driver.swap(release)).toMatchObject({ status: 'succeeded' });
    // v3's bake sees an alarm and has the swap function roll back.
    const alarm = label === 'v3' ? (poll: number) => poll === 2 && bake.alarms.set('app-slot-b-5xx', 'ALARM') : undefined;
    expect(await bake.run(release, { beforePoll: alarm ? (poll) => void alarm(poll) : undefined })).toMatchObject({ status: label === 'v3' ? 'failed' : 'succeeded' });
    await feed.deliver();
  }
  bake.alarms.set('app-slot-b-5xx', 'OK');
  expect(await h.driver.rollback({ actor: 'arn:aws:sts::111122223333:assumed-role/OnCall/bob', reason: 'INC-77' })).toMatchObject({ outcome: 'rolled-back' });
  return h.world.calls;
}

/** A released stack updated (new task definitions for both slots) and torn down. */
async function stackCalls(): Promise<CallRecord[]> {
  const w = await infraWorld({});
  const definitions = SLOTS.map((s) => w.world.ecs.registerTaskDefinition({ family: `app-slot-${s}`, image: `${w.stack.ids.repositoryUri}:slot-${s}`, containerPort: 9090 }));
  const update = await w.cfn.update(SLOTS.map((s, i) => ({ kind: 'custom' as const, logicalId: SLOT_RESOURCE[s], properties: () => slotProperties(w.world, w.stack, s, { TaskDefinitionArn: definitions[i], ContainerPort: '9090' }) })));
  expect(update.status).toBe('UPDATE_COMPLETE');
  const teardown = await w.cfn.destroy([SLOT_RESOURCE.a, SLOT_RESOURCE.b, ROUTES], () => w.world.ecs.commands.DeleteCluster({ cluster: w.stack.config.clusterArn }));
  expect(teardown).toMatchObject({ status: 'DELETE_COMPLETE', failures: [] });
  return w.world.calls;
}

/** The grants of each control-plane function's role in one configuration's template. */
function grantsIn(make: () => Configuration): Record<FunctionName, Grants> {
  const { stack, construct } = make();
  const template = Template.fromStack(stack).toJSON();
  const functions: Record<FunctionName, lambda.Function> = {
    DeployGreen: construct.deployGreenFunction,
    Swap: construct.swapFunction,
    Bake: construct.bakeFunction!,
    EvidenceRecorder: construct.evidenceRecorderFunction,
    InfraOwner: construct.infraOwnerFunction,
  };
  return Object.fromEntries(NAMES.map((n) => [n, grantsOf(template, Stack.of(stack).getLogicalId(functions[n].role!.node.defaultChild as iam.CfnRole))])) as Record<FunctionName, Grants>;
}

/** A canary shift with a header test route: its first step, its hold, its last step, a bake. */
async function shiftCalls(): Promise<CallRecord[]> {
  const h = createReleaseHarness({ clock: useWorldClock, evidence: true, trafficShift: { percents: [10], holdSeconds: 60 }, testHeader: { name: 'X-Release-Test', value: 'green' } });
  const bake = addBake(h, { windowSeconds: 60 });
  for (const label of ['v1', 'v2']) {
    const release = await h.driver.release(label);
    expect(release.swap).toMatchObject({ status: 'succeeded' });
    expect(await bake.run(release)).toMatchObject({ status: 'succeeded' });
  }
  return h.world.calls;
}

/**
 * Auto scaling: a release holds the slots' floors and gives them back. The previous slot scales
 * down on its schedule, and a rollback scales it back up before it moves production.
 */
async function scalingCalls(): Promise<CallRecord[]> {
  const h = createReleaseHarness({ clock: useWorldClock, autoScaling: { minCapacity: 2, maxCapacity: 8 }, previousSlotRetentionSeconds: 600 });
  const bake = addBake(h, { windowSeconds: 60 });
  for (const label of ['v1', 'v2']) {
    const release = await h.driver.release(label);
    expect(release.swap).toMatchObject({ status: 'succeeded' });
    expect(await bake.run(release)).toMatchObject({ status: 'succeeded' });
  }
  h.world.tick(42);
  expect(await h.fireSchedules()).toContainEqual(expect.objectContaining({ outcome: 'retired' }));
  let answer = await h.driver.rollback({ requestId: 'scale-up' });
  for (let poll = 0; answer?.outcome === 'in-progress' && poll < 40; poll++) {
    h.world.tick();
    answer = await h.driver.rollback({ requestId: 'scale-up' });
  }
  expect(answer).toMatchObject({ outcome: 'rolled-back' });
  return h.world.calls;
}

// The maximal configuration moves production all at once and tests on a port; the strategies one
// shifts traffic, tests on a header rule and runs tests before the approval.
// Each with the calls its scenario must make, so an attribution that stopped working would show.
const SETUPS: ReadonlyArray<[string, () => Configuration, () => Promise<CallRecord[]>, readonly string[]]> = [
  ['the maximal configuration', maximalConfiguration, async () => [...(await releaseFlowCalls()), ...(await stackCalls())], NAMES.map((n) => `${n} *`)],
  ['the release strategies', releaseStrategiesConfiguration, shiftCalls, ['Swap cloudwatch:DescribeAlarms', 'Swap elasticloadbalancing:ModifyRule', 'Bake cloudwatch:DescribeAlarms', 'DeployGreen ecs:UpdateService']],
  ['your own repository, auto scaling and a previous slot that scales down', capacityConfiguration, scalingCalls,
    ['DeployGreen application-autoscaling:RegisterScalableTarget', 'DeployGreen ecr:DescribeRepositories', 'Bake scheduler:CreateSchedule', 'Swap ecs:UpdateService']],
];

describe.each(SETUPS)('least privilege for the control-plane functions: %s', (_name, make, scenario, expected) => {
  const grants = grantsIn(make);
  const bundles = Object.fromEntries(NAMES.map((n) => [n, reachable(FUNCTIONS[n])])) as Record<FunctionName, Set<string>>;

  test('no role has an AWS managed policy or a wildcard action', () => {
    for (const n of NAMES) {
      expect({ role: n, awsManaged: grants[n].awsManaged }).toEqual({ role: n, awsManaged: [] });
      expect({ role: n, wildcards: [...grants[n].actions].filter((a) => a.includes('*')) }).toEqual({ role: n, wildcards: [] });
    }
  });

  test('every granted action is one the code can call, one AWS performs for such a call, or one Lambda itself needs', () => {
    for (const n of NAMES) {
      const justified = new Set([...bundles[n], ...[...bundles[n]].flatMap((a) => IMPLIED[a] ?? []), ...RUNTIME]);
      expect({ role: n, uncalled: [...grants[n].actions].filter((a) => !justified.has(a)).sort() }).toEqual({ role: n, uncalled: [] });
    }
  });

  test('every command in a bundle is granted, or named as a path that function never takes here', () => {
    for (const n of NAMES) {
      const exceptions = NOT_ON_THIS_PATH[n];
      expect({ role: n, ungranted: [...bundles[n]].filter((a) => !granted(grants[n], a) && !(a in exceptions)).sort() }).toEqual({ role: n, ungranted: [] });
      // An exception no longer in the bundle is stale.
      expect({ role: n, stale: Object.keys(exceptions).filter((a) => !bundles[n].has(a)) }).toEqual({ role: n, stale: [] });
    }
  });

  test('every call the functions make in the simulation is granted, and none is on a path this configuration does not grant', async () => {
    const called = calledBy(await scenario());
    for (const [n, made] of called) {
      const role = n as FunctionName;
      expect(NAMES).toContain(role);
      expect({ role, ungranted: [...made].filter((a) => !granted(grants[role], a)).sort() }).toEqual({ role, ungranted: [] });
      // A path named as never taken is never taken where it is not granted.
      expect({ role, takenAnyway: [...made].filter((a) => a in NOT_ON_THIS_PATH[role] && !granted(grants[role], a)) }).toEqual({ role, takenAnyway: [] });
    }
    const made = (n: string, action: string) => action === '*' ? called.has(n) : called.get(n)?.has(action) === true;
    expect(expected.filter((e) => !made(...(e.split(' ') as [string, string])))).toEqual([]);
  });
});

describe('the least-privilege checks', () => {
  test('a path only some props take is granted where they are set; a path never taken is granted nowhere', () => {
    const all = SETUPS.map(([, make]) => grantsIn(make));
    const wrong = NAMES.flatMap((n) =>
      Object.entries(NOT_ON_THIS_PATH[n])
        .filter(([a, why]) => ('never' in why ? all.some((g) => granted(g[n], a)) : !all.some((g) => granted(g[n], a))))
        .map(([a, why]) => `${n} ${a} (${'never' in why ? 'never taken, yet granted' : 'granted in no configuration'})`),
    );
    expect(wrong).toEqual([]);
  });

  test('can fail: a bundle action left out of a role, and a grant no code calls, are both caught', () => {
    const grants = grantsIn(maximalConfiguration);
    const swapBundle = reachable(FUNCTIONS.Swap);
    const without = { ...grants.Swap, actions: new Set([...grants.Swap.actions].filter((a) => a !== 'elasticloadbalancing:ModifyRule')) };
    expect([...swapBundle].filter((a) => !granted(without, a) && !(a in NOT_ON_THIS_PATH.Swap))).toEqual(['elasticloadbalancing:ModifyRule']);
    const bakeBundle = reachable(FUNCTIONS.Bake);
    const justified = new Set([...bakeBundle, ...[...bakeBundle].flatMap((a) => IMPLIED[a] ?? []), ...RUNTIME]);
    expect(justified.has('ecs:UpdateService')).toBe(false);
  });
});

describe('policy sizes, which IAM checks only at deploy time', () => {
  test.each(CONFIGURATIONS.map(([name, make]) => [name, make] as const))('%s: every managed policy fits in 6,144 characters at its longest, and no role has more than 10', (_name, make) => {
    const { stack } = make();
    const template = Template.fromStack(stack).toJSON();
    const measure = new ResolvedLength(stack);
    const sizes = stack.node
      .findAll()
      .filter((n): n is iam.CfnManagedPolicy => n instanceof iam.CfnManagedPolicy)
      .map((p) => ({ policy: p.node.path, characters: JSON.stringify(measure.longest(p.policyDocument)).length }));
    expect(sizes.length).toBeGreaterThan(5);
    expect(sizes.filter((s) => s.characters > MAX_MANAGED_POLICY_CHARACTERS)).toEqual([]);
    const attached = new Map<string, number>();
    for (const r of Object.values(template.Resources as Record<string, any>)) {
      if (r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      for (const role of r.Properties.Roles ?? []) attached.set(role.Ref, (attached.get(role.Ref) ?? 0) + 1);
    }
    expect([...attached].filter(([, n]) => n > 10)).toEqual([]);
  });

  test('a role whose grants outgrow one document gets a second, in order, each within the limit', () => {
    const stack = new Stack();
    const statement = (i: number) => ({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: `arn:aws:ssm:eu-west-1:123456789012:parameter/${'p'.repeat(200)}/${i}` });
    const statements = Array.from({ length: 40 }, (_, i) => statement(i));
    const parts = splitDocument(stack, { Version: '2012-10-17' }, statements);
    const size = (part: { Statement: unknown[] }) => JSON.stringify({ Version: '2012-10-17', ...part }).length;
    expect(JSON.stringify({ Version: '2012-10-17', Statement: statements }).length).toBeGreaterThan(2 * MAX_MANAGED_POLICY_CHARACTERS);
    expect(parts.length).toBe(3);
    expect(parts.flatMap((p) => p.Statement)).toEqual(statements);
    for (const p of parts) expect(size(p)).toBeLessThanOrEqual(MAX_MANAGED_POLICY_CHARACTERS);
    // As few as possible: each part is full, the next statement would not have fitted.
    for (let i = 0; i + 1 < parts.length; i++) expect(size({ Statement: [...parts[i].Statement, parts[i + 1].Statement[0]] })).toBeGreaterThan(MAX_MANAGED_POLICY_CHARACTERS);
  });
});
