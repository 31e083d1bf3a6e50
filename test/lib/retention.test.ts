// previousSlotRetention in the template: the control plane's schedule group and the role
// EventBridge Scheduler invokes the swap function with, what each function's copy of the
// configuration says, and who may create the schedules.
import { Duration, Token } from 'aws-cdk-lib';
import { resourcesOf, statementsOf, statementWith, synth, text } from './fixtures';

const configOf = (template: ReturnType<typeof synth>['template'], prefix: string): string => {
  const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))!;
  return text((fn as any).Properties.Environment.Variables.BLUEGREEN_CONFIG);
};

describe('BlueGreenPipeline with previousSlotRetention', () => {
  test('a schedule group of its own, and a role only Scheduler may assume, for this group, that may only invoke the swap function', () => {
    const { template } = synth({ previousSlotRetention: Duration.hours(4) });
    const groups = Object.values(template.findResources('AWS::Scheduler::ScheduleGroup')) as any[];
    expect(groups).toHaveLength(1);
    const groupName: string = groups[0].Properties.Name;
    expect(groupName).toMatch(/^[0-9a-zA-Z._-]{1,64}$/);
    expect(groupName.endsWith('-retire')).toBe(true);
    const [roleId, role] = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('ReleaseRetirementSchedulerRole'))! as [string, any];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012', 'aws:SourceArn': expect.anything() } },
      },
    ]);
    expect(text(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['aws:SourceArn'])).toBe(`arn:aws:scheduler:eu-west-1:123456789012:schedule-group/${groupName}`);
    const statements = statementsOf(template, roleId.replace(/Role\w+$/, 'Role'));
    expect(statements.map((s) => s.Action)).toEqual(['lambda:InvokeFunction']);
    expect(resourcesOf(statements[0]).map(text)).toEqual([expect.stringMatching(/^<ReleaseSwapFunction\w+\.Arn>$/)]);
  });

  test('Swap and Bake may create the group\'s retire-* and ask-* schedules and pass this role to Scheduler; Swap may set the slots\' counts', () => {
    const { template } = synth({ previousSlotRetention: Duration.hours(4) });
    const groupName = (Object.values(template.findResources('AWS::Scheduler::ScheduleGroup'))[0] as any).Properties.Name;
    for (const fn of ['ReleaseSwap', 'ReleaseBake']) {
      const statements = statementsOf(template, fn);
      expect(resourcesOf(statementWith(statements, 'scheduler:CreateSchedule')).map(text)).toEqual([
        `arn:aws:scheduler:eu-west-1:123456789012:schedule/${groupName}/retire-*`,
        `arn:aws:scheduler:eu-west-1:123456789012:schedule/${groupName}/ask-*`,
      ]);
      const pass = statementWith(statements, 'iam:PassRole');
      expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
      expect(resourcesOf(pass).map(text)).toEqual([expect.stringMatching(/^<ReleaseRetirementSchedulerRole\w+\.Arn>$/)]);
    }
    expect(resourcesOf(statementWith(statementsOf(template, 'ReleaseSwap'), 'ecs:UpdateService')).map(text)).toHaveLength(2);
    expect(() => statementWith(statementsOf(template, 'ReleaseBake'), 'ecs:UpdateService')).toThrow();
  });

  test('every function reads the retention; only Bake\'s copy names the swap function the schedule invokes', () => {
    const { template } = synth({ previousSlotRetention: Duration.hours(4) });
    const groupName = (Object.values(template.findResources('AWS::Scheduler::ScheduleGroup'))[0] as any).Properties.Name;
    const section = `"previousSlotRetention":{"seconds":14400,"scheduleGroupName":"${groupName}","schedulerRoleArn":"<ReleaseRetirementSchedulerRole`;
    expect(configOf(template, 'ReleaseSwapFunction')).toContain(section);
    expect(configOf(template, 'ReleaseSwapFunction')).not.toContain('swapFunctionArn');
    expect(configOf(template, 'ReleaseBakeFunction')).toMatch(/"swapFunctionArn":"<ReleaseSwapFunction\w+\.Arn>"/);
  });

  test('a failed asynchronous invoke of the swap function (a requested rollback, a retire) is reported on the audit topic', () => {
    const { template, construct, stack } = synth({});
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: stack.resolve(construct.swapFunction.functionName),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: stack.resolve(construct.notificationTopic.topicArn) } },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'], detail: { name: ['/bluegreen/shop/rollback-request'], operation: ['Create', 'Update'] } },
    });
  });

  test('without it: no schedule group, no scheduler role, and Swap may not set a count', () => {
    const { template } = synth({});
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    expect(Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('ReleaseRetirement'))).toEqual([]);
    expect(() => statementWith(statementsOf(template, 'ReleaseSwap'), 'ecs:UpdateService')).toThrow();
    expect(configOf(template, 'ReleaseSwapFunction')).not.toContain('previousSlotRetention');
  });

  test('a bad retention is one collected error naming the value and what was expected', () => {
    expect(() => synth({ previousSlotRetention: Duration.seconds(90) })).toThrow(/previousSlotRetention must be whole minutes from 1 minute to 366 days \(got 1 minute 30 seconds\)/);
    expect(() => synth({ previousSlotRetention: Duration.days(400) })).toThrow(/previousSlotRetention must be whole minutes from 1 minute to 366 days \(got 400 days\)/);
    expect(() => synth({ previousSlotRetention: Duration.seconds(0) })).toThrow(/previousSlotRetention must be whole minutes/);
    expect(() => synth({ previousSlotRetention: Duration.minutes(Token.asNumber({ Ref: 'Retention' })) })).toThrow(/previousSlotRetention must be known at synth \(got a token\)/);
  });
});
