// Least privilege for every role that is not a control-plane function's (those are
// test/lib/least-privilege.test.ts's): the pipeline and its actions, the two build projects, the
// tasks' execution role, bucket replication, the retirement scheduler, the EventBridge rule and
// the chat channel. Each is assumed by a service that makes its calls, not by our code, so each
// action it may perform must be one that service is documented to call with it (the page is named
// next to the action), or, for the build, one the build's own scripts call. Every role in every
// configuration's template is one of these or a function's, and is trusted only by its service.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { BlueGreenPipeline } from '../../lib';
import { flattenCfnReference } from '../../lib/private/nag-acknowledgements';
import { baseProps } from './fixtures';
import { CONFIGURATIONS } from './nag/configurations';

const REPO = join(__dirname, '..', '..');

// Where AWS documents each call (titles of the AWS pages).
const CODEPIPELINE_ROLE = 'CodePipeline User Guide, "Manage the CodePipeline service role": the artifact store';
const CODEPIPELINE_KEY = 'CodePipeline User Guide, "Configure server-side encryption for artifacts stored in Amazon S3": the key policy for the pipeline\'s roles';
const ACTION_ROLE = 'CodePipeline API Reference, ActionDeclaration, roleArn: an action\'s role "is assumed through the roleArn for the pipeline"';
const CONNECTION_ACTION = 'CodePipeline User Guide, "CodeStarSourceConnection ... action reference", service role permissions';
const SOURCE_ACL = "aws-cdk-lib's CodeStarConnectionsSourceAction grants it (bucket.grantPutAcl) for the source artifact's ACL; not found in the docs corpus";
const CODEBUILD_ACTION = 'CodePipeline User Guide, "AWS CodeBuild build and test action reference", service role permissions';
const LAMBDA_ACTION = 'CodePipeline User Guide, "AWS Lambda invoke action reference", service role permissions';
const APPROVAL_ACTION = 'CodePipeline User Guide, "Manage approval actions": the approval notification is published to the topic';
const SNS_KMS = 'SNS Developer Guide, "Key management": a publisher to an encrypted topic needs kms:GenerateDataKey and kms:Decrypt';
const EVENTS_ROLE = 'EventBridge User Guide, "Using IAM roles for targets": the rule publishes to the SNS topic with this role';
const CODEBUILD_ROLE = 'CodeBuild User Guide, "Allow CodeBuild to interact with other AWS services": the service role policy';
const CODEBUILD_KEY = 'CodeBuild User Guide, "Data encryption": the project\'s customer managed key (key policy for the service role)';
const CODEBUILD_REPORTS = 'CodeBuild User Guide, "Test reports permissions"';
const CODEBUILD_VPC = 'CodeBuild User Guide, "Allow CodeBuild access to AWS services required to create a VPC network interface"';
const TASK_EXECUTION = 'Amazon ECS Developer Guide, "Amazon ECS task execution IAM role": pulls from ECR and the awslogs driver';
const TASK_SECRETS = 'Amazon ECS Developer Guide, "Required IAM permissions for Amazon ECS secrets"';
const REPLICATION = 'S3 User Guide, "Setting up permissions for live replication" and "Replicating encrypted objects"';
const REPLICATION_LOCK = 'S3 User Guide, "Object Lock considerations": using Object Lock with S3 Replication (AWS Knowledge Center: replication with Object Lock)';
const SCHEDULER = 'EventBridge Scheduler User Guide, "Set up the execution role": it invokes the target with this role';
const ECR_PUSH = 'ECR User Guide, "Pushing a Docker image": required permissions';
const ECR_PULL = 'ECR User Guide, "Pulling an image": required permissions';

const artifactStore = (why: string): Record<string, string> => ({
  's3:GetObject': why,
  's3:GetObjectVersion': why,
  's3:PutObject': why,
  's3:GetBucketAcl': why,
  's3:GetBucketLocation': why,
});
const artifactKey = (why: string): Record<string, string> => ({ 'kms:Decrypt': why, 'kms:Encrypt': why, 'kms:GenerateDataKey': why, 'kms:DescribeKey': why });
const codebuildProject = (): Record<string, string> => ({
  'logs:CreateLogStream': CODEBUILD_ROLE,
  'logs:PutLogEvents': CODEBUILD_ROLE,
  ...artifactStore(CODEBUILD_ROLE),
  ...artifactKey(CODEBUILD_KEY),
  'codebuild:CreateReport': CODEBUILD_REPORTS,
  'codebuild:UpdateReport': CODEBUILD_REPORTS,
  'codebuild:BatchPutTestCases': CODEBUILD_REPORTS,
});

interface ServiceRole {
  /** The role's logical id without its hash. */
  readonly id: string;
  /** Who may assume it: a service principal, or `pipeline role`. */
  readonly trustedBy: string;
  /** Every action it may perform, each with where AWS documents the call. */
  readonly actions: Readonly<Record<string, string>>;
  /** The build: its scripts' own calls are allowed too, and must be granted. */
  readonly scripts?: boolean;
}

const SERVICE_ROLES: readonly ServiceRole[] = [
  {
    id: 'ReleasePipelineRole',
    trustedBy: 'codepipeline.amazonaws.com',
    actions: { ...artifactStore(CODEPIPELINE_ROLE), 's3:GetBucketVersioning': CODEPIPELINE_ROLE, ...artifactKey(CODEPIPELINE_KEY), 'sts:AssumeRole': ACTION_ROLE },
  },
  {
    id: 'ReleasePipelineSourceCodePipelineActionRole',
    trustedBy: 'pipeline role',
    actions: {
      'codestar-connections:UseConnection': CONNECTION_ACTION,
      ...artifactStore(CODEPIPELINE_ROLE),
      's3:GetBucketVersioning': CODEPIPELINE_ROLE,
      's3:PutObjectAcl': SOURCE_ACL,
      's3:PutObjectVersionAcl': SOURCE_ACL,
      ...artifactKey(CODEPIPELINE_KEY),
    },
  },
  { id: 'ReleasePipelineBuildAndScanCodePipelineActionRole', trustedBy: 'pipeline role', actions: { 'codebuild:StartBuild': CODEBUILD_ACTION, 'codebuild:BatchGetBuilds': CODEBUILD_ACTION, 'codebuild:StopBuild': CODEBUILD_ACTION } },
  { id: 'ReleasePipelineReleaseTestsCodePipelineActionRole', trustedBy: 'pipeline role', actions: { 'codebuild:StartBuild': CODEBUILD_ACTION, 'codebuild:BatchGetBuilds': CODEBUILD_ACTION, 'codebuild:StopBuild': CODEBUILD_ACTION } },
  { id: 'ReleaseReleaseInvokeRole', trustedBy: 'pipeline role', actions: { 'lambda:InvokeFunction': LAMBDA_ACTION, 'lambda:ListFunctions': LAMBDA_ACTION } },
  { id: 'ReleasePipelineReleaseApproveCodePipelineActionRole', trustedBy: 'pipeline role', actions: { 'sns:Publish': APPROVAL_ACTION, 'kms:GenerateDataKey': SNS_KMS, 'kms:Decrypt': SNS_KMS } },
  { id: 'ReleasePipelinePipelineEventsEventsRole', trustedBy: 'events.amazonaws.com', actions: { 'sns:Publish': EVENTS_ROLE, 'kms:GenerateDataKey': SNS_KMS, 'kms:Decrypt': SNS_KMS } },
  { id: 'ReleaseBuildProjectRole', trustedBy: 'codebuild.amazonaws.com', actions: codebuildProject(), scripts: true },
  {
    id: 'ReleaseTestsProjectRole',
    trustedBy: 'codebuild.amazonaws.com',
    actions: {
      // The tests read the source artifact and write no artifact of their own.
      ...Object.fromEntries(Object.entries(codebuildProject()).filter(([a]) => a !== 's3:PutObject')),
      ...Object.fromEntries(
        ['ec2:CreateNetworkInterface', 'ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs', 'ec2:CreateNetworkInterfacePermission'].map((a) => [a, CODEBUILD_VPC]),
      ),
    },
  },
  {
    id: 'ReleaseExecutionRole',
    trustedBy: 'ecs-tasks.amazonaws.com',
    actions: {
      'ecr:GetAuthorizationToken': TASK_EXECUTION,
      'ecr:BatchCheckLayerAvailability': TASK_EXECUTION,
      'ecr:GetDownloadUrlForLayer': TASK_EXECUTION,
      'ecr:BatchGetImage': TASK_EXECUTION,
      'logs:CreateLogStream': TASK_EXECUTION,
      'logs:PutLogEvents': TASK_EXECUTION,
      'ssm:GetParameters': TASK_SECRETS,
      'secretsmanager:GetSecretValue': TASK_SECRETS,
      'kms:Decrypt': TASK_SECRETS,
    },
  },
  // The construct grants the application's task role nothing: what it may do is yours to give.
  { id: 'ReleaseTaskRole', trustedBy: 'ecs-tasks.amazonaws.com', actions: {} },
  { id: 'AppRole', trustedBy: 'ecs-tasks.amazonaws.com', actions: {} },
  {
    id: 'ReleaseReplicationRole',
    trustedBy: 's3.amazonaws.com',
    actions: {
      ...Object.fromEntries([
        's3:GetReplicationConfiguration', 's3:ListBucket', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging',
        's3:ReplicateObject', 's3:ReplicateTags', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey',
      ].map((a) => [a, REPLICATION])),
      // With objectLock: S3 reads a locked object's retention and legal hold to replicate them.
      's3:GetObjectRetention': REPLICATION_LOCK,
      's3:GetObjectLegalHold': REPLICATION_LOCK,
    },
  },
  { id: 'ReleaseRetirementSchedulerRole', trustedBy: 'scheduler.amazonaws.com', actions: { 'lambda:InvokeFunction': SCHEDULER } },
  // What people may do from the channel is their own roles' and the channel's guardrails; the channel role itself gets nothing.
  { id: 'ReleaseChatChannelRole', trustedBy: 'chatbot.amazonaws.com', actions: {} },
];

/** The control-plane functions' roles: test/lib/least-privilege.test.ts holds them to their code. */
const FUNCTION_ROLE = /^Release(DeployGreen|Swap|Bake|EvidenceRecorder|InfraOwner)Role[0-9A-F]{8}$/;

// ---------------------------------------------------------------------------------------------
// The build's own calls, read off its buildspec and scripts.

/** Options of `aws s3 cp` that take a value (AWS CLI Command Reference, s3 cp). */
const S3_CP_VALUE_OPTIONS = new Set(['--content-type', '--region', '--acl', '--sse', '--sse-kms-key-id', '--storage-class', '--cache-control', '--expected-size']);
/** Global AWS CLI options that take a value, which may come before the service (AWS CLI Command Reference, global options). */
const GLOBAL_VALUE_OPTIONS = '--region|--profile|--output|--query|--endpoint-url|--color|--cli-read-timeout|--cli-connect-timeout';
const GLOBAL_FLAGS = '--debug|--no-cli-pager|--no-paginate|--no-verify-ssl|--no-sign-request';

const valueOf = (args: string[], option: string) => args[args.indexOf(option) + 1];

/** AWS CLI commands the build scripts may run: the IAM action each takes, and the argument naming its resource (AWS CLI Command Reference). */
const CLI: Record<string, (args: string[]) => { action: string; resource?: string }> = {
  // "Retrieves an authentication token using the GetAuthorizationToken API" (get-login-password); no resource.
  'ecr get-login-password': () => ({ action: 'ecr:GetAuthorizationToken' }),
  'ecr describe-images': (args) => ({ action: 'ecr:DescribeImages', resource: valueOf(args, '--repository-name') }),
  'ssm get-parameter': (args) => ({ action: 'ssm:GetParameter', resource: valueOf(args, '--name') }),
  // s3 cp downloads with GetObject and uploads with PutObject: which one, by which side is local.
  's3 cp': (args) => {
    const [from, to] = args.filter((a, i) => !a.startsWith('--') && !S3_CP_VALUE_OPTIONS.has(args[i - 1]));
    const local = (a: string | undefined) => a !== undefined && /^"?\$(BG_OUT|BG_WORK|BG_TOOLS_DIR)\b/.test(a);
    if (local(from) === local(to)) throw new Error(`aws s3 cp ${args.join(' ')}: cannot tell which side is local`);
    return local(from) ? { action: 's3:PutObject', resource: to } : { action: 's3:GetObject', resource: from };
  },
};
/** What AWS authorises against the caller for such a call (S3 SSE-KMS objects; SSM SecureString reads). */
const IMPLIED: Record<string, readonly string[]> = { 's3:PutObject': ['kms:GenerateDataKey'], 's3:GetObject': ['kms:Decrypt'], 'ssm:GetParameter': ['kms:Decrypt'] };

/** One call the build's shell makes: where, and the build environment variable that names its resource. */
export interface ScriptCall {
  readonly action: string;
  readonly where: string;
  readonly env?: string;
  /** Authorised by AWS for another call (IMPLIED), not made itself. */
  readonly impliedBy?: string;
}

/** The build's shell: the buildspec's commands and every script it runs. */
function buildShell(): Array<{ file: string; text: string }> {
  const dir = join(REPO, 'buildspecs', 'scripts');
  return [
    { file: 'buildspecs/buildspec.yml', text: readFileSync(join(REPO, 'buildspecs', 'buildspec.yml'), 'utf8') },
    ...readdirSync(dir).filter((f) => f.endsWith('.sh')).map((f) => ({ file: `buildspecs/scripts/${f}`, text: readFileSync(join(dir, f), 'utf8') })),
  ];
}

/**
 * The shell variables set from another (`base="$BG_EVIDENCE_S3_URI/..."`, or a `BASH_REMATCH`
 * group of the last `[[ "$VAR" =~ ...` before it), so a call's resource leads back to the build
 * environment variable it comes from.
 */
function aliasesIn(shell: Array<{ text: string }>): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const { text } of shell) {
    let matched: string | undefined;
    for (const line of text.split('\n')) {
      matched = line.match(/\[\[\s+"\$\{?(\w+)\}?"\s+=~/)?.[1] ?? matched;
      const m = line.match(/^\s*(?:local\s+)?([A-Za-z_]\w*)="?\$\{?(\w+)/);
      if (m && m[1] !== m[2]) aliases.set(m[1], m[2] === 'BASH_REMATCH' && matched ? matched : m[2]);
    }
  }
  return aliases;
}

/** The build environment variable behind a shell word (its first variable, through the aliases). */
function envOf(word: string | undefined, aliases: Map<string, string>): string | undefined {
  let name = word?.match(/\$\{?([A-Za-z_]\w*)/)?.[1];
  for (let hops = 0; name !== undefined && aliases.has(name) && hops < 10; hops++) name = aliases.get(name);
  return name;
}

/** The IAM actions the build's shell calls: its AWS CLI commands, docker push, and Trivy's pull of a remote image. */
export function scriptCalls(shell: Array<{ file: string; text: string }> = buildShell()): ScriptCall[] {
  const out: ScriptCall[] = [];
  const aliases = aliasesIn(shell);
  const call = new RegExp(`(?<![\\w./-])aws((?:\\s+(?:${GLOBAL_VALUE_OPTIONS})\\s+(?:"[^"]*"|\\S+)|\\s+(?:${GLOBAL_FLAGS}))*)\\s+([a-z0-9-]+)\\s+([a-z0-9-]+)((?:\\s+(?![|;&)])(?:"[^"]*"|[^\\s|;&)]+))*)`, 'g');
  for (const { file, text } of shell) {
    const lines = text.split('\n').map((l) => l.replace(/^\s*(- )?/, '')).filter((l) => !l.startsWith('#'));
    // A command continued over lines with a trailing backslash is one command.
    const commands = lines.join('\n').replace(/\\\n\s*/g, ' ').split('\n');
    for (const command of commands) {
      const calls = [...command.matchAll(call)];
      // Every word `aws` followed by more is a call this parser read, or the test stops.
      const words = command.match(/(?<![\w./-])"?aws"?(?=\s)/g) ?? [];
      if (words.length !== calls.length) throw new Error(`${file}: an aws command this test cannot read: ${command.trim().slice(0, 120)}`);
      for (const m of calls) {
        const key = `${m[2]} ${m[3]}`;
        const map = CLI[key];
        if (!map) throw new Error(`${file}: aws ${key}, a command this test does not map to IAM actions`);
        const { action, resource } = map(m[4].match(/"[^"]*"|\S+/g) ?? []);
        out.push({ action, where: `${file}: aws ${key}`, env: envOf(resource, aliases) });
      }
      if (/\bdocker\s+push\b/.test(command)) {
        const image = envOf(command.match(/\bdocker\s+push\s+(\S+)/)?.[1], aliases);
        for (const a of ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage']) out.push({ action: a, where: `${file}: docker push (${ECR_PUSH})`, env: image });
      }
      // Trivy reads a remote image from the registry itself (`--image-src remote`), with the build's role.
      if (/--image-src remote/.test(command)) {
        const image = envOf(command.match(/--image-src remote\s+(\S+)/)?.[1], aliases);
        for (const a of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']) out.push({ action: a, where: `${file}: trivy image --image-src remote (${ECR_PULL})`, env: image });
      }
      if (/\bdocker\s+pull\b/.test(command)) throw new Error(`${file}: docker pull, which this test does not map: ${command.trim().slice(0, 120)}`);
    }
  }
  for (const made of [...out]) for (const implied of IMPLIED[made.action] ?? []) out.push({ action: implied, where: `${made.where}, for ${made.action}`, env: made.env, impliedBy: made.action });
  return out;
}

// ---------------------------------------------------------------------------------------------

type Resources = Record<string, any>;
const baseId = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

interface Grant {
  readonly actions: readonly string[];
  /** Flattened as cdk-nag names them (<Id>, <Id.Arn>, Joins joined). */
  readonly resources: readonly string[];
  readonly condition?: Record<string, Record<string, unknown>>;
}

/** Every action a role may perform: its inline policies and the policies attached to it. */
function grantedTo(resources: Resources, roleId: string): { actions: Set<string>; grants: Grant[]; awsManaged: unknown[] } {
  const attached = Object.values(resources).filter((r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && (r.Properties.Roles ?? []).some((ref: { Ref?: string }) => ref.Ref === roleId));
  const role = resources[roleId];
  const documents = [...attached.map((r) => r.Properties.PolicyDocument), ...(role.Properties.Policies ?? []).map((p: any) => p.PolicyDocument)];
  const grants: Grant[] = documents.flatMap((doc) => doc.Statement)
    .filter((s: any) => s.Effect === 'Allow')
    .map((s: any) => ({ actions: ([] as string[]).concat(s.Action), resources: ([] as unknown[]).concat(s.Resource).map(flattenCfnReference), condition: s.Condition }));
  return { actions: new Set(grants.flatMap((g) => g.actions)), grants, awsManaged: role.Properties.ManagedPolicyArns ?? [] };
}

/** Who a role's trust policy lets assume it. */
function trustOf(resources: Resources, roleId: string): string[] {
  return resources[roleId].Properties.AssumeRolePolicyDocument.Statement.map((s: any) => {
    const p = s.Principal;
    if (typeof p.Service === 'string') return p.Service;
    const arn = p.AWS?.['Fn::GetAtt'];
    if (Array.isArray(arn) && arn[1] === 'Arn' && baseId(arn[0]) === 'ReleasePipelineRole') return 'pipeline role';
    return JSON.stringify(p);
  });
}

interface Measured {
  readonly configuration: string;
  readonly role: string;
  readonly spec?: ServiceRole;
  readonly trust: string[];
  readonly actions: Set<string>;
  readonly grants: Grant[];
  readonly awsManaged: unknown[];
  /** The template's resources, and the environment of the CodeBuild project that runs as this role (flattened). */
  readonly resources: Resources;
  readonly environment: Record<string, string>;
}

function measure(name: string, stack: Stack): Measured[] {
  const resources = Template.fromStack(stack).toJSON().Resources as Resources;
  const environmentOf = (roleId: string) => {
    const project = Object.values(resources).find((r) => r.Type === 'AWS::CodeBuild::Project' && r.Properties.ServiceRole?.['Fn::GetAtt']?.[0] === roleId);
    return Object.fromEntries((project?.Properties.Environment.EnvironmentVariables ?? []).map((v: any) => [v.Name, flattenCfnReference(v.Value)]));
  };
  return Object.entries(resources)
    .filter(([id, r]) => r.Type === 'AWS::IAM::Role' && !FUNCTION_ROLE.test(id))
    .map(([id]) => ({
      configuration: name, role: id, spec: SERVICE_ROLES.find((s) => s.id === baseId(id)), trust: trustOf(resources, id), ...grantedTo(resources, id), resources, environment: environmentOf(id),
    }));
}

/** The actions a role may have that no documented call or script call accounts for. */
function unexplained(m: Measured, calls: readonly ScriptCall[]): string[] {
  return [...m.actions].filter((a) => !(m.spec && (a in m.spec.actions || (m.spec.scripts && calls.some((c) => c.action === a))))).sort();
}

/**
 * Where a script call lands, from the flat value of the build environment variable that names it:
 * the statement that must grant it. A call with no such variable (ecr:GetAuthorizationToken) must
 * be granted on `*`, its only resource.
 */
const LANDS_ON: Record<string, (value: string, m: Measured) => (resource: string) => boolean> = {
  // s3://bucket/key: that object.
  BG_TOOLS_S3_URI: (v) => (r) => r === `arn:<AWS::Partition>:s3:::${v.replace(/^s3:\/\//, '')}`,
  // s3://<Bucket>/prefix: the objects under the prefix.
  BG_EVIDENCE_S3_URI: (v) => (r) => r === `${v.replace(/^s3:\/\/<([^>]+)>/, '<$1.Arn>')}/*`,
  BG_STATE_PARAMETER: (v) => (r) => r.endsWith(`:parameter${v}`),
  // <account>.dkr.ecr.<region>.<suffix>/<name>: the repository, the construct's or yours.
  REPOSITORY_URI: (v) => {
    const name = v.slice(v.indexOf('/') + 1);
    const ref = /^<(\w+)>$/.exec(name);
    return (r) => (ref ? r === `<${ref[1]}.Arn>` : r.endsWith(`:repository/${name}`));
  },
};

/** Whether the build role grants a script call where it is made (see LANDS_ON); the KMS calls by the key behind it. */
function grantedWhereMade(m: Measured, call: ScriptCall): boolean {
  const grants = m.grants.filter((g) => g.actions.includes(call.action));
  if (call.impliedBy === 'ssm:GetParameter') {
    // A SecureString under the state key: kms:Decrypt through Parameter Store only.
    return grants.some((g) => /^ssm\./.test(String(g.condition?.StringEquals?.['kms:ViaService'] ?? '')));
  }
  if (call.impliedBy === 's3:PutObject' && call.env === 'BG_EVIDENCE_S3_URI') {
    const bucket = /^s3:\/\/<([^>]+)>/.exec(m.environment.BG_EVIDENCE_S3_URI)?.[1];
    const key = flattenCfnReference(m.resources[bucket ?? '']?.Properties.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID);
    return key !== '' && grants.some((g) => g.resources.includes(key));
  }
  // The tools object is in the CDK bootstrap's asset bucket, under S3's own key: no grant to give.
  if (call.impliedBy === 's3:GetObject' && call.env === 'BG_TOOLS_S3_URI') return true;
  if (call.env === undefined) return grants.some((g) => g.resources.includes('*'));
  const value = m.environment[call.env];
  const lands = LANDS_ON[call.env];
  if (value === undefined || lands === undefined) throw new Error(`${call.where}: ${call.env} is not a build variable this test knows`);
  const on = lands(value, m);
  return grants.some((g) => g.resources.some(on));
}

/** Container secrets from Secrets Manager and from a parameter under your own key (the configurations read a parameter under the AWS managed key). */
function secretsStack(): Stack {
  const stack = new Stack(new App(), 'Secrets', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = kms.Key.fromKeyArn(stack, 'AppKey', 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-0000-4000-8000-00000000000c');
  const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'DbSecret', { secretCompleteArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf', encryptionKey: key });
  const token = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'ApiToken', { parameterName: '/shop/api-token', encryptionKey: key });
  new BlueGreenPipeline(stack, 'Release', { ...baseProps(), secrets: { DB_PASSWORD: ecs.Secret.fromSecretsManager(secret), API_TOKEN: ecs.Secret.fromSsmParameter(token) } });
  return stack;
}

const SECRETS = 'container secrets from Secrets Manager and a parameter under your own key';
const scripts = scriptCalls();
const measured = [...CONFIGURATIONS.map(([name, make]) => [name, () => make().stack] as const), [SECRETS, secretsStack] as const].flatMap(([name, make]) => measure(name, make()));

describe('least privilege for the roles AWS services assume', () => {
  test('every role is a control-plane function\'s or one listed here, trusted only by its service', () => {
    expect(measured.filter((m) => !m.spec).map((m) => `${m.configuration}: ${m.role}`)).toEqual([]);
    expect(measured.filter((m) => m.spec && (m.trust.length !== 1 || m.trust[0] !== m.spec.trustedBy)).map((m) => `${m.role}: ${m.trust.join(', ')}`)).toEqual([]);
    // Every configuration has the same function roles the other test checks.
    for (const [name, make] of CONFIGURATIONS) {
      const ids = Object.keys(Template.fromStack(make().stack).toJSON().Resources).filter((id) => FUNCTION_ROLE.test(id));
      expect({ name, functions: ids.length }).toEqual({ name, functions: 5 });
    }
  });

  test('no role has an AWS managed policy or a wildcard action', () => {
    expect(measured.filter((m) => m.awsManaged.length > 0).map((m) => m.role)).toEqual([]);
    expect(measured.flatMap((m) => [...m.actions].filter((a) => a.includes('*')).map((a) => `${m.role} ${a}`))).toEqual([]);
  });

  test('every action a role may perform is one its service is documented to call, or one the build scripts call', () => {
    expect(measured.flatMap((m) => unexplained(m, scripts).map((a) => `${m.configuration}: ${baseId(m.role)} ${a}`))).toEqual([]);
  });

  test('every listed action is granted somewhere (a list entry nothing uses is stale)', () => {
    const stale = SERVICE_ROLES.flatMap((spec) => {
      const all = measured.filter((m) => m.spec === spec);
      // A role no configuration creates is stale as a whole.
      if (all.length === 0) return [`${spec.id} (no configuration has it)`];
      return Object.keys(spec.actions).filter((a) => !all.some((m) => m.actions.has(a))).map((a) => `${spec.id} ${a}`);
    });
    expect(stale).toEqual([]);
  });

  test('the build is granted every call its scripts make, on what it makes it on, in every configuration', () => {
    expect([...new Set(scripts.map((c) => `${c.action} ${c.env ?? '*'}`))].sort()).toEqual([
      'ecr:BatchCheckLayerAvailability REPOSITORY_URI', 'ecr:BatchGetImage REPOSITORY_URI', 'ecr:CompleteLayerUpload REPOSITORY_URI', 'ecr:DescribeImages REPOSITORY_URI',
      'ecr:GetAuthorizationToken *', 'ecr:GetDownloadUrlForLayer REPOSITORY_URI', 'ecr:InitiateLayerUpload REPOSITORY_URI', 'ecr:PutImage REPOSITORY_URI', 'ecr:UploadLayerPart REPOSITORY_URI',
      'kms:Decrypt BG_STATE_PARAMETER', 'kms:Decrypt BG_TOOLS_S3_URI', 'kms:GenerateDataKey BG_EVIDENCE_S3_URI',
      's3:GetObject BG_TOOLS_S3_URI', 's3:PutObject BG_EVIDENCE_S3_URI', 'ssm:GetParameter BG_STATE_PARAMETER',
    ]);
    const builds = measured.filter((m) => m.spec?.scripts);
    expect(builds).toHaveLength(CONFIGURATIONS.length + 1);
    expect(builds.flatMap((m) => scripts.filter((c) => !grantedWhereMade(m, c)).map((c) => `${m.configuration}: ${c.action} (${c.where})`))).toEqual([]);
  });
});

describe('the service-role checks', () => {
  test('can fail: a grant no service calls, a script call granted elsewhere or not at all, and a command it cannot read are all caught', () => {
    const pipeline = measured.find((m) => m.spec?.id === 'ReleasePipelineRole')!;
    expect(unexplained({ ...pipeline, actions: new Set([...pipeline.actions, 's3:DeleteObject']) }, scripts)).toEqual(['s3:DeleteObject']);
    const build = measured.find((m) => m.spec?.scripts)!;
    // Without the scripts, the build's ECR pushes and its state read are unexplained.
    expect(unexplained(build, [])).toEqual(expect.arrayContaining(['ecr:PutImage', 'ecr:DescribeImages', 'ssm:GetParameter']));
    // The tools download, the evidence upload and the state key's SSM decrypt, each taken away
    // while the artifact bucket and key grants (the same actions elsewhere) stay.
    const without = (drop: (g: Grant) => boolean): Measured => ({ ...build, grants: build.grants.filter((g) => !drop(g)) });
    const missing = (m: Measured) => [...new Set(scripts.filter((c) => !grantedWhereMade(m, c)).map((c) => c.action))];
    expect(missing(build)).toEqual([]);
    expect(missing(without((g) => g.resources.some((r) => r.includes('cdk-hnb659fds-assets'))))).toEqual(['s3:GetObject']);
    expect(missing(without((g) => g.resources.some((r) => r.includes('/builds/*'))))).toEqual(['s3:PutObject']);
    expect(missing(without((g) => g.condition !== undefined && g.actions.includes('kms:Decrypt')))).toEqual(['kms:Decrypt']);
    expect(missing(without((g) => g.actions.includes('ecr:DescribeImages')))).toEqual(['ecr:DescribeImages']);
    // Commands the parser cannot map or read stop the test rather than pass unseen.
    expect(() => scriptCalls([{ file: 'x.sh', text: 'aws s3 cp "$BG_OUT/report.json" "$base/report.json"\naws ssm put-parameter --name x' }])).toThrow('aws ssm put-parameter, a command this test does not map');
    expect(() => scriptCalls([{ file: 'x.sh', text: 'found="$("aws" ecr describe-images --repository-name "$ECR_REPOSITORY")"' }])).toThrow('an aws command this test cannot read');
    expect(() => scriptCalls([{ file: 'x.sh', text: 'docker pull "$REPOSITORY_URI:latest"' }])).toThrow('docker pull');
    // Global options before the service, and a resource through a shell variable.
    const read = scriptCalls([{ file: 'x.sh', text: 'NAME="$BG_STATE_PARAMETER"\nv="$(aws --region "$R" --no-cli-pager ssm get-parameter --with-decryption --name "$NAME" --output text)"' }]);
    expect(read.map((c) => `${c.action} ${c.env}`)).toEqual(['ssm:GetParameter BG_STATE_PARAMETER', 'kms:Decrypt BG_STATE_PARAMETER']);
  });

  test('the task execution role reads a secret the way ECS does, and nothing more', () => {
    const secrets = measured.find((m) => m.configuration === SECRETS && m.spec?.id === 'ReleaseExecutionRole')!;
    expect([...secrets.actions].filter((a) => /^(secretsmanager|ssm|kms):/.test(a)).sort()).toEqual(['kms:Decrypt', 'secretsmanager:GetSecretValue', 'ssm:GetParameters']);
    const maximal = measured.find((m) => m.configuration.includes('maximal') && m.spec?.id === 'ReleaseExecutionRole')!;
    expect([...maximal.actions].filter((a) => a.startsWith('ssm:'))).toEqual(['ssm:GetParameters']);
  });
});
