import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { only, resourcesOf, statementWith, statementsOf, synth, text } from './fixtures';

describe('the evidence record in the construct', () => {
  const base = synth();
  const t = base.template;
  const [bucketId, bucket] = Object.entries(t.findResources('AWS::S3::Bucket')).find(([id]) => id.startsWith('ReleaseEvidenceBucket'))! as [string, any];

  test('has its own KMS-encrypted, versioned bucket that keeps records until you delete them', () => {
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([{ Id: 'KeepEvidence', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }]);
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  test('evidenceRetention expires records, and their earlier versions, after that long', () => {
    const kept = synth({ evidenceRetention: Duration.days(400) }).template;
    const [, b] = Object.entries(kept.findResources('AWS::S3::Bucket')).find(([id]) => id.startsWith('ReleaseEvidenceBucket'))! as [string, any];
    expect(b.Properties.LifecycleConfiguration.Rules[0]).toMatchObject({ ExpirationInDays: 400, NoncurrentVersionExpiration: { NoncurrentDays: 400 } });
  });

  test('DeployGreen, Swap, Bake and the recorder may read and write records and the index, and nothing else of the bucket', () => {
    for (const role of ['ReleaseDeployGreenRole', 'ReleaseSwapRole', 'ReleaseBakeRole', 'ReleaseEvidenceRecorderRole']) {
      const statements = statementsOf(t, role);
      const put = resourcesOf(statementWith(statements, 's3:PutObject')).map(text);
      expect({ role, put }).toEqual({ role, put: [`<${bucketId}.Arn>/bluegreen-evidence/shop/executions/*`, `<${bucketId}.Arn>/bluegreen-evidence/shop/index/*`] });
      expect(resourcesOf(statementWith(statements, 's3:ListBucket')).map(text)).toEqual([`<${bucketId}.Arn>`]);
    }
    // Only DeployGreen reads the build's uploads (to check them into the record).
    const reads = (role: string) => statementsOf(t, role).filter((s) => [].concat(s.Action).includes('s3:GetObject' as never)).flatMap((s) => resourcesOf(s).map(text));
    expect(reads('ReleaseDeployGreenRole')).toContain(`<${bucketId}.Arn>/bluegreen-evidence/shop/builds/*`);
    expect(reads('ReleaseSwapRole')).not.toContain(`<${bucketId}.Arn>/bluegreen-evidence/shop/builds/*`);
    // The records' grants are one policy the four roles share, so each wildcard is in the template once.
    const shared = Object.entries(t.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) => id.startsWith('ReleaseEvidenceRecordPolicy'));
    expect(shared).toHaveLength(1);
    expect((shared[0][1] as any).Properties.Roles.map((r: { Ref: string }) => r.Ref.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['ReleaseBakeRole', 'ReleaseDeployGreenRole', 'ReleaseEvidenceRecorderRole', 'ReleaseSwapRole']);
  });

  test('the build may upload its own evidence and cannot write the records', () => {
    const build = statementsOf(t, 'ReleaseBuildProjectRole');
    const evidenceWrites = build
      .filter((s) => [].concat(s.Action).some((a: string) => a.startsWith('s3:Put')))
      .flatMap((s) => resourcesOf(s).map(text))
      .filter((r) => r.startsWith(`<${bucketId}`));
    expect(evidenceWrites).toEqual([`<${bucketId}.Arn>/bluegreen-evidence/shop/builds/*`]);
    const [, project] = only(t, 'AWS::CodeBuild::Project');
    const pipeline = only(t, 'AWS::CodePipeline::Pipeline')[1];
    const buildAction = (pipeline.Properties.Stages as any[]).find((s) => s.Name === 'BuildAndScan').Actions[0];
    expect(JSON.parse(buildAction.Configuration.EnvironmentVariables)).toEqual([{ name: 'BG_EXECUTION_ID', type: 'PLAINTEXT', value: '#{codepipeline.PipelineExecutionId}' }]);
    expect(project.Properties.Environment.EnvironmentVariables.map((v: any) => v.Name)).toContain('BG_EVIDENCE_S3_URI');
  });

  test('the recorder hears this pipeline\'s actions and executions ending, with failed deliveries kept', () => {
    const [, rule] = Object.entries(t.findResources('AWS::Events::Rule')).find(([id]) => id.startsWith('ReleaseEvidenceEvents'))! as [string, any];
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Action Execution State Change', 'CodePipeline Pipeline Execution State Change'],
      detail: { pipeline: ['shop'], state: ['SUCCEEDED', 'FAILED', 'ABANDONED', 'CANCELED', 'STOPPED', 'SUPERSEDED'] },
    });
    expect(rule.Properties.Targets[0].DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ReleaseControlPlaneDeadLetterQueue/), 'Arn'] });
    expect(resourcesOf(statementWith(statementsOf(t, 'ReleaseEvidenceRecorderRole'), 'codepipeline:ListActionExecutions')).map(text)).toEqual([
      'arn:aws:codepipeline:eu-west-1:123456789012:shop',
    ]);
  });

  test('grantReadEvidence gives an auditor the records, the index and the uploads, read only', () => {
    const { template } = synth({}, undefined, (stack, construct) => {
      construct.grantReadEvidence(new iam.Role(stack, 'Auditor', { assumedBy: new iam.AccountRootPrincipal() }));
    });
    const statements = statementsOf(template, 'Auditor');
    expect(statements.flatMap((s) => [].concat(s.Action)).sort()).toEqual(['kms:Decrypt', 's3:GetObject', 's3:ListBucket']);
    const evidenceId = Object.keys(template.findResources('AWS::S3::Bucket')).find((id: string) => id.startsWith('ReleaseEvidenceBucket'));
    expect(resourcesOf(statementWith(statements, 's3:GetObject')).map(text)).toEqual([`<${evidenceId}.Arn>/bluegreen-evidence/shop/*`]);
  });
});
