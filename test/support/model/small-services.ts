// SSM parameters, the Resource Groups Tagging API, SNS, CloudFormation stacks and Lambda.
import type {
  GetParameterCommandOutput,
  GetParametersCommandOutput,
  Parameter,
  PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import type { GetResourcesCommandOutput, TagResourcesCommandOutput } from '@aws-sdk/client-resource-groups-tagging-api';
import type { PublishCommandOutput } from '@aws-sdk/client-sns';
import type { DescribeStacksCommandOutput, Output, Stack } from '@aws-sdk/client-cloudformation';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { awsError } from './errors';
import { CommandFn, IdSource, ServiceModel, WorldRef } from './common';

// ---- tags ------------------------------------------------------------------------------------

/** One tag store for every ARN: ECS, ELB and the tagging API all read and write it. */
export class TagStore {
  private readonly byArn = new Map<string, Map<string, string>>();

  of(arn: string): Record<string, string> {
    return Object.fromEntries(this.byArn.get(arn) ?? []);
  }

  put(arn: string, tags: Record<string, string>): void {
    const current = this.byArn.get(arn) ?? new Map<string, string>();
    for (const [k, v] of Object.entries(tags)) current.set(k, v);
    this.byArn.set(arn, current);
  }

  arns(): string[] {
    return [...this.byArn.keys()];
  }

  /** A deleted resource's tags go with it. */
  remove(arn: string): void {
    this.byArn.delete(arn);
  }
}

export class TaggingModel implements ServiceModel {
  constructor(private readonly world: WorldRef) {}

  readonly commands: Record<string, CommandFn> = {
    TagResources: (input: { ResourceARNList: string[]; Tags: Record<string, string> }): TagResourcesCommandOutput => {
      if (!input.ResourceARNList?.length || input.ResourceARNList.length > 20) {
        throw awsError('tagging', 'InvalidParameterException', 'ResourceARNList must contain between 1 and 20 ARNs.');
      }
      const entries = Object.entries(input.Tags ?? {});
      if (!entries.length || entries.length > 50) {
        throw awsError('tagging', 'InvalidParameterException', 'Tags must contain between 1 and 50 tags.');
      }
      for (const [k, v] of entries) {
        if (k.length > 128 || v.length > 256) {
          throw awsError('tagging', 'InvalidParameterException', `Tag ${k} exceeds the key (128) or value (256) length limit.`);
        }
      }
      const FailedResourcesMap: NonNullable<TagResourcesCommandOutput['FailedResourcesMap']> = {};
      for (const arn of input.ResourceARNList) {
        if (this.world.resourceExists(arn)) this.world.tags.put(arn, input.Tags);
        else FailedResourcesMap[arn] = { StatusCode: 404, ErrorCode: 'InvalidParameterException', ErrorMessage: `Resource ${arn} not found` };
      }
      return { FailedResourcesMap, $metadata: {} };
    },

    GetResources: (input: {
      ResourceARNList?: string[];
      TagFilters?: { Key: string; Values?: string[] }[];
      ResourceTypeFilters?: string[];
    }): GetResourcesCommandOutput => {
      const typeOf = (arn: string) => {
        const [, , service, , , resource] = arn.split(':');
        return `${service}:${resource.split('/')[0]}`;
      };
      const arns = (input.ResourceARNList ?? this.world.tags.arns()).filter((arn) => {
        const tags = this.world.tags.of(arn);
        if (!Object.keys(tags).length || !this.world.resourceExists(arn)) return false;
        if (input.ResourceTypeFilters?.length && !input.ResourceTypeFilters.some((f) => typeOf(arn) === f || typeOf(arn).startsWith(`${f}:`) || arn.split(':')[2] === f)) {
          return false;
        }
        return (input.TagFilters ?? []).every((f) => f.Key in tags && (!f.Values?.length || f.Values.includes(tags[f.Key])));
      });
      return {
        ResourceTagMappingList: arns.map((arn) => ({
          ResourceARN: arn,
          Tags: Object.entries(this.world.tags.of(arn)).map(([Key, Value]) => ({ Key, Value })),
        })),
        PaginationToken: '',
        $metadata: {},
      };
    },
  };
}

// ---- SSM -------------------------------------------------------------------------------------

interface ParameterState {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModified: number;
  tier: 'Standard' | 'Advanced';
  /** SecureString only: the KMS key as the writer named it. */
  keyId?: string;
  /** The caller of the PutParameter that wrote this version (API reference, ParameterMetadata: LastModifiedUser). */
  lastModifiedUser: string;
}

/**
 * What Parameter Store sends EventBridge for every create and update of a parameter (Systems
 * Manager User Guide, "Monitoring Systems Manager events with Amazon EventBridge", Parameter Store
 * events: detail-type "Parameter Store Change", detail operation, name, type).
 */
export interface ParameterStoreChange {
  readonly version: '0';
  readonly source: 'aws.ssm';
  readonly 'detail-type': 'Parameter Store Change';
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly resources: string[];
  readonly detail: { readonly operation: 'Create' | 'Update'; readonly name: string; readonly type: string };
}

/** SSM's default key for SecureString parameters when PutParameter names none (API reference, PutParameter KeyId). */
export const SSM_DEFAULT_KEY = 'alias/aws/ssm';

/** Standard and advanced tier value limits (SSM User Guide, "Managing parameter tiers"). */
const TIER_LIMIT = { Standard: 4096, Advanced: 8192 } as const;

export class SsmModel implements ServiceModel {
  readonly parameters = new Map<string, ParameterState>();
  /** Every Parameter Store Change event, oldest first (a test delivers the ones a rule matches). */
  readonly changes: ParameterStoreChange[] = [];

  constructor(private readonly world: WorldRef) {}

  /** The current value, or undefined (test shortcut; not an API call). */
  value(name: string): string | undefined {
    return this.parameters.get(name)?.value;
  }

  /** Test shortcut: writes a String parameter (as anyone with ssm:PutParameter could). */
  put(name: string, value: string): void {
    this.commands.PutParameter({ Name: name, Value: value, Type: 'String', Overwrite: true, Tier: 'Intelligent-Tiering' });
  }

  private shape(p: ParameterState, decrypt: boolean): Parameter {
    return {
      Name: p.name,
      Type: p.type,
      // Without WithDecryption a SecureString comes back as its ciphertext (API reference, GetParameter).
      Value: p.type === 'SecureString' && !decrypt ? Buffer.from(`ciphertext:${p.keyId}:${p.value}`).toString('base64') : p.value,
      Version: p.version,
      LastModifiedDate: new Date(p.lastModified),
      ARN: `arn:aws:ssm:${this.world.region}:${this.world.account}:parameter${p.name.startsWith('/') ? '' : '/'}${p.name}`,
      DataType: 'text',
    };
  }

  readonly commands: Record<string, CommandFn> = {
    GetParameter: (input: { Name: string; WithDecryption?: boolean }): GetParameterCommandOutput => {
      const p = this.parameters.get(input.Name);
      if (!p) throw awsError('ssm', 'ParameterNotFound', '');
      return { Parameter: this.shape(p, Boolean(input.WithDecryption)), $metadata: {} };
    },

    GetParameters: (input: { Names: string[]; WithDecryption?: boolean }): GetParametersCommandOutput => ({
      Parameters: input.Names.filter((n) => this.parameters.has(n)).map((n) => this.shape(this.parameters.get(n)!, Boolean(input.WithDecryption))),
      InvalidParameters: input.Names.filter((n) => !this.parameters.has(n)),
      $metadata: {},
    }),

    // API reference, GetParametersByPath: MaxResults 1-10 (default 10), NextToken pages; without
    // Recursive only the parameters directly under the path.
    GetParametersByPath: (input: { Path: string; Recursive?: boolean; WithDecryption?: boolean; MaxResults?: number; NextToken?: string }) => {
      const size = input.MaxResults ?? 10;
      if (size < 1 || size > 10) throw awsError('ssm', 'ValidationException', 'MaxResults must be between 1 and 10');
      const prefix = input.Path.endsWith('/') ? input.Path : `${input.Path}/`;
      const matching = [...this.parameters.values()]
        .filter((p) => p.name.startsWith(prefix) && (input.Recursive || !p.name.slice(prefix.length).includes('/')))
        .sort((x, y) => x.name.localeCompare(y.name));
      const start = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
      const page = matching.slice(start, start + size);
      return {
        Parameters: page.map((p) => this.shape(p, Boolean(input.WithDecryption))),
        ...(start + size < matching.length ? { NextToken: Buffer.from(String(start + size)).toString('base64') } : {}),
        $metadata: {},
      };
    },

    // API reference, DescribeParameters: metadata only, KeyId for SecureString parameters.
    DescribeParameters: (input: { ParameterFilters?: { Key: string; Option?: string; Values?: string[] }[] }) => {
      const names = input.ParameterFilters?.find((f) => f.Key === 'Name' && (f.Option ?? 'Equals') === 'Equals')?.Values;
      const selected = [...this.parameters.values()].filter((p) => names === undefined || names.includes(p.name));
      return {
        Parameters: selected.map((p) => ({
          Name: p.name,
          Type: p.type,
          ...(p.keyId !== undefined ? { KeyId: p.keyId } : {}),
          Version: p.version,
          Tier: p.tier,
          LastModifiedDate: new Date(p.lastModified),
          LastModifiedUser: p.lastModifiedUser,
          DataType: 'text',
        })),
        $metadata: {},
      };
    },

    PutParameter: (input: {
      Name: string;
      Value: string;
      Type?: ParameterState['type'];
      KeyId?: string;
      Overwrite?: boolean;
      Tier?: 'Standard' | 'Advanced' | 'Intelligent-Tiering';
    }): PutParameterCommandOutput => {
      if (typeof input.Value !== 'string' || input.Value.length === 0) {
        throw awsError('ssm', 'ValidationException', "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1");
      }
      const existing = this.parameters.get(input.Name);
      if (existing && !input.Overwrite) {
        throw awsError('ssm', 'ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
      }
      const size = Buffer.byteLength(input.Value);
      // API reference, PutParameter Tier: you can't revert an advanced parameter to a standard
      // parameter; with no tier in the request the default tier (Standard) applies; Intelligent-
      // Tiering picks Standard unless the value needs Advanced, and keeps an advanced parameter so.
      let tier: ParameterState['tier'];
      if (input.Tier === 'Advanced') tier = 'Advanced';
      else if (input.Tier === 'Intelligent-Tiering') tier = existing?.tier === 'Advanced' || size > TIER_LIMIT.Standard ? 'Advanced' : 'Standard';
      else tier = 'Standard';
      if (existing?.tier === 'Advanced' && tier === 'Standard') {
        throw awsError('ssm', 'ValidationException', "You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.");
      }
      if (size > TIER_LIMIT[tier]) {
        throw awsError(
          'ssm',
          'ValidationException',
          tier === 'Standard'
            ? `Standard tier parameters support a maximum parameter value of ${TIER_LIMIT.Standard} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`
            : `Advanced tier parameters support a maximum parameter value of ${TIER_LIMIT.Advanced} characters.`,
        );
      }
      const type = input.Type ?? existing?.type ?? 'String';
      const version = (existing?.version ?? 0) + 1;
      this.parameters.set(input.Name, {
        name: input.Name,
        type,
        value: input.Value,
        version,
        lastModified: this.world.now(),
        tier,
        ...(type === 'SecureString' ? { keyId: input.KeyId ?? SSM_DEFAULT_KEY } : {}),
        lastModifiedUser: this.world.callerArn(),
      });
      const arn = `arn:aws:ssm:${this.world.region}:${this.world.account}:parameter${input.Name.startsWith('/') ? '' : '/'}${input.Name}`;
      this.changes.push({
        version: '0', source: 'aws.ssm', 'detail-type': 'Parameter Store Change', account: this.world.account, region: this.world.region,
        time: new Date(this.world.now()).toISOString(), resources: [arn], detail: { operation: existing ? 'Update' : 'Create', name: input.Name, type },
      });
      return { Version: version, Tier: tier, $metadata: {} };
    },

    DeleteParameter: (input: { Name: string }) => {
      if (!this.parameters.delete(input.Name)) throw awsError('ssm', 'ParameterNotFound', '');
      return {};
    },
  };
}

// ---- SNS -------------------------------------------------------------------------------------

export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  attributes?: Record<string, unknown>;
  at: number;
}

export class SnsModel implements ServiceModel {
  readonly topics = new Set<string>();
  readonly published: PublishedMessage[] = [];
  private readonly ids = new IdSource();

  constructor(private readonly world: WorldRef) {}

  createTopic(name: string): string {
    const arn = `arn:aws:sns:${this.world.region}:${this.world.account}:${name}`;
    this.topics.add(arn);
    return arn;
  }

  readonly commands: Record<string, CommandFn> = {
    Publish: (input: { TopicArn?: string; TargetArn?: string; Message: string; Subject?: string; MessageAttributes?: Record<string, unknown> }): PublishCommandOutput => {
      const topicArn = input.TopicArn ?? input.TargetArn;
      if (!topicArn || !this.topics.has(topicArn)) throw awsError('sns', 'NotFoundException', 'Topic does not exist');
      if (typeof input.Message !== 'string' || !input.Message.length) {
        throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Empty message');
      }
      if (Buffer.byteLength(input.Message) > 262144) {
        throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Message too long');
      }
      // eslint-disable-next-line no-control-regex
      if (input.Subject !== undefined && (input.Subject.length === 0 || input.Subject.length >= 100 || /[\u0000-\u001f]/.test(input.Subject))) {
        throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Subject');
      }
      this.published.push({
        topicArn,
        subject: input.Subject,
        message: input.Message,
        attributes: input.MessageAttributes,
        at: this.world.now(),
      });
      return { MessageId: `0b0e4e6d-0000-5000-8000-${this.ids.hex(12)}`, $metadata: {} };
    },
  };
}

// ---- CloudFormation --------------------------------------------------------------------------

export class CloudFormationModel implements ServiceModel {
  readonly stacks = new Map<string, Stack>();
  private readonly ids = new IdSource();

  constructor(private readonly world: WorldRef) {}

  putStack(name: string, outputs: Record<string, string>, status: Stack['StackStatus'] = 'UPDATE_COMPLETE'): string {
    const existing = this.stacks.get(name);
    const id = existing?.StackId ?? `arn:aws:cloudformation:${this.world.region}:${this.world.account}:stack/${name}/0b0e4e6d-0000-4000-8000-${this.ids.hex(12)}`;
    const Outputs: Output[] = Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
    this.stacks.set(name, {
      StackId: id,
      StackName: name,
      StackStatus: status,
      CreationTime: existing?.CreationTime ?? new Date(this.world.now()),
      LastUpdatedTime: new Date(this.world.now()),
      Outputs,
      Parameters: [],
      Tags: [],
    });
    return id;
  }

  readonly commands: Record<string, CommandFn> = {
    DescribeStacks: (input: { StackName?: string }): DescribeStacksCommandOutput => {
      if (!input.StackName) return { Stacks: structuredClone([...this.stacks.values()]), $metadata: {} };
      const stack = [...this.stacks.values()].find((s) => s.StackName === input.StackName || s.StackId === input.StackName);
      if (!stack) throw awsError('cloudformation', 'ValidationError', `Stack with id ${input.StackName} does not exist`);
      return { Stacks: [structuredClone(stack)], $metadata: {} };
    },
  };
}

// ---- Lambda ----------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler = (event: any, context: any) => Promise<unknown> | unknown;

export interface LambdaInvocation {
  functionName: string;
  event: unknown;
  invocationType: string;
  result?: unknown;
  error?: string;
  /** World time the invocation took; above the function's timeout, Lambda would have stopped it. */
  durationMs?: number;
  timedOut?: boolean;
}

/** Lambda functions registered in-process: `Invoke` calls the real handler with the payload. */
export class LambdaModel implements ServiceModel {
  readonly functions = new Map<string, { name: string; arn: string; handler: LambdaHandler; timeoutMs: number }>();
  readonly invocations: LambdaInvocation[] = [];
  /** `InvocationType: Event` invocations not yet run; `drain()` runs them. */
  readonly queued: { name: string; event: unknown }[] = [];
  private readonly ids = new IdSource();

  constructor(private readonly world: WorldRef) {}

  /** `timeoutMs`: the function's timeout (default 60 s), what `getRemainingTimeInMillis` counts down from. */
  register(name: string, handler: LambdaHandler, opts: { timeoutMs?: number } = {}): string {
    const arn = `arn:aws:lambda:${this.world.region}:${this.world.account}:function:${name}`;
    this.functions.set(name, { name, arn, handler, timeoutMs: opts.timeoutMs ?? 60_000 });
    return arn;
  }

  async drain(): Promise<void> {
    while (this.queued.length) {
      const next = this.queued.shift()!;
      await this.run(next.name, next.event, 'Event').catch(() => undefined);
    }
  }

  private resolve(ref: string) {
    const name = ref.startsWith('arn:') ? ref.split(':')[6] : ref.includes(':') ? ref.split(':')[0] : ref;
    const fn = this.functions.get(name);
    if (!fn) {
      throw awsError('lambda', 'ResourceNotFoundException', `Function not found: arn:aws:lambda:${this.world.region}:${this.world.account}:function:${name}`, { status: 404 });
    }
    return fn;
  }

  private async run(name: string, event: unknown, invocationType: string): Promise<unknown> {
    const fn = this.resolve(name);
    const requestId = `0b0e4e6d-0000-4000-8000-${this.ids.hex(12)}`;
    const started = this.world.now();
    const deadline = started + fn.timeoutMs;
    const context = {
      awsRequestId: requestId,
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: '256',
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: '2025/01/01/[$LATEST]0000',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - this.world.now()),
    };
    const record: LambdaInvocation = { functionName: fn.name, event, invocationType };
    this.invocations.push(record);
    try {
      record.result = await fn.handler(event, context);
      return record.result;
    } catch (e) {
      record.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      throw e;
    } finally {
      record.durationMs = this.world.now() - started;
      record.timedOut = this.world.now() > deadline;
    }
  }

  readonly commands: Record<string, CommandFn> = {
    Invoke: async (input: { FunctionName: string; Payload?: Uint8Array | string; InvocationType?: string }): Promise<InvokeCommandOutput> => {
      const fn = this.resolve(input.FunctionName);
      const raw = input.Payload === undefined ? '{}' : typeof input.Payload === 'string' ? input.Payload : Buffer.from(input.Payload).toString('utf8');
      let event: unknown;
      try {
        event = JSON.parse(raw);
      } catch {
        throw awsError('lambda', 'InvalidRequestContentException', 'Could not parse request body into json', { status: 400 });
      }
      const type = input.InvocationType ?? 'RequestResponse';
      if (type === 'DryRun') return { StatusCode: 204, $metadata: {} };
      if (type === 'Event') {
        this.queued.push({ name: fn.name, event });
        return { StatusCode: 202, Payload: Uint8ArrayBlobAdapter.fromString(''), $metadata: {} };
      }
      try {
        const result = await this.run(fn.name, event, type);
        return {
          StatusCode: 200,
          ExecutedVersion: '$LATEST',
          Payload: Uint8ArrayBlobAdapter.fromString(result === undefined ? 'null' : JSON.stringify(result)),
          $metadata: {},
        };
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        return {
          StatusCode: 200,
          ExecutedVersion: '$LATEST',
          FunctionError: 'Unhandled',
          Payload: Uint8ArrayBlobAdapter.fromString(
            JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') }),
          ),
          $metadata: {},
        };
      }
    },
  };
}

/** STS: who the caller is (the CLI records it as the rollback actor). */
export class StsModel implements ServiceModel {
  /** The caller's identity; set it to act as someone else. */
  callerArn: string;

  constructor(private readonly world: WorldRef) {
    this.callerArn = `arn:aws:sts::${world.account}:assumed-role/Operator/operator-session`;
  }

  readonly commands: Record<string, CommandFn> = {
    GetCallerIdentity: (): GetCallerIdentityCommandOutput => ({
      Account: this.world.account,
      Arn: this.callerArn,
      UserId: `AROA0B0E4E6D00000000:${this.callerArn.slice(this.callerArn.lastIndexOf('/') + 1)}`,
      $metadata: {},
    }),
  };
}
