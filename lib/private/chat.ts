import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, DependencyGroup } from 'constructs';
import type { ChatChannel } from '../chat-channel';
import { splitDocument } from './managed-policies';

export interface ChatProps {
  readonly channel: ChatChannel;
  readonly pipelineName: string;
  /** The approval topic and the audit topic: the channel shows every message of both. */
  readonly topics: sns.ITopic[];
  /** Grants `grantee` this pipeline's approval, its rollback and the reads `bluegreen status` makes. */
  readonly grantOperator: (grantee: iam.IGrantable) => void;
}

/**
 * The chat channel of the release (Amazon Q Developer in chat applications, formerly AWS Chatbot):
 * the channel configuration subscribed to the approval and audit topics, with the user role
 * requirement on and the guardrail policies.
 *
 * How a command from the channel is authorized (Administrator Guide, "User role requirement",
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/adm-container.html; AWS::Chatbot::SlackChannelConfiguration,
 * GuardrailPolicies: AdministratorAccess applies when none is given, so one always is here):
 * with UserRoleRequired every channel member runs commands under the IAM role they mapped to their
 * chat user, never under the channel role, so CodePipeline records that role's session as the
 * approver; and whatever role runs it, a command may do at most what the guardrail policies allow.
 * The guardrail policies here allow exactly this pipeline's approval (PutApprovalResult on the
 * Release/Approve action), its rollback (writing the rollback request parameter, or invoking the
 * swap function by name) and the reads of
 * `bluegreen status`: a member's role that can do more elsewhere cannot do it from this channel.
 *
 * No custom action (AWS::Chatbot::CustomAction) is created: an action's command is at most 100
 * characters (CreateCustomAction API reference, CommandText,
 * https://docs.aws.amazon.com/cli/latest/reference/chatbot/create-custom-action.html), too short
 * for a put-approval-result with its pipeline, stage, action, token and comment. People type the
 * commands the README lists instead; a command from chat times out after 15 seconds
 * (https://docs.aws.amazon.com/chatbot/latest/adminguide/intro-to-the-aws-cli-in-slack.html), so a
 * rollback is invoked asynchronously and its audit message reports it in the channel.
 */
export class Chat {
  public readonly configuration: CfnResource;
  /**
   * The guardrail: the most any command from the channel may do. More than one policy when the
   * statements outgrow IAM's 6,144 characters for a managed policy (the configuration takes a list).
   */
  public readonly guardrails: iam.CfnManagedPolicy[];
  /** The channel role CloudFormation requires (IamRoleArn); with user roles required no command runs under it, so it has no permissions. */
  public readonly channelRole: iam.Role;

  constructor(scope: Construct, props: ChatProps) {
    const stack = Stack.of(scope);
    const grantee = new GuardrailGrantee(stack.account);
    props.grantOperator(grantee);
    const statements = grantee.statements.map((statement) => stack.resolve(statement.toStatementJson()) as Record<string, unknown>);
    const document = { Version: '2012-10-17' };
    this.guardrails = splitDocument(stack, document, statements).map((part, i) =>
      new iam.CfnManagedPolicy(scope, i === 0 ? 'ChatGuardrails' : `ChatGuardrails${i + 1}`, {
        policyDocument: part,
        description: `The most a command from the chat channel of ${props.pipelineName} may do: approve or reject its release, roll it back, read its status${i === 0 ? '' : ` (part ${i + 1})`}`,
      }),
    );
    this.channelRole = new iam.Role(scope, 'ChatChannelRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: `Channel role of the chat channel of ${props.pipelineName}; commands run under each member's own role`,
    });
    this.configuration = props.channel.bind(scope, 'ChatChannel', {
      configurationName: `${props.pipelineName}-release`,
      iamRoleArn: this.channelRole.roleArn,
      snsTopicArns: props.topics.map((topic) => topic.topicArn),
      guardrailPolicies: this.guardrails.map((policy) => policy.ref),
      // INFO: every command run from the channel and its result go to CloudWatch Logs (Administrator Guide, "Logging and monitoring").
      loggingLevel: 'INFO',
    });
  }
}

/**
 * Collects the construct's own grants (grantApprove, grantRead) for the guardrail policies, which
 * are attached to no principal: the channel configuration names them.
 */
class GuardrailGrantee implements iam.IPrincipal {
  public readonly grantPrincipal: iam.IPrincipal = this;
  public readonly assumeRoleAction = 'sts:AssumeRole';
  public readonly statements: iam.PolicyStatement[] = [];

  constructor(public readonly principalAccount: string) {}

  public get policyFragment(): iam.PrincipalPolicyFragment {
    throw new Error('A guardrail policy is not a principal: nothing can trust it.');
  }

  public addToPolicy(statement: iam.PolicyStatement): boolean {
    return this.addToPrincipalPolicy(statement).statementAdded;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.statements.push(statement);
    // Nothing waits on the statement: the policies are created from it afterwards.
    return { statementAdded: true, policyDependable: new DependencyGroup() };
  }
}
