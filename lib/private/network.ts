import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { associateWebAcl, literalVpcCidr } from './compliance';
import { DEFAULTS } from './defaults';

export interface NetworkProps {
  /** A VPC, cluster or load balancer you give; the VPC is taken from the first one given. */
  readonly vpc?: ec2.IVpc;
  readonly cluster?: ecs.ICluster;
  readonly loadBalancer?: elbv2.IApplicationLoadBalancer;
  readonly internetFacing: boolean;
  readonly deletionProtection?: boolean;
  readonly webAclArn?: string;
  /** Where flow logs and load balancer access logs go. */
  readonly logBucket: s3.IBucket;
}

/** The network: the VPC, the ECS cluster and the load balancer, each created unless given. */
export class Network {
  public readonly vpc: ec2.IVpc;
  public readonly cluster: ecs.ICluster;
  public readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The VPC's CIDR as a literal (the test listener's default peer and internal production). */
  public readonly vpcCidr: string;
  /** The VPC and the load balancer when this part created them (the acknowledgements differ). */
  public readonly createdVpc?: ec2.Vpc;
  public readonly createdLoadBalancer?: elbv2.ApplicationLoadBalancer;

  constructor(scope: Construct, props: NetworkProps) {
    const givenVpc = props.vpc ?? props.cluster?.vpc ?? props.loadBalancer?.vpc;
    this.createdVpc = givenVpc ? undefined : createVpc(scope, props.logBucket);
    this.vpc = givenVpc ?? this.createdVpc!;
    this.vpcCidr = literalVpcCidr(this.vpc);
    this.cluster = props.cluster ?? new ecs.Cluster(scope, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.createdLoadBalancer = props.loadBalancer ? undefined : createLoadBalancer(scope, this.vpc, props);
    this.loadBalancer = props.loadBalancer ?? this.createdLoadBalancer!;
  }
}

function createVpc(scope: Construct, flowLogBucket: s3.IBucket): ec2.Vpc {
  return new ec2.Vpc(scope, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr(DEFAULTS.vpcCidr),
    maxAzs: 2,
    natGateways: 1,
    // The infra owner closes it (Custom::BlueGreenDefaultSecurityGroup), in the VPC, with a dead-letter queue.
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [
      // Only the load balancer and the NAT gateway live here; neither needs auto-assigned public IPs.
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
    ],
    flowLogs: {
      FlowLogs: {
        destination: ec2.FlowLogDestination.toS3(flowLogBucket, 'vpc-flow-logs/'),
        trafficType: ec2.FlowLogTrafficType.ALL,
      },
    },
  });
}

function createLoadBalancer(scope: Construct, vpc: ec2.IVpc, props: NetworkProps): elbv2.ApplicationLoadBalancer {
  const alb = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
    vpc,
    internetFacing: props.internetFacing,
    vpcSubnets: { subnetType: props.internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
    dropInvalidHeaderFields: true,
    deletionProtection: props.deletionProtection ?? DEFAULTS.deletionProtection,
  });
  associateWebAcl(alb, props.webAclArn);
  if (Token.isUnresolved(Stack.of(scope).region)) {
    // The bucket policy names the regional ELB log delivery account, so it needs a known region.
    Annotations.of(scope).addWarningV2(
      'cdk-blue-green-pipeline:accessLogsNeedRegion',
      'Load balancer access logs are off: give the stack an env with a region to turn them on.',
    );
  } else {
    alb.logAccessLogs(props.logBucket, 'load-balancer');
  }
  return alb;
}
