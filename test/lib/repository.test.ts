import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { only, resourcesOf, statementsOf, statementWith, synth, text } from './fixtures';

const ARN = 'arn:aws:ecr:eu-west-1:123456789012:repository/payments/api';

describe('BlueGreenPipeline with your own repository', () => {
  const imported = (stack: Stack) => ({ repository: ecr.Repository.fromRepositoryArn(stack, 'Existing', ARN) });

  test('creates no repository and no image key, and the build, the tasks and the control plane use yours', () => {
    // GIVEN / WHEN
    const { template, construct } = synth({}, imported);

    // THEN
    template.resourceCountIs('AWS::ECR::Repository', 0);
    expect(Object.values(template.findResources('AWS::KMS::Key')).map((k: any) => k.Properties.Description)).not.toContain('Encrypts the blue/green image repository');
    expect(construct.imageKey).toBeUndefined();
    expect(construct.repository.repositoryName).toBe('payments/api');
    const [, deployGreen] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ReleaseDeployGreen'))!;
    expect(text((deployGreen as any).Properties.Environment.Variables.BLUEGREEN_CONFIG)).toContain('"repositoryName":"payments/api"');
    const [, project] = only(template, 'AWS::CodeBuild::Project');
    expect(project.Properties.Environment.EnvironmentVariables).toContainEqual({ Name: 'REPOSITORY_URI', Type: 'PLAINTEXT', Value: expect.anything() });
    expect(text(project.Properties.Environment.EnvironmentVariables.find((v: any) => v.Name === 'REPOSITORY_URI').Value)).toBe('123456789012.dkr.ecr.eu-west-1.<AWS::URLSuffix>/payments/api');
  });

  test('grants push to the build, pull to the task execution role, and the tag moves and the mutability check to DeployGreen, on that repository only', () => {
    const { template } = synth({}, imported);

    const build = statementsOf(template, 'ReleaseBuildProjectRole');
    expect(resourcesOf(statementWith(build, 'ecr:PutImage')).map(text)).toEqual([ARN]);
    expect(resourcesOf(statementWith(build, 'ecr:BatchGetImage')).map(text)).toEqual([ARN]);
    const execution = statementsOf(template, 'ReleaseExecutionRole');
    expect(resourcesOf(statementWith(execution, 'ecr:BatchGetImage')).map(text)).toEqual([ARN]);
    const deploy = statementsOf(template, 'ReleaseDeployGreen');
    const tags = statementWith(deploy, 'ecr:DescribeRepositories');
    expect(tags.Action).toEqual(expect.arrayContaining(['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage', 'ecr:DescribeRepositories']));
    expect(resourcesOf(tags).map(text)).toEqual([ARN]);
    expect(resourcesOf(statementWith(statementsOf(template, 'ReleaseInfraOwner'), 'ecr:PutImage')).map(text)).toEqual([ARN]);
  });

  test('fails when both repository and repositoryName are given, naming both', () => {
    expect(() => synth({ repositoryName: 'shop' }, imported)).toThrow(
      /repository and repositoryName are both given \(repository payments\/api, repositoryName "shop"\): repositoryName names a repository the construct creates/,
    );
  });

  test('fails when the repository is in another region or account, as one collected error', () => {
    const elsewhere = (stack: Stack) => ({ repository: ecr.Repository.fromRepositoryArn(stack, 'Far', 'arn:aws:ecr:us-east-1:210987654321:repository/payments/api') });
    expect(() => synth({ desiredCount: 0 }, elsewhere)).toThrow(
      /has 3 invalid props:[\s\S]*desiredCount[\s\S]*repository payments\/api is in account 210987654321, but the stack is in 123456789012[\s\S]*repository payments\/api is in region us-east-1, but the stack is in eu-west-1/,
    );
  });

  test('fails at synth when a repository defined in the app keeps the slot tags immutable, saying how to fix it', () => {
    const immutable = (stack: Stack) => ({ repository: new ecr.Repository(stack, 'Mine', { repositoryName: 'payments/api', imageTagMutability: ecr.TagMutability.IMMUTABLE, imageScanOnPush: true }) });
    expect(() => synth({}, immutable)).toThrow(
      /repository cannot hold the slot tags: repository payments\/api keeps every tag immutable \(IMMUTABLE\), so the slot tags slot-a and slot-b cannot move to a release; exclude them: give it imageTagMutability: TagMutability.IMMUTABLE_WITH_EXCLUSION and imageTagMutabilityExclusionFilters: \[ImageTagMutabilityExclusionFilter.wildcard\('slot-\*'\)\]\./,
    );
  });

  test('accepts a repository defined in the app with the slot-* exclusion, and warns when it does not scan on push', () => {
    const fit = (scan: boolean) => (stack: Stack) => ({
      repository: new ecr.Repository(stack, 'Mine', {
        imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
        imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard('slot-*')],
        imageScanOnPush: scan,
      }),
    });
    const scanned = synth({}, fit(true));
    Annotations.fromStack(scanned.stack).hasNoWarning('*', Match.stringLikeRegexp('does not scan on push'));
    const unscanned = synth({}, fit(false));
    Annotations.fromStack(unscanned.stack).hasWarning('/Service/Release', Match.stringLikeRegexp('repository Service/Mine does not scan on push'));
  });
});
