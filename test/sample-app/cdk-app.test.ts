import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PLACEHOLDERS, buildSampleApp } from '../../sample-app/cdk/sample-stack';
import { summarize } from '../../sample-app/cdk/summary';

describe('sample CDK app', () => {
  test('it synthesizes offline, without lookups, and the summary names stacks, resources and stages', () => {
    // GIVEN no account in the environment
    const saved = process.env.CDK_DEFAULT_ACCOUNT;
    delete process.env.CDK_DEFAULT_ACCOUNT;
    try {
      const app = new App();
      const stack = buildSampleApp(app);
      // WHEN synthesized
      const assembly = app.synth();
      // THEN nothing needed a lookup and the pipeline builds the sample's Dockerfile
      expect(assembly.manifest.missing ?? []).toEqual([]);
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::CodeBuild::Project', {
        Environment: Match.objectLike({
          EnvironmentVariables: Match.arrayWith([{ Name: 'DOCKERFILE', Type: 'PLAINTEXT', Value: 'sample-app/Dockerfile' }]),
        }),
      });
      const resourceCount = Object.keys(template.toJSON().Resources).length;
      expect(summarize(assembly, 'cdk.out')).toEqual([
        'Synthesized 1 stack(s) into cdk.out',
        `  BlueGreenSample: ${resourceCount} resources`,
        '  pipeline bluegreen-sample: Source -> BuildAndScan -> Release (DeployGreen -> Approve -> Swap -> Bake)',
        // What `cdk synth` prints too: the sample has no certificate and no web ACL.
        expect.stringMatching(/^ {2}warning at \/BlueGreenSample\/Release: No certificate: .*\[ack: cdk-blue-green-pipeline:plainHttp\]$/),
        expect.stringMatching(/^ {2}warning at \/BlueGreenSample\/Release\/LoadBalancer: The load balancer has no AWS WAF web ACL.*\[ack: cdk-blue-green-pipeline:noWebAcl\]$/),
      ]);
      const source = template.toJSON().Resources;
      expect(JSON.stringify(source)).toContain(PLACEHOLDERS.connectionArn);
    } finally {
      if (saved !== undefined) process.env.CDK_DEFAULT_ACCOUNT = saved;
    }
  });
});
