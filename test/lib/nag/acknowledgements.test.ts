import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { NAG_ACKNOWLEDGEMENTS, NagAcknowledgement } from '../../../lib/private/nag-acknowledgements';
import { CONFIGURATIONS } from './configurations';
import { PACKS } from './nag-runner';

/**
 * THE list of acknowledged cdk-nag findings: rule ids, where they apply, and the phrase that
 * carries the reason. Adding, removing or widening one fails here until this list says so.
 */
const EXPECTED: Record<string, { rules: string[]; scope: RegExp; reason: RegExp }> = {
  actionsWithoutResourceScope: {
    rules: ['AwsSolutions-IAM5[Resource::*]'],
    scope: /every action is in ACTIONS_WITHOUT_RESOURCE_SCOPE/,
    reason: /no resource-level permissions/,
  },
  ownedResourceWildcards: {
    rules: ['AwsSolutions-IAM5'],
    scope: /wildcard ARNs the construct lists/,
    reason: /objects of its artifact bucket.*generations of its own release lease/s,
  },
  scalableTargetsByCondition: {
    rules: ['AwsSolutions-IAM5'],
    scope: /scalable-target\/\* ARN .* conditioned on the ecs service namespace and the ecs:service:DesiredCount scalable dimension/,
    reason: /id it generates when the target is registered/,
  },
  tagScopedRuleWrites: {
    rules: ['AwsSolutions-IAM5'],
    scope: /conditioned on the bluegreen:stack and bluegreen:resource tags/,
    reason: /resource and request tag conditions.*rollback of such a move needs no rule written/s,
  },
  codeBuildVpcInterfaces: {
    rules: ['AwsSolutions-IAM5'],
    scope: /CreateNetworkInterfacePermission, only on the statement conditioned on CodeBuild/,
    reason: /no ARN to name beforehand.*ec2:AuthorizedService codebuild.amazonaws.com.*ec2:Subnet/s,
  },
  containerEnvironment: {
    rules: ['AwsSolutions-ECS2'],
    scope: /slot task definitions/,
    reason: /no secret.*`secrets` prop/s,
  },
  publicLoadBalancerIngress: {
    rules: ['AwsSolutions-EC23'],
    scope: /load balancer the construct creates as internet-facing/,
    reason: /only the production port.*testListenerAllowedCidrs/s,
  },
  publicSubnetRoutes: {
    rules: [
      'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
      'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW',
      'HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
    ],
    scope: /public subnets of a VPC the construct creates/,
    reason: /only the load balancer and the NAT gateway/,
  },
  defaultSecurityGroupClosed: {
    rules: ['NIST.800.53.R5-VPCDefaultSecurityGroupClosed', 'PCI.DSS.321-VPCDefaultSecurityGroupClosed', 'HIPAA.Security-VPCDefaultSecurityGroupClosed'],
    scope: /^a VPC the construct creates$/,
    reason: /infra owner \(Custom::BlueGreenDefaultSecurityGroup revokes both default rules\)/,
  },
  bucketReplication: {
    rules: ['NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled'],
    scope: /artifact, evidence and log buckets, only when no `replicationBucket` is given/,
    reason: /destination bucket in another region.*recreates from source/s,
  },
  logBucketEncryption: {
    rules: ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'PCI.DSS.321-S3DefaultEncryptionKMS', 'HIPAA.Security-S3DefaultEncryptionKMS'],
    scope: /^the log bucket$/,
    reason: /delivered only to buckets encrypted with SSE-S3/,
  },
  plainHttpListeners: {
    rules: [
      'NIST.800.53.R5-ELBv2ACMCertificateRequired',
      'PCI.DSS.321-ELBv2ACMCertificateRequired',
      'HIPAA.Security-ELBv2ACMCertificateRequired',
      'NIST.800.53.R5-ALBHttpToHttpsRedirection',
      'PCI.DSS.321-ALBHttpToHttpsRedirection',
      'HIPAA.Security-ALBHttpToHttpsRedirection',
    ],
    scope: /only when no `certificate` is given/,
    reason: /synthesis warns \(cdk-blue-green-pipeline:plainHttp\)/,
  },
  httpsRedirectListener: {
    rules: [
      'NIST.800.53.R5-ELBv2ACMCertificateRequired',
      'PCI.DSS.321-ELBv2ACMCertificateRequired',
      'HIPAA.Security-ELBv2ACMCertificateRequired',
    ],
    scope: /port 80 listener created with a `certificate`/,
    reason: /only action is a permanent redirect to the HTTPS production listener/,
  },
  noWebAcl: {
    rules: ['NIST.800.53.R5-ALBWAFEnabled', 'PCI.DSS.321-ALBWAFEnabled'],
    scope: /only when no `webAclArn` is given/,
    reason: /synthesis warns \(cdk-blue-green-pipeline:noWebAcl\)/,
  },
  pipelineSourcedBuild: {
    rules: ['PCI.DSS.321-CodeBuildProjectSourceRepoUrl', 'HIPAA.Security-CodeBuildProjectSourceRepoUrl'],
    scope: /^the build project and the pre-approval tests project$/,
    reason: /no repository URL and no source credentials/,
  },
};

const TABLE = NAG_ACKNOWLEDGEMENTS as Record<string, NagAcknowledgement>;
const packOf = (rule: string) => PACKS.find((p) => rule.startsWith(`${p.name}-`))?.name;

/** Every cdk-nag acknowledgement recorded in a stack: where, which id, which table entry. */
function recordedAcknowledgements(stack: Stack): Array<{ node: IConstruct; id: string; entry: string }> {
  // The IAM policy acknowledgements are recorded at synthesis, once every grant is in.
  (stack.node.root as App).synth();
  return stack.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([key, reason]) => ({ node, id: key.replace(/^annotation::/i, ''), entry: reason.split(':')[0] }))
      .filter((a) => packOf(a.id) !== undefined),
  );
}

describe('cdk-nag acknowledgements', () => {
  let recorded: Array<{ config: string; node: IConstruct; id: string; entry: string }>;
  beforeAll(() => {
    recorded = CONFIGURATIONS.flatMap(([config, make]) => recordedAcknowledgements(make().stack).map((a) => ({ config, ...a })));
  });

  test('the table holds exactly the listed acknowledgements, with their rules, scope and reason', () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [name, expected] of Object.entries(EXPECTED)) {
      const entry = TABLE[name];
      expect({ name, rules: [...entry.rules] }).toEqual({ name, rules: expected.rules });
      expect(entry.scope).toMatch(expected.scope);
      expect(entry.reason).toMatch(expected.reason);
    }
  });

  test('they stay under ten rule ids per pack, in fifteen decisions in all (no inline policy, no wildcard action left)', () => {
    const rulesPerPack = Object.fromEntries(
      PACKS.map((p) => [p.name, new Set(Object.values(TABLE).flatMap((e) => e.rules.map((r) => r.replace(/\[.*$/, '')).filter((r) => packOf(r) === p.name))).size]),
    );
    expect(rulesPerPack).toEqual({ AwsSolutions: 3, 'NIST.800.53.R5': 7, 'PCI.DSS.321': 8, 'HIPAA.Security': 7 });
    expect(Object.keys(TABLE)).toHaveLength(15);
  });

  test('every acknowledgement the construct records comes from the table and names one of its rules', () => {
    expect(recorded.length).toBeGreaterThan(0);
    const strays = recorded.filter(({ id, entry }) => {
      const rules = TABLE[entry]?.rules ?? [];
      return !rules.some((rule) => id === rule || (!rule.includes('[') && id.startsWith(`${rule}[`)));
    });
    expect(strays.map((s) => `${s.id} (${s.entry}) at ${s.node.node.path}`)).toEqual([]);
  });

  test('each acknowledgement sits on one CloudFormation resource, never on a whole construct or stack', () => {
    const broad = recorded.filter(({ node }) => !CfnResource.isCfnResource(node));
    expect(broad.map((b) => `${b.id} at ${b.node.node.path}`)).toEqual([]);
  });

  test('IAM5 acknowledgements name the exact wildcard (appliesTo), never the whole rule', () => {
    const unscoped = recorded.filter(({ id }) => id === 'AwsSolutions-IAM5');
    expect(unscoped).toEqual([]);
  });

  test('every table entry is used by the sample app, the minimal or the maximal configuration', () => {
    const used = new Set(recorded.map((a) => a.entry));
    expect(Object.keys(TABLE).filter((name) => !used.has(name))).toEqual([]);
  });

  test('the conditional ones follow the props: no certificate or web ACL in the minimal one, both given in the maximal one', () => {
    const entries = (config: string) => new Set(recorded.filter((a) => a.config === config).map((a) => a.entry));
    const minimal = entries('a minimal configuration');
    const maximal = entries('a maximal configuration');
    expect([minimal.has('plainHttpListeners'), minimal.has('noWebAcl'), minimal.has('httpsRedirectListener')]).toEqual([true, true, false]);
    expect([maximal.has('plainHttpListeners'), maximal.has('noWebAcl'), maximal.has('httpsRedirectListener')]).toEqual([false, false, true]);
  });
});
