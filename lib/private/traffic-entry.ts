import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { TestRoute, TestRouteBinding } from '../test-route';
import { HTTP_REDIRECT_PORT, productionUrl, testUrl } from './defaults';

export interface TrafficEntryProps {
  readonly pipelineName: string;
  readonly vpc: ec2.IVpc;
  readonly vpcCidr: string;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly internetFacing: boolean;
  readonly productionPort: number;
  readonly testPort: number;
  readonly containerPort: number;
  readonly healthCheckPort?: number;
  readonly certificate?: acm.ICertificate;
  readonly sslPolicy?: elbv2.SslPolicy;
  readonly testListenerAllowedCidrs?: string[];
  readonly domainName?: string;
  readonly testRoute: TestRoute;
}

/**
 * The traffic entry: the production and test listeners (their default action a fixed 503 that
 * never routes, invariant 6), the HTTP-to-HTTPS redirect, who may reach each, and the slot tasks'
 * security group that admits the load balancer. With a header test route there is no test
 * listener: green is reached on the production listener with the header.
 */
export class TrafficEntry {
  public readonly productionListener: elbv2.ApplicationListener;
  /** Absent with a header test route. */
  public readonly testListener?: elbv2.ApplicationListener;
  public readonly redirectListener?: elbv2.ApplicationListener;
  public readonly serviceSecurityGroup: ec2.SecurityGroup;
  /** The URL that reaches the green slot: the test listener's, or production's with a header route. */
  public readonly testUrl: string;
  /** The header route's condition and header line; empty for a test port. */
  public readonly testRoute: TestRouteBinding;
  /** The listener the test route is on (the test listener, or production with a header route). */
  public readonly testRouteListener: elbv2.ApplicationListener;

  constructor(scope: Construct, props: TrafficEntryProps) {
    const https = props.certificate !== undefined;
    const protocol = https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP;
    const listenerTls = props.certificate
      ? {
          certificates: [elbv2.ListenerCertificate.fromCertificateManager(props.certificate)],
          sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
        }
      : {};
    // Default actions never route: the control plane's rules do (invariant 6).
    const noRoute = elbv2.ListenerAction.fixedResponse(503, {
      contentType: 'text/plain',
      messageBody: 'No release is routed here.',
    });
    const listener = (id: string, port: number) =>
      new elbv2.ApplicationListener(scope, id, { loadBalancer: props.loadBalancer, port, protocol, ...listenerTls, defaultAction: noRoute, open: false });
    this.productionListener = listener('ProductionListener', props.productionPort);
    const productionPeers = props.internetFacing ? [ec2.Peer.anyIpv4()] : [ec2.Peer.ipv4(props.vpcCidr)];
    for (const peer of productionPeers) {
      this.productionListener.connections.allowDefaultPortFrom(peer, 'Production traffic');
    }
    const allowedCidrs = props.testListenerAllowedCidrs ?? [props.vpcCidr];
    this.testRoute = props.testRoute.bind(allowedCidrs);
    const host = props.domainName ?? props.loadBalancer.loadBalancerDnsName;
    if (this.testRoute.headerName !== undefined) {
      this.testRouteListener = this.productionListener;
      this.testUrl = productionUrl(https, host, props.productionPort);
    } else {
      const testListener = listener('TestListener', props.testPort);
      for (const cidr of allowedCidrs) {
        const peer = cidr.includes(':') ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr);
        testListener.connections.allowDefaultPortFrom(peer, 'Test traffic to the green slot');
      }
      [this.testListener, this.testRouteListener] = [testListener, testListener];
      this.testUrl = testUrl(https, host, props.testPort);
    }
    if (https) this.redirectListener = redirectToHttps(scope, props, this.productionListener, productionPeers);

    this.serviceSecurityGroup = new ec2.SecurityGroup(scope, 'ServiceSecurityGroup', {
      vpc: props.vpc,
      description: `Slot tasks of ${props.pipelineName}`,
      allowAllOutbound: true,
    });
    this.serviceSecurityGroup.connections.allowFrom(props.loadBalancer, ec2.Port.tcp(props.containerPort), 'Load balancer to slot tasks');
    if (props.healthCheckPort !== undefined && props.healthCheckPort !== props.containerPort) {
      this.serviceSecurityGroup.connections.allowFrom(props.loadBalancer, ec2.Port.tcp(props.healthCheckPort), 'Load balancer health checks');
    }
  }
}

function redirectToHttps(
  scope: Construct,
  props: TrafficEntryProps,
  production: elbv2.ApplicationListener,
  peers: ec2.IPeer[],
): elbv2.ApplicationListener {
  const redirect = new elbv2.ApplicationListener(scope, 'HttpRedirectListener', {
    loadBalancer: props.loadBalancer,
    port: HTTP_REDIRECT_PORT,
    protocol: elbv2.ApplicationProtocol.HTTP,
    defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: String(props.productionPort), permanent: true }),
    open: false,
  });
  for (const peer of peers) {
    redirect.connections.allowDefaultPortFrom(peer, 'HTTP to HTTPS redirect');
  }
  // When a certificate is added later, port 80 moves from production to the redirect listener.
  redirect.node.addDependency(production);
  return redirect;
}
