import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PipelineSource } from '../../lib';
import { CONNECTION_ARN, only, synth } from './fixtures';

function sourceAction(template: ReturnType<typeof synth>['template']): Record<string, any> {
  const [, pipeline] = only(template, 'AWS::CodePipeline::Pipeline');
  return pipeline.Properties.Stages[0].Actions[0];
}

describe('PipelineSource', () => {
  test('connection(…) checks out the branch through the CodeConnections connection and triggers on push', () => {
    const { template } = synth({
      source: PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop', branch: 'release' }),
    });
    const action = sourceAction(template);
    expect(action.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
    expect(action.Configuration).toMatchObject({ ConnectionArn: CONNECTION_ARN, FullRepositoryId: 'acme/shop', BranchName: 'release' });
    expect(action.Configuration.DetectChanges).not.toBe(false);
    expect(action.Namespace).toBe('Source');
  });

  test('s3(…) reads the archive key from the bucket', () => {
    const { template } = synth({}, (stack) => ({
      source: PipelineSource.s3({ bucket: new s3.Bucket(stack, 'Sources', { versioned: true }), objectKey: 'shop/source.zip' }),
    }));
    const action = sourceAction(template);
    expect(action.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'S3' });
    expect(action.Configuration).toMatchObject({ S3ObjectKey: 'shop/source.zip', PollForSourceChanges: false });
  });

  test('codeCommit(…) checks out the main branch by default', () => {
    const { template } = synth({}, (stack) => ({
      source: PipelineSource.codeCommit({ repository: codecommit.Repository.fromRepositoryName(stack, 'Repo', 'shop') }),
    }));
    const action = sourceAction(template);
    expect(action.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeCommit' });
    expect(action.Configuration).toMatchObject({ RepositoryName: 'shop', BranchName: 'main', PollForSourceChanges: false });
  });

  test('each source reports the problems of its own options', () => {
    expect(PipelineSource.s3({ bucket: {} as s3.IBucket, objectKey: '/abs.zip' }).validate()).toEqual([
      'source objectKey must not start with "/" (got "/abs.zip").',
    ]);
    expect(PipelineSource.codeCommit({ repository: {} as codecommit.IRepository, branch: 'a:b' }).validate()).toEqual([
      'source branch must be a valid git branch name (got "a:b").',
    ]);
    expect(PipelineSource.connection({ connectionArn: CONNECTION_ARN, owner: 'acme', repository: 'shop' }).validate()).toEqual([]);
  });
});
