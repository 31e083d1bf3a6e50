// The public prop types of the release strategies: TrafficShift, TestRoute, ReleaseTests. Each
// validates at synth with the value received and what was expected, and renders what the
// construct passes to the control plane.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { parseReleaseConfig } from '../../lambdas/core/config';
import { parseRoutesProperties } from '../../lambdas/core/events';
import { JUNIT_SUMMARY_SCRIPT, ReleaseTests, TestRoute, TrafficShift, junitSummaryCommand } from '../../lib';

describe('TrafficShift', () => {
  test('allAtOnce is one write: no steps', () => {
    expect(TrafficShift.allAtOnce().kind).toBe('all-at-once');
    expect(TrafficShift.allAtOnce().validate()).toEqual([]);
    expect(TrafficShift.allAtOnce().steps()).toBeUndefined();
  });

  test('canary: one step at the percent, held for the bake, then 100%; stickiness in seconds', () => {
    const canary = TrafficShift.canary({ percent: 10, bake: Duration.minutes(10), stickiness: Duration.hours(1) });
    expect(canary.validate()).toEqual([]);
    expect(canary.steps()).toEqual({ percents: [10], holdSeconds: 600, stickinessSeconds: 3600 });
  });

  test('linear: equal steps below 100, each held for the interval', () => {
    expect(TrafficShift.linear({ stepPercent: 20, interval: Duration.minutes(5) }).steps()).toEqual({ percents: [20, 40, 60, 80], holdSeconds: 300, stickinessSeconds: 0 });
    expect(TrafficShift.linear({ stepPercent: 30, interval: Duration.minutes(1) }).steps()!.percents).toEqual([30, 60, 90]);
    expect(TrafficShift.linear({ stepPercent: 50, interval: Duration.minutes(1) }).steps()!.percents).toEqual([50]);
  });

  test('what the construct renders is what the swap function parses', () => {
    const steps = TrafficShift.linear({ stepPercent: 25, interval: Duration.minutes(2), stickiness: Duration.minutes(30) }).steps()!;
    const config = {
      pipelineName: 'shop', clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop', repositoryName: 'shop',
      slots: { a: { serviceName: 's-a', targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/a/1', imageTag: 'slot-a' }, b: { serviceName: 's-b', targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/b/2', imageTag: 'slot-b' } },
      productionRuleArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/x/1/2/3', testRuleArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/x/1/2/4',
      testUrl: 'https://shop.example.com', stateParameterName: '/bluegreen/shop/state', leaseParameterPath: '/bluegreen/shop/lease', stateKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0b0e4e6d-5ea1-4000-8000-000000000001',
      desiredCount: 2,
      trafficShift: { ...steps, alarms: { a: ['shop-bake-slot-a'], b: ['shop-bake-slot-b'] }, sharedAlarms: ['shop-bake-shared'] },
      testHeader: TestRoute.header('X-Release-Test', 'green').bind([]).headerLine,
    };
    expect(parseReleaseConfig(JSON.stringify(config))).toMatchObject({ trafficShift: { percents: [25, 50, 75], holdSeconds: 120, stickinessSeconds: 1800 }, testHeader: 'X-Release-Test: green' });
  });

  test.each([
    [TrafficShift.canary({ percent: 100, bake: Duration.minutes(10) }), 'trafficShift canary percent must be a whole number from 1 to 99 (got 100).'],
    [TrafficShift.canary({ percent: 12.5, bake: Duration.minutes(10) }), 'trafficShift canary percent must be a whole number from 1 to 99 (got 12.5).'],
    [TrafficShift.canary({ percent: 10, bake: Duration.seconds(30) }), 'trafficShift canary bake must be from 1 minute to 23 hours (got 30 seconds).'],
    [TrafficShift.canary({ percent: 10, bake: Duration.millis(90_500) }), 'trafficShift canary bake must be a whole number of seconds (got 90500 ms).'],
    [TrafficShift.linear({ stepPercent: 0, interval: Duration.minutes(5) }), 'trafficShift linear stepPercent must be a whole number from 1 to 99 (got 0).'],
    [TrafficShift.linear({ stepPercent: 10, interval: Duration.minutes(5), stickiness: Duration.days(8) }), 'trafficShift linear stickiness must be from 1 second to 7 days (got 8 days).'],
    [TrafficShift.linear({ stepPercent: 1, interval: Duration.minutes(15) }), 'trafficShift linear takes 99 step(s) of 15 minutes (1 day 45 minutes), longer than the 23 hours a Swap action may run; use fewer steps or a shorter interval.'],
  ])('%# fails at synth naming the value and what was expected', (shift, problem) => {
    expect(shift.validate()).toEqual([problem]);
  });

  test('unresolved tokens are left for deploy time', () => {
    expect(TrafficShift.canary({ percent: Lazy.number({ produce: () => 10 }), bake: Duration.minutes(5) }).validate()).toEqual([]);
  });
});

describe('TestRoute', () => {
  test('port: the default, today\'s test listener; its port checked against production', () => {
    expect(TestRoute.port().kind).toBe('port');
    expect(TestRoute.port().listenerPort).toBeUndefined();
    expect(TestRoute.port(8443).listenerPort).toBe(8443);
    expect(TestRoute.port(8443).validate({ productionPort: 443 })).toEqual([]);
    expect(TestRoute.port(443).validate({ productionPort: 443 })).toEqual(['testRoute port must differ from the production port 443 (got 443); for one port, use TestRoute.header(…).']);
    expect(TestRoute.port(70000).validate({ productionPort: 443 })).toEqual(['testRoute port must be a whole number from 1 to 65535 (got 70000).']);
    expect(TestRoute.port(8443).bind([])).toEqual({});
  });

  test('header: the Custom::BlueGreenRoutes properties the infra owner takes, and the header line for the config', () => {
    const route = TestRoute.header('X-Release-Test', 'green', { restrictToAllowedCidrs: true });
    expect(route.kind).toBe('header');
    expect(route.validate({ productionPort: 443, allowedCidrs: ['203.0.113.0/24'] })).toEqual([]);
    const binding = route.bind(['203.0.113.0/24']);
    expect(binding).toEqual({ headerName: 'X-Release-Test', headerValue: 'green', sourceCidrs: ['203.0.113.0/24'], headerLine: 'X-Release-Test: green' });
    const props = {
      ProductionListenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2',
      SlotATargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/a/1',
      SlotBTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/b/2',
      TestHeaderName: binding.headerName, TestHeaderValue: binding.headerValue, TestSourceCidrs: binding.sourceCidrs,
    };
    expect(parseRoutesProperties(props)).toMatchObject({ testListenerArn: null, testHeader: { name: 'X-Release-Test', value: 'green', sourceCidrs: ['203.0.113.0/24'] } });
  });

  test('header without a value matches any value; the header line still sends one', () => {
    expect(TestRoute.header('X-Canary').bind(['10.0.0.0/16'])).toEqual({ headerName: 'X-Canary', headerLine: 'X-Canary: green' });
  });

  test.each([
    [TestRoute.header('X Release'), { productionPort: 443 }, /testRoute header name must be 1-40 letters, digits .* \(got "X Release"\)\./],
    [TestRoute.header('Host'), { productionPort: 443 }, /testRoute header name cannot be Host/],
    [TestRoute.header('X-T', ' padded '), { productionPort: 443 }, /testRoute header value must be 1-128 printable characters without leading or trailing spaces \(got " padded "\)\./],
    [TestRoute.header('X-T', '******'), { productionPort: 443 }, /at most 5 wildcards/],
    [TestRoute.header('X-T', 'v', { restrictToAllowedCidrs: true }), { productionPort: 443, allowedCidrs: ['10.0.0.0/16', '10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16'] }, /takes at most 4 testListenerAllowedCidrs: a rule has 5 condition values and the header takes one \(got 5\)\./],
  ])('%# fails at synth naming the value and what was expected', (route, context, problem) => {
    expect(route.validate(context)).toEqual([expect.stringMatching(problem)]);
  });
});

describe('ReleaseTests', () => {
  test('commands: a buildspec that runs them, reports JUnit to a report group and exports the summary even when they fail', () => {
    const tests = ReleaseTests.commands(['npx playwright test --reporter=junit'], { name: 'e2e', reportDirectory: 'reports' });
    expect(tests.validate()).toEqual([]);
    expect(tests.timeout.toMinutes()).toBe(30);
    const stack = new Stack();
    const spec = JSON.parse(stack.resolve(tests.buildSpec().toBuildSpec(stack))) as Record<string, unknown>;
    expect(spec).toEqual({
      version: '0.2',
      env: { 'exported-variables': ['TEST_SUMMARY'] },
      phases: { build: { commands: ["mkdir -p 'reports'", 'npx playwright test --reporter=junit'], finally: [junitSummaryCommand('e2e', 'reports')] } },
      reports: { e2e: { files: ['**/*.xml'], 'base-directory': 'reports', 'file-format': 'JUNITXML' } },
    });
  });

  test('the reports go to the report group the construct gives, by its ARN', () => {
    const stack = new Stack();
    const arn = 'arn:aws:codebuild:eu-west-1:123456789012:report-group/shop-smoke';
    const spec = JSON.parse(stack.resolve(ReleaseTests.commands(['true']).buildSpec(arn).toBuildSpec(stack))) as { reports: Record<string, unknown> };
    expect(Object.keys(spec.reports)).toEqual([arn]);
  });

  test('fromBuildSpec: yours, as given', () => {
    const own = codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['make smoke'] } } });
    expect(ReleaseTests.fromBuildSpec(own).buildSpec()).toBe(own);
    expect(ReleaseTests.fromBuildSpec(own).name).toBe('smoke');
  });

  test.each([
    [ReleaseTests.commands([]), 'preApprovalTests commands must name at least one command (got none).'],
    [ReleaseTests.commands([' ']), 'preApprovalTests commands[0] must be a non-empty shell command (got " ").'],
    [ReleaseTests.commands(['true'], { name: 'smoke tests' }), 'preApprovalTests name must be 1-64 letters, digits, "-" or "_", starting with a letter or digit (got "smoke tests").'],
    [ReleaseTests.commands(['true'], { reportDirectory: '../out' }), 'preApprovalTests reportDirectory must be a relative path of letters, digits and "_-./", without ".." (got "../out").'],
    [ReleaseTests.commands(['true'], { timeout: Duration.minutes(2) }), 'preApprovalTests timeout must be whole minutes from 5 to 2160 (got 2 minutes).'],
  ])('%# fails at synth naming the value and what was expected', (tests, problem) => {
    expect(tests.validate()).toEqual([problem]);
  });

  describe('the summary line', () => {
    const run = (files: Record<string, string>) => {
      const root = mkdtempSync(join(tmpdir(), 'junit-'));
      for (const [name, xml] of Object.entries(files)) {
        mkdirSync(join(root, 'reports', name, '..'), { recursive: true });
        writeFileSync(join(root, 'reports', name), xml);
      }
      return execFileSync('bash', ['-c', `${junitSummaryCommand('smoke', 'reports')} >/dev/null; printf %s "$TEST_SUMMARY"`], { cwd: root }).toString();
    };

    test('the script holds no quote a shell would take', () => {
      expect(JUNIT_SUMMARY_SCRIPT).not.toContain("'");
    });

    test('counts every test case of every report, naming failed ones', () => {
      expect(run({
        'a.xml': '<?xml version="1.0"?><testsuites tests="3"><testsuite name="api" tests="3"><testcase classname="api" name="health"/><testcase classname="api" name="login"><failure message="401"/></testcase><testcase name="skip"><skipped/></testcase></testsuite></testsuites>',
        'nested/b.xml': '<testsuite><testcase classname="checkout &amp; pay" name="pays &quot;now&quot;"><error/></testcase><testcase name="cart"></testcase></testsuite>',
      })).toBe('smoke: 2 passed, 2 failed, 1 skipped (api › login, checkout & pay › pays "now")');
    });

    test('names at most three failures, and says when there is no report', () => {
      const many = Array.from({ length: 5 }, (_, i) => `<testcase name="t${i}"><failure/></testcase>`).join('');
      expect(run({ 'r.xml': `<testsuite>${many}</testsuite>` })).toBe('smoke: 0 passed, 5 failed (t0, t1, t2, and 2 more)');
      expect(run({})).toBe('smoke: no JUnit report in reports');
    });
  });
});
