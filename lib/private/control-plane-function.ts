import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import { BundleName, bundlePath } from './package-files';
import { ResolvedLength, UNKNOWN_TOKEN } from './resolved-length';

/**
 * Lambda quotas: "Function environment variables: 4 KB, for all environment variables associated
 * with the function, in aggregate". Lambda measures the JSON of the variables map (its error quotes
 * the "String measured: {…}"), so keys, values and JSON escaping all count.
 */
export const LAMBDA_ENVIRONMENT_BYTES = 4096;

/**
 * The size the environment can reach once deployed: the JSON of the variables with every token at
 * its longest, and tokens of unknown kind (imported values, parameters) at `unknownLength`.
 */
export function longestEnvironmentBytes(scope: Construct, environment: Record<string, string>, unknownLength = UNKNOWN_TOKEN): number {
  return Buffer.byteLength(JSON.stringify(new ResolvedLength(Stack.of(scope)).longest(environment, unknownLength)), 'utf8');
}

/**
 * A synthesis error when the environment can exceed Lambda's limit, counting what is known; a
 * warning when only tokens of unknown length (imported values, parameters) could take it over.
 */
function checkEnvironmentSize(fn: Construct, id: string, environment: Record<string, string>): string[] {
  const over = (bytes: number) => `The ${id} function's environment can reach ${bytes} bytes once deployed, over Lambda's ${LAMBDA_ENVIRONMENT_BYTES}-byte limit`;
  const known = longestEnvironmentBytes(fn, environment, 0);
  if (known > LAMBDA_ENVIRONMENT_BYTES) return [`${over(known)} (every name and ARN at its longest); shorten the names it carries (pipelineName, cluster, repository, topic).`];
  const withUnknown = longestEnvironmentBytes(fn, environment);
  if (withUnknown > LAMBDA_ENVIRONMENT_BYTES) {
    Annotations.of(fn).addWarningV2('cdk-blue-green-pipeline:environmentSize', `${over(withUnknown)} if its imported values are ${UNKNOWN_TOKEN} characters long; keep them short.`);
  }
  return [];
}

export interface ControlPlaneFunctionProps {
  readonly bundle: BundleName;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment?: Record<string, string>;
  /** @default DEFAULTS.controlPlaneConcurrency */
  readonly reservedConcurrentExecutions?: number;
  /** false: reserve nothing (an account without room for it; see the `reservedConcurrency` prop). */
  readonly reserveConcurrency: boolean;
  readonly logsKey: kms.IKey;
  /** Private subnets with egress: the functions call only AWS APIs, through the NAT gateway. */
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SelectedSubnets;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Where asynchronous invocations (CloudFormation, CodePipeline) that fail every retry are kept. */
  readonly deadLetterQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * What Lambda does with the execution role of a function in a VPC: manage the function's network
 * interfaces. These actions take only `"Resource": "*"` (an interface has no ARN before it exists).
 */
export const VPC_FUNCTION_ACTIONS: readonly string[] = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/**
 * A pre-bundled control-plane function with its own role (inline policies only, no AWS-managed
 * policy) and its own encrypted log group with a retention period.
 */
export class ControlPlaneFunction extends Construct {
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundlePath(props.bundle)),
      role: this.role,
      logGroup: this.logGroup,
      timeout: props.timeout,
      memorySize: 256,
      environment: props.environment,
      reservedConcurrentExecutions: props.reserveConcurrency ? (props.reservedConcurrentExecutions ?? DEFAULTS.controlPlaneConcurrency) : undefined,
      vpc: props.vpc,
      vpcSubnets: { subnets: props.subnets.subnets },
      securityGroups: [props.securityGroup],
      deadLetterQueue: props.deadLetterQueue,
    });
    // The function needs the NAT routes to reach AWS APIs, including while CloudFormation deletes the stack.
    this.function.node.addDependency(props.subnets.internetConnectivityEstablished);
    const environment = props.environment;
    if (environment) {
      // Checked at synthesis, after every token exists: a deploy that Lambda would refuse fails here, saying why.
      this.node.addValidation({ validate: () => checkEnvironmentSize(this, id, environment) });
    }
    this.allow([...VPC_FUNCTION_ACTIONS], ['*']);
    const queueKey = props.deadLetterQueue.encryptionMasterKey;
    if (queueKey) this.allow(['kms:GenerateDataKey', 'kms:Decrypt'], [queueKey.keyArn]);
  }

  /**
   * Lets the function invoke itself (to carry a long wait on into a new invocation). A policy of
   * its own: the function already depends on its role's default policy, so that one cannot name
   * the function. Whatever may need the hand-over must depend on the returned policy.
   */
  public allowSelfInvoke(): iam.Policy {
    return new iam.Policy(this, 'SelfInvoke', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] })],
    });
  }

  /** Adds one statement to the function's role. */
  public allow(actions: string[], resources: string[], conditions?: Record<string, unknown>): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
  }
}

export interface ControlPlaneNetwork {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SelectedSubnets;
  readonly securityGroup: ec2.SecurityGroup;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * The control-plane functions run in the VPC's private subnets with one security group that allows
 * only HTTPS out (they call AWS APIs and the CloudFormation response URL, nothing else), so their
 * traffic is covered by the flow logs and egress rules like the slots'. Failed asynchronous
 * invocations are kept, encrypted, in one dead-letter queue.
 */
export function controlPlaneNetwork(scope: Construct, vpc: ec2.IVpc, queueKey: kms.IKey, removalPolicy: RemovalPolicy): ControlPlaneNetwork {
  const securityGroup = new ec2.SecurityGroup(scope, 'ControlPlaneSecurityGroup', {
    vpc,
    description: 'Blue/green control-plane functions: HTTPS to AWS APIs only',
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs through the NAT gateway');
  const deadLetterQueue = new sqs.Queue(scope, 'ControlPlaneDeadLetterQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: queueKey,
    enforceSSL: true,
    retentionPeriod: DEFAULTS.deadLetterRetention,
    // SQS's default, stated: this queue is a dead-letter queue, not a source queue that needs one (CT.SQS.PR.1).
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    removalPolicy,
  });
  return { vpc, subnets: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }), securityGroup, deadLetterQueue };
}

/** What every control-plane function shares: its network, dead-letter queue, log key, retention and concurrency. */
export type SharedFunctionProps = Pick<
  ControlPlaneFunctionProps,
  'reserveConcurrency' | 'logsKey' | 'vpc' | 'subnets' | 'securityGroup' | 'deadLetterQueue' | 'logRetention' | 'removalPolicy'
>;

export interface ControlPlaneFoundationProps {
  readonly vpc: ec2.IVpc;
  /** Encrypts the dead-letter queue. */
  readonly queueKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly reserveConcurrency: boolean;
}

/** What `controlPlaneFoundation` made: the shared function props, the queue as the queue it is. */
export interface ControlPlaneFoundation extends SharedFunctionProps {
  readonly deadLetterQueue: sqs.Queue;
}

/** The control plane's network (private subnets, HTTPS-only egress) and dead-letter queue, shared by every function. */
export function controlPlaneFoundation(scope: Construct, props: ControlPlaneFoundationProps): ControlPlaneFoundation {
  const network = controlPlaneNetwork(scope, props.vpc, props.queueKey, props.removalPolicy);
  return {
    logsKey: props.logsKey,
    logRetention: props.logRetention,
    removalPolicy: props.removalPolicy,
    reserveConcurrency: props.reserveConcurrency,
    ...network,
  };
}
