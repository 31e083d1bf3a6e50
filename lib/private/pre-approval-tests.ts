import { RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ReleaseTests } from '../release-tests';
import { CODEBUILD_UNUSED, narrowRole } from './managed-policies';

export interface PreApprovalTestsProps {
  readonly pipelineName: string;
  readonly tests: ReleaseTests;
  readonly vpc: ec2.IVpc;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The port of the listener the test route is on (the test listener, or production with a header route). */
  readonly testRoutePort: number;
  readonly internetFacing: boolean;
  readonly cpuArchitecture: ecs.CpuArchitecture;
  /** Encrypts the project's artifacts and cache (the pipeline's artifacts key). */
  readonly key: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The tests before the approval: a CodeBuild project in the VPC's private subnets, with the build
 * project's posture (not privileged, a managed image, its artifacts encrypted with the pipeline's
 * key, its own encrypted log group, only the grants its action and its reports need), a report
 * group for the JUnit reports, and a security group that reaches the load balancer on the test
 * route's port and AWS APIs (and package registries) on HTTPS.
 */
export class PreApprovalTests {
  public readonly project: codebuild.PipelineProject;
  public readonly reportGroup: codebuild.ReportGroup;
  public readonly logGroup: logs.LogGroup;
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, props: PreApprovalTestsProps) {
    this.reportGroup = new codebuild.ReportGroup(scope, 'TestsReportGroup', { type: codebuild.ReportGroupType.TEST, removalPolicy: props.removalPolicy });
    this.logGroup = new logs.LogGroup(scope, 'TestsLogGroup', { encryptionKey: props.logsKey, retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.securityGroup = new ec2.SecurityGroup(scope, 'TestsSecurityGroup', {
      vpc: props.vpc,
      description: `Pre-approval tests of ${props.pipelineName}: the test route and HTTPS`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs and package registries through the NAT gateway');
    const route = ec2.Port.tcp(props.testRoutePort);
    // Inside the VPC the load balancer admits the tests by their security group. An internet-facing
    // one resolves to public addresses, reached through the NAT gateway, so the port is opened out too.
    this.securityGroup.connections.allowTo(props.loadBalancer, route, 'Pre-approval tests to the test route');
    if (props.internetFacing && props.testRoutePort !== 443) this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), route, 'The test route on the public load balancer');
    this.project = new codebuild.PipelineProject(scope, 'TestsProject', {
      description: `Runs the pre-approval tests of ${props.pipelineName} against the green slot`,
      buildSpec: props.tests.buildSpec(this.reportGroup.reportGroupArn),
      environment: {
        buildImage:
          props.cpuArchitecture === ecs.CpuArchitecture.ARM64 ? codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0 : codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: codebuild.ComputeType.SMALL,
        privileged: false,
      },
      vpc: props.vpc,
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      encryptionKey: props.key,
      logging: { cloudWatch: { logGroup: this.logGroup } },
      timeout: props.tests.timeout,
    });
    this.reportGroup.grantWrite(this.project);
    narrowRole(this.project.role!, CODEBUILD_UNUSED);
  }
}
