import { CfnResource, Stack, Token } from 'aws-cdk-lib';

/**
 * How long a CloudFormation value can be once deployed, for limits that are checked only at deploy
 * time (Lambda's 4 KB environment, a composite alarm's 10,240-character rule). At synthesis a value
 * holds tokens (`Ref`, `Fn::GetAtt`); each counts as the longest value it can resolve to, from the
 * documented limits of the name or ARN it stands for: partition, region, account and URL suffix at
 * 16, 20, 12 and 20 characters (the longest today are `aws-us-gov`, `ap-southeast-5`, and
 * `amazonaws.com.cn`); an ARN as `arn:<partition>:<service>:<region>:<account>:` plus its resource
 * part; names at their services' limits (alarm 255, ECS cluster and service 255, ECR repository
 * 256, SNS topic 256, Lambda function 64, load balancer and target group 32 with a 16-hex id); a
 * load balancer DNS name as `internal-<name>-<id of up to 20>.<region>.elb.<URL suffix>`. A
 * resource whose name property is a literal counts that literal. A token the table does not know
 * (an imported value, a parameter) counts as long as the caller says: UNKNOWN_TOKEN to err on the
 * long side, 0 for what is certain.
 */
export const MAX = {
  partition: 16,
  region: 20,
  account: 12,
  urlSuffix: 20,
  stackName: 128,
  alarmName: 255,
  clusterName: 255,
  serviceName: 255,
  repositoryName: 256,
  topicName: 256,
  functionName: 64,
  elbName: 32,
  elbId: 16,
  /** S3 User Guide, "General purpose bucket naming rules": 3-63 characters. */
  bucketName: 63,
  /** CloudWatch Logs API Reference, CreateLogGroup: logGroupName 1-512 characters. */
  logGroupName: 512,
  /** SQS Developer Guide, queue name quotas: up to 80 characters. */
  queueName: 80,
} as const;

/** A token of a kind the table does not know: as long as the longest ARNs IAM accepts. */
export const UNKNOWN_TOKEN = 2048;

/** `arn:<partition>:<service>:<region>:<account>:` plus a resource part of `resource` characters. */
export function arnLength(service: string, resource: number, opts: { region?: boolean; account?: boolean } = {}): number {
  return `arn:::::`.length + MAX.partition + service.length + (opts.region === false ? 0 : MAX.region) + (opts.account === false ? 0 : MAX.account) + resource;
}

/** The longest ARN of a CloudWatch alarm: `arn:…:cloudwatch:<region>:<account>:alarm:<name>`. */
export const MAX_ALARM_ARN = arnLength('cloudwatch', 'alarm:'.length + MAX.alarmName);

const elbArn = (resource: string, ids: number) => arnLength('elasticloadbalancing', resource.length + MAX.elbName + ids * (1 + MAX.elbId));
/** A literal name property (L1 resources expose their properties: CfnCompositeAlarm.alarmName, …), else the longest name. */
const named = (property: string, max: number) => (resource: Props) => {
  const value = resource[property];
  return typeof value === 'string' && !Token.isUnresolved(value) ? value.length : max;
};

/** Per resource type: the longest `Ref` value, and the longest value of each attribute used. */
type Props = Record<string, unknown>;
const RESOURCE_TYPES: Record<string, { ref?: (resource: Props) => number; attributes?: Record<string, (resource: Props) => number> }> = {
  'AWS::ECS::Cluster': {
    ref: named('clusterName', MAX.clusterName),
    attributes: { Arn: (p) => arnLength('ecs', 'cluster/'.length + named('clusterName', MAX.clusterName)(p)) },
  },
  'AWS::ECR::Repository': {
    ref: named('repositoryName', MAX.repositoryName),
    attributes: { Arn: (p) => arnLength('ecr', 'repository/'.length + named('repositoryName', MAX.repositoryName)(p)) },
  },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    ref: () => elbArn('targetgroup/', 1),
    attributes: { TargetGroupFullName: () => 'targetgroup/'.length + MAX.elbName + 1 + MAX.elbId, TargetGroupName: () => MAX.elbName },
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    ref: () => elbArn('loadbalancer/app/', 1),
    attributes: {
      DNSName: () => 'internal--..elb.'.length + MAX.elbName + 20 + MAX.region + MAX.urlSuffix,
      LoadBalancerFullName: () => 'app/'.length + MAX.elbName + 1 + MAX.elbId,
    },
  },
  'AWS::ElasticLoadBalancingV2::Listener': { ref: () => elbArn('listener/app/', 2) },
  'Custom::BlueGreenRoutes': { attributes: { ProductionRuleArn: () => elbArn('listener-rule/app/', 3), TestRuleArn: () => elbArn('listener-rule/app/', 3) } },
  'Custom::BlueGreenSlotService': {
    attributes: { ServiceArn: () => arnLength('ecs', 'service//'.length + MAX.clusterName + MAX.serviceName), ServiceName: () => MAX.serviceName },
  },
  'AWS::SNS::Topic': { ref: (p) => arnLength('sns', named('topicName', MAX.topicName)(p)), attributes: { TopicName: named('topicName', MAX.topicName) } },
  'AWS::CloudWatch::Alarm': { ref: named('alarmName', MAX.alarmName), attributes: { Arn: (p) => arnLength('cloudwatch', 'alarm:'.length + named('alarmName', MAX.alarmName)(p)) } },
  'AWS::CloudWatch::CompositeAlarm': { ref: named('alarmName', MAX.alarmName), attributes: { Arn: (p) => arnLength('cloudwatch', 'alarm:'.length + named('alarmName', MAX.alarmName)(p)) } },
  'AWS::Lambda::Function': { ref: named('functionName', MAX.functionName), attributes: { Arn: (p) => arnLength('lambda', 'function:'.length + named('functionName', MAX.functionName)(p)) } },
  // A key id is a UUID (36 characters): `arn:…:kms:<region>:<account>:key/<uuid>`.
  'AWS::S3::Bucket': { ref: named('bucketName', MAX.bucketName), attributes: { Arn: (p) => arnLength('s3', named('bucketName', MAX.bucketName)(p), { region: false, account: false }) } },
  'AWS::Logs::LogGroup': { ref: named('logGroupName', MAX.logGroupName), attributes: { Arn: (p) => arnLength('logs', 'log-group::*'.length + named('logGroupName', MAX.logGroupName)(p)) } },
  'AWS::SQS::Queue': { attributes: { Arn: (p) => arnLength('sqs', named('queueName', MAX.queueName)(p)), QueueName: named('queueName', MAX.queueName) } },
  // A security group id is `sg-` and 17 hex digits (EC2 API Reference, SecurityGroup).
  'AWS::EC2::VPC': { ref: () => 21, attributes: { DefaultSecurityGroup: () => 20 } },
  'AWS::EC2::SecurityGroup': { attributes: { GroupId: () => 20 } },
  // IAM User Guide, IAM quotas: a role name is up to 64 characters; the construct's roles have the default path `/`.
  'AWS::IAM::Role': { ref: () => 64, attributes: { Arn: () => arnLength('iam', 'role/'.length + 64, { region: false }) } },
  'AWS::KMS::Key': { ref: () => 36, attributes: { Arn: () => arnLength('kms', 'key/'.length + 36), KeyId: () => 36 } },
};

const PSEUDO: Record<string, number> = {
  'AWS::Partition': MAX.partition,
  'AWS::Region': MAX.region,
  'AWS::AccountId': MAX.account,
  'AWS::URLSuffix': MAX.urlSuffix,
  'AWS::StackName': MAX.stackName,
  'AWS::StackId': arnLength('cloudformation', 'stack//'.length + MAX.stackName + 36),
};

/** The CloudFormation resources of `stack` by logical id. */
function resourcesOf(stack: Stack): Map<string, CfnResource> {
  const found = new Map<string, CfnResource>();
  for (const node of stack.node.findAll()) {
    if (CfnResource.isCfnResource(node) && Stack.of(node) === stack) found.set(stack.resolve(node.logicalId) as string, node);
  }
  return found;
}

/** Measures resolved CloudFormation values of one stack at their longest. */
export class ResolvedLength {
  private resources?: Map<string, CfnResource>;

  constructor(private readonly stack: Stack) {}

  /**
   * `value` (anything CDK can resolve) with every token replaced by a stand-in of its longest
   * length; a token of a kind the table does not know stands at `unknownLength`.
   */
  public longest(value: unknown, unknownLength: number = UNKNOWN_TOKEN): unknown {
    this.unknownLength = unknownLength;
    return this.expand(this.stack.resolve(value));
  }

  private unknownLength = UNKNOWN_TOKEN;

  private expand(v: unknown): unknown {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.expand(x));
    const o = v as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [delimiter, parts] = o['Fn::Join'] as [string, unknown[]];
      return (parts.map((x) => this.expand(x)) as string[]).join(delimiter);
    }
    if ('Ref' in o) return 'x'.repeat(PSEUDO[o.Ref as string] ?? this.lookup(o.Ref as string));
    if ('Fn::GetAtt' in o) {
      const [id, attribute] = o['Fn::GetAtt'] as [string, string];
      return 'x'.repeat(this.lookup(id, attribute));
    }
    // A piece of an Fn::Split is never longer than the whole.
    if ('Fn::Split' in o) return [this.expand((o['Fn::Split'] as [string, unknown])[1])];
    if ('Fn::Select' in o) {
      const list = this.expand((o['Fn::Select'] as [unknown, unknown])[1]);
      return Array.isArray(list) ? (list[0] ?? '') : 'x'.repeat(this.unknownLength);
    }
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0].startsWith('Fn::')) return 'x'.repeat(this.unknownLength);
    return Object.fromEntries(keys.map((k) => [k, this.expand(o[k])]));
  }

  private lookup(logicalId: string, attribute?: string): number {
    this.resources ??= resourcesOf(this.stack);
    const resource = this.resources.get(logicalId);
    const lengths = resource ? RESOURCE_TYPES[resource.cfnResourceType] : undefined;
    const measure = attribute === undefined ? lengths?.ref : lengths?.attributes?.[attribute];
    return measure && resource ? measure(resource as unknown as Props) : this.unknownLength;
  }
}
