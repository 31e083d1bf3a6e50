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
    actions: Object.fromEntries(
      [
        's3:GetReplicationConfiguration', 's3:ListBucket', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging',
        's3:ReplicateObject', 's3:ReplicateTags', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey',
      ].map((a) => [a, REPLICATION]),
    ),
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

/** AWS CLI commands the build scripts may run, and the IAM actions each takes (AWS CLI Command Reference). */
const CLI: Record<string, (args: string[]) => string[]> = {
  // "Retrieves an authentication token using the GetAuthorizationToken API" (get-login-password).
  'ecr get-login-password': () => ['ecr:GetAuthorizationToken'],
  'ecr describe-images': () => ['ecr:DescribeImages'],
  'ssm get-parameter': () => ['ssm:GetParameter'],
  // s3 cp downloads with GetObject and uploads with PutObject: which one, by which side is local.
  's3 cp': (args) => {
    const paths = args.filter((a, i) => !a.startsWith('--') && !S3_CP_VALUE_OPTIONS.has(args[i - 1]));
    const [from, to] = paths;
    const local = (a: string | undefined) => a !== undefined && /^"?\$(BG_OUT|BG_WORK|BG_TOOLS_DIR)\b/.test(a);
    if (local(from) === local(to)) throw new Error(`aws s3 cp ${args.join(' ')}: cannot tell which side is local`);
    return [local(from) ? 's3:PutObject' : 's3:GetObject'];
  },
};
/** What AWS authorises against the caller for such a call (S3 SSE-KMS objects; SSM SecureString reads). */
const IMPLIED: Record<string, readonly string[]> = { 's3:PutObject': ['kms:GenerateDataKey'], 's3:GetObject': ['kms:Decrypt'], 'ssm:GetParameter': ['kms:Decrypt'] };

/** The build's shell: the buildspec's commands and every script it runs. */
function buildShell(): Array<{ file: string; text: string }> {
  const dir = join(REPO, 'buildspecs', 'scripts');
  return [
    { file: 'buildspecs/buildspec.yml', text: readFileSync(join(REPO, 'buildspecs', 'buildspec.yml'), 'utf8') },
    ...readdirSync(dir).filter((f) => f.endsWith('.sh')).map((f) => ({ file: `buildspecs/scripts/${f}`, text: readFileSync(join(dir, f), 'utf8') })),
  ];
}

/** The IAM actions the build's shell calls: its AWS CLI commands, docker push, and Trivy's pull of a remote image. */
export function scriptActions(shell: Array<{ file: string; text: string }> = buildShell()): Map<string, string> {
  const out = new Map<string, string>();
  for (const { file, text } of shell) {
    const lines = text.split('\n').map((l) => l.replace(/^\s*(- )?/, '')).filter((l) => !l.startsWith('#'));
    // A command continued over lines with a trailing backslash is one command.
    const commands = lines.join('\n').replace(/\\\n\s*/g, ' ').split('\n');
    for (const command of commands) {
      for (const m of command.matchAll(/\baws\s+([a-z0-9-]+)\s+([a-z0-9-]+)((?:\s+(?![|;&)])(?:"[^"]*"|\S+))*)/g)) {
        const key = `${m[1]} ${m[2]}`;
        const map = CLI[key];
        if (!map) throw new Error(`${file}: aws ${key}, a command this test does not map to IAM actions`);
        const args = (m[3].match(/"[^"]*"|\S+/g) ?? []).filter((a) => !/^[|;&]/.test(a));
        for (const action of map(args)) out.set(action, `${file}: aws ${key}`);
      }
      if (/\bdocker\s+push\b/.test(command)) {
        for (const a of ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage']) out.set(a, `${file}: docker push (${ECR_PUSH})`);
      }
    }
    if (/--image-src remote/.test(text)) {
      for (const a of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']) if (!out.has(a)) out.set(a, `${file}: trivy image --image-src remote (${ECR_PULL})`);
    }
  }
  for (const action of [...out.keys()]) for (const implied of IMPLIED[action] ?? []) if (!out.has(implied)) out.set(implied, `for ${action}`);
  return out;
}

// ---------------------------------------------------------------------------------------------

type Resources = Record<string, any>;
const baseId = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

/** Every action a role may perform: its inline policies and the policies attached to it. */
function grantedTo(resources: Resources, roleId: string): { actions: Set<string>; awsManaged: unknown[] } {
  const attached = Object.values(resources).filter((r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && (r.Properties.Roles ?? []).some((ref: { Ref?: string }) => ref.Ref === roleId));
  const role = resources[roleId];
  const documents = [...attached.map((r) => r.Properties.PolicyDocument), ...(role.Properties.Policies ?? []).map((p: any) => p.PolicyDocument)];
  const actions = new Set<string>();
  for (const doc of documents) for (const s of doc.Statement) if (s.Effect === 'Allow') ([] as string[]).concat(s.Action).forEach((a) => actions.add(a));
  return { actions, awsManaged: role.Properties.ManagedPolicyArns ?? [] };
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
  readonly awsManaged: unknown[];
}

function measure(name: string, stack: Stack): Measured[] {
  const resources = Template.fromStack(stack).toJSON().Resources as Resources;
  return Object.entries(resources)
    .filter(([id, r]) => r.Type === 'AWS::IAM::Role' && !FUNCTION_ROLE.test(id))
    .map(([id]) => ({ configuration: name, role: id, spec: SERVICE_ROLES.find((s) => s.id === baseId(id)), trust: trustOf(resources, id), ...grantedTo(resources, id) }));
}

/** The actions a role may have that no documented call or script call accounts for. */
function unexplained(m: Measured, scripts: Map<string, string>): string[] {
  return [...m.actions].filter((a) => !(m.spec && (a in m.spec.actions || (m.spec.scripts && scripts.has(a))))).sort();
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
const scripts = scriptActions();
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

  test('the build is granted every call its scripts make, in every configuration', () => {
    expect([...scripts.keys()].sort()).toEqual(
      ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:CompleteLayerUpload', 'ecr:DescribeImages', 'ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart', 'kms:Decrypt', 'kms:GenerateDataKey', 's3:GetObject', 's3:PutObject', 'ssm:GetParameter'],
    );
    const builds = measured.filter((m) => m.spec?.scripts);
    expect(builds).toHaveLength(CONFIGURATIONS.length + 1);
    expect(builds.flatMap((m) => [...scripts.keys()].filter((a) => !m.actions.has(a)).map((a) => `${m.configuration}: ${a} (${scripts.get(a)})`))).toEqual([]);
  });
});

describe('the service-role checks', () => {
  test('can fail: a grant no service calls, a script call left ungranted, and an unmapped CLI command are all caught', () => {
    const pipeline = measured.find((m) => m.spec?.id === 'ReleasePipelineRole')!;
    expect(unexplained({ ...pipeline, actions: new Set([...pipeline.actions, 's3:DeleteObject']) }, scripts)).toEqual(['s3:DeleteObject']);
    const build = measured.find((m) => m.spec?.scripts)!;
    // Without the scripts, the build's ECR pushes and its state read are unexplained.
    expect(unexplained(build, new Map())).toEqual(expect.arrayContaining(['ecr:PutImage', 'ecr:DescribeImages', 'ssm:GetParameter']));
    const shell = [{ file: 'x.sh', text: 'aws s3 cp "$BG_OUT/report.json" "$base/report.json"\naws ssm put-parameter --name x' }];
    expect(() => scriptActions(shell)).toThrow('aws ssm put-parameter, a command this test does not map');
    expect([...scriptActions([{ file: 'x.sh', text: 'aws s3 cp --only-show-errors "$BG_TOOLS_S3_URI" "$BG_TOOLS_DIR/t.zip"' }]).keys()]).toEqual(['s3:GetObject', 'kms:Decrypt']);
  });

  test('the task execution role reads a secret the way ECS does, and nothing more', () => {
    const secrets = measured.find((m) => m.configuration === SECRETS && m.spec?.id === 'ReleaseExecutionRole')!;
    expect([...secrets.actions].filter((a) => /^(secretsmanager|ssm|kms):/.test(a)).sort()).toEqual(['kms:Decrypt', 'secretsmanager:GetSecretValue', 'ssm:GetParameters']);
    const maximal = measured.find((m) => m.configuration.includes('maximal') && m.spec?.id === 'ReleaseExecutionRole')!;
    expect([...maximal.actions].filter((a) => a.startsWith('ssm:'))).toEqual(['ssm:GetParameters']);
  });
});
