import { AspectPriority, Aspects, IAspect, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { flattenCfnReference } from './nag-acknowledgements';
import { ResolvedLength } from './resolved-length';

/**
 * What the action groups of aws-cdk-lib's bucket and key grants come to, for the roles that use
 * them here: the pipeline, its actions and the build handing artifacts over in the artifact
 * bucket, and publishers to a KMS-encrypted topic or queue. Each maps to the actions those
 * services are documented to call; the rest of the group is left out.
 *
 * * S3: the CodePipeline User Guide's service role policy ("Manage the CodePipeline service role")
 *   reads and writes artifacts with s3:GetObject, s3:GetObjectVersion, s3:PutObject,
 *   s3:GetBucketAcl, s3:GetBucketLocation and s3:GetBucketVersioning (CodeBuild's, the same but
 *   the versioning read: its roles are narrowed further, CODEBUILD_UNUSED); nothing deletes,
 *   lists, tags, locks or aborts an artifact (the bucket's lifecycle rules expire them).
 * * KMS: encrypting an object, a message or a queue entry takes kms:GenerateDataKey (and
 *   kms:Decrypt to read); nothing re-encrypts.
 */
export const GRANT_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  's3:GetObject*': ['s3:GetObject', 's3:GetObjectVersion'],
  's3:GetBucket*': ['s3:GetBucketAcl', 's3:GetBucketLocation', 's3:GetBucketVersioning'],
  's3:List*': [],
  's3:DeleteObject*': [],
  's3:Abort*': [],
  's3:PutObjectLegalHold': [],
  's3:PutObjectRetention': [],
  's3:PutObjectTagging': [],
  's3:PutObjectVersionTagging': [],
  'kms:GenerateDataKey*': ['kms:GenerateDataKey'],
  'kms:ReEncrypt*': [],
};

/**
 * Resources aws-cdk-lib's integrations grant that nothing here uses, each with the reason:
 * * `<function ARN>:*`: the versions and aliases of a function. CodePipeline's Lambda invoke action
 *   invokes the function by its name (action reference, `FunctionName`): the unqualified ARN.
 * * `/aws/codebuild/<project>` log groups: the build project logs to its own encrypted log group
 *   (CodeBuild writes to the group its `LogsConfig` names).
 * * `report-group/<project>-*`: report groups CodeBuild would create on the fly; the buildspec
 *   names the construct's own report group, which the project is granted exactly.
 */
export const UNUSED_GRANT_RESOURCES: ReadonlyArray<{ readonly pattern: RegExp; readonly reason: string }> = [
  { pattern: /^<[A-Za-z0-9]+\.Arn>:\*$/, reason: 'versions and aliases of a function invoked by its name' },
  { pattern: /:log-group:\/aws\/codebuild\/<[A-Za-z0-9]+>(:\*)?$/, reason: "CodeBuild's default log group; the project logs to its own" },
  { pattern: /:report-group\/<[A-Za-z0-9]+>-\*$/, reason: "report groups CodeBuild would create; the buildspec names the construct's own" },
];

/**
 * Per role, actions that aws-cdk-lib's grant gives and the service that uses the role does not
 * call (each with its source), left out of that role's policies only.
 */
const ROLE_NARROWING = new WeakMap<IConstruct, Readonly<Record<string, readonly string[]>>>();

/**
 * ECS reads a task's secrets with the task execution role (Amazon ECS Developer Guide, "Required
 * IAM permissions for Amazon ECS secrets"): ssm:GetParameters for a Parameter Store parameter,
 * secretsmanager:GetSecretValue for a secret (and kms:Decrypt for a customer managed key). The
 * parameter and secret grants of aws-cdk-lib add the reads a person or a function would make.
 */
export const TASK_EXECUTION_UNUSED: Readonly<Record<string, readonly string[]>> = {
  'ssm:DescribeParameters': [],
  'ssm:GetParameter': [],
  'ssm:GetParameterHistory': [],
  'secretsmanager:DescribeSecret': [],
};

/**
 * CodeBuild reads a pipeline's input artifact and writes its output with s3:GetObject,
 * s3:GetObjectVersion, s3:PutObject, s3:GetBucketAcl and s3:GetBucketLocation (CodeBuild User
 * Guide, "Allow CodeBuild to interact with other AWS services", the service role policy): the
 * bucket versioning read of aws-cdk-lib's bucket grant is CodePipeline's, not CodeBuild's.
 */
export const CODEBUILD_UNUSED: Readonly<Record<string, readonly string[]>> = {
  's3:GetBucketVersioning': [],
};

/**
 * S3 replicates with the replication role (S3 User Guide, "Setting up permissions for live
 * replication"): s3:ReplicateDelete only replicates delete markers, and the rules here leave
 * them out (`deleteMarkerReplication: false`, so a deletion never reaches the backup);
 * s3:ObjectOwnerOverrideToBucketOwner only changes a replica's owner, which no rule asks for.
 */
export const REPLICATION_UNUSED: Readonly<Record<string, readonly string[]>> = {
  's3:ReplicateDelete': [],
  's3:ObjectOwnerOverrideToBucketOwner': [],
};

/** Leaves `unused` out of the policies of `role` (its default policy and any other under it). */
export function narrowRole(role: IConstruct, unused: Readonly<Record<string, readonly string[]>>): void {
  ROLE_NARROWING.set(role, { ...ROLE_NARROWING.get(role), ...unused });
}

type Statement = Record<string, unknown>;
const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A statement with the grant action groups replaced by what is used, and unused resources left out; undefined when nothing is left. */
export function narrowStatement(statement: Statement, unused: Readonly<Record<string, readonly string[]>> = {}): Statement | undefined {
  if (statement.Effect !== 'Allow' || statement.NotAction || statement.NotResource) return statement;
  const narrow = (a: string) => (GRANT_ACTIONS[a] ?? [a]).flatMap((b) => unused[b] ?? [b]);
  const actions = [...new Set((asList(statement.Action) as string[]).flatMap(narrow))];
  const resources = asList(statement.Resource).filter((r) => !UNUSED_GRANT_RESOURCES.some((u) => u.pattern.test(flattenCfnReference(r))));
  if (actions.length === 0 || resources.length === 0) return undefined;
  const single = <T>(list: T[]) => (list.length === 1 ? list[0] : list);
  return { ...statement, Action: single(actions), Resource: single(resources) };
}

/**
 * Every IAM policy under the construct becomes a customer-managed policy (AWS::IAM::ManagedPolicy)
 * attached to the same roles, with its statements narrowed (`narrowStatement`): the construct's
 * own grants and those aws-cdk-lib's integrations add alike. The managed policy is created under
 * the inline policy's construct, which keeps no resource of its own, so whatever depended on the
 * inline policy (a function on its role's default policy, a custom resource on the infra owner's
 * hand-over permission) depends on the managed policy.
 */
export class ManagedPolicies implements IAspect {
  /** Runs after aws-cdk-lib's own mutating aspects (a role splits a large default policy in one). */
  public static readonly PRIORITY = AspectPriority.MUTATING + 100;

  public static applyTo(root: IConstruct): void {
    Aspects.of(root).add(new ManagedPolicies(), { priority: ManagedPolicies.PRIORITY });
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof iam.Policy)) return;
    const cfn = node.node.tryFindChild('Resource');
    if (!(cfn instanceof iam.CfnPolicy)) return;
    const stack = Stack.of(node);
    const document = stack.resolve(cfn.policyDocument) as { Version?: string; Statement?: Statement[] };
    const unused = roleNarrowing(node);
    const statements = (document.Statement ?? []).map((s) => narrowStatement(s, unused)).filter((s): s is Statement => s !== undefined);
    node.node.tryRemoveChild('Resource');
    // The first document keeps the id it always had; a role whose grants outgrow one gets more.
    splitDocument(stack, document, statements).forEach((part, i) => {
      new iam.CfnManagedPolicy(node, i === 0 ? 'Managed' : `Managed${i + 1}`, {
        policyDocument: part,
        roles: cfn.roles,
        users: cfn.users,
        groups: cfn.groups,
        description: `Permissions of ${node.node.scope?.node.path ?? node.node.path}${i === 0 ? '' : ` (part ${i + 1})`}`.slice(0, 1000),
      });
    });
  }
}

/**
 * The narrowing of the role a policy is under (a role's default policy is its child): the nearest
 * role above it decides, so a policy of another role is never narrowed for this one.
 */
function roleNarrowing(policy: IConstruct): Readonly<Record<string, readonly string[]>> {
  for (let scope = policy.node.scope; scope; scope = scope.node.scope) {
    const found = ROLE_NARROWING.get(scope);
    if (found) return found;
    if (scope instanceof iam.Role) return {};
  }
  return {};
}

/**
 * IAM quotas: a managed policy document is at most 6,144 characters, whitespace not counted; a
 * role has at most 10 managed policies attached by default.
 */
export const MAX_MANAGED_POLICY_CHARACTERS = 6144;

/**
 * The statements in order, in as few documents as keep each within MAX_MANAGED_POLICY_CHARACTERS
 * once deployed: measured with every reference at the longest value it can resolve to (an ARN of
 * a kind the table does not know at the longest ARN IAM accepts), so no deploy fails on the limit.
 */
export function splitDocument(stack: Stack, document: { Version?: string }, statements: Statement[]): Array<{ Version?: string; Statement: Statement[] }> {
  const measure = new ResolvedLength(stack);
  const size = (part: Statement[]) => JSON.stringify(measure.longest({ ...document, Statement: part })).length;
  const parts: Statement[][] = [];
  for (const statement of statements) {
    const last = parts[parts.length - 1];
    if (last && size([...last, statement]) <= MAX_MANAGED_POLICY_CHARACTERS) last.push(statement);
    else parts.push([statement]);
  }
  return parts.map((part) => ({ ...document, Statement: part }));
}
