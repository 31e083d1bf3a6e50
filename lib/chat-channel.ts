import { CfnResource, Token } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import { Construct } from 'constructs';

/** A Slack channel that Amazon Q Developer in chat applications (formerly AWS Chatbot) is authorized for. */
export interface SlackChannelOptions {
  /**
   * The Slack workspace (team) ID, e.g. `T07EA123LEP`: shown in the Amazon Q Developer in chat
   * applications console after the one-time authorization of the workspace.
   */
  readonly workspaceId: string;
  /** The channel ID, e.g. `C07EZ1ABC23`: the last part of the channel's "Copy link" URL. */
  readonly channelId: string;
}

/** A Microsoft Teams channel that Amazon Q Developer in chat applications is authorized for. */
export interface MicrosoftTeamsChannelOptions {
  /** The team ID (a GUID), shown in the console after the one-time authorization of the team. */
  readonly teamId: string;
  /** The channel ID as it appears URL-encoded in the channel link, e.g. `19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2`. */
  readonly channelId: string;
  /** The Microsoft Entra tenant ID (a GUID) the team belongs to. */
  readonly tenantId: string;
}

/** What the construct gives a chat channel configuration. */
export interface ChatChannelBinding {
  /** The configuration's name (letters, digits, `-` and `_`, at most 128). */
  readonly configurationName: string;
  /** The channel role: what the integration itself may do (reads only; with user roles required, no command runs under it). */
  readonly iamRoleArn: string;
  /** The topics whose messages the channel shows: the approval topic and the audit topic. */
  readonly snsTopicArns: string[];
  /** The guardrail policies: the most any command run from the channel may do, whoever runs it. */
  readonly guardrailPolicies: string[];
  /** `ERROR`, `INFO` or `NONE`: what the integration logs to CloudWatch Logs. */
  readonly loggingLevel: string;
}

// Patterns of the Amazon Q Developer in chat applications API reference
// (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_SlackChannelConfiguration.html,
// API_SlackUserIdentity.html, API_TeamsChannelConfiguration.html, API_TeamsUserIdentity.html).
const SLACK_TEAM_ID = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;
const GUID = /^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/;
const TEAMS_CHANNEL_ID = /^(?=.{1,255}$)[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$/;

/**
 * The chat channel that shows approval requests and the audit trail, and from which people
 * approve, reject and roll back under their own IAM roles (Amazon Q Developer in chat
 * applications, formerly AWS Chatbot). The workspace or team must be authorized once in the
 * Amazon Q Developer in chat applications console before the stack deploys.
 */
export abstract class ChatChannel {
  /**
   * A Slack channel.
   * @param options the workspace and the channel
   */
  public static slack(options: SlackChannelOptions): ChatChannel {
    return new SlackChannel(options);
  }

  /**
   * A Microsoft Teams channel.
   * @param options the team, the channel and the tenant
   */
  public static microsoftTeams(options: MicrosoftTeamsChannelOptions): ChatChannel {
    return new TeamsChannel(options);
  }

  /** `slack` or `microsoftTeams`. */
  public abstract readonly kind: string;

  /** Problems, as sentences naming the value received and what was expected (empty when valid); unresolved tokens are not checked. */
  public abstract validate(): string[];

  /**
   * Creates the channel configuration.
   * @param scope where the configuration goes
   * @param id its construct ID
   * @param binding its role, topics, guardrails and logging level
   */
  public abstract bind(scope: Construct, id: string, binding: ChatChannelBinding): CfnResource;
}

function check(problems: string[], prop: string, value: string, pattern: RegExp, expected: string): void {
  if (!Token.isUnresolved(value) && !pattern.test(value)) problems.push(`chat ${prop} must be ${expected} (got ${JSON.stringify(value)}).`);
}

class SlackChannel extends ChatChannel {
  public readonly kind = 'slack';

  constructor(private readonly options: SlackChannelOptions) {
    super();
  }

  public validate(): string[] {
    const problems: string[] = [];
    check(problems, 'workspaceId', this.options.workspaceId, SLACK_TEAM_ID, 'a Slack workspace ID of digits and capital letters, e.g. "T07EA123LEP"');
    check(problems, 'channelId', this.options.channelId, SLACK_CHANNEL_ID, 'a Slack channel ID of letters and digits, e.g. "C07EZ1ABC23"');
    return problems;
  }

  public bind(scope: Construct, id: string, binding: ChatChannelBinding): CfnResource {
    return new chatbot.CfnSlackChannelConfiguration(scope, id, {
      ...binding,
      slackWorkspaceId: this.options.workspaceId,
      slackChannelId: this.options.channelId,
      userRoleRequired: true,
    });
  }
}

class TeamsChannel extends ChatChannel {
  public readonly kind = 'microsoftTeams';

  constructor(private readonly options: MicrosoftTeamsChannelOptions) {
    super();
  }

  public validate(): string[] {
    const problems: string[] = [];
    check(problems, 'teamId', this.options.teamId, GUID, 'a Microsoft Teams team ID, a GUID such as "00000000-1111-4222-8333-444444444444"');
    check(problems, 'channelId', this.options.channelId, TEAMS_CHANNEL_ID, 'the URL-encoded Teams channel ID from the channel link, e.g. "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"');
    check(problems, 'tenantId', this.options.tenantId, GUID, 'a Microsoft Entra tenant ID, a GUID such as "00000000-1111-4222-8333-444444444444"');
    return problems;
  }

  public bind(scope: Construct, id: string, binding: ChatChannelBinding): CfnResource {
    return new chatbot.CfnMicrosoftTeamsChannelConfiguration(scope, id, {
      ...binding,
      teamId: this.options.teamId,
      teamsChannelId: this.options.channelId,
      teamsTenantId: this.options.tenantId,
      userRoleRequired: true,
    });
  }
}
