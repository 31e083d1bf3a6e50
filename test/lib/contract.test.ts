// The contract between the parts (lambdas/README.md), checked end to end: what the construct
// synthesizes — the functions' configuration, the pipeline's UserParameters and variable
// references, the custom resources' properties — is resolved the way CloudFormation and
// CodePipeline would resolve it and handed to the handlers' own parsers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseReleaseConfig, ReleaseConfig } from '../../lambdas/core/config';
import { BakeOutputs, parseBakeParameters } from '../../lambdas/core/decide-bake';
import type { DeployOutputs } from '../../lambdas/core/decide-deploy';
import type { SwapOutputs } from '../../lambdas/core/decide-swap';
import { parseDeployGreenParameters, parseRoutesProperties, parseSlotServiceProperties, parseSwapParameters } from '../../lambdas/core/events';
import { synth } from './fixtures';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

/** A stable lowercase hex string of `length` for `seed`. */
function hex(seed: string, length: number): string {
  let h = 0x811c9dc5;
  let out = '';
  while (out.length < length) {
    for (const ch of `${out.length}:${seed}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** Resolves CloudFormation intrinsics to realistic values, as a deployed stack would have them. */
class FakeCloudFormation {
  constructor(private readonly resources: Resources) {}

  private short(id: string): string {
    return id.toLowerCase().slice(0, 24);
  }

  ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'Service',
    };
    if (pseudo[id]) return pseudo[id];
    const resource = this.resources[id];
    if (!resource) throw new Error(`Ref to unknown resource ${id}`);
    const name = resource.Properties?.Name ?? resource.Properties?.ServiceName ?? resource.Properties?.AlarmName;
    switch (resource.Type) {
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${this.short(id).slice(0, 20)}/${hex(id, 16)}`;
      case 'AWS::ElasticLoadBalancingV2::Listener':
        return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/service-alb/${hex('alb', 16)}/${hex(id, 16)}`;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/service-alb/${hex('alb', 16)}`;
      case 'AWS::ECS::Cluster':
        return `service-cluster-${hex(id, 6)}`;
      case 'AWS::ECR::Repository':
        return typeof resource.Properties?.RepositoryName === 'string' ? resource.Properties.RepositoryName : `service-${hex(id, 8)}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${this.short(id)}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${this.short(id)}`;
      case 'AWS::ECS::TaskDefinition':
        return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${this.short(id)}:1`;
      case 'AWS::EC2::Subnet':
        return `subnet-${hex(id, 17)}`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${hex(id, 17)}`;
      case 'AWS::EC2::VPC':
        return `vpc-${hex(id, 17)}`;
      default:
        return typeof name === 'string' ? name : this.short(id);
    }
  }

  getAtt(id: string, attribute: string): string {
    const resource = this.resources[id];
    if (!resource) throw new Error(`GetAtt on unknown resource ${id}`);
    const ref = () => this.ref(id);
    switch (`${resource.Type}.${attribute}`) {
      case 'AWS::ECS::Cluster.Arn':
        return `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${ref()}`;
      case 'AWS::ECR::Repository.Arn':
        return `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${ref()}`;
      case 'AWS::ECR::Repository.RepositoryUri':
        return `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${ref()}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${ref()}`;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer.DNSName':
        return `service-alb-${hex(id, 8)}.${REGION}.elb.amazonaws.com`;
      case 'AWS::EC2::SecurityGroup.GroupId':
        return ref();
      case 'AWS::EC2::VPC.CidrBlock':
        return '10.0.0.0/16';
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${this.short(id)}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${hex(id, 8)}-${hex(`${id}1`, 4)}-4${hex(`${id}2`, 3)}-8${hex(`${id}3`, 3)}-${hex(`${id}4`, 12)}`;
      case 'AWS::SSM::Parameter.Value':
        return this.resolve(resource.Properties?.Value);
      case 'Custom::BlueGreenRoutes.ProductionRuleArn':
      case 'Custom::BlueGreenRoutes.TestRuleArn':
        return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/service-alb/${hex('alb', 16)}/${hex(attribute, 16)}/${hex(id + attribute, 16)}`;
      default:
        if (attribute === 'Arn') return `arn:aws:${resource.Type.split('::')[1].toLowerCase()}:${REGION}:${ACCOUNT}:${this.short(id)}`;
        throw new Error(`the fake does not know ${resource.Type}.${attribute}`);
    }
  }

  resolve(value: any): any {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = value[key];
      if (key === 'Ref') return this.ref(arg);
      if (key === 'Fn::GetAtt') return this.getAtt(arg[0], arg[1]);
      if (key === 'Fn::Join') return (this.resolve(arg[1]) as string[]).join(arg[0]);
      if (key === 'Fn::Select') return this.resolve(arg[1])[Number(this.resolve(arg[0]))];
      if (key === 'Fn::Split') return String(this.resolve(arg[1])).split(arg[0]);
      if (key === 'Fn::GetAZs') return [`${REGION}a`, `${REGION}b`];
      if (key === 'Fn::Sub') {
        const text: string = Array.isArray(arg) ? arg[0] : arg;
        return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => (name.includes('.') ? this.getAtt(name.split('.')[0], name.split('.')[1]) : this.ref(name)));
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }
}

// The variables each stage emits. `satisfies` makes the type-check fail when a handler's outputs
// change without this list (and so without the construct's references being re-checked).
const DEPLOY_OUTPUTS = { GREEN_SLOT: 'b', IMAGE_DIGEST: `sha256:${hex('d', 64)}`, TEST_URL: 'http://alb:8080', COMMIT: hex('c', 40), TEST_HEADER: '', TEST_COMMAND: 'curl http://alb:8080' } satisfies Record<keyof DeployOutputs, string>;
const SWAP_OUTPUTS = { LIVE_SLOT: 'b', LIVE_DIGEST: DEPLOY_OUTPUTS.IMAGE_DIGEST, PREVIOUS_DIGEST: '' } satisfies Record<keyof SwapOutputs, string>;
const BAKE_OUTPUTS = { BAKED_SLOT: SWAP_OUTPUTS.LIVE_SLOT } satisfies Record<keyof BakeOutputs, string>;
const buildspec = parseYaml(readFileSync(join(__dirname, '..', '..', 'buildspecs', 'buildspec.yml'), 'utf8'));
const BUILD_OUTPUTS: Record<string, string> = {
  IMAGE_URI: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop@${DEPLOY_OUTPUTS.IMAGE_DIGEST}`,
  IMAGE_DIGEST: DEPLOY_OUTPUTS.IMAGE_DIGEST,
  COMMIT: DEPLOY_OUTPUTS.COMMIT,
  SCAN_SUMMARY: '0 critical, 2 high (1 fixable), 14 medium; 0 secrets',
};
const EMITTED: Record<string, Record<string, string>> = {
  Build: BUILD_OUTPUTS,
  Deploy: DEPLOY_OUTPUTS,
  Swap: SWAP_OUTPUTS,
  Bake: BAKE_OUTPUTS,
  codepipeline: { PipelineExecutionId: '6f1c2d3e-0000-4000-8000-00000000abcd' },
};

/** Substitutes `#{Namespace.VARIABLE}` as CodePipeline does at run time; unknown ones throw. */
function substituteVariables(text: string): string {
  return text.replace(/#\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_@-]+)\}/g, (_m, ns: string, name: string) => {
    const value = EMITTED[ns]?.[name];
    if (value === undefined) throw new Error(`#{${ns}.${name}} names no variable that a stage emits`);
    return value;
  });
}

describe('the contract between construct, build and handlers', () => {
  const { template } = synth();
  const resources = template.toJSON().Resources as Resources;
  const cfn = new FakeCloudFormation(resources);
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const [, pipeline] = ofType('AWS::CodePipeline::Pipeline')[0];
  const stages = pipeline.Properties!.Stages as Array<{ Name: string; Actions: Array<Record<string, any>> }>;
  const action = (name: string) => stages.flatMap((s) => s.Actions).find((a) => a.Name === name)!;

  test('the buildspec exports exactly the build variables the later stages are checked against', () => {
    expect([...buildspec.env['exported-variables']].sort()).toEqual(Object.keys(BUILD_OUTPUTS).sort());
  });

  test('every control-plane function that reads BLUEGREEN_CONFIG gets a configuration the handlers accept', () => {
    const configs = ofType('AWS::Lambda::Function')
      .map(([, fn]) => fn.Properties?.Environment?.Variables?.BLUEGREEN_CONFIG)
      .filter((raw) => raw !== undefined)
      .map((raw) => parseReleaseConfig(cfn.resolve(raw)));
    // DeployGreen, Swap, Bake and the evidence recorder: the same configuration, and only Bake's carries the bake section.
    expect(configs).toHaveLength(4);
    const [config, ...others]: ReleaseConfig[] = configs.filter((c) => c.bake === undefined);
    expect(others).toHaveLength(2);
    for (const other of others) expect(other).toEqual(config);
    const { bake, ...bakeShared } = configs.find((c) => c.bake !== undefined)!;
    expect(bakeShared).toEqual(config);
    const swapFunctionId = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('ReleaseSwapFunction'))![0];
    // Bake watches one composite alarm per slot (and one over the user's alarms when there are any).
    const alarmName = (prefix: string) => cfn.ref(ofType('AWS::CloudWatch::CompositeAlarm').find(([id]) => id.startsWith(prefix))![0]);
    expect(bake).toEqual({
      alarms: { a: [alarmName('ReleaseBakeAlarmsWatchSlotA')], b: [alarmName('ReleaseBakeAlarmsWatchSlotB')] },
      sharedAlarms: [],
      swapFunctionName: cfn.ref(swapFunctionId),
      windowSeconds: 600,
    });
    expect(bake?.alarms).toEqual({ a: ['shop-bake-slot-a'], b: ['shop-bake-slot-b'] });
    expect(config).toMatchObject({
      pipelineName: 'shop',
      slots: { a: { imageTag: 'slot-a' }, b: { imageTag: 'slot-b' } },
      stateParameterName: '/bluegreen/shop/state',
      testUrl: expect.stringMatching(/^http:\/\/service-alb-[0-9a-f]+\.eu-west-1\.elb\.amazonaws\.com:8080$/),
    });
    expect(config.productionRuleArn).toContain(':listener-rule/app/');
    expect(config.slots.a.serviceArn).toMatch(/^arn:aws:ecs:eu-west-1:123456789012:service\/service-cluster-[0-9a-f]+\/shop-slot-a$/);
  });

  test('the SSM discovery copy is the same configuration plus the swap function name', () => {
    const functions = ofType('AWS::Lambda::Function').filter(([id, fn]) => fn.Properties?.Environment?.Variables?.BLUEGREEN_CONFIG && !id.startsWith('ReleaseBakeFunction'));
    const config = parseReleaseConfig(cfn.resolve(functions[0][1].Properties!.Environment.Variables.BLUEGREEN_CONFIG));
    const [, parameter] = ofType('AWS::SSM::Parameter').find(([, p]) => p.Properties?.Name === '/bluegreen/shop/config')!;
    const discovery = parseReleaseConfig(cfn.resolve(parameter.Properties!.Value));
    const swapFunctionId = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('ReleaseSwapFunction'))![0];
    expect(discovery).toEqual({ ...config, swapFunctionName: cfn.ref(swapFunctionId) });
  });

  test('every pipeline variable reference names a variable that an earlier stage emits', () => {
    const text = JSON.stringify(stages);
    const references = [...text.matchAll(/#\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_@-]+)\}/g)].map((m) => `${m[1]}.${m[2]}`);
    expect(references.length).toBeGreaterThanOrEqual(8);
    expect(() => substituteVariables(text)).not.toThrow();
    expect(action('BuildAndScan').Namespace).toBe('Build');
    expect(action('DeployGreen').Namespace).toBe('Deploy');
    expect(action('Swap').Namespace).toBe('Swap');
    expect(action('Bake').Namespace).toBe('Bake');
    // A stage only reads namespaces of stages before it.
    const order = stages.map((s) => s.Name);
    const producer: Record<string, string> = { Build: 'BuildAndScan', Deploy: 'DeployGreen', Swap: 'Swap', Bake: 'Bake' };
    for (const stage of stages) {
      for (const m of JSON.stringify(stage).matchAll(/#\{([A-Za-z0-9_-]+)\./g)) {
        if (m[1] === 'codepipeline') continue;
        expect(order.indexOf(producer[m[1]])).toBeLessThan(order.indexOf(stage.Name));
      }
    }
  });

  test('Bake accepts the UserParameters the pipeline sends it, read from the Swap outputs', () => {
    const bake = parseBakeParameters(substituteVariables(cfn.resolve(action('Bake').Configuration.UserParameters)));
    expect(bake).toEqual({ liveSlot: SWAP_OUTPUTS.LIVE_SLOT, imageDigest: SWAP_OUTPUTS.LIVE_DIGEST, executionId: EMITTED.codepipeline.PipelineExecutionId });
  });

  test('DeployGreen and Swap accept the UserParameters the pipeline sends them', () => {
    const deploy = parseDeployGreenParameters(substituteVariables(cfn.resolve(action('DeployGreen').Configuration.UserParameters)));
    expect(deploy).toMatchObject({ imageUri: BUILD_OUTPUTS.IMAGE_URI, imageDigest: BUILD_OUTPUTS.IMAGE_DIGEST, commit: BUILD_OUTPUTS.COMMIT });
    const swap = parseSwapParameters(substituteVariables(cfn.resolve(action('Swap').Configuration.UserParameters)));
    expect(swap).toMatchObject({ greenSlot: 'b', imageDigest: DEPLOY_OUTPUTS.IMAGE_DIGEST, executionId: EMITTED.codepipeline.PipelineExecutionId });
  });

  test('the custom resources carry exactly the properties the infra owner parses', () => {
    const props = (type: string) => ofType(type).map(([, r]) => {
      const { ServiceToken, ...rest } = cfn.resolve(r.Properties);
      expect(ServiceToken).toMatch(/^arn:aws:lambda:/);
      return rest;
    });
    const routes = props('Custom::BlueGreenRoutes');
    expect(routes).toHaveLength(1);
    expect(parseRoutesProperties(routes[0])).toMatchObject({ productionListenerArn: expect.stringContaining(':listener/app/') });
    const services = props('Custom::BlueGreenSlotService').map((p) => parseSlotServiceProperties(p));
    expect(services.map((s) => s.serviceName).sort()).toEqual(['shop-slot-a', 'shop-slot-b']);
  });

  test('the build project sets the variables the buildspec requires', () => {
    const [, project] = ofType('AWS::CodeBuild::Project')[0];
    const env = Object.fromEntries((project.Properties!.Environment.EnvironmentVariables as Array<{ Name: string; Value: unknown }>).map((v) => [v.Name, cfn.resolve(v.Value)]));
    expect(env.REPOSITORY_URI).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${cfn.ref(ofType('AWS::ECR::Repository')[0][0])}`);
    expect(env.BG_TOOLS_S3_URI).toMatch(/^s3:\/\/.+\.zip$/);
    expect(env.BG_STATE_PARAMETER).toBe('/bluegreen/shop/state');
  });
});
