import { CfnResource, IAspect, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { ROUTE_RULE_TAG } from '../../lambdas/core/events';
import { VPC_FUNCTION_ACTIONS } from './control-plane-function';

/**
 * One acknowledged cdk-nag decision. `rules` are the rule ids it answers, one per pack that
 * checks the same thing; `scope` says which resources of the construct carry it.
 */
export interface NagAcknowledgement {
  readonly rules: readonly string[];
  readonly scope: string;
  readonly reason: string;
}

/**
 * Every finding the construct acknowledges, in one table, so that adding one is a visible decision
 * (test/lib/nag/acknowledgements.test.ts lists them). Everything else is fixed, not acknowledged.
 */
export const NAG_ACKNOWLEDGEMENTS = {
  actionsWithoutResourceScope: {
    rules: ['AwsSolutions-IAM5[Resource::*]'],
    scope: "IAM policies of the construct's roles, only for statements whose every action is in ACTIONS_WITHOUT_RESOURCE_SCOPE",
    reason:
      'These actions have no resource-level permissions (IAM service authorization reference), so "*" is the only ' +
      'valid resource: ELB Describe*, ECS ListTasks/DescribeTasks (conditioned on the cluster ARN), Resource Groups ' +
      'Tagging TagResources/GetResources (the ecs:TagResource and elasticloadbalancing:AddTags grants scope what can be ' +
      'tagged), CodePipeline PutJob*Result, ECR GetAuthorizationToken, lambda:ListFunctions, SSM DescribeParameters ' +
      '(the state record\'s seal check), Application Auto Scaling DescribeScalableTargets (the infra owner reads a ' +
      'slot\'s registered bounds), the EC2 network interface actions Lambda needs to run a function in the ' +
      'VPC, and the EC2 Describe reads (DHCP options, security groups, VPCs) CodeBuild makes to run the pre-approval tests in it. One action has resource-level permissions but is documented to need "*" for what Bake reads: ' +
      'cloudwatch:DescribeAlarms returns composite alarms only to a caller whose permission is scoped to "*" ' +
      '(DescribeAlarms API reference), and Bake (and a traffic shift\'s Swap) watches composite alarms; it reads alarm ' +
      'states and configuration only.',
  },
  codeBuildVpcInterfaces: {
    rules: ['AwsSolutions-IAM5'],
    scope:
      "the pre-approval tests project's ec2:CreateNetworkInterfacePermission, only on the statement conditioned on CodeBuild " +
      'as the authorised service and on the subnets the project runs in',
    reason:
      'CodeBuild creates the network interface of each build in the VPC when the build starts, so it has no ARN to name ' +
      'beforehand (CodeBuild User Guide, "Use CodeBuild with Amazon Virtual Private Cloud"); the permission is limited to ' +
      'interfaces CodeBuild creates (ec2:AuthorizedService codebuild.amazonaws.com) in the private subnets the project is given (ec2:Subnet).',
  },
  ownedResourceWildcards: {
    rules: ['AwsSolutions-IAM5'],
    scope: 'IAM policies of the construct\'s roles, only for the wildcard ARNs the construct lists (under one parent it owns)',
    reason:
      'Each wildcard stays under one parent resource whose children have run-time names: the objects of its artifact ' +
      'bucket (build artifacts), the generations of its own release lease (one parameter per generation, under ' +
      '/bluegreen/<pipeline>/lease), and, with `replicationBucket`, the objects its buckets replicate and the replicas ' +
      'in the bucket you gave.',
  },
  scalableTargetsByCondition: {
    rules: ['AwsSolutions-IAM5'],
    scope:
      'with autoScaling only: the scalable-target/* ARN of the stack\'s account and region, in statements conditioned on ' +
      'the ecs service namespace and the ecs:service:DesiredCount scalable dimension',
    reason:
      'Application Auto Scaling names a scalable target by an id it generates when the target is registered ' +
      '(arn:…:scalable-target/<id>), so no ARN of the two slots\' targets exists at synth; the conditions hold the ' +
      'registrations to ECS services\' desired counts. The control plane only sets the two slots\' bounds, and the ' +
      'infra owner registers and deregisters them.',
  },
  tagScopedRuleWrites: {
    rules: ['AwsSolutions-IAM5'],
    scope:
      "the infra owner's listener-rule writes (CreateRule's tags, ModifyRule, DeleteRule), only on statements conditioned on " +
      'the bluegreen:stack and bluegreen:resource tags equal to this stack and its Custom::BlueGreenRoutes resource',
    reason:
      'ELB listener rules support resource and request tag conditions (Service Authorization Reference, Elastic Load ' +
      'Balancing V2), so the writes are limited to the rules this Routes resource made and tagged, wherever they are, ' +
      'instead of to the listeners the current template names: a rule on a listener the template moved away from stays ' +
      'removable, and CloudFormation\'s rollback of such a move needs no rule written on a listener the policy has left.',
  },
  containerEnvironment: {
    rules: ['AwsSolutions-ECS2'],
    scope: 'the two slot task definitions',
    reason:
      'The plain environment holds no secret: BLUEGREEN_SLOT (the slot name, a or b) and the `environment` prop, which ' +
      'is documented as non-secret; secrets are passed as Secrets Manager or SSM references through the `secrets` prop.',
  },
  publicLoadBalancerIngress: {
    rules: ['AwsSolutions-EC23'],
    scope: 'the security group of a load balancer the construct creates as internet-facing',
    reason:
      'An internet-facing load balancer exists to take traffic from the internet: only the production port (and the ' +
      'HTTP-to-HTTPS redirect port) is open to 0.0.0.0/0; the test listener is limited to testListenerAllowedCidrs and ' +
      'the slot tasks accept traffic only from the load balancer.',
  },
  publicSubnetRoutes: {
    rules: [
      'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
      'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW',
      'HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
    ],
    scope: 'the default routes of the public subnets of a VPC the construct creates',
    reason:
      'The public subnets hold only the load balancer and the NAT gateway, which need a route to the internet gateway; ' +
      'they do not assign public IPs, and the slot tasks and control-plane functions run in the private subnets.',
  },
  defaultSecurityGroupClosed: {
    rules: [
      'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
      'PCI.DSS.321-VPCDefaultSecurityGroupClosed',
      'HIPAA.Security-VPCDefaultSecurityGroupClosed',
    ],
    scope: 'a VPC the construct creates',
    reason:
      "Its default security group is closed by the construct's infra owner (Custom::BlueGreenDefaultSecurityGroup revokes " +
      "both default rules), in the VPC with a dead-letter queue, instead of by aws-cdk-lib's own function; the rule " +
      "recognises only aws-cdk-lib's custom resource. Nothing of the construct uses the default group.",
  },
  bucketReplication: {
    rules: ['NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled'],
    scope: 'the artifact, evidence and log buckets, only when no `replicationBucket` is given',
    reason:
      'Cross-region replication needs a destination bucket in another region, which one regional stack cannot own: give ' +
      '`replicationBucket` and this acknowledgement disappears. The ' +
      'artifact bucket holds build artifacts that the pipeline recreates from source; all of them are versioned with ' +
      'RETAIN by default, and the evidence bucket keeps every version of each release record. Replicate the log and ' +
      'evidence buckets into your organisation\'s archive if your policy requires it.',
  },
  logBucketEncryption: {
    rules: ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'PCI.DSS.321-S3DefaultEncryptionKMS', 'HIPAA.Security-S3DefaultEncryptionKMS'],
    scope: 'the log bucket',
    reason:
      'Application Load Balancer access logs and S3 server access logs are delivered only to buckets encrypted with ' +
      'SSE-S3 (AES-256), so the log bucket alone uses S3-managed keys; it blocks public access, enforces TLS and is versioned.',
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
    scope: 'the production and test listeners, only when no `certificate` is given',
    reason:
      'Without a certificate there is no HTTPS to redirect to: the user chose plain HTTP, and synthesis warns ' +
      '(cdk-blue-green-pipeline:plainHttp). Giving `certificate` makes both listeners HTTPS with a TLS 1.2+ policy and ' +
      'adds the HTTP-to-HTTPS redirect, and this acknowledgement disappears.',
  },
  httpsRedirectListener: {
    rules: [
      'NIST.800.53.R5-ELBv2ACMCertificateRequired',
      'PCI.DSS.321-ELBv2ACMCertificateRequired',
      'HIPAA.Security-ELBv2ACMCertificateRequired',
    ],
    scope: 'the port 80 listener created with a `certificate`',
    reason:
      'Its only action is a permanent redirect to the HTTPS production listener: it serves no content and forwards ' +
      'nothing, and it exists so that clients typing http:// are moved to TLS (the HTTP-to-HTTPS redirect the ' +
      'redirection rule asks for).',
  },
  noWebAcl: {
    rules: ['NIST.800.53.R5-ALBWAFEnabled', 'PCI.DSS.321-ALBWAFEnabled'],
    scope: 'a load balancer the construct creates, only when no `webAclArn` is given',
    reason:
      'A web ACL must be tuned to the application (rules, false positives, cost), so the construct does not invent one; ' +
      'synthesis warns (cdk-blue-green-pipeline:noWebAcl). Giving `webAclArn` associates it and this acknowledgement disappears.',
  },
  pipelineSourcedBuild: {
    rules: ['PCI.DSS.321-CodeBuildProjectSourceRepoUrl', 'HIPAA.Security-CodeBuildProjectSourceRepoUrl'],
    scope: 'the build project and the pre-approval tests project',
    reason:
      'Each project has no repository URL and no source credentials at all: its source type is CODEPIPELINE, which ' +
      'hands it the artifact fetched by the pipeline\'s source action (CodeConnections, S3 or CodeCommit, through IAM).',
  },
} as const satisfies Record<string, NagAcknowledgement>;

export type AcknowledgementName = keyof typeof NAG_ACKNOWLEDGEMENTS;

/**
 * Actions granted only on `"Resource": "*"`: they have no resource-level permissions, or (one, a
 * read) AWS documents "*" as required for part of its answer. A statement on "*" is acknowledged
 * only when every action it grants is listed here.
 */
export const ACTIONS_WITHOUT_RESOURCE_SCOPE: readonly string[] = [
  // "To use this operation and return information about composite alarms, you must be signed on
  // with the cloudwatch:DescribeAlarms permission that is scoped to *" (DescribeAlarms reference).
  'cloudwatch:DescribeAlarms',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTags',
  'elasticloadbalancing:DescribeTargetHealth',
  'ecs:ListTasks',
  'ecs:DescribeTasks',
  'tag:TagResources',
  'tag:GetResources',
  'codepipeline:PutJobSuccessResult',
  'codepipeline:PutJobFailureResult',
  'ecr:GetAuthorizationToken',
  'lambda:ListFunctions',
  // What CodeBuild reads to place a build in the VPC; EC2 Describe actions have no resource-level permissions.
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVpcs',
  // The state record's seal check (its type and key); a List action without resource types.
  'ssm:DescribeParameters',
  // A slot's registered bounds, read by the infra owner (autoScaling); a Read action without resource types.
  'application-autoscaling:DescribeScalableTargets',
  ...VPC_FUNCTION_ACTIONS,
];

/**
 * Records `name` on `target`, one CloudFormation resource: each of its rules, narrowed to the exact
 * `findings` (`Resource::*`, `Action::s3:List*`, …) when given, as cdk-nag's `appliesTo` did.
 */
export function acknowledge(target: IConstruct, name: AcknowledgementName, findings?: readonly string[]): void {
  const { rules, reason } = NAG_ACKNOWLEDGEMENTS[name] as NagAcknowledgement;
  for (const rule of rules) {
    const ids = findings && !rule.includes('[') ? findings.map((f) => `${rule}[${f}]`) : [rule];
    for (const id of ids) Validations.of(target).acknowledge({ id, reason: `${name}: ${reason}` });
  }
}

/** Acknowledges `name` on each target that exists (conditional resources may be absent). */
export function acknowledgeEach(targets: ReadonlyArray<IConstruct | undefined>, name: AcknowledgementName): void {
  for (const target of targets) if (target) acknowledge(target, name);
}

/**
 * Acknowledges the IAM findings of every IAM policy under the construct, at synthesis (after every
 * grant is in): only those IAM5 wildcards that match the rules above (no wildcard action is).
 * Any other wildcard stays a finding, so a broadened permission shows up in the report.
 */
export class PolicyAcknowledgements implements IAspect {
  /** @param ownedWildcardArns wildcard ARNs under a parent the construct owns (tokens allowed). */
  constructor(private readonly ownedWildcardArns: () => readonly string[]) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnManagedPolicy || node instanceof iam.CfnPolicy)) return;
    const stack = Stack.of(node);
    const owned = new Set(this.ownedWildcardArns().map((arn) => flattenCfnReference(stack.resolve(arn))));
    const statements = (stack.resolve(node.policyDocument)?.Statement ?? []) as Array<Record<string, unknown>>;
    // A finding id is shared by every statement of the policy that causes it, so it is acknowledged
    // only when every one of those statements is acceptable.
    const verdicts = new Map<string, boolean>();
    const tagScopedFindings = new Set<string>();
    const interfaceFindings = new Set<string>();
    const scalingFindings = new Set<string>();
    const judge = (finding: string, acceptable: boolean) => verdicts.set(finding, (verdicts.get(finding) ?? true) && acceptable);
    for (const statement of statements) {
      if (statement.Effect !== 'Allow') continue;
      const actions = asList(statement.Action) as string[];
      const resources = asList(statement.Resource).map(flattenCfnReference);
      const onEverything = resources.includes('*');
      if (onEverything) judge('Resource::*', actions.every((a) => ACTIONS_WITHOUT_RESOURCE_SCOPE.includes(a)));
      actions.filter((a) => a.includes('*')).forEach((a) => judge(`Action::${a}`, false));
      const ruleTagScoped = isRuleTagScoped(statement);
      const scalingScoped = isEcsScalingScoped(statement);
      resources.filter((r) => r !== '*' && r.includes('*')).forEach((r) => {
        const byTags = !owned.has(r) && ruleTagScoped && r.endsWith(':listener-rule/app/*');
        const interfaces = !owned.has(r) && isCodeBuildInterfacePermission(statement, actions) && r.endsWith(':network-interface/*');
        const byScaling = !owned.has(r) && scalingScoped && r.endsWith(':scalable-target/*');
        if (byTags) tagScopedFindings.add(`Resource::${r}`);
        if (interfaces) interfaceFindings.add(`Resource::${r}`);
        if (byScaling) scalingFindings.add(`Resource::${r}`);
        judge(`Resource::${r}`, owned.has(r) || byTags || interfaces || byScaling);
      });
    }
    const accepted = [...verdicts].filter(([, ok]) => ok).map(([finding]) => finding);
    if (accepted.includes('Resource::*')) acknowledge(node, 'actionsWithoutResourceScope');
    const ownedWildcards = accepted.filter((f) => f.startsWith('Resource::') && f !== 'Resource::*' && !tagScopedFindings.has(f) && !interfaceFindings.has(f) && !scalingFindings.has(f));
    if (ownedWildcards.length) acknowledge(node, 'ownedResourceWildcards', ownedWildcards);
    const byTags = accepted.filter((f) => tagScopedFindings.has(f));
    if (byTags.length) acknowledge(node, 'tagScopedRuleWrites', byTags);
    const interfaces = accepted.filter((f) => interfaceFindings.has(f));
    if (interfaces.length) acknowledge(node, 'codeBuildVpcInterfaces', interfaces);
    const byScaling = accepted.filter((f) => scalingFindings.has(f));
    if (byScaling.length) acknowledge(node, 'scalableTargetsByCondition', byScaling);
  }
}

/** A statement held to ECS services' desired counts by Application Auto Scaling's condition keys. */
function isEcsScalingScoped(statement: Record<string, unknown>): boolean {
  const equals = (statement.Condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals ?? {};
  return equals['application-autoscaling:service-namespace'] === 'ecs' && equals['application-autoscaling:scalable-dimension'] === 'ecs:service:DesiredCount';
}

/** A statement whose StringEquals requires both rule tags of a Custom::BlueGreenRoutes resource (on the request or the rule). */
function isRuleTagScoped(statement: Record<string, unknown>): boolean {
  const equals = (statement.Condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals ?? {};
  return ['aws:ResourceTag', 'aws:RequestTag'].some((k) => `${k}/${ROUTE_RULE_TAG.stack}` in equals && `${k}/${ROUTE_RULE_TAG.resource}` in equals);
}

/** CodeBuild's VPC interface permission: that one action, for CodeBuild only, in named subnets. */
function isCodeBuildInterfacePermission(statement: Record<string, unknown>, actions: string[]): boolean {
  const equals = (statement.Condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals ?? {};
  return actions.length === 1 && actions[0] === 'ec2:CreateNetworkInterfacePermission' && equals['ec2:AuthorizedService'] === 'codebuild.amazonaws.com' && equals['ec2:Subnet'] !== undefined;
}

/** The CfnResource behind an L2 construct, or the construct itself when it is one. */
export function cfnOf(construct: IConstruct | undefined): CfnResource | undefined {
  if (!construct) return undefined;
  if (CfnResource.isCfnResource(construct)) return construct;
  const child = construct.node.defaultChild;
  return child && CfnResource.isCfnResource(child) ? child : undefined;
}

function asList(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * A resolved CloudFormation value as the flat string cdk-nag uses in finding ids (Join joined,
 * Ref as <Id>, GetAtt as <Id.Attr>, anything else as JSON), so acknowledgements name exact findings.
 */
export function flattenCfnReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\${/g, '<').replace(/}/g, '>');
  const v = value as Record<string, any>;
  if (v['Fn::Join']) {
    const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnReference).join(delimiter);
  }
  if (v['Fn::Sub']) return flattenCfnReference(v['Fn::Sub']);
  if (v['Fn::GetAtt']) return `<${flattenCfnReference(v['Fn::GetAtt'][0])}.${flattenCfnReference(v['Fn::GetAtt'][1])}>`;
  if (v['Fn::ImportValue']) return flattenCfnReference(v['Fn::ImportValue']);
  if (v.Ref) return `<${flattenCfnReference(v.Ref)}>`;
  return JSON.stringify(value);
}
