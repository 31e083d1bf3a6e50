import { Duration, Token } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { resourcesOf, statementsOf, statementWith, synth, text } from './fixtures';

const SCALING = { minCapacity: 2, maxCapacity: 10, targetCpuUtilizationPercent: 60, targetRequestsPerTarget: 500 };

describe('BlueGreenPipeline with autoScaling', () => {
  test('registers each slot\'s scalable target through the infra owner, never as a CloudFormation scalable target, with target tracking on CPU and requests', () => {
    const { template } = synth({ autoScaling: SCALING });

    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    template.resourceCountIs('Custom::BlueGreenSlotScaling', 2);
    for (const slot of ['a', 'b']) {
      template.hasResourceProperties('Custom::BlueGreenSlotScaling', { ServiceArn: Match.anyValue(), MinCapacity: 2, MaxCapacity: 10 });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyName: `shop-slot-${slot}-cpu`,
        PolicyType: 'TargetTrackingScaling',
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`/shop-slot-${slot}`])] }),
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleInCooldown: 300, ScaleOutCooldown: 60 },
      });
    }
    const requests = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).filter((p: any) => p.Properties.PolicyName.endsWith('-requests'));
    expect(requests).toHaveLength(2);
    const label = text((requests[0] as any).Properties.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel);
    expect(label).toMatch(/^<select 1 of <split <ReleaseLoadBalancer\w+>>>\/<ReleaseSlot[AB]TargetGroup\w+\.TargetGroupFullName>$/);
    // Each policy waits for its slot's scalable target, which waits for the slot service.
    for (const policy of Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')) as any[]) {
      expect(policy.DependsOn.some((d: string) => /^ReleaseSlot[AB]Scaling/.test(d))).toBe(true);
    }
  });

  test('the control plane gets the bounds in its configuration and may set the floors; the infra owner registers and deregisters', () => {
    const { template } = synth({ autoScaling: SCALING });
    const [, deploy] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ReleaseDeployGreen'))!;
    expect(text((deploy as any).Properties.Environment.Variables.BLUEGREEN_CONFIG)).toContain('"autoScaling":{"minCapacity":2,"maxCapacity":10}');
    const conditions = { StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' } };
    for (const role of ['ReleaseDeployGreen', 'ReleaseSwap', 'ReleaseBake']) {
      const register = statementWith(statementsOf(template, role), 'application-autoscaling:RegisterScalableTarget');
      expect(register.Condition).toEqual(conditions);
      expect(resourcesOf(register).map(text)).toEqual(['arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/*']);
    }
    const owner = statementsOf(template, 'ReleaseInfraOwner');
    expect(statementWith(owner, 'application-autoscaling:DeregisterScalableTarget').Condition).toEqual(conditions);
    const serviceLinked = owner.filter((st) => st.Action === 'iam:CreateServiceLinkedRole').map((st) => text(st.Resource));
    expect(serviceLinked).toContain('arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService');
  });

  test('a first release starts inside the bounds when desiredCount is left to its default', () => {
    const { template } = synth({ autoScaling: { ...SCALING, minCapacity: 3 } });
    const [, deploy] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ReleaseDeployGreen'))!;
    expect(text((deploy as any).Properties.Environment.Variables.BLUEGREEN_CONFIG)).toContain('"desiredCount":3,');
  });

  test('fails with one collected error naming each bad field, the value and what was expected', () => {
    expect(() => synth({ desiredCount: 12, autoScaling: { minCapacity: 5, maxCapacity: 4, targetCpuUtilizationPercent: 150, scaleInCooldown: Duration.hours(2) } })).toThrow(
      'BlueGreenPipeline "Release" has 3 invalid props:\n' +
        '  - autoScaling.minCapacity 5 is above autoScaling.maxCapacity 4; expected minCapacity ≤ maxCapacity.\n' +
        '  - autoScaling.targetCpuUtilizationPercent must be a whole number from 1 to 100 (got 150): the average CPU utilization target tracking keeps, in percent.\n' +
        '  - autoScaling.scaleInCooldown must be a whole number of seconds from 0 to 1 hour (got 2 hours).',
    );
    expect(() => synth({ autoScaling: { minCapacity: 1, maxCapacity: 4 } })).toThrow(/autoScaling needs a target to track \(got neither targetCpuUtilizationPercent nor targetRequestsPerTarget\)/);
    expect(() => synth({ desiredCount: 12, autoScaling: SCALING })).toThrow(/desiredCount 12 is outside autoScaling's 2-10: a first release starts with desiredCount tasks/);
    expect(() => synth({ autoScaling: { ...SCALING, minCapacity: Token.asNumber({ Ref: 'Min' }) } })).toThrow(/autoScaling\.minCapacity must be known at synth \(got a token\)/);
  });
});
