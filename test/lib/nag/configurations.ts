import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { BlueGreenPipeline, ChatChannel, GateSeverity, PipelineSource, ReleaseTests, TestRoute, TrafficShift } from '../../../lib';
import { buildSampleApp } from '../../../sample-app/cdk/sample-stack';

export const ENV = { account: '123456789012', region: 'eu-west-1' };
export const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-0000-4000-8000-123456789abc';
export const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-4333-8444-555555555555';
export const WEB_ACL_ARN = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop/a1b2c3d4-0000-4000-8000-000000000001';

export interface Configuration {
  readonly stack: Stack;
  readonly construct: BlueGreenPipeline;
}

/** Only the required props. */
export function minimalConfiguration(): Configuration {
  const stack = new Stack(new App(), 'Minimal', { env: ENV });
  const construct = new BlueGreenPipeline(stack, 'Release', {
    source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop' }),
    approvalEmails: ['release@example.com'],
  });
  return { stack, construct };
}

/**
 * What a regulated team deploys: the required props plus a certificate (HTTPS, with the port 80
 * redirect) and an AWS WAF web ACL, releasing from a CodeConnections repository.
 */
export function productionConfiguration(): Configuration {
  const stack = new Stack(new App(), 'Production', { env: ENV });
  const construct = new BlueGreenPipeline(stack, 'Release', {
    source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop' }),
    approvalEmails: ['release@example.com'],
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
    webAclArn: WEB_ACL_ARN,
  });
  return { stack, construct };
}

/**
 * Every optional security-relevant prop set: HTTPS with a certificate, a web ACL, the user's own
 * audit topic and task role, container secrets, a read-only root filesystem and the rest.
 */
export function maximalConfiguration(): Configuration {
  const stack = new Stack(new App(), 'Maximal', { env: ENV });
  const topicKey = new kms.Key(stack, 'AuditKey', { enableKeyRotation: true });
  const notificationTopic = new sns.Topic(stack, 'Audit', { masterKey: topicKey, enforceSSL: true });
  const taskRole = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const dbPassword = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'DbPassword', { parameterName: '/shop/db-password' });
  const construct = new BlueGreenPipeline(stack, 'Release', {
    pipelineName: 'shop',
    source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop', branch: 'release' }),
    approvalEmails: ['release@example.com', 'oncall@example.com'],
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
    sslPolicy: elbv2.SslPolicy.TLS13_RES,
    webAclArn: WEB_ACL_ARN,
    deletionProtection: true,
    internetFacing: true,
    testListenerAllowedCidrs: ['10.20.0.0/16'],
    domainName: 'shop.example.com',
    containerPort: 3000,
    healthCheckPath: '/ready',
    healthCheckGracePeriod: Duration.seconds(90),
    cpu: 512,
    memoryLimitMiB: 1024,
    desiredCount: 3,
    cpuArchitecture: ecs.CpuArchitecture.ARM64,
    environment: { LOG_LEVEL: 'info' },
    secrets: { DB_PASSWORD: ecs.Secret.fromSsmParameter(dbPassword) },
    readonlyRootFilesystem: true,
    containerUser: '10001:10001',
    taskRole,
    approvalTimeout: Duration.days(2),
    deployTimeout: Duration.minutes(20),
    gateFailOn: GateSeverity.MEDIUM,
    gateIgnoreUnfixed: false,
    buildComputeType: codebuild.ComputeType.LARGE,
    repositoryName: 'shop',
    logRetention: logs.RetentionDays.TWO_YEARS,
    objectLock: Duration.days(400),
    replicationBucket: s3.Bucket.fromBucketAttributes(stack, 'Backup', {
      bucketArn: 'arn:aws:s3:::shop-release-backup-eu-central-1',
      encryptionKey: kms.Key.fromKeyArn(stack, 'BackupKey', 'arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-0000-4000-8000-00000000000b'),
    }),
    removalPolicy: RemovalPolicy.RETAIN,
    notificationTopic,
    bakeAlarms: [
      cloudwatch.Alarm.fromAlarmArn(stack, 'CheckoutErrors', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-errors'),
      cloudwatch.CompositeAlarm.fromCompositeAlarmArn(stack, 'CheckoutHealth', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-health'),
    ],
  });
  return { stack, construct };
}

/** Capacity: your own image repository, auto scaling of the slots on CPU and requests, and a previous slot that scales down 4 hours after a release. */
export function capacityConfiguration(): Configuration {
  const stack = new Stack(new App(), 'Capacity', { env: ENV });
  const construct = new BlueGreenPipeline(stack, 'Release', {
    source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop' }),
    approvalEmails: ['release@example.com'],
    repository: ecr.Repository.fromRepositoryName(stack, 'Images', 'payments/api'),
    autoScaling: { minCapacity: 2, maxCapacity: 10, targetCpuUtilizationPercent: 60, targetRequestsPerTarget: 500, scaleInCooldown: Duration.minutes(10) },
    previousSlotRetention: Duration.hours(4),
  });
  return { stack, construct };
}

/** The sample app's stack, as `npm run synth` builds it. */
export function sampleConfiguration(): Configuration {
  const stack = buildSampleApp(new App({ context: { account: ENV.account } }));
  return { stack, construct: stack.release };
}

/**
 * The release strategies: a canary shift with stickiness, the header test route limited to the
 * allowed CIDRs, and tests before the approval, on HTTPS with a web ACL.
 */
export function releaseStrategiesConfiguration(): Configuration {
  const stack = new Stack(new App(), 'Strategies', { env: ENV });
  const construct = new BlueGreenPipeline(stack, 'Release', {
    pipelineName: 'shop',
    source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop' }),
    approvalEmails: ['release@example.com'],
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
    webAclArn: WEB_ACL_ARN,
    domainName: 'shop.example.com',
    testListenerAllowedCidrs: ['10.20.0.0/16'],
    trafficShift: TrafficShift.canary({ percent: 10, bake: Duration.minutes(10), stickiness: Duration.hours(1) }),
    testRoute: TestRoute.header('X-Release-Test', 'green', { restrictToAllowedCidrs: true }),
    preApprovalTests: ReleaseTests.commands(['curl -fsS -H "$TEST_HEADER" "$TEST_URL/health"']),
  });
  return { stack, construct };
}

/** Approvals and rollbacks from a Slack channel (Amazon Q Developer in chat applications). */
export function chatConfiguration(): Configuration {
  const stack = new Stack(new App(), 'Chat', { env: ENV });
  const construct = new BlueGreenPipeline(stack, 'Release', {
    source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop' }),
    approvalEmails: ['release@example.com'],
    chat: ChatChannel.slack({ workspaceId: 'T07EA123LEP', channelId: 'C07EZ1ABC23' }),
  });
  return { stack, construct };
}

export const CONFIGURATIONS: ReadonlyArray<[string, () => Configuration]> = [
  ['the sample app', sampleConfiguration],
  ['a minimal configuration', minimalConfiguration],
  ['a maximal configuration', maximalConfiguration],
  ['a production-shaped configuration', productionConfiguration],
  ['the release strategies (canary, header test route, pre-approval tests)', releaseStrategiesConfiguration],
  ['your own repository, auto scaling and a previous slot that scales down', capacityConfiguration],
  ['approvals and rollbacks from a Slack channel', chatConfiguration],
];
