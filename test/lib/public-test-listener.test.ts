import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { BlueGreenPipeline, BlueGreenPipelineProps } from '../../lib';
import { baseProps } from './fixtures';
import { allNagFindings } from './nag/nag-runner';

const build = (props: Partial<BlueGreenPipelineProps>) => {
  const stack = new Stack(new App(), 'Service', { env: { account: '123456789012', region: 'eu-west-1' } });
  new BlueGreenPipeline(stack, 'Release', { ...baseProps(), ...props });
  return stack;
};

describe('BlueGreenPipeline: a test listener open to the internet', () => {
  test.each([['0.0.0.0/0'], ['::/0']])('fails at synth for %s, naming the prop, the value and how to accept it', (cidr) => {
    expect(() => build({ testListenerAllowedCidrs: ['10.1.0.0/16', cidr] })).toThrow(
      new RegExp(`testListenerAllowedCidrs contains "${cidr.replace(/[./]/g, '\\$&')}", which opens the unapproved green slot to the whole internet; .*allowPublicTestListener: true`),
    );
  });

  test('with allowPublicTestListener it synthesizes, warns, and no acknowledgement hides the open ports', () => {
    // GIVEN the explicit choice
    const stack = build({ testListenerAllowedCidrs: ['0.0.0.0/0'], allowPublicTestListener: true });
    // THEN synthesis warns
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('allowPublicTestListener: the test listener is open to the internet'));
    // AND cdk-nag reports the load balancer's open ingress (AwsSolutions-EC23), unacknowledged
    const findings = allNagFindings(stack).AwsSolutions.map((f) => `${f.ruleId} ${f.path}`);
    expect(findings).toEqual([expect.stringMatching(/^AwsSolutions-EC23 Service\/Release\/LoadBalancer\/SecurityGroup\/Resource$/)]);
  });

  test('objectLock must be whole days from 1 to 36500', () => {
    expect(() => build({ objectLock: Duration.hours(12) })).toThrow(/objectLock must be a whole number of days from 1 to 36500 \(got 12 hours\)/);
    expect(() => build({ objectLock: Duration.days(30) })).not.toThrow();
  });
});
