import { Token } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Options for a source held in GitHub, GitLab or Bitbucket, reached through AWS CodeConnections. */
export interface ConnectionSourceOptions {
  /**
   * ARN of the CodeConnections (formerly CodeStar Connections) connection. Create it once per
   * account in the console (Developer Tools → Settings → Connections) and complete the handshake.
   */
  readonly connectionArn: string;
  /** Owner of the repository: the GitHub/Bitbucket user or organisation, or the GitLab group. */
  readonly owner: string;
  /** Name of the repository. */
  readonly repository: string;
  /**
   * Branch that triggers releases.
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * Start a release on every push to the branch.
   * @default true
   */
  readonly triggerOnPush?: boolean;
}

/** What the release evidence names as a release's source. */
export interface SourceDescription {
  /** The repository (`owner/name`), the archive (`s3://bucket/key`) or the CodeCommit repository's name. */
  readonly repository: string;
  /**
   * The branch releases come from.
   * @default - none (an S3 archive has no branch)
   */
  readonly branch?: string;
}

/** Options for a source archive in Amazon S3. */
export interface S3SourceOptions {
  /** The versioned bucket that holds the source archive. */
  readonly bucket: s3.IBucket;
  /** Key of the zip archive, e.g. `service/source.zip`. */
  readonly objectKey: string;
  /**
   * How a new archive starts a release. EVENTS needs a CloudTrail trail that records the bucket's
   * data events.
   * @default S3Trigger.EVENTS
   */
  readonly trigger?: actions.S3Trigger;
}

/** Options for a source in AWS CodeCommit. */
export interface CodeCommitSourceOptions {
  /** The repository. */
  readonly repository: codecommit.IRepository;
  /**
   * Branch that triggers releases.
   * @default 'main'
   */
  readonly branch?: string;
}

/**
 * Where the pipeline takes its source from. Create one with `PipelineSource.connection(…)`,
 * `PipelineSource.s3(…)` or `PipelineSource.codeCommit(…)`.
 */
export abstract class PipelineSource {
  /**
   * GitHub, GitLab or Bitbucket through an AWS CodeConnections connection.
   * @param options the connection, the repository and the branch
   */
  public static connection(options: ConnectionSourceOptions): PipelineSource {
    return new ConnectionSource(options);
  }

  /**
   * A zip archive in an S3 bucket.
   * @param options the bucket, the object key and how a new archive starts a release
   */
  public static s3(options: S3SourceOptions): PipelineSource {
    return new S3Source(options);
  }

  /**
   * An AWS CodeCommit repository.
   * @param options the repository and the branch
   */
  public static codeCommit(options: CodeCommitSourceOptions): PipelineSource {
    return new CodeCommitSource(options);
  }

  /** Short name of the source kind, e.g. `connection`. */
  public abstract readonly kind: string;

  /** Problems with the options, as sentences (empty when valid). Unresolved tokens are not checked. */
  public abstract validate(): string[];

  /**
   * The pipeline's source action, writing the checked-out source to `output`, with its variables
   * in `variablesNamespace`.
   * @param output the artifact the action writes the source to
   * @param variablesNamespace the namespace of the action's variables
   */
  public abstract bind(output: codepipeline.Artifact, variablesNamespace: string): codepipeline.IAction;

  /** The source as the release evidence names it. */
  public abstract describe(): SourceDescription;
}

const CONNECTION_ARN = /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/;
const BRANCH = /^[^\s~^:?*[\\]+$/;

function checkText(value: string | undefined, what: string): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  return value.trim().length === 0 ? [`${what} must not be empty.`] : [];
}

function checkBranch(branch: string | undefined): string[] {
  if (branch === undefined || Token.isUnresolved(branch)) return [];
  return BRANCH.test(branch) ? [] : [`source branch must be a valid git branch name (got "${branch}").`];
}

class ConnectionSource extends PipelineSource {
  public readonly kind = 'connection';
  constructor(private readonly options: ConnectionSourceOptions) {
    super();
  }

  public validate(): string[] {
    const { connectionArn, owner, repository, branch } = this.options;
    const problems = [...checkText(owner, 'source owner'), ...checkText(repository, 'source repository'), ...checkBranch(branch)];
    if (!Token.isUnresolved(repository) && repository.includes('/')) {
      const [first, ...rest] = repository.split('/');
      problems.push(`source repository must be the repository's name only (got "${repository}"); give the owner on its own: owner: "${first}", repository: "${rest.join('/')}".`);
    }
    if (!Token.isUnresolved(connectionArn) && !CONNECTION_ARN.test(connectionArn)) {
      problems.push(
        `source connectionArn must be a CodeConnections connection ARN like arn:aws:codeconnections:<region>:<account>:connection/<id> (got "${connectionArn}").`,
      );
    }
    return problems;
  }

  public describe(): SourceDescription {
    return { repository: `${this.options.owner}/${this.options.repository}`, branch: this.options.branch ?? 'main' };
  }

  public bind(output: codepipeline.Artifact, variablesNamespace: string): codepipeline.IAction {
    return new actions.CodeStarConnectionsSourceAction({
      actionName: 'Source',
      connectionArn: this.options.connectionArn,
      owner: this.options.owner,
      repo: this.options.repository,
      branch: this.options.branch ?? 'main',
      triggerOnPush: this.options.triggerOnPush ?? true,
      output,
      variablesNamespace,
    });
  }
}

class S3Source extends PipelineSource {
  public readonly kind = 's3';
  constructor(private readonly options: S3SourceOptions) {
    super();
  }

  public validate(): string[] {
    const key = this.options.objectKey;
    if (Token.isUnresolved(key)) return [];
    const problems = checkText(key, 'source objectKey');
    if (key.startsWith('/')) problems.push(`source objectKey must not start with "/" (got "${key}").`);
    return problems;
  }

  public describe(): SourceDescription {
    return { repository: `s3://${this.options.bucket.bucketName}/${this.options.objectKey}` };
  }

  public bind(output: codepipeline.Artifact, variablesNamespace: string): codepipeline.IAction {
    return new actions.S3SourceAction({
      actionName: 'Source',
      bucket: this.options.bucket,
      bucketKey: this.options.objectKey,
      trigger: this.options.trigger ?? actions.S3Trigger.EVENTS,
      output,
      variablesNamespace,
    });
  }
}

class CodeCommitSource extends PipelineSource {
  public readonly kind = 'codecommit';
  constructor(private readonly options: CodeCommitSourceOptions) {
    super();
  }

  public validate(): string[] {
    return checkBranch(this.options.branch);
  }

  public describe(): SourceDescription {
    return { repository: this.options.repository.repositoryName, branch: this.options.branch ?? 'main' };
  }

  public bind(output: codepipeline.Artifact, variablesNamespace: string): codepipeline.IAction {
    return new actions.CodeCommitSourceAction({
      actionName: 'Source',
      repository: this.options.repository,
      branch: this.options.branch ?? 'main',
      trigger: actions.CodeCommitTrigger.EVENTS,
      output,
      variablesNamespace,
    });
  }
}
