// The public types of BlueGreenPipeline. This file imports nothing from this package but other
// public types (the service props it extends; the prop classes PipelineSource, TrafficShift,
// TestRoute, ReleaseTests), so the construct, its parts and the validation can all read these
// types without an import cycle.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { BlueGreenServiceProps } from './blue-green-service-props';
import type { ChatChannel } from './chat-channel';
import type { PipelineSource } from './pipeline-source';
import type { ReleaseTests } from './release-tests';
import type { TestRoute } from './test-route';
import type { TrafficShift } from './traffic-shift';
/** Lowest severity that fails the build's vulnerability gate. */
export enum GateSeverity {
  /** Critical findings fail the build. */
  CRITICAL = 'CRITICAL',
  /** High and critical findings fail the build. */
  HIGH = 'HIGH',
  /** Medium, high and critical findings fail the build. */
  MEDIUM = 'MEDIUM',
  /** Low and higher findings fail the build (findings of unknown severity do not). */
  LOW = 'LOW',
}

/** Properties of a BlueGreenPipeline. */
export interface BlueGreenPipelineProps extends BlueGreenServiceProps {
  /** Where releases come from: `PipelineSource.connection(…)`, `.s3(…)` or `.codeCommit(…)`. */
  readonly source: PipelineSource;

  /**
   * Email addresses subscribed to the approval topic. Each address must confirm the SNS
   * subscription before it receives approval requests. Each is given once (in any letter case).
   * The list must be known at synth (one subscription per address); an address in it may be a
   * token, which SNS checks at deploy.
   */
  readonly approvalEmails: string[];

  /**
   * Name of the pipeline. It also names the slot services (`<name>-slot-a`, `<name>-slot-b`),
   * their task families and the SSM parameters `/bluegreen/<name>/config` and `/state`. Must be
   * known at synth (a token is refused).
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
   * ARN of an AWS WAF (wafv2, REGIONAL scope) web ACL to associate with a created load balancer,
   * in the stack's region (a CloudFront-scope web ACL cannot protect a load balancer). Ignored
   * when `loadBalancer` is given (associate your own). A token is checked by WAF at deploy.
   * @default - no web ACL; synthesis warns `cdk-blue-green-pipeline:noWebAcl`
   */
  readonly webAclArn?: string;

  /**
   * Certificate for HTTPS, in the stack's region (a load balancer uses certificates from its own
   * region). When given, the production and test listeners are HTTPS and port 80 redirects to
   * HTTPS.
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
   * Port of the test listener (the green slot), for a test route on a port. Giving it with
   * `testRoute: TestRoute.port(p)` is refused unless both name the same port, and with
   * `TestRoute.header(…)` it is refused (there is no test listener).
   * @default 8443 with a certificate, 8080 without
   */
  readonly testPort?: number;

  /**
   * How testers, the pre-approval tests and the approval email reach the green slot:
   * `TestRoute.port(…)`, a second listener open to `testListenerAllowedCidrs`, or
   * `TestRoute.header(name, value?)`, a rule on the production listener ahead of the production
   * rule that forwards requests carrying the header to green (no test listener then; the test URL
   * is the production URL).
   * @default TestRoute.port() - the test listener on `testPort`
   */
  readonly testRoute?: TestRoute;

  /**
   * CIDR blocks allowed to reach the test listener, each its network address (`10.1.0.0/16`, not
   * `10.1.2.3/16`). `0.0.0.0/0` or `::/0` opens the unapproved green slot to the internet and is
   * refused unless `allowPublicTestListener` is true.
   * @default - the VPC's CIDR block only
   */
  readonly testListenerAllowedCidrs?: string[];

  /**
   * Accept `0.0.0.0/0` or `::/0` in `testListenerAllowedCidrs`: anyone on the internet can then
   * reach the release candidate before it is approved. Synthesis warns
   * (`cdk-blue-green-pipeline:publicTestListener`), and cdk-nag reports the open port (no
   * acknowledgement covers it: it is your decision).
   * @default false
   */
  readonly allowPublicTestListener?: boolean;

  /**
   * Host name that resolves to the load balancer, used in the test URL of approval requests: a
   * name such as `shop.example.com`, without scheme, port or path. Must be known at synth.
   * @default - the load balancer's DNS name
   */
  readonly domainName?: string;

  /**
   * How long an approval request waits before the execution fails (5 minutes to 60 days).
   * Must be known at synth.
   * @default Duration.days(7)
   */
  readonly approvalTimeout?: Duration;

  /**
   * A Slack or Microsoft Teams channel (`ChatChannel.slack(…)`, `ChatChannel.microsoftTeams(…)`)
   * that shows every approval request and audit message, and from which people approve, reject and
   * roll back this pipeline's releases under their own IAM roles (Amazon Q Developer in chat
   * applications, formerly AWS Chatbot, with its user role requirement on). The channel's guardrail
   * policy allows only this pipeline's approval, its rollback and the reads of `bluegreen status`.
   * Authorize the workspace or team once in the Amazon Q Developer in chat applications console
   * before deploying.
   * @default - none: approvals by email and the CLI only
   */
  readonly chat?: ChatChannel;

  /**
   * How long DeployGreen waits for the green slot to become steady and healthy (1 minute to 23
   * hours). Must be known at synth.
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
   * Name of the ECR repository: 2-256 lowercase letters, digits and `.`, `_`, `-` between them,
   * with `/` between namespaces (`payments/api`).
   * @default - a name generated by CloudFormation
   */
  readonly repositoryName?: string;

  /**
   * Your own ECR repository, in the stack's account and region, instead of a created one (then
   * leave `repositoryName` unset). The build pushes release images to it and DeployGreen moves
   * the slot tags `slot-a` and `slot-b` in it, so its tag mutability must let those move:
   * `IMMUTABLE_WITH_EXCLUSION` with the wildcard exclusion `slot-*` (or `MUTABLE`). DeployGreen
   * checks it before every release and refuses, saying how to fix it, when they cannot move; a
   * repository defined in the same app is checked at synth. Keep scan on push on, a lifecycle
   * rule that never expires images under `slot-*` (rollback needs the previous one), and KMS
   * encryption (see the README, "Bring your own repository").
   * @default - a created repository: KMS-encrypted with its own key, scan on push, release tags
   * immutable and `slot-*` mutable, images under a slot tag never expire
   */
  readonly repository?: ecr.IRepository;

  /**
   * Retention of the log groups (functions, build, containers).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Turns on S3 Object Lock for the log bucket (load balancer access logs, VPC flow logs), in
   * compliance mode with this default retention: no one, the account's root user included, can
   * delete or overwrite a log object before it has been kept this long (write-once audit logs).
   * Whole days, 1 day to 100 years. S3 cannot deliver server access logs into a bucket with Object
   * Lock, so the artifact bucket's access logs then go to a bucket of their own. Object Lock stays
   * on once turned on.
   * @default - no Object Lock
   */
  readonly objectLock?: Duration;

  /**
   * A bucket the artifact and log buckets replicate every object to (another region, or an escrow
   * account), as regulated teams keep backups. It must be versioned, and its bucket policy (and
   * key policy, when it is KMS-encrypted: give it with `encryptionKey`) must let this stack's
   * replication role replicate into it. Replicas of the artifacts are encrypted with its key, or
   * else S3's AWS-managed key. With `objectLock`, it must have Object Lock turned on as well: S3
   * replicates a locked log object only into a bucket with Object Lock, keeping its retention.
   * @default - no replication
   */
  readonly replicationBucket?: s3.IBucket;

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
   * How long the evidence record of each release (and the build's report, SBOM and build record)
   * is kept in the evidence bucket, earlier versions included. Regulated teams keep it as long as
   * their audit period (for example a year for SOC 2 and PCI DSS, six years for HIPAA).
   * @default - kept until you delete it
   */
  readonly evidenceRetention?: Duration;

  /**
   * How the Swap action moves production onto the approved release: all at once, or in weighted
   * steps (`TrafficShift.canary(…)`, `TrafficShift.linear(…)`) that re-verify the candidate before
   * each increase and watch its bake alarms (and `bakeAlarms`) during each hold; an alarm or a
   * refusal at any step puts all of production back on the previous slot in one route write. The
   * bake alarms are created for the shift even when `bakeTime` is 0.
   * @default TrafficShift.allAtOnce()
   */
  readonly trafficShift?: TrafficShift;

  /**
   * Tests that run in the VPC against the green slot between DeployGreen and Approve
   * (`ReleaseTests.commands([...])` or `ReleaseTests.fromBuildSpec(…)`), with `TEST_URL`,
   * `TEST_HEADER`, `IMAGE_DIGEST` and `COMMIT` in their environment. A failure ends the release
   * before any approval is requested, with production untouched; their summary line
   * (`TEST_SUMMARY`) appears in the approval email.
   * @default - no tests: the approval is requested once DeployGreen is done
   */
  readonly preApprovalTests?: ReleaseTests;

  /**
   * How long the Bake stage watches the new live slot's alarms after a swap. An alarm in that
   * window swaps production back and fails the execution. `Duration.seconds(0)` turns the stage off
   * (with a synth warning: nothing then rolls a bad release back by itself). Must be known at synth.
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

  /**
   * A CloudWatch dashboard for the pipeline: production weight per slot over time, release
   * operations and markers (with the digest), each slot's requests, target 5xx, p50 and p99
   * response time, healthy and unhealthy hosts and running tasks, and the release alarms' states.
   * Running tasks need Container Insights on the cluster (a created cluster has it). A dashboard
   * is billed by CloudWatch beyond the account's free ones.
   * @default true
   */
  readonly dashboard?: boolean;
}
