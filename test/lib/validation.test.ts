import { App, Duration, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { BlueGreenPipeline, BlueGreenPipelineProps, PipelineSource } from '../../lib';
import { CONNECTION_ARN, baseProps } from './fixtures';

/** Builds the construct with `props` over the base props; returns the error it throws. */
function attempt(props: Partial<BlueGreenPipelineProps>, build?: (stack: Stack) => Partial<BlueGreenPipelineProps>): () => void {
  return () => {
    const stack = new Stack(new App(), 'Service', { env: { account: '123456789012', region: 'eu-west-1' } });
    new BlueGreenPipeline(stack, 'Release', { ...baseProps(), ...props, ...(build ? build(stack) : {}) });
  };
}

const withCertificate = (stack: Stack) => ({
  certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc'),
});

describe('BlueGreenPipeline validation', () => {
  test('fails when the production and test ports are equal', () => {
    expect(attempt({ productionPort: 8080, testPort: 8080 })).toThrow(/productionPort and testPort must differ: .*\(both are 8080\)/);
  });

  test('fails when a port is outside 1-65535', () => {
    expect(attempt({ containerPort: 70000 })).toThrow(/containerPort must be a whole number from 1 to 65535 \(got 70000\)/);
  });

  test('fails when a certificate is given and the production port is the redirect port 80', () => {
    expect(attempt({ productionPort: 80 }, withCertificate)).toThrow(/productionPort must not be 80 when a certificate is given/);
  });

  test('fails when the cpu is not a Fargate task size', () => {
    expect(attempt({ cpu: 300 })).toThrow(/cpu must be one of the Fargate task sizes 256, 512, .* \(got 300\)/);
  });

  test('fails when the cpu and memory pair does not exist on Fargate', () => {
    expect(attempt({ cpu: 256, memoryLimitMiB: 4096 })).toThrow(/memoryLimitMiB 4096 is not a Fargate size for cpu 256: expected 512, 1024, 2048/);
    expect(attempt({ cpu: 4096, memoryLimitMiB: 4096 })).toThrow(/expected 8192 to 30720 in steps of 1024/);
  });

  test('fails when there are no approval recipients', () => {
    expect(attempt({ approvalEmails: [] })).toThrow(/approvalEmails must name at least one approver/);
  });

  test('fails when an approval email is malformed', () => {
    expect(attempt({ approvalEmails: ['ops@example.com', 'not-an-email'] })).toThrow(/malformed email address "not-an-email"/);
  });

  test('fails when the health check path does not start with /', () => {
    expect(attempt({ healthCheckPath: 'health' })).toThrow(/healthCheckPath must start with "\/" .*got "health"/);
  });

  test('fails when the desired count is not a whole number from 1 to 1000', () => {
    expect(attempt({ desiredCount: 0 })).toThrow(/desiredCount must be a whole number from 1 to 1000: .*\(got 0\)/);
  });

  test('fails when the approval timeout is outside 5 minutes to 60 days', () => {
    expect(attempt({ approvalTimeout: Duration.minutes(1) })).toThrow(/approvalTimeout must be from 5 minutes to 60 days \(got 1 minute\)/);
  });

  test('fails when the deploy timeout is under a minute', () => {
    expect(attempt({ deployTimeout: Duration.seconds(10) })).toThrow(/deployTimeout must be from 1 minute to 23 hours/);
    // CodePipeline's 24-hour limit for a Lambda action, with an hour's margin for lease waits and retries.
    expect(attempt({ deployTimeout: Duration.hours(24) })).toThrow(/deployTimeout must be from 1 minute to 23 hours \(got 1 day\)/);
    expect(attempt({ deployTimeout: Duration.hours(23) })).not.toThrow();
  });

  test('fails when the pipeline name has characters a service name cannot hold', () => {
    expect(attempt({ pipelineName: 'shop.web' })).toThrow(/pipelineName must be 1-80 letters, digits, "-" or "_".*got "shop.web"/);
  });

  test('fails when the test listener allow-list is empty or holds something that is not a CIDR', () => {
    expect(attempt({ testListenerAllowedCidrs: [] })).toThrow(/testListenerAllowedCidrs must hold at least one CIDR block/);
    expect(attempt({ testListenerAllowedCidrs: ['10.0.0.0/33'] })).toThrow(/"10.0.0.0\/33", which is not a CIDR block/);
  });

  test('fails when the environment sets the reserved slot variable or repeats a secret', () => {
    expect(attempt({ environment: { BLUEGREEN_SLOT: 'x' } })).toThrow(/environment must not set BLUEGREEN_SLOT/);
    expect(attempt({ environment: { '1BAD': 'x' } })).toThrow(/environment variable name "1BAD" is not valid/);
  });

  test('fails when the container would run as root', () => {
    expect(attempt({ containerUser: 'root' })).toThrow(/containerUser must be a non-root user/);
    expect(attempt({ containerUser: '0:0' })).toThrow(/containerUser must be a non-root user/);
  });

  test('fails when a build path leaves the source', () => {
    expect(attempt({ dockerfile: '/etc/Dockerfile' })).toThrow(/dockerfile must be a path inside the source/);
    expect(attempt({ gateAllowListFile: '../allow.json' })).toThrow(/gateAllowListFile must be a path inside the source/);
  });

  test('fails when an imported load balancer comes without a VPC', () => {
    expect(
      attempt({}, (stack) => ({
        loadBalancer: elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Alb', {
          loadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shared/0123456789abcdef',
          securityGroupId: 'sg-12345678',
        }),
      })),
    ).toThrow(/vpc must be given with an imported loadBalancer/);
  });

  test('fails when the source connection ARN or repository is malformed', () => {
    expect(
      attempt({ source: PipelineSource.connection({ connectionArn: 'arn:aws:s3:::bucket', owner: 'acme', repository: ' ' }) }),
    ).toThrow(/source repository must not be empty[\s\S]*source connectionArn must be a CodeConnections connection ARN/);
    expect(
      attempt({ source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop', branch: 'bad branch' }) }),
    ).toThrow(/source branch must be a valid git branch name \(got "bad branch"\)/);
  });

  test('collects every problem and throws once', () => {
    expect(attempt({ productionPort: 9000, testPort: 9000, cpu: 256, memoryLimitMiB: 8192, healthCheckPath: 'x', approvalEmails: [] })).toThrow(
      /BlueGreenPipeline "Release" has 4 invalid props:\n {2}- approvalEmails[\s\S]*\n {2}- productionPort and testPort[\s\S]*\n {2}- healthCheckPath[\s\S]*\n {2}- memoryLimitMiB/,
    );
  });

  test('does not check values that are unresolved tokens', () => {
    const stack = new Stack(new App(), 'Service', { env: { account: '123456789012', region: 'eu-west-1' } });
    const port = new (require('aws-cdk-lib').CfnParameter)(stack, 'Port', { type: 'Number' }).valueAsNumber;
    expect(() => new BlueGreenPipeline(stack, 'Release', { ...baseProps(), containerPort: port })).not.toThrow();
  });
});
