import { Annotations, ArnFormat, CfnResource, CustomResource, Duration, Fn, RemovalPolicy, Stack, Tags, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { ReleaseConfigDocument } from '../lambdas/core/config';
import { ROUTE_RULE_TAG } from '../lambdas/core/events';
import { PipelineSource } from './pipeline-source';
import { declaresArtifacts, loadBuildSpec } from './private/buildspec';
import { publishPipelineEvents } from './private/audit';
import { BakeWatch, SlotBakeAlarms, allowAlarmsToNotify } from './private/bake-alarms';
import { acknowledgeFindings, associateWebAcl, controlPlaneNetwork, literalVpcCidr } from './private/compliance';
import { ControlPlaneFunction } from './private/control-plane-function';
import { DEFAULTS, HTTP_REDIRECT_PORT, defaultPipelineName, defaultPorts, testUrl } from './private/defaults';
import {
  ACTION,
  CONFIG_PARAMETER_TAG,
  NAMESPACE,
  STAGE,
  configParameterName,
  leaseParameterPath,
  slotImageTag,
  stateParameterName,
  topicDisplayName,
} from './private/names';
import { bundlePath } from './private/package-files';
import { logBucket, logsKey, privateBucket, rotatingKey } from './private/secure-defaults';
import { Slot } from './private/slot';
import { StateKey } from './private/state-key';
import { assertValid, validateProps } from './private/validation';

/** Lowest severity that fails the build's vulnerability gate. */
export enum GateSeverity {
  CRITICAL = 'CRITICAL',
  HIGH = 'HIGH',
  MEDIUM = 'MEDIUM',
  LOW = 'LOW',
}

/** Properties of a BlueGreenPipeline. */
export interface BlueGreenPipelineProps {
  /** Where releases come from: `PipelineSource.connection(…)`, `.s3(…)` or `.codeCommit(…)`. */
  readonly source: PipelineSource;

  /**
   * Email addresses subscribed to the approval topic. Each address must confirm the SNS
   * subscription before it receives approval requests.
   */
  readonly approvalEmails: string[];

  /**
   * Name of the pipeline. It also names the slot services (`<name>-slot-a`, `<name>-slot-b`),
   * their task families and the SSM parameters `/bluegreen/<name>/config` and `/state`.
   * @default - `<stackName>-<constructId>`, reduced to letters, digits, "-" and "_"
   */
  readonly pipelineName?: string;

  /**
   * The VPC of the slots, the load balancer and the control-plane functions. It needs private
   * subnets with egress (the functions run there and reach AWS APIs through NAT).
   * @default - the cluster's VPC when a cluster is given, else a new VPC with 2 AZs, one NAT
   * gateway, flow logs to the log bucket and its default security group closed
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets for the slot tasks.
   * @default - the VPC's private subnets with egress
   */
  readonly taskSubnets?: ec2.SubnetSelection;

  /**
   * The ECS cluster of the slots.
   * @default - a new cluster with Container Insights
   */
  readonly cluster?: ecs.ICluster;

  /**
   * The load balancer. The construct adds its listeners to it.
   * @default - a new application load balancer that drops invalid headers and writes access
   * logs to the log bucket
   */
  readonly loadBalancer?: elbv2.IApplicationLoadBalancer;

  /**
   * Whether a created load balancer is internet-facing (production open to the internet, else to
   * the VPC). A given `loadBalancer` is treated as internet-facing.
   * @default true
   */
  readonly internetFacing?: boolean;

  /**
   * Whether a created load balancer has deletion protection. With it on, `cdk destroy` fails
   * until it is turned off (set false and deploy first). Ignored when `loadBalancer` is given.
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * ARN of an AWS WAF (wafv2, REGIONAL scope) web ACL to associate with a created load balancer.
   * Ignored when `loadBalancer` is given (associate your own).
   * @default - no web ACL; synthesis warns `cdk-blue-green-pipeline:noWebAcl`
   */
  readonly webAclArn?: string;

  /**
   * Certificate for HTTPS. When given, the production and test listeners are HTTPS and port 80
   * redirects to HTTPS.
   * @default - no certificate: both listeners are HTTP
   */
  readonly certificate?: acm.ICertificate;

  /**
   * TLS policy of the HTTPS listeners.
   * @default elbv2.SslPolicy.RECOMMENDED_TLS (TLS 1.2 and 1.3)
   */
  readonly sslPolicy?: elbv2.SslPolicy;

  /**
   * Port of the production listener (the blue slot).
   * @default 443 with a certificate, 80 without
   */
  readonly productionPort?: number;

  /**
   * Port of the test listener (the green slot).
   * @default 8443 with a certificate, 8080 without
   */
  readonly testPort?: number;

  /**
   * CIDR blocks allowed to reach the test listener.
   * @default - the VPC's CIDR block only
   */
  readonly testListenerAllowedCidrs?: string[];

  /**
   * Host name that resolves to the load balancer, used in the test URL of approval requests.
   * @default - the load balancer's DNS name
   */
  readonly domainName?: string;

  /**
   * Port the container listens on.
   * @default 8080
   */
  readonly containerPort?: number;

  /**
   * Path of the target group health check.
   * @default '/health'
   */
  readonly healthCheckPath?: string;

  /**
   * Port of the target group health check.
   * @default - the container port
   */
  readonly healthCheckPort?: number;

  /**
   * Time a new task has before failed health checks count against it.
   * @default Duration.seconds(60)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).
   * @default 256
   */
  readonly cpu?: number;

  /**
   * Fargate task memory in MiB; must be a valid pair with `cpu`.
   * @default 512
   */
  readonly memoryLimitMiB?: number;

  /**
   * Tasks a released slot runs when no slot runs any (later releases match the live slot).
   * @default 2
   */
  readonly desiredCount?: number;

  /**
   * CPU architecture of the tasks, and of the CodeBuild image that builds them.
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Environment variables of the container. `BLUEGREEN_SLOT` is reserved (set to `a` or `b`).
   * @default - none besides BLUEGREEN_SLOT
   */
  readonly environment?: { [name: string]: string };

  /**
   * Secrets of the container, from Secrets Manager or SSM Parameter Store.
   * @default - none
   */
  readonly secrets?: { [name: string]: ecs.Secret };

  /**
   * Run the container with a read-only root filesystem (a writable `/tmp` volume is mounted).
   * @default false
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * User (uid, uid:gid or name) the container runs as. Root is refused.
   * @default '1000'
   */
  readonly containerUser?: string;

  /**
   * Role of the application tasks, shared by both slots.
   * @default - a new role with no permissions
   */
  readonly taskRole?: iam.IRole;

  /**
   * How long an approval request waits before the execution fails (5 minutes to 60 days).
   * @default Duration.days(7)
   */
  readonly approvalTimeout?: Duration;

  /**
   * How long DeployGreen waits for the green slot to become steady and healthy.
   * @default Duration.minutes(30)
   */
  readonly deployTimeout?: Duration;

  /**
   * Lowest vulnerability severity that fails the build gate.
   * @default GateSeverity.HIGH
   */
  readonly gateFailOn?: GateSeverity;

  /**
   * Ignore vulnerabilities that have no fixed version yet.
   * @default true
   */
  readonly gateIgnoreUnfixed?: boolean;

  /**
   * Let the build gate pass an image in which Trivy found no OS and no packages. Such a scan
   * checked nothing, so by default it fails the build ("the image was not scanned"). Turning this
   * on is dangerous: any image Trivy cannot read (an unknown distribution, deleted package
   * databases, a binary Trivy does not recognise) then reaches production with a clean-looking
   * scan. Set it only for an image that really has nothing to scan; the approval's scan summary
   * then starts with "EMPTY SCAN (allowed)".
   * @default false
   */
  readonly gateAllowEmptyScan?: boolean;

  /**
   * Path, relative to the source root, of the gate's allow-list file: a JSON document
   * `{"entries": [{"id": "CVE-…", "expires": "YYYY-MM-DD", "reason": "…"}]}`. A missing file
   * allows nothing.
   * @default '.bluegreen/allow-list.json'
   */
  readonly gateAllowListFile?: string;

  /**
   * Path of the Dockerfile, relative to the source root.
   * @default 'Dockerfile'
   */
  readonly dockerfile?: string;

  /**
   * Docker build context, relative to the source root.
   * @default '.'
   */
  readonly dockerBuildContext?: string;

  /**
   * OCI repository Trivy downloads its vulnerability database from.
   * @default 'public.ecr.aws/aquasecurity/trivy-db:2'
   */
  readonly trivyDbRepository?: string;

  /**
   * OCI repository Trivy downloads its Java database from.
   * @default 'public.ecr.aws/aquasecurity/trivy-java-db:1'
   */
  readonly trivyJavaDbRepository?: string;

  /**
   * CodeBuild compute type of the build.
   * @default codebuild.ComputeType.MEDIUM
   */
  readonly buildComputeType?: codebuild.ComputeType;

  /**
   * Name of the ECR repository.
   * @default - a name generated by CloudFormation
   */
  readonly repositoryName?: string;

  /**
   * Retention of the log groups (functions, build, containers).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the repository, buckets, keys and log groups when they leave the stack.
   * With DESTROY, a repository or bucket that still holds objects fails to delete.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Reserve Lambda concurrency for the control-plane functions (Swap 1, DeployGreen 2, the infra
   * owner 2, Bake 2). Reserving needs an account whose concurrency limit is at least the sum
   * plus 100, which AWS keeps unreserved: a new account with a limit of 10 cannot reserve any, so
   * set false there. The release lease serialises swaps and rollbacks either way; reserved
   * concurrency 1 on Swap is a second guard, and keeps the functions runnable when the account's
   * other functions use up its unreserved concurrency.
   * @default true
   */
  readonly reservedConcurrency?: boolean;

  /**
   * Audit topic: swaps and rollbacks publish a message here.
   * @default - a new KMS-encrypted topic
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * How long the Bake stage watches the new live slot's alarms after a swap. An alarm in that
   * window swaps production back and fails the execution. `Duration.seconds(0)` turns the stage off.
   * @default Duration.minutes(10)
   */
  readonly bakeTime?: Duration;

  /**
   * Your own alarms, metric or composite, also watched during the bake (whichever slot is live),
   * through one composite alarm `<pipelineName>-bake-shared`; any number, each given once.
   * @default - none: only the construct's per-slot alarms are watched
   */
  readonly bakeAlarms?: cloudwatch.IAlarm[];

  /**
   * p99 target response time of the baking slot above which it alarms.
   * @default Duration.seconds(1)
   */
  readonly bakeLatencyThreshold?: Duration;

  /**
   * Target 5xx responses a minute of the baking slot at which it alarms.
   * @default 5
   */
  readonly bake5xxThreshold?: number;
}

/** One of the two permanent slots: a Fargate service in its own target group. */
export interface BlueGreenSlot {
  /** `a` or `b`. */
  readonly slotName: string;
  /** The mutable ECR tag the slot's task definition runs (`slot-a` or `slot-b`). */
  readonly imageTag: string;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The Custom::BlueGreenSlotService resource that owns the ECS service. */
  readonly resource: CustomResource;
  readonly service: ecs.IBaseService;
  readonly serviceName: string;
  readonly serviceArn: string;
}

const ROUTES_RESOURCE_TYPE = 'Custom::BlueGreenRoutes';
/** The swap function's timeout; an operation's hold on the slots lapses a minute after it. */
const SWAP_TIMEOUT = Duration.minutes(2);

/**
 * A complete blue/green container delivery pipeline on ECS Fargate: source, Docker build with a
 * Trivy gate before the registry, deploy to the idle slot, approval by email, route swap, and a
 * bake window that swaps back on alarm.
 */
export class BlueGreenPipeline extends Construct {
  public readonly pipelineName: string;
  public readonly vpc: ec2.IVpc;
  public readonly cluster: ecs.ICluster;
  public readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Production listener (blue). Its default action is a fixed 503; the route is a rule owned by the control plane. */
  public readonly productionListener: elbv2.ApplicationListener;
  /** Test listener (green), reachable from `testListenerAllowedCidrs` only. */
  public readonly testListener: elbv2.ApplicationListener;
  /** Port 80 listener that redirects to HTTPS; only with a certificate. */
  public readonly redirectListener?: elbv2.ApplicationListener;
  public readonly serviceSecurityGroup: ec2.SecurityGroup;
  public readonly repository: ecr.Repository;
  public readonly slotA: BlueGreenSlot;
  public readonly slotB: BlueGreenSlot;
  public readonly taskRole: iam.IRole;
  public readonly executionRole: iam.Role;
  /** The Custom::BlueGreenRoutes resource that creates the production and test rules. */
  public readonly routes: CustomResource;
  public readonly productionRuleArn: string;
  public readonly testRuleArn: string;
  public readonly testUrl: string;
  public readonly pipeline: codepipeline.Pipeline;
  public readonly buildProject: codebuild.PipelineProject;
  public readonly scanReportGroup: codebuild.ReportGroup;
  public readonly approvalTopic: sns.Topic;
  public readonly notificationTopic: sns.ITopic;
  public readonly deployGreenFunction: lambda.Function;
  public readonly swapFunction: lambda.Function;
  /** The Bake function; absent when `bakeTime` is 0. */
  public readonly bakeFunction?: lambda.Function;
  /** Slot a's bake alarms (5xx, unhealthy hosts, p99 latency); empty when `bakeTime` is 0. */
  public readonly slotABakeAlarms: cloudwatch.Alarm[];
  /** Slot b's bake alarms (5xx, unhealthy hosts, p99 latency); empty when `bakeTime` is 0. */
  public readonly slotBBakeAlarms: cloudwatch.Alarm[];
  public readonly infraOwnerFunction: lambda.Function;
  public readonly configParameter: ssm.StringParameter;
  public readonly stateParameterName: string;
  public readonly stateParameterArn: string;
  public readonly artifactBucket: s3.Bucket;
  public readonly logBucket: s3.Bucket;
  public readonly artifactsKey: kms.Key;
  public readonly imageKey: kms.Key;
  public readonly notificationsKey: kms.Key;
  public readonly logsKey: kms.Key;
  /** Seals the state record and the release lease: only the control-plane roles may encrypt with it. */
  public readonly stateKey: kms.Key;
  /** Path of the release lease's generations (`/bluegreen/<pipelineName>/lease`). */
  public readonly leaseParameterPath: string;
  public readonly serviceLogGroup: logs.LogGroup;
  public readonly buildLogGroup: logs.LogGroup;
  /**
   * Asynchronous invocations of the control-plane functions (CloudFormation, CodePipeline) that
   * failed every retry; alarm on its depth.
   */
  public readonly controlPlaneDeadLetterQueue: sqs.Queue;
  private readonly stateSeal: StateKey;

  constructor(scope: Construct, id: string, props: BlueGreenPipelineProps) {
    super(scope, id);
    assertValid(id, validateProps(props));
    // Server access logs by bucket policy, so every bucket keeps ACLs disabled (set before any child exists).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const stack = Stack.of(this);
    const https = props.certificate !== undefined;
    const ports = defaultPorts(https);
    const productionPort = props.productionPort ?? ports.production;
    const testPort = props.testPort ?? ports.test;
    const containerPort = props.containerPort ?? DEFAULTS.containerPort;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const desiredCount = props.desiredCount ?? DEFAULTS.desiredCount;
    const deployTimeout = props.deployTimeout ?? DEFAULTS.deployTimeout;
    const bakeTime = props.bakeTime ?? DEFAULTS.bakeTime;
    const baking = bakeTime.isUnresolved() || bakeTime.toSeconds() > 0;
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    this.pipelineName = props.pipelineName ?? defaultPipelineName(stack.stackName, id);
    this.stateParameterName = stateParameterName(this.pipelineName);
    this.stateParameterArn = parameterArn(stack, this.stateParameterName);
    this.leaseParameterPath = leaseParameterPath(this.pipelineName);
    const leasePathArn = parameterArn(stack, this.leaseParameterPath);
    const reserve = props.reservedConcurrency ?? true;
    const pipelineArn = stack.formatArn({ service: 'codepipeline', resource: this.pipelineName, arnFormat: ArnFormat.NO_RESOURCE_NAME });

    // Keys and buckets
    this.artifactsKey = rotatingKey(this, 'ArtifactsKey', 'Encrypts the blue/green pipeline artifacts', removalPolicy);
    this.imageKey = rotatingKey(this, 'ImageKey', 'Encrypts the blue/green image repository', removalPolicy);
    this.notificationsKey = rotatingKey(this, 'NotificationsKey', 'Encrypts the blue/green approval and audit topics', removalPolicy);
    this.logsKey = logsKey(this, 'LogsKey', removalPolicy);
    const stateKey = new StateKey(this, 'StateKey', { removalPolicy });
    this.stateSeal = stateKey;
    this.stateKey = stateKey.key;
    this.logBucket = logBucket(this, 'LogBucket', removalPolicy);
    this.artifactBucket = privateBucket(this, 'ArtifactBucket', {
      key: this.artifactsKey,
      logs: this.logBucket,
      logPrefix: 'artifact-bucket/',
      expiry: DEFAULTS.artifactExpiry,
      removalPolicy,
    });

    // Network, cluster, load balancer
    const givenVpc = props.vpc ?? props.cluster?.vpc ?? props.loadBalancer?.vpc;
    this.vpc = givenVpc ?? this.createVpc();
    const vpcCidr = literalVpcCidr(this.vpc);
    this.cluster =
      props.cluster ??
      new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.loadBalancer = props.loadBalancer ?? this.createLoadBalancer(props.internetFacing ?? DEFAULTS.internetFacing, props);
    const internetFacing = props.loadBalancer ? true : (props.internetFacing ?? DEFAULTS.internetFacing);

    const protocol = https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP;
    const listenerTls = https
      ? {
          certificates: [elbv2.ListenerCertificate.fromCertificateManager(props.certificate!)],
          sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
        }
      : {};
    // Default actions never route: the control plane's rules do (invariant 6).
    const noRoute = elbv2.ListenerAction.fixedResponse(503, {
      contentType: 'text/plain',
      messageBody: 'No release is routed here.',
    });
    this.productionListener = new elbv2.ApplicationListener(this, 'ProductionListener', {
      loadBalancer: this.loadBalancer,
      port: productionPort,
      protocol,
      ...listenerTls,
      defaultAction: noRoute,
      open: false,
    });
    this.testListener = new elbv2.ApplicationListener(this, 'TestListener', {
      loadBalancer: this.loadBalancer,
      port: testPort,
      protocol,
      ...listenerTls,
      defaultAction: noRoute,
      open: false,
    });
    const productionPeers = internetFacing ? [ec2.Peer.anyIpv4()] : [ec2.Peer.ipv4(vpcCidr)];
    for (const peer of productionPeers) {
      this.productionListener.connections.allowDefaultPortFrom(peer, 'Production traffic');
    }
    for (const cidr of props.testListenerAllowedCidrs ?? [vpcCidr]) {
      const peer = cidr.includes(':') ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr);
      this.testListener.connections.allowDefaultPortFrom(peer, 'Test traffic to the green slot');
    }
    if (https) {
      this.redirectListener = new elbv2.ApplicationListener(this, 'HttpRedirectListener', {
        loadBalancer: this.loadBalancer,
        port: HTTP_REDIRECT_PORT,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: String(productionPort), permanent: true }),
        open: false,
      });
      for (const peer of productionPeers) {
        this.redirectListener.connections.allowDefaultPortFrom(peer, 'HTTP to HTTPS redirect');
      }
      // When a certificate is added later, port 80 moves from production to the redirect listener.
      this.redirectListener.node.addDependency(this.productionListener);
    }
    this.testUrl = testUrl(https, props.domainName ?? this.loadBalancer.loadBalancerDnsName, testPort);

    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: this.vpc,
      description: `Slot tasks of ${this.pipelineName}`,
      allowAllOutbound: true,
    });
    this.serviceSecurityGroup.connections.allowFrom(this.loadBalancer, ec2.Port.tcp(containerPort), 'Load balancer to slot tasks');
    if (props.healthCheckPort !== undefined && props.healthCheckPort !== containerPort) {
      this.serviceSecurityGroup.connections.allowFrom(this.loadBalancer, ec2.Port.tcp(props.healthCheckPort), 'Load balancer health checks');
    }

    // Image repository: release tags immutable, slot tags mutable; slot images never expire.
    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard('slot-*')],
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: this.imageKey,
      removalPolicy,
      lifecycleRules: [
        {
          rulePriority: 1,
          description: 'Keep every image under a slot tag: lower-priority rules cannot expire them',
          tagStatus: ecr.TagStatus.TAGGED,
          tagPatternList: ['slot-*'],
          maxImageCount: 9999,
        },
        {
          rulePriority: 2,
          description: 'Expire untagged images',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: DEFAULTS.untaggedImageExpiry,
        },
        {
          rulePriority: 3,
          description: 'Keep the most recent release images',
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount: DEFAULTS.imageRetentionCount,
        },
      ],
    });

    // Control plane: the infra owner answers the custom resources that own routes and services.
    const controlPlane = controlPlaneNetwork(this, this.vpc, this.notificationsKey, removalPolicy);
    this.controlPlaneDeadLetterQueue = controlPlane.deadLetterQueue;
    const functionDefaults = { logsKey: this.logsKey, logRetention, removalPolicy, reserveConcurrency: reserve, ...controlPlane };
    const infraOwner = new ControlPlaneFunction(this, 'InfraOwner', {
      ...functionDefaults,
      bundle: 'infra-owner',
      description: `Owns the routes and slot services of ${this.pipelineName} for CloudFormation`,
      timeout: Duration.minutes(5),
    });
    this.infraOwnerFunction = infraOwner.function;
    // The slot services wait (draining, deploying) across invocations of the infra owner.
    const infraOwnerSelfInvoke = infraOwner.allowSelfInvoke();

    // Slots
    this.serviceLogGroup = new logs.LogGroup(this, 'ServiceLogGroup', {
      encryptionKey: this.logsKey,
      retention: logRetention,
      removalPolicy,
    });
    this.taskRole =
      props.taskRole ?? new iam.Role(this, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    this.executionRole = new iam.Role(this, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const subnets = this.vpc.selectSubnets(props.taskSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    const slotProps = {
      pipelineName: this.pipelineName,
      vpc: this.vpc,
      cluster: this.cluster,
      repository: this.repository,
      cpu: props.cpu ?? DEFAULTS.cpu,
      memoryLimitMiB: props.memoryLimitMiB ?? DEFAULTS.memoryLimitMiB,
      cpuArchitecture,
      containerPort,
      healthCheckPath: props.healthCheckPath ?? DEFAULTS.healthCheckPath,
      healthCheckPort: props.healthCheckPort,
      healthCheckGracePeriod: props.healthCheckGracePeriod ?? DEFAULTS.healthCheckGracePeriod,
      environment: props.environment ?? {},
      secrets: props.secrets ?? {},
      readonlyRootFilesystem: props.readonlyRootFilesystem ?? DEFAULTS.readonlyRootFilesystem,
      containerUser: props.containerUser ?? DEFAULTS.containerUser,
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      logGroup: this.serviceLogGroup,
      securityGroup: this.serviceSecurityGroup,
      subnets,
      serviceToken: this.infraOwnerFunction.functionArn,
      dependencies: [infraOwnerSelfInvoke],
    };
    const slotA = new Slot(this, 'SlotA', { ...slotProps, slot: 'a' });
    const slotB = new Slot(this, 'SlotB', { ...slotProps, slot: 'b' });
    this.slotA = slotA;
    this.slotB = slotB;

    // Routes: rule a on production, rule b on test, both owned by the control plane from here on.
    this.routes = new CustomResource(this, 'Routes', {
      serviceToken: this.infraOwnerFunction.functionArn,
      resourceType: ROUTES_RESOURCE_TYPE,
      properties: {
        ProductionListenerArn: this.productionListener.listenerArn,
        TestListenerArn: this.testListener.listenerArn,
        SlotATargetGroupArn: slotA.targetGroup.targetGroupArn,
        SlotBTargetGroupArn: slotB.targetGroup.targetGroupArn,
      },
    });
    // A service can only register with a target group that a listener rule already forwards to.
    slotA.resource.node.addDependency(this.routes);
    slotB.resource.node.addDependency(this.routes);
    this.productionRuleArn = this.routes.getAttString('ProductionRuleArn');
    this.testRuleArn = this.routes.getAttString('TestRuleArn');

    const listenerArns = [this.productionListener.listenerArn, this.testListener.listenerArn];
    const ruleArnPatterns = listenerArns.map((arn) => listenerRuleArnPattern(stack, arn));
    const serviceArns = [slotA.serviceArn, slotB.serviceArn];
    const targetGroupArns = [slotA.targetGroup.targetGroupArn, slotB.targetGroup.targetGroupArn];

    // The infra owner's rule writes are scoped by the tags every rule of this Routes resource
    // carries (this stack, this resource), not by listener: a rule stays writable on a listener
    // the template has moved away from, and CloudFormation's rollback needs no rule on a listener
    // the policy no longer names.
    const routesLogicalId = (this.routes.node.defaultChild as CfnResource).logicalId;
    const ruleTags = (key: 'aws:RequestTag' | 'aws:ResourceTag') => ({
      [`${key}/${ROUTE_RULE_TAG.stack}`]: stack.stackId,
      [`${key}/${ROUTE_RULE_TAG.resource}`]: routesLogicalId,
    });
    const anyListenerRule = stack.formatArn({ service: 'elasticloadbalancing', resource: 'listener-rule', resourceName: 'app/*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    infraOwner.allow(['elasticloadbalancing:CreateRule'], listenerArns, { StringEquals: ruleTags('aws:RequestTag') });
    // Tags given to CreateRule are authorised as AddTags on the new rule (ELB API permissions to tag resources during creation).
    infraOwner.allow(['elasticloadbalancing:AddTags'], [anyListenerRule], {
      StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule', ...ruleTags('aws:RequestTag') },
    });
    infraOwner.allow(['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule'], [anyListenerRule], { StringEquals: ruleTags('aws:ResourceTag') });
    // Describe actions have no resource-level permissions.
    infraOwner.allow(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTargetHealth'], ['*']);
    infraOwner.allow(
      ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices', 'ecs:TagResource', 'ecs:UntagResource'],
      serviceArns,
    );
    // The slot tag rule: what the slots' tasks run and what their tags name (and moving a tag back).
    infraOwner.allow(['ecs:ListTasks', 'ecs:DescribeTasks'], ['*'], { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } });
    infraOwner.allow(['ecr:BatchGetImage', 'ecr:PutImage'], [this.repository.repositoryArn]);
    infraOwner.allow(
      ['iam:CreateServiceLinkedRole'],
      [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS' })],
      { StringEquals: { 'iam:AWSServiceName': 'ecs.amazonaws.com' } },
    );

    // Topics and the configuration every control-plane function shares
    this.approvalTopic = new sns.Topic(this, 'ApprovalTopic', {
      displayName: topicDisplayName(`Release approvals for ${this.pipelineName}`),
      masterKey: this.notificationsKey,
      enforceSSL: true,
    });
    for (const email of props.approvalEmails) {
      this.approvalTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.notificationTopic =
      props.notificationTopic ??
      new sns.Topic(this, 'NotificationTopic', {
        displayName: topicDisplayName(`Release audit for ${this.pipelineName}`),
        masterKey: this.notificationsKey,
        enforceSSL: true,
      });

    const config: ReleaseConfigDocument = {
      pipelineName: this.pipelineName,
      clusterArn: this.cluster.clusterArn,
      repositoryName: this.repository.repositoryName,
      slots: {
        a: { serviceName: slotA.serviceName, targetGroupArn: slotA.targetGroup.targetGroupArn, imageTag: slotImageTag('a') },
        b: { serviceName: slotB.serviceName, targetGroupArn: slotB.targetGroup.targetGroupArn, imageTag: slotImageTag('b') },
      },
      productionRuleArn: this.productionRuleArn,
      testRuleArn: this.testRuleArn,
      testUrl: this.testUrl,
      stateParameterName: this.stateParameterName,
      leaseParameterPath: this.leaseParameterPath,
      stateKeyArn: this.stateKey.keyArn,
      operationTimeoutSeconds: SWAP_TIMEOUT.toSeconds(),
      desiredCount,
      deployTimeoutSeconds: deployTimeout.toSeconds(),
      bakeAfterSwap: baking,
      notificationTopicArn: this.notificationTopic.topicArn,
    };
    const environment = { BLUEGREEN_CONFIG: stack.toJsonString(config) };

    const deployGreen = new ControlPlaneFunction(this, 'DeployGreen', {
      ...functionDefaults,
      bundle: 'deploy-green',
      description: `Deploys a release to the idle slot of ${this.pipelineName}`,
      timeout: Duration.minutes(2),
      environment,
    });
    this.deployGreenFunction = deployGreen.function;
    const swap = new ControlPlaneFunction(this, 'Swap', {
      ...functionDefaults,
      bundle: 'swap',
      description: `Swaps and rolls back the routes of ${this.pipelineName}`,
      // An operation's hold on the slots lapses a minute after this (operationTimeoutSeconds).
      timeout: SWAP_TIMEOUT,
      environment,
      // One swap at a time (invariant 4), on top of the release lease.
      reservedConcurrentExecutions: 1,
    });
    this.swapFunction = swap.function;

    // The release lease and the state record: sealed, written only by these roles.
    const leaseArns = { path: [leasePathArn], generations: [`${leasePathArn}/*`] };
    const holdsLease = (fn: ControlPlaneFunction) => {
      stateKey.grantSeal(fn.role);
      fn.allow(['ssm:GetParametersByPath'], leaseArns.path);
      fn.allow(['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], leaseArns.generations);
    };
    for (const fn of [deployGreen, swap]) {
      holdsLease(fn);
      fn.allow(['codepipeline:GetPipelineExecution'], [pipelineArn]);
    }

    const clusterCondition = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    for (const fn of [deployGreen, swap]) {
      fn.allow(['elasticloadbalancing:ModifyRule'], ruleArnPatterns);
      fn.allow(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth'], ['*']);
      fn.allow(['ecs:DescribeServices'], serviceArns);
      fn.allow(['ecs:ListTasks', 'ecs:DescribeTasks'], ['*'], clusterCondition);
    }
    deployGreen.allow(['ecs:UpdateService'], serviceArns);
    deployGreen.allow(['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage'], [this.repository.repositoryArn]);
    swap.allow(['ecr:BatchGetImage', 'ecr:PutImage'], [this.repository.repositoryArn]);
    swap.allow(['ssm:GetParameter', 'ssm:PutParameter'], [this.stateParameterArn]);
    // The seal check reads the record's type and key; DescribeParameters has no resource-level permission.
    swap.allow(['ssm:DescribeParameters'], ['*']);
    swap.allow(['codepipeline:ListActionExecutions'], [pipelineArn]);
    // The Resource Groups Tagging API has no resource-level permissions; the service actions below scope it.
    swap.allow(['tag:TagResources', 'tag:GetResources'], ['*']);
    swap.allow(['ecs:TagResource'], serviceArns);
    swap.allow(['elasticloadbalancing:AddTags'], targetGroupArns);
    this.notificationTopic.grantPublish(swap.role);

    // Bake: per-slot alarms, watched by a function that asks the swap function to roll back.
    let bake: ControlPlaneFunction | undefined;
    if (baking) {
      const alarmProps = {
        loadBalancer: this.loadBalancer,
        latencyThreshold: props.bakeLatencyThreshold ?? DEFAULTS.bakeLatencyThreshold,
        fiveXxThreshold: props.bake5xxThreshold ?? DEFAULTS.bake5xxThreshold,
      };
      const bakeAlarms = new Construct(this, 'BakeAlarms');
      this.slotABakeAlarms = new SlotBakeAlarms(bakeAlarms, 'SlotA', { ...alarmProps, targetGroup: slotA.targetGroup }).alarms;
      this.slotBBakeAlarms = new SlotBakeAlarms(bakeAlarms, 'SlotB', { ...alarmProps, targetGroup: slotB.targetGroup }).alarms;
      allowAlarmsToNotify([...this.slotABakeAlarms, ...this.slotBBakeAlarms], this.notificationTopic, props.notificationTopic ? undefined : this.notificationsKey);
      // Bake watches one composite alarm per slot and one over your alarms, whatever their number.
      const watch = new BakeWatch(bakeAlarms, 'Watch', { pipelineName: this.pipelineName, slotA: this.slotABakeAlarms, slotB: this.slotBBakeAlarms, shared: props.bakeAlarms ?? [] });
      // Only Bake's copy names the swap function: swap's own configuration never needs Bake.
      const bakeConfig: ReleaseConfigDocument = {
        ...config,
        bake: {
          alarms: { a: watch.names.a, b: watch.names.b },
          sharedAlarms: watch.names.shared,
          swapFunctionName: this.swapFunction.functionName,
          windowSeconds: bakeTime.toSeconds(),
        },
      };
      bake = new ControlPlaneFunction(this, 'Bake', {
        ...functionDefaults,
        bundle: 'bake',
        description: `Watches the alarms of the live slot of ${this.pipelineName} after a swap and rolls back on alarm`,
        // Longer than the swap function's, which it may wait for when it asks for a rollback.
        timeout: Duration.minutes(3),
        environment: { BLUEGREEN_CONFIG: stack.toJsonString(bakeConfig) },
      });
      this.bakeFunction = bake.function;
      // "To use this operation and return information about composite alarms, you must be signed on
      // with the cloudwatch:DescribeAlarms permission that is scoped to *" (DescribeAlarms reference):
      // a narrower grant hides every composite alarm, Bake's own included.
      bake.allow(['cloudwatch:DescribeAlarms'], ['*']);
      bake.allow(['elasticloadbalancing:DescribeRules'], ['*']);
      bake.allow(['lambda:InvokeFunction'], [this.swapFunction.functionArn]);
      holdsLease(bake);
    } else {
      this.slotABakeAlarms = [];
      this.slotBBakeAlarms = [];
    }

    const configParameterNameValue = configParameterName(this.pipelineName);
    this.configParameter = new ssm.StringParameter(this, 'ConfigParameter', {
      parameterName: configParameterNameValue,
      description: `Release configuration of the blue/green pipeline ${this.pipelineName}`,
      stringValue: stack.toJsonString({ ...config, swapFunctionName: this.swapFunction.functionName }),
    });

    // Build and scan
    this.scanReportGroup = new codebuild.ReportGroup(this, 'ScanReportGroup', {
      type: codebuild.ReportGroupType.TEST,
      removalPolicy,
    });
    const buildSpec = loadBuildSpec(this.scanReportGroup.reportGroupArn);
    const buildTools = new s3assets.Asset(this, 'BuildTools', { path: bundlePath('build-tools') });
    this.buildLogGroup = new logs.LogGroup(this, 'BuildLogGroup', {
      encryptionKey: this.logsKey,
      retention: logRetention,
      removalPolicy,
    });
    const plain = (value: string): codebuild.BuildEnvironmentVariable => ({ value });
    this.buildProject = new codebuild.PipelineProject(this, 'BuildProject', {
      description: `Builds, scans and pushes the release image of ${this.pipelineName}`,
      buildSpec: codebuild.BuildSpec.fromObjectToYaml(buildSpec),
      environment: {
        buildImage:
          cpuArchitecture === ecs.CpuArchitecture.ARM64
            ? codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0
            : codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: props.buildComputeType ?? codebuild.ComputeType.MEDIUM,
        // Docker needs it to build images; only this project has it.
        privileged: true,
      },
      environmentVariables: {
        REPOSITORY_URI: plain(this.repository.repositoryUri),
        BG_TOOLS_S3_URI: plain(buildTools.s3ObjectUrl),
        GATE_FAIL_ON: plain(props.gateFailOn ?? DEFAULTS.gateFailOn),
        GATE_IGNORE_UNFIXED: plain(String(props.gateIgnoreUnfixed ?? DEFAULTS.gateIgnoreUnfixed)),
        GATE_ALLOW_EMPTY_SCAN: plain(String(props.gateAllowEmptyScan ?? DEFAULTS.gateAllowEmptyScan)),
        GATE_ALLOW_LIST: plain(props.gateAllowListFile ?? DEFAULTS.gateAllowListFile),
        DOCKERFILE: plain(props.dockerfile ?? DEFAULTS.dockerfile),
        DOCKER_BUILD_CONTEXT: plain(props.dockerBuildContext ?? DEFAULTS.dockerBuildContext),
        TRIVY_DB_REPOSITORY: plain(props.trivyDbRepository ?? DEFAULTS.trivyDbRepository),
        TRIVY_JAVA_DB_REPOSITORY: plain(props.trivyJavaDbRepository ?? DEFAULTS.trivyJavaDbRepository),
        BG_STATE_PARAMETER: plain(this.stateParameterName),
      },
      cache: codebuild.Cache.local(codebuild.LocalCacheMode.DOCKER_LAYER, codebuild.LocalCacheMode.CUSTOM),
      encryptionKey: this.artifactsKey,
      logging: { cloudWatch: { logGroup: this.buildLogGroup } },
      timeout: DEFAULTS.buildTimeout,
    });
    this.scanReportGroup.grantWrite(this.buildProject);
    // The build downloads exactly this object; no read on the rest of the asset bucket.
    this.buildProject.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [buildTools.bucket.arnForObjects(buildTools.s3ObjectKey)] }),
    );
    this.repository.grantPullPush(this.buildProject);
    this.buildProject.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecr:DescribeImages'], resources: [this.repository.repositoryArn] }),
    );
    this.buildProject.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [this.stateParameterArn] }),
    );
    stateKey.grantUnseal(this.buildProject);

    // The pipeline
    const sourceOutput = new codepipeline.Artifact('Source');
    const buildOutput = declaresArtifacts(buildSpec) ? new codepipeline.Artifact('BuildOutput') : undefined;
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: this.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      artifactBucket: this.artifactBucket,
      restartExecutionOnUpdate: false,
      stages: [
        { stageName: STAGE.source, actions: [props.source.bind(sourceOutput, NAMESPACE.source)] },
        {
          stageName: STAGE.build,
          actions: [
            new actions.CodeBuildAction({
              actionName: STAGE.build,
              project: this.buildProject,
              input: sourceOutput,
              outputs: buildOutput ? [buildOutput] : undefined,
              variablesNamespace: NAMESPACE.build,
            }),
          ],
        },
        {
          // One stage for the whole release: CodePipeline locks a stage while an execution runs in it,
          // so no other execution touches the slots from DeployGreen until the bake has ended.
          stageName: STAGE.release,
          actions: [
            new actions.LambdaInvokeAction({
              actionName: ACTION.deploy,
              runOrder: 1,
              lambda: this.deployGreenFunction,
              userParameters: {
                imageUri: `#{${NAMESPACE.build}.IMAGE_URI}`,
                imageDigest: `#{${NAMESPACE.build}.IMAGE_DIGEST}`,
                commit: `#{${NAMESPACE.build}.COMMIT}`,
              },
              variablesNamespace: NAMESPACE.deploy,
            }),
            new actions.ManualApprovalAction({
              actionName: ACTION.approve,
              runOrder: 2,
              notificationTopic: this.approvalTopic,
              additionalInformation: approvalMessage(this.pipelineName),
              externalEntityLink: `#{${NAMESPACE.deploy}.TEST_URL}`,
              timeout: props.approvalTimeout ?? DEFAULTS.approvalTimeout,
            }),
            new actions.LambdaInvokeAction({
              actionName: ACTION.swap,
              runOrder: 3,
              lambda: this.swapFunction,
              userParameters: {
                greenSlot: `#{${NAMESPACE.deploy}.GREEN_SLOT}`,
                imageDigest: `#{${NAMESPACE.deploy}.IMAGE_DIGEST}`,
                commit: `#{${NAMESPACE.deploy}.COMMIT}`,
                executionId: '#{codepipeline.PipelineExecutionId}',
              },
              variablesNamespace: NAMESPACE.swap,
            }),
            ...(bake
              ? [
                  new actions.LambdaInvokeAction({
                    actionName: ACTION.bake,
                    runOrder: 4,
                    lambda: bake.function,
                    userParameters: {
                      liveSlot: `#{${NAMESPACE.swap}.LIVE_SLOT}`,
                      imageDigest: `#{${NAMESPACE.swap}.LIVE_DIGEST}`,
                      executionId: '#{codepipeline.PipelineExecutionId}',
                    },
                    variablesNamespace: NAMESPACE.bake,
                  }),
                ]
              : []),
          ],
        },
      ],
    });
    Tags.of(this.pipeline.node.defaultChild as codepipeline.CfnPipeline).add(CONFIG_PARAMETER_TAG, configParameterNameValue);

    // Audit: execution state changes go to the same topic as the swap and rollback records.
    publishPipelineEvents('PipelineEvents', this.pipeline, this.notificationTopic);

    acknowledgeFindings({
      root: this,
      createdVpc: givenVpc ? undefined : (this.vpc as ec2.Vpc),
      createdLoadBalancer: props.loadBalancer ? undefined : (this.loadBalancer as elbv2.ApplicationLoadBalancer),
      internetFacing,
      https,
      webAcl: props.webAclArn !== undefined,
      listeners: [this.productionListener, this.testListener],
      redirectListener: this.redirectListener,
      artifactBucket: this.artifactBucket,
      logBucket: this.logBucket,
      taskDefinitions: [slotA.taskDefinition, slotB.taskDefinition],
      buildProject: this.buildProject,
      ownedWildcardArns: () => [
        ...ruleArnPatterns,
        this.artifactBucket.arnForObjects('*'),
        `${this.deployGreenFunction.functionArn}:*`,
        `${this.swapFunction.functionArn}:*`,
        ...(this.bakeFunction ? [`${this.bakeFunction.functionArn}:*`] : []),
        ...leaseArns.generations,
        // CodeBuild's own grants on its default log group and report groups, named after the project.
        `${stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/codebuild/${this.buildProject.projectName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })}:*`,
        stack.formatArn({ service: 'codebuild', resource: 'report-group', resourceName: `${this.buildProject.projectName}-*` }),
      ],
    });
  }

  /**
   * Lets `grantee` approve or reject releases: codepipeline:PutApprovalResult on the Approve
   * action, and codepipeline:GetPipelineState and codepipeline:ListActionExecutions on the
   * pipeline (what `bluegreen approve` reads to show the pending release).
   */
  public grantApprove(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['codepipeline:PutApprovalResult'],
      resourceArns: [`${this.pipeline.pipelineArn}/${STAGE.release}/${ACTION.approve}`],
    }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['codepipeline:GetPipelineState', 'codepipeline:ListActionExecutions'],
        resourceArns: [this.pipeline.pipelineArn],
      }),
    );
  }

  /**
   * Lets `grantee` read what `bluegreen status` and `bluegreen history` show: the configuration
   * and state parameters, the two routes and target health, the slot services and their tasks,
   * the labels, and the pipeline's state and executions. Describe and tagging reads have no
   * resource-level permission in IAM, so they name `*` (task reads are held to the cluster).
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const allow = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) =>
      iam.Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
    const leasePathArn = parameterArn(Stack.of(this), this.leaseParameterPath);
    return allow(['ssm:GetParameter'], [this.configParameter.parameterArn, this.stateParameterArn])
      .combine(allow(['ssm:GetParametersByPath'], [leasePathArn]))
      .combine(this.stateSeal.grantUnseal(grantee))
      .combine(allow(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth', 'tag:GetResources'], ['*']))
      .combine(allow(['ecs:DescribeServices'], [this.slotA.serviceArn, this.slotB.serviceArn]))
      .combine(allow(['ecs:ListTasks', 'ecs:DescribeTasks'], ['*'], { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } }))
      .combine(
        allow(
          ['codepipeline:GetPipelineState', 'codepipeline:ListActionExecutions', 'codepipeline:ListPipelineExecutions', 'codepipeline:GetPipelineExecution'],
          [this.pipeline.pipelineArn],
        ),
      );
  }

  /**
   * Lets `grantee` roll back with `bluegreen rollback`: everything `grantRead` allows (the CLI
   * checks the previous slot before it asks), plus invoking the swap function, which does the
   * re-swap with the same locking and audit trail as the pipeline.
   */
  public grantRollback(grantee: iam.IGrantable): iam.Grant {
    return this.swapFunction.grantInvoke(grantee).combine(this.grantRead(grantee));
  }

  private createVpc(): ec2.Vpc {
    return new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(DEFAULTS.vpcCidr),
      maxAzs: 2,
      natGateways: 1,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        // Only the load balancer and the NAT gateway live here; neither needs auto-assigned public IPs.
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      flowLogs: {
        FlowLogs: {
          destination: ec2.FlowLogDestination.toS3(this.logBucket, 'vpc-flow-logs/'),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
  }

  private createLoadBalancer(internetFacing: boolean, props: BlueGreenPipelineProps): elbv2.ApplicationLoadBalancer {
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing,
      vpcSubnets: { subnetType: internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection ?? DEFAULTS.deletionProtection,
    });
    associateWebAcl(alb, props.webAclArn);
    if (Token.isUnresolved(Stack.of(this).region)) {
      // The bucket policy names the regional ELB log delivery account, so it needs a known region.
      Annotations.of(this).addWarningV2(
        'cdk-blue-green-pipeline:accessLogsNeedRegion',
        'Load balancer access logs are off: give the stack an env with a region to turn them on.',
      );
    } else {
      alb.logAccessLogs(this.logBucket, 'load-balancer');
    }
    return alb;
  }
}

/** The approval request text: every value comes from the execution's own pipeline variables. */
function approvalMessage(pipelineName: string): string {
  return [
    `Release candidate for ${pipelineName}.`,
    `Commit: #{${NAMESPACE.build}.COMMIT}.`,
    `Image digest: #{${NAMESPACE.deploy}.IMAGE_DIGEST}.`,
    `Scan: #{${NAMESPACE.build}.SCAN_SUMMARY}.`,
    `Try it on the green slot at #{${NAMESPACE.deploy}.TEST_URL} before approving; rejecting leaves production untouched.`,
  ].join(' ');
}

function parameterArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/**
 * Rules are created by the control plane, so their ARNs are unknown to the template; this is
 * every rule of one listener: arn:…:listener-rule/app/<lb-name>/<lb-id>/<listener-id>/*.
 */
function listenerRuleArnPattern(stack: Stack, listenerArn: string): string {
  const parts = Fn.split('/', listenerArn, 5);
  return stack.formatArn({
    service: 'elasticloadbalancing',
    resource: 'listener-rule',
    resourceName: `app/${Fn.select(2, parts)}/${Fn.select(3, parts)}/${Fn.select(4, parts)}/*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

