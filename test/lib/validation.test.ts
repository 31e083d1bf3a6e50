import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { BlueGreenPipeline, BlueGreenPipelineProps, PipelineSource, ReleaseTests, TestRoute, TrafficShift } from '../../lib';
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

describe('every bad prop is caught in the one collected error, naming the prop, the value and what was expected', () => {
  const parameter = (stack: Stack, id: string, type: string) => new CfnParameter(stack, id, { type });

  test('the same approval address twice, or in two letter cases', () => {
    expect(attempt({ approvalEmails: ['ops@example.com', 'ops@example.com'] })).toThrow(/approvalEmails lists "ops@example.com" twice; give each approver once/);
    expect(attempt({ approvalEmails: ['Ops@Example.com', 'ops@example.com'] })).toThrow(
      /approvalEmails lists "Ops@Example.com" and "ops@example.com", the same address in other letter cases/,
    );
  });

  test('a token pipelineName', () => {
    expect(attempt({}, (stack) => ({ pipelineName: parameter(stack, 'Name', 'String').valueAsString }))).toThrow(
      /pipelineName must be a literal string \(got a token\): it names the slot services/,
    );
  });

  test('a token bakeTime', () => {
    expect(attempt({}, (stack) => ({ bakeTime: Duration.minutes(parameter(stack, 'Bake', 'Number').valueAsNumber) }))).toThrow(
      /bakeTime must be known at synth \(got a token\): it decides whether the Release stage has a Bake action/,
    );
  });

  test('approval emails from a CommaDelimitedList parameter', () => {
    expect(attempt({}, (stack) => ({ approvalEmails: parameter(stack, 'Emails', 'CommaDelimitedList').valueAsList }))).toThrow(
      /approvalEmails must be a list of addresses known at synth \(got a token list, e.g. from a CommaDelimitedList parameter\)/,
    );
    // A single address may still be a token: SNS checks it when the subscription is created.
    expect(attempt({}, (stack) => ({ approvalEmails: [parameter(stack, 'Email', 'String').valueAsString] }))).not.toThrow();
  });

  test('a VPC with no private subnets', () => {
    expect(
      attempt({}, (stack) => ({
        vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-12345678', availabilityZones: ['eu-west-1a'], publicSubnetIds: ['subnet-12345678'] }),
      })),
    ).toThrow(/vpc vpc-12345678 has no private subnets with egress \(PRIVATE_WITH_EGRESS\): the slot tasks and the control-plane functions run there/);
  });

  test('a repository name ECR does not accept', () => {
    expect(attempt({ repositoryName: 'Payments/API' })).toThrow(/repositoryName must be 2-256 characters of lowercase letters, .*\(got "Payments\/API"; e.g. "payments\/api"\)/);
    expect(attempt({ repositoryName: 'payments/api' })).not.toThrow();
  });

  test('a domain name given as a URL', () => {
    expect(attempt({ domainName: 'https://shop.acme.example/' })).toThrow(
      /domainName must be a host name such as "shop.example.com", without scheme, port or path \(got "https:\/\/shop.acme.example\/"\)/,
    );
    expect(attempt({ domainName: 'shop.acme.example' })).not.toThrow();
  });

  test('a web ACL ARN that is not one, is CloudFront-scope, or is in another region', () => {
    expect(attempt({ webAclArn: 'not-an-arn' })).toThrow(/webAclArn must be a WAFv2 web ACL ARN, .*\(got "not-an-arn"\)/);
    expect(attempt({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/a1b2c3d4' })).toThrow(
      /webAclArn names a CloudFront-scope \(global\) web ACL .*: a load balancer takes a REGIONAL web ACL in its own region/,
    );
    expect(attempt({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop/a1b2c3d4' })).toThrow(
      /webAclArn is in us-east-1, but the load balancer is in eu-west-1/,
    );
    expect(attempt({ webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop/a1b2c3d4' })).not.toThrow();
  });

  test('a certificate in another region than the stack', () => {
    expect(
      attempt({}, (stack) => ({ certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc') })),
    ).toThrow(/certificate arn:aws:acm:us-east-1:123456789012:certificate\/abc is in us-east-1, but the stack and its load balancer are in eu-west-1/);
    expect(attempt({}, withCertificate)).not.toThrow();
  });

  test('a connection in another region is accepted: connections are global', () => {
    // "Connections are global resources ... You only have to create a connection once, and then
    // you can use it in any AWS Region" (Developer Tools console User Guide, "Global resources in AWS CodeConnections").
    const source = PipelineSource.connection({ connectionArn: CONNECTION_ARN.replace('eu-west-1', 'us-east-2'), owner: 'acme', repository: 'shop' });
    expect(attempt({ source })).not.toThrow();
  });

  test('a CIDR block with host bits set', () => {
    expect(attempt({ testListenerAllowedCidrs: ['10.0.0.1/8'] })).toThrow(
      /testListenerAllowedCidrs contains "10.0.0.1\/8", whose address has host bits set beyond the \/8 prefix \(the block is 10.0.0.0\/8\); give the block's network address/,
    );
    expect(attempt({ testListenerAllowedCidrs: ['2001:db8::1/32'] })).toThrow(/"2001:db8::1\/32", whose address has host bits set beyond the \/32 prefix/);
    expect(attempt({ testListenerAllowedCidrs: ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32'] })).not.toThrow();
  });

  test('owner and repository run together in a connection source', () => {
    const source = PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'acme/shop-api' });
    expect(attempt({ source })).toThrow(/source repository must be the repository's name only \(got "acme\/shop-api"\); give the owner on its own: owner: "acme", repository: "shop-api"/);
  });

  test('bakeTime 0 synthesizes, with a warning that nothing rolls back by itself', () => {
    const stack = new Stack(new App(), 'Service', { env: { account: '123456789012', region: 'eu-west-1' } });
    new BlueGreenPipeline(stack, 'Release', { ...baseProps(), bakeTime: Duration.seconds(0) });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('bakeTime is 0: the Release stage has no Bake action'));
    expect(warnings).toHaveLength(1);
    const other = new Stack(new App(), 'Other', { env: { account: '123456789012', region: 'eu-west-1' } });
    new BlueGreenPipeline(other, 'Release', baseProps());
    expect(Annotations.fromStack(other).findWarning('*', Match.stringLikeRegexp('bakeTime is 0'))).toHaveLength(0);
  });

  test('all of them at once: one error, every problem listed', () => {
    const run = attempt({ approvalEmails: ['a@example.com', 'A@example.com'], repositoryName: 'Bad Name', domainName: 'http://x/', testListenerAllowedCidrs: ['10.0.0.1/8'], webAclArn: 'x' });
    expect(run).toThrow(/has 5 invalid props:/);
  });
});

describe('tokens are refused where nothing at deploy would check them', () => {
  const number = (stack: Stack, id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;

  test('desiredCount, deployTimeout, approvalTimeout and domainName must be known at synth', () => {
    expect(attempt({}, (stack) => ({ approvalTimeout: Duration.minutes(number(stack, 'Wait')) }))).toThrow(/approvalTimeout must be known at synth \(got a token\)/);
    expect(attempt({}, (stack) => ({ desiredCount: number(stack, 'Count') }))).toThrow(/desiredCount must be known at synth \(got a token\)/);
    expect(attempt({}, (stack) => ({ deployTimeout: Duration.seconds(number(stack, 'Timeout')) }))).toThrow(/deployTimeout must be known at synth \(got a token\)/);
    expect(attempt({}, (stack) => ({ domainName: new CfnParameter(stack, 'Domain').valueAsString }))).toThrow(/domainName must be known at synth \(got a token\)/);
  });

  test('ports and task sizes may be tokens: CloudFormation checks them at deploy', () => {
    expect(attempt({}, (stack) => ({ productionPort: number(stack, 'P'), cpu: number(stack, 'Cpu'), memoryLimitMiB: number(stack, 'Memory') }))).not.toThrow();
  });
});

describe('BlueGreenPipeline validation of the release strategies', () => {
  const problems = (props: Partial<BlueGreenPipelineProps>): string[] => {
    try {
      attempt(props)();
      return [];
    } catch (err) {
      return (err as Error).message.split('\n').slice(1).map((line) => line.replace(/^  - /, ''));
    }
  };

  test.each<[string, Partial<BlueGreenPipelineProps>, string]>([
    ['a canary percent outside 1-99', { trafficShift: TrafficShift.canary({ percent: 100, bake: Duration.minutes(5) }) }, 'trafficShift canary percent must be a whole number from 1 to 99 (got 100).'],
    ['a linear interval under a minute', { trafficShift: TrafficShift.linear({ stepPercent: 20, interval: Duration.seconds(30) }) }, 'trafficShift linear interval must be from 1 minute to 23 hours (got 30 seconds).'],
    ['a header name with a space', { testRoute: TestRoute.header('X Test') }, 'testRoute header name must be 1-40 letters, digits or !#$%&\'*+.^_`|~- (got "X Test").'],
    ['a test route port equal to production', { testRoute: TestRoute.port(80) }, 'testRoute port must differ from the production port 80 (got 80); for one port, use TestRoute.header(…).'],
    ['TestRoute.port and testPort that disagree', { testRoute: TestRoute.port(9443), testPort: 9000 }, 'testRoute TestRoute.port(9443) and testPort 9000 name different test ports; give the port once: TestRoute.port(9443) alone, or testPort alone.'],
    ['testPort with a header route', { testRoute: TestRoute.header('X-Release-Test'), testPort: 9000 }, 'testPort 9000 is the port of a test listener, and testRoute TestRoute.header(…) has none; remove testPort, or use TestRoute.port(9000).'],
    ['tests without commands', { preApprovalTests: ReleaseTests.commands([]) }, 'preApprovalTests commands must name at least one command (got none).'],
    ['a tests timeout under 5 minutes', { preApprovalTests: ReleaseTests.commands(['true'], { timeout: Duration.minutes(2) }) }, 'preApprovalTests timeout must be whole minutes from 5 to 2160 (got 2 minutes).'],
    ['a restricted header route with five CIDRs', { testRoute: TestRoute.header('X-T', 'g', { restrictToAllowedCidrs: true }), testListenerAllowedCidrs: ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16', '10.5.0.0/16'] },
      'testRoute header with restrictToAllowedCidrs takes at most 4 testListenerAllowedCidrs: a rule has 5 condition values and the header takes one (got 5).'],
  ])('refuses %s in one collected error naming the prop, the value and what was expected', (_what, props, expected) => {
    expect(problems(props)).toEqual([expected]);
  });

  test('collects the problems of all three props with the others', () => {
    const found = problems({ cpu: 3, trafficShift: TrafficShift.canary({ percent: 0, bake: Duration.minutes(5) }), testRoute: TestRoute.port(0), preApprovalTests: ReleaseTests.commands([' ']) });
    expect(found).toHaveLength(4);
    expect(found.map((p) => p.split(' ')[0])).toEqual(expect.arrayContaining(['cpu', 'trafficShift', 'testRoute', 'preApprovalTests']));
  });

  test('accepts TestRoute.port and testPort naming the same port, and a header route on the production port', () => {
    expect(problems({ testRoute: TestRoute.port(9000), testPort: 9000 })).toEqual([]);
    expect(problems({ testRoute: TestRoute.header('X-Release-Test'), productionPort: 8080 })).toEqual([]);
  });
});
