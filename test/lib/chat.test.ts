// The chat channel: Amazon Q Developer in chat applications (formerly AWS Chatbot) subscribed to the
// approval and audit topics, commands under each member's own role, and a guardrail that allows
// only this pipeline's approval, its rollback and the reads of `bluegreen status`.
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { BlueGreenPipelineProps, ChatChannel, ReleaseTests, TestRoute } from '../../lib';
import { ACTIONS_WITHOUT_RESOURCE_SCOPE } from '../../lib/private/nag-acknowledgements';
import { only, resourcesOf, synth } from './fixtures';

const SLACK = ChatChannel.slack({ workspaceId: 'T07EA123LEP', channelId: 'C07EZ1ABC23' });
const TEAMS = ChatChannel.microsoftTeams({
  teamId: '00000000-1111-4222-8333-444444444444',
  channelId: '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2',
  tenantId: '55555555-6666-4777-8888-999999999999',
});

const withChat = (chat: ChatChannel) => synth({ chat });

function guardrailStatements(result: ReturnType<typeof synth>, type: string): Array<Record<string, any>> {
  const [, config] = only(result.template, type);
  const refs = config.Properties.GuardrailPolicies as Array<{ Ref: string }>;
  expect(refs.length).toBeGreaterThan(0);
  return refs.flatMap(({ Ref }) => {
    const policy = result.template.toJSON().Resources[Ref];
    expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
    // Attached to nobody: the channel configuration names it as a guardrail.
    expect(policy.Properties.Roles ?? policy.Properties.Users ?? policy.Properties.Groups).toBeUndefined();
    return policy.Properties.PolicyDocument.Statement;
  });
}

describe('a Slack channel', () => {
  const result = withChat(SLACK);
  const { template, stack, construct } = result;

  test('is subscribed to the approval and the audit topic, requires user roles and logs at INFO', () => {
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'shop-release',
      SlackWorkspaceId: 'T07EA123LEP',
      SlackChannelId: 'C07EZ1ABC23',
      UserRoleRequired: true,
      LoggingLevel: 'INFO',
      SnsTopicArns: [stack.resolve(construct.approvalTopic.topicArn), stack.resolve(construct.notificationTopic.topicArn)],
    });
  });

  test('its channel role is assumable by the chat service only and has no permissions', () => {
    const [, config] = only(template, 'AWS::Chatbot::SlackChannelConfiguration');
    const roleId = config.Properties.IamRoleArn['Fn::GetAtt'][0];
    const role = template.toJSON().Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'chatbot.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const attached = Object.values({ ...template.findResources('AWS::IAM::ManagedPolicy'), ...template.findResources('AWS::IAM::Policy') })
      .filter((p: any) => (p.Properties.Roles ?? []).some((r: { Ref: string }) => r.Ref === roleId));
    expect(attached).toEqual([]);
  });

  test('the guardrail allows exactly the approval, the rollback and the reads', () => {
    const statements = guardrailStatements(result, 'AWS::Chatbot::SlackChannelConfiguration');
    const pipelineArn = stack.resolve(construct.pipeline.pipelineArn);
    // kms:Decrypt reads the sealed state record, and only through SSM (kms:ViaService).
    const writes = statements.filter((s) => [].concat(s.Action).some((a: string) => !/:(Get|List|Describe)/.test(a) && a !== 'kms:Decrypt'));
    expect(statements.find((s) => s.Action === 'kms:Decrypt')?.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'ssm.eu-west-1.amazonaws.com' } });
    // The only two writes: this pipeline's Release/Approve action, and the swap function by name.
    expect(writes).toEqual([
      { Action: 'codepipeline:PutApprovalResult', Effect: 'Allow', Resource: stack.resolve(`${construct.pipeline.pipelineArn}/Release/Approve`) },
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: stack.resolve(construct.swapFunction.functionArn) },
      // A rollback in the person's own name: the request parameter, which Parameter Store records them as writing.
      { Action: 'ssm:PutParameter', Effect: 'Allow', Resource: stack.resolve(construct.rollbackRequestParameterArn) },
    ]);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const a of [].concat(s.Action) as string[]) expect(a).not.toContain('*');
      // "*" only where IAM has no resource-level permission; CodePipeline reads on this pipeline only.
      if (resourcesOf(s).includes('*')) for (const a of [].concat(s.Action) as string[]) expect(ACTIONS_WITHOUT_RESOURCE_SCOPE).toContain(a);
      if ([].concat(s.Action).some((a: string) => a.startsWith('codepipeline:Get') || a.startsWith('codepipeline:List'))) expect(s.Resource).toEqual(pipelineArn);
    }
    const actions = statements.flatMap((s) => [].concat(s.Action) as string[]);
    expect(actions).toEqual(expect.arrayContaining(['codepipeline:GetPipelineState', 'ssm:GetParameter', 'ecs:DescribeServices', 'elasticloadbalancing:DescribeRules']));
  });

  test('adds no error annotation', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });
});

test('a Microsoft Teams channel gets the same configuration', () => {
  const result = withChat(TEAMS);
  result.template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
    TeamId: '00000000-1111-4222-8333-444444444444',
    TeamsChannelId: '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2',
    TeamsTenantId: '55555555-6666-4777-8888-999999999999',
    UserRoleRequired: true,
    LoggingLevel: 'INFO',
  });
  expect(guardrailStatements(result, 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration').map((s) => s.Action)).toContain('codepipeline:PutApprovalResult');
  result.template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
});

test('without chat there is no channel configuration and no guardrail', () => {
  const { template } = synth();
  template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
  template.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 0);
  expect(Object.keys(template.findResources('AWS::IAM::ManagedPolicy')).filter((id) => id.includes('Chat'))).toEqual([]);
});

describe('validation', () => {
  const problems = (chat: ChatChannel) => {
    try {
      synth({ chat });
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  };

  test('names each bad Slack id, its value and what was expected, in one error', () => {
    const message = problems(ChatChannel.slack({ workspaceId: 't07ea123lep', channelId: '#releases' }));
    expect(message).toContain('chat workspaceId must be a Slack workspace ID of digits and capital letters, e.g. "T07EA123LEP" (got "t07ea123lep").');
    expect(message).toContain('chat channelId must be a Slack channel ID of letters and digits, e.g. "C07EZ1ABC23" (got "#releases").');
  });

  test('names each bad Teams id', () => {
    const message = problems(ChatChannel.microsoftTeams({ teamId: 'my-team', channelId: '19:abc@thread.tacv2', tenantId: '' }));
    expect(message).toContain('chat teamId must be a Microsoft Teams team ID, a GUID');
    expect(message).toContain('(got "my-team")');
    expect(message).toContain('chat channelId must be the URL-encoded Teams channel ID from the channel link');
    expect(message).toContain('(got "19:abc@thread.tacv2")');
    expect(message).toContain('chat tenantId must be a Microsoft Entra tenant ID');
    expect(message).toContain('(got "")');
  });

  test('accepts valid ids', () => {
    expect(SLACK.validate()).toEqual([]);
    expect(TEAMS.validate()).toEqual([]);
    expect(SLACK.kind).toBe('slack');
    expect(TEAMS.kind).toBe('microsoftTeams');
  });
});

// No bearer links: CodePipeline adds its own console links to the approval notification
// (approvalReviewLink, consoleLink: approvals-json-format in the CodePipeline User Guide), which
// need a signed-in console session with codepipeline:PutApprovalResult. What the construct adds
// (CustomData, ExternalEntityLink) must hold no link that approves by itself.
describe.each<[string, Partial<BlueGreenPipelineProps>]>([
  ['the default test port', {}],
  ['a header test route with tests', { testRoute: TestRoute.header('X-Release-Test', 'green'), preApprovalTests: ReleaseTests.commands(['npm test']) }],
  ['a chat channel', { chat: SLACK }],
])('the approval request with %s', (_name, props) => {
  const { template } = synth(props);
  const [, pipeline] = only(template, 'AWS::CodePipeline::Pipeline');
  const approve = pipeline.Properties.Stages.flatMap((s: any) => s.Actions).find((a: any) => a.ActionTypeId.Category === 'Approval');

  test('carries no link of its own: only the green slot to try, from the deploy step', () => {
    const { CustomData, ExternalEntityLink } = approve.Configuration;
    expect(typeof CustomData).toBe('string');
    expect(CustomData).not.toMatch(/https?:\/\//i);
    expect(CustomData).not.toMatch(/approv\w*[?=/]|token|put-approval-result|X-Amz-/i);
    expect(CustomData).toMatch(/#\{Deploy\.(TEST_URL|TEST_COMMAND)\}/);
    expect([undefined, '#{Deploy.TEST_URL}']).toContain(ExternalEntityLink);
  });
});
