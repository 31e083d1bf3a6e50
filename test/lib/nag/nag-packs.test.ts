import { App, ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BlueGreenPipeline, PipelineSource } from '../../../lib';
import { CONFIGURATIONS, CONNECTION_ARN, Configuration, ENV, minimalConfiguration } from './configurations';
import { NagFinding, PACKS, allNagFindings, describeFindings } from './nag-runner';

describe.each(CONFIGURATIONS)('cdk-nag over %s', (_name, make) => {
  let findings: Record<string, NagFinding[]>;
  beforeAll(() => {
    // GIVEN the configuration, synthesized once WHEN all four packs run over its stack
    findings = allNagFindings(make().stack);
  });

  test.each(PACKS.map((p) => p.name))('%s reports no unacknowledged error or warning', (pack) => {
    // THEN nothing is left; a failure lists "<ruleId> (<severity>) at <path>" per finding
    expect(describeFindings(findings[pack])).toBe('');
  });
});

test("with the user's own VPC, what the packs report is the user's VPC, nothing of the construct", () => {
  // GIVEN a plain VPC of the user's (no hardening), in the same stack
  const stack = new Stack(new App(), 'Byo', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  new BlueGreenPipeline(stack, 'Release', {
    source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop' }),
    approvalEmails: ['release@example.com'],
    vpc,
  });
  // WHEN the packs run
  const findings = Object.values(allNagFindings(stack)).flat();
  // THEN the VPC's findings are reported (flow logs, default security group), and none under the construct
  expect(findings.map((f) => f.ruleId)).toContain('NIST.800.53.R5-VPCFlowLogsEnabled');
  expect(describeFindings(findings.filter((f) => !f.path.startsWith('Byo/Vpc/')))).toBe('');
});

describe('the nag runner', () => {
  test('it reports what the packs find on resources no acknowledgement covers', () => {
    // GIVEN a bucket with none of the secure defaults
    const stack = new Stack(new App(), 'Plain', { env: { account: '123456789012', region: 'eu-west-1' } });
    new s3.Bucket(stack, 'Plain');
    // WHEN the packs run
    const findings = allNagFindings(stack);
    // THEN each pack reports it, by rule id and construct path
    expect(findings.AwsSolutions).toEqual(
      expect.arrayContaining([expect.objectContaining({ ruleId: 'AwsSolutions-S1', path: 'Plain/Plain/Resource' })]),
    );
    expect(findings['NIST.800.53.R5'].map((f) => f.ruleId)).toContain('NIST.800.53.R5-S3BucketLoggingEnabled');
    expect(findings['PCI.DSS.321'].map((f) => f.ruleId)).toContain('PCI.DSS.321-S3BucketSSLRequestsOnly');
    expect(findings['HIPAA.Security'].map((f) => f.ruleId)).toContain('HIPAA.Security-S3BucketVersioningEnabled');
  });

  test('a wildcard the construct did not vouch for stays a finding, even on a policy with acknowledged wildcards', () => {
    // GIVEN the swap role, whose policy has acknowledged "*" statements, also gets s3:PutObject on "*"
    const { stack, construct }: Configuration = minimalConfiguration();
    construct.swapFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: ['*'] }));
    // WHEN the packs run
    const findings = allNagFindings(stack);
    // THEN the "*" finding of that policy is reported, and nothing else is
    // (an added statement lands in whichever part of the role's managed policy it fits in)
    expect(findings.AwsSolutions.map((f) => `${f.ruleId} ${f.path}`)).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::\*\] Minimal\/Release\/Swap\/Role\/DefaultPolicy\/Managed\d*$/),
    ]);
  });

  test('the listener-rule wildcard is acknowledged only on statements that require both rule tags', () => {
    // GIVEN the swap role also gets DeleteRule on every rule, conditioned on one of the two tags only
    const { stack, construct }: Configuration = minimalConfiguration();
    construct.swapFunction.addToRolePolicy(new iam.PolicyStatement({
      actions: ['elasticloadbalancing:DeleteRule'],
      resources: [stack.formatArn({ service: 'elasticloadbalancing', resource: 'listener-rule', resourceName: 'app/*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
      conditions: { StringEquals: { 'aws:ResourceTag/bluegreen:stack': stack.stackId } },
    }));
    // WHEN the packs run
    const findings = allNagFindings(stack);
    // THEN that wildcard is reported on the swap role, and the infra owner's tag-scoped one is not
    expect(findings.AwsSolutions.map((f) => `${f.ruleId} ${f.path}`)).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:elasticloadbalancing.*listener-rule\/app\/\*\] Minimal\/Release\/Swap\/Role\/DefaultPolicy\/Managed\d*$/),
    ]);
  });
});
