import { Annotations, Aspects, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ManagedPolicies } from './managed-policies';
import { PolicyAcknowledgements, acknowledgeEach, cfnOf } from './nag-acknowledgements';

/** Warning ids users can acknowledge with `Validations.of(scope).acknowledge(...)`. */
export const WARNING = {
  plainHttp: 'cdk-blue-green-pipeline:plainHttp',
  noWebAcl: 'cdk-blue-green-pipeline:noWebAcl',
  publicTestListener: 'cdk-blue-green-pipeline:publicTestListener',
} as const;

/**
 * The VPC's CIDR as a literal when it can be known at synthesis (a VPC defined in this app, or one
 * looked up), so security group rules name it and reviewers and cdk-nag can judge them; else the
 * VPC's attribute.
 */
export function literalVpcCidr(vpc: ec2.IVpc): string {
  const cfn = vpc.node.defaultChild;
  if (cfn instanceof ec2.CfnVPC && typeof cfn.cidrBlock === 'string' && !Token.isUnresolved(cfn.cidrBlock)) return cfn.cidrBlock;
  return vpc.vpcCidrBlock;
}

/** Associates a WAF web ACL with a created load balancer, or warns that there is none. */
export function associateWebAcl(alb: elbv2.ApplicationLoadBalancer, webAclArn: string | undefined): void {
  if (webAclArn !== undefined) {
    new wafv2.CfnWebACLAssociation(alb, 'WebAcl', { resourceArn: alb.loadBalancerArn, webAclArn });
  } else {
    Annotations.of(alb).addWarningV2(
      WARNING.noWebAcl,
      'The load balancer has no AWS WAF web ACL: give `webAclArn` to filter requests before they reach the slots.',
    );
  }
}

/** Where the control-plane functions run, and where their failed asynchronous invocations go. */
/** What the construct made, for the acknowledgements that depend on it. */
export interface ComplianceTargets {
  /** The construct: every IAM policy under it is reviewed at synthesis. */
  readonly root: Construct;
  /** The VPC, when the construct created it. */
  readonly createdVpc?: ec2.Vpc;
  /** The load balancer, when the construct created it. */
  readonly createdLoadBalancer?: elbv2.ApplicationLoadBalancer;
  readonly internetFacing: boolean;
  readonly https: boolean;
  readonly webAcl: boolean;
  /** The production and test listeners (no test listener with a header test route). */
  readonly listeners: elbv2.ApplicationListener[];
  /** The port 80 listener that redirects to HTTPS, when there is a certificate. */
  readonly redirectListener?: elbv2.ApplicationListener;
  readonly artifactBucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly evidenceBucket: s3.Bucket;
  /** The artifact bucket's access logs, apart from an Object Lock log bucket. */
  readonly accessLogBucket?: s3.Bucket;
  /** The buckets replicate to a `replicationBucket`. */
  readonly replicated: boolean;
  /** `allowPublicTestListener`: the test listener may be open to the internet. */
  readonly publicTestListener: boolean;
  readonly taskDefinitions: ecs.TaskDefinition[];
  /** The CodeBuild projects: the build, and the pre-approval tests when there are any. */
  readonly projects: codebuild.Project[];
  /** Wildcard ARNs under a parent the construct owns (read at synthesis). */
  readonly ownedWildcardArns: () => string[];
}

/**
 * Records the construct's acknowledgements (the table in nag-acknowledgements.ts) on the exact
 * resources they concern, so users get a clean cdk-nag report without copying suppressions; a
 * conditional one (plain HTTP, no web ACL) comes with a synthesis warning.
 */
export function acknowledgeFindings(t: ComplianceTargets): void {
  ManagedPolicies.applyTo(t.root);
  Aspects.of(t.root).add(new PolicyAcknowledgements(t.ownedWildcardArns));
  acknowledgeEach(t.taskDefinitions.map(cfnOf), 'containerEnvironment');
  const logBuckets = [cfnOf(t.logBucket), cfnOf(t.accessLogBucket)];
  if (!t.replicated) acknowledgeEach([cfnOf(t.artifactBucket), cfnOf(t.evidenceBucket), ...logBuckets], 'bucketReplication');
  acknowledgeEach(logBuckets, 'logBucketEncryption');
  acknowledgeEach(t.projects.map(cfnOf), 'pipelineSourcedBuild');
  if (t.createdVpc) {
    acknowledgeEach([cfnOf(t.createdVpc)], 'defaultSecurityGroupClosed');
    acknowledgeEach(
      t.createdVpc.publicSubnets.map((subnet) => subnet.node.tryFindChild('DefaultRoute')),
      'publicSubnetRoutes',
    );
  }
  // A test listener you opened to the internet is your finding to see (and acknowledge, if you must).
  if (t.createdLoadBalancer && t.internetFacing && !t.publicTestListener) {
    acknowledgeEach(t.createdLoadBalancer.connections.securityGroups.map(cfnOf), 'publicLoadBalancerIngress');
  }
  if (t.publicTestListener) {
    Annotations.of(t.root).addWarningV2(
      WARNING.publicTestListener,
      'allowPublicTestListener: the test listener is open to the internet, so anyone can reach the release candidate before it is approved.',
    );
  }
  if (t.createdLoadBalancer && !t.webAcl) {
    acknowledgeEach([cfnOf(t.createdLoadBalancer)], 'noWebAcl');
  }
  acknowledgeEach([cfnOf(t.redirectListener)], 'httpsRedirectListener');
  if (!t.https) {
    acknowledgeEach(t.listeners.map(cfnOf), 'plainHttpListeners');
    Annotations.of(t.root).addWarningV2(
      WARNING.plainHttp,
      'No certificate: the production and test listeners serve plain HTTP. Give `certificate` for HTTPS (TLS 1.2+) with an HTTP-to-HTTPS redirect.',
    );
  }
}
