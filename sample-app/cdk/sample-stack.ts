import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
// Inside this repository the construct is imported from source; in your own app use
//   import { BlueGreenPipeline, PipelineSource } from 'cdk-blue-green-pipeline';
import { BlueGreenPipeline, BlueGreenPipelineProps, PipelineSource } from '../../lib';

/**
 * PLACEHOLDERS — replace with your own values, or pass them as context:
 *   npx cdk deploy -c connectionArn=arn:aws:codeconnections:… -c owner=my-org -c repository=my-repo -c approvalEmail=me@example.com
 */
export const PLACEHOLDERS = {
  /** The CodeConnections connection you created (see the README: "Creating the connection"). */
  connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-4000-8000-000000000000',
  /** GitHub/Bitbucket user or organisation, or GitLab group, that owns the repository. */
  owner: 'your-org',
  /** The repository that holds this sample (a fork of cdk-blue-green-pipeline works). */
  repository: 'cdk-blue-green-pipeline',
  branch: 'main',
  /** Who approves releases; must confirm the SNS subscription email. */
  approvalEmail: 'release-approvers@example.com',
} as const;

export interface SampleStackProps extends StackProps {
  readonly connectionArn: string;
  readonly owner: string;
  readonly repository: string;
  readonly branch: string;
  readonly approvalEmails: string[];
  /** Props that replace the sample's own, made in the stack (the cost bench prices variants of the sample this way). */
  readonly overrides?: (stack: Stack) => Partial<BlueGreenPipelineProps>;
}

/** The sample service's stack: one BlueGreenPipeline that builds sample-app/Dockerfile. */
export class SampleStack extends Stack {
  public readonly release: BlueGreenPipeline;

  constructor(scope: Construct, id: string, props: SampleStackProps) {
    super(scope, id, props);
    this.release = new BlueGreenPipeline(this, 'Release', {
      pipelineName: 'bluegreen-sample',
      source: PipelineSource.connection({
        connectionArn: props.connectionArn,
        owner: props.owner,
        repository: props.repository,
        branch: props.branch,
      }),
      approvalEmails: props.approvalEmails,
      dockerfile: 'sample-app/Dockerfile',
      dockerBuildContext: 'sample-app',
      containerPort: 8080,
      healthCheckPath: '/health',
      readonlyRootFilesystem: true,
      environment: { APP_NAME: 'bluegreen-sample' },
      ...props.overrides?.(this),
    });
  }
}

/**
 * Adds the sample stack to `app`. Values come from context (`-c key=value`), else the
 * placeholders. The account is left unresolved unless known, so synthesis needs no lookups.
 */
export function buildSampleApp(app: App, overrides?: SampleStackProps['overrides']): SampleStack {
  const context = (key: keyof typeof PLACEHOLDERS): string => app.node.tryGetContext(key) ?? PLACEHOLDERS[key];
  return new SampleStack(app, 'BlueGreenSample', {
    env: {
      account: app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
      region: app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
    },
    description: 'Blue/green sample service released by cdk-blue-green-pipeline',
    connectionArn: context('connectionArn'),
    owner: context('owner'),
    repository: context('repository'),
    branch: context('branch'),
    approvalEmails: [context('approvalEmail')],
    overrides,
  });
}
