// CloudFormation as the infra owner sees it: custom resource events sent the way a stack
// operation sends them (asynchronous Lambda invokes carrying a ResponseURL), for an update in
// dependency order, its rollback when a resource answers FAILED (an Update back to the old
// properties, in reverse order; a failed rollback is continued once, as ContinueUpdateRollback
// does), and the cleanup of replaced resources (AWS CloudFormation User Guide, "Update behaviors
// of stack resources" and "Continue rolling back an update"). Plain resources (listeners, target
// groups, task definitions) are steps that change the model directly.
import type { CustomResourceResponse } from '../../lambdas/adapters/cfn-response';
import { createInfraOwnerHandler } from '../../lambdas/infra-owner';
import type { AwsWorld } from './aws-model';
import { worldAasSend } from './model/aas';

export interface CustomResourceRecord {
  readonly logicalId: string;
  readonly type: string;
  physicalId: string;
  properties: Record<string, unknown>;
}

/** One resource of an update, in dependency order. */
export type UpdateStep =
  /**
   * A plain resource created anew (a replacement, or an addition): `create` in the update,
   * `remove` (the new one) if the update rolls back, `retire` (the old one) in the cleanup.
   */
  | { readonly kind: 'resource'; readonly name: string; create(): void; remove(): void; retire?(): void }
  /** A custom resource updated to new properties (read when the step runs). */
  | { readonly kind: 'custom'; readonly logicalId: string; properties(): Record<string, unknown> };

export type StackStatus = 'CREATE_COMPLETE' | 'UPDATE_COMPLETE' | 'UPDATE_ROLLBACK_COMPLETE' | 'UPDATE_ROLLBACK_FAILED' | 'DELETE_COMPLETE' | 'DELETE_FAILED';

export interface UpdateOutcome {
  readonly status: StackStatus;
  /** The FAILED answers, in order. */
  readonly failures: { readonly logicalId: string; readonly requestType: string; readonly reason: string }[];
  /** Cleanup deletes of plain resources that failed (CloudFormation logs them and completes). */
  readonly cleanupFailures: string[];
}

export interface StackOptions {
  /** Called after every step of an operation (each answer, each plain resource change). */
  afterStep?: (label: string) => void;
  logSink?: (line: string) => void;
}

const FUNCTION = 'infra-owner';

export class InfraOwnerStack {
  readonly stackId: string;
  readonly resources = new Map<string, CustomResourceRecord>();
  readonly answers: CustomResourceResponse[] = [];
  /** Every event sent, in order (type, properties and old properties). */
  readonly events: { type: string; properties: Record<string, unknown>; oldProperties?: Record<string, unknown> }[] = [];
  private requests = 0;

  constructor(
    readonly world: AwsWorld,
    private readonly opts: StackOptions = {},
  ) {
    this.stackId = `arn:aws:cloudformation:${world.region}:${world.account}:stack/AppStack/0b0e4e6d-0000-4000-8000-000000000001`;
    const handler = world.actingAs('InfraOwner', createInfraOwnerHandler({
      send: async (_url, response) => void this.answers.push(response),
      // Application Auto Scaling as the world serves it (serveAutoScaling), for Custom::BlueGreenSlotScaling.
      aas: worldAasSend(world),
      // Polls let world time pass, one tick (15 s) each.
      sleep: async (ms) => world.tick(Math.max(1, Math.round(ms / world.tickMs))),
      pollIntervalMs: world.tickMs,
      logSink: opts.logSink ?? (() => undefined),
    }));
    // The construct's infra owner times out after 5 minutes.
    world.lambda.register(FUNCTION, handler, { timeoutMs: 5 * 60_000 });
  }

  /** Adds a custom resource that exists already (as a seeded stack has it). */
  adopt(record: CustomResourceRecord): void {
    this.resources.set(record.logicalId, { ...record, properties: { ...record.properties } });
    this.events.push({ type: record.type, properties: record.properties });
  }

  resource(logicalId: string): CustomResourceRecord {
    const r = this.resources.get(logicalId);
    if (!r) throw new Error(`no custom resource ${logicalId}`);
    return r;
  }

  /** Sends one event and returns its answer, once the function (and every invocation it handed on to) has finished. */
  async send(requestType: 'Create' | 'Update' | 'Delete', r: { logicalId: string; type: string; physicalId?: string; properties: Record<string, unknown>; oldProperties?: Record<string, unknown> }): Promise<CustomResourceResponse> {
    this.requests += 1;
    this.events.push({ type: r.type, properties: r.properties, oldProperties: r.oldProperties });
    const requestId = `0b0e4e6d-0000-4000-8000-${String(this.requests).padStart(12, '0')}`;
    const event = {
      RequestType: requestType,
      ServiceToken: `arn:aws:lambda:${this.world.region}:${this.world.account}:function:${FUNCTION}`,
      ResponseURL: `https://cloudformation-custom-resource-response-${this.world.region}.s3.amazonaws.com/${requestId}`,
      StackId: this.stackId,
      RequestId: requestId,
      LogicalResourceId: r.logicalId,
      ResourceType: r.type,
      ...(r.physicalId !== undefined ? { PhysicalResourceId: r.physicalId } : {}),
      ResourceProperties: { ServiceToken: 'token', ...r.properties },
      ...(r.oldProperties ? { OldResourceProperties: { ServiceToken: 'token', ...r.oldProperties } } : {}),
    };
    // Straight into the model: CloudFormation's own invoke is not one of the calls a test faults.
    await this.world.lambda.commands.Invoke({ FunctionName: FUNCTION, InvocationType: 'Event', Payload: JSON.stringify(event) });
    await this.world.lambda.drain();
    const answer = this.answers.find((a) => a.RequestId === requestId);
    if (!answer) throw new Error(`${requestType} of ${r.logicalId} was never answered (CloudFormation would time out)`);
    this.opts.afterStep?.(`${requestType} ${r.logicalId}: ${answer.Status}`);
    return answer;
  }

  async create(logicalId: string, type: string, properties: Record<string, unknown>): Promise<CustomResourceResponse> {
    const answer = await this.send('Create', { logicalId, type, properties });
    if (answer.Status === 'SUCCESS') this.resources.set(logicalId, { logicalId, type, physicalId: answer.PhysicalResourceId, properties });
    return answer;
  }

  async update(steps: readonly UpdateStep[]): Promise<UpdateOutcome> {
    const failures: UpdateOutcome['failures'][number][] = [];
    const cleanupFailures: string[] = [];
    const done: { step: UpdateStep; before?: CustomResourceRecord; after?: CustomResourceRecord }[] = [];
    const note = (label: string) => this.opts.afterStep?.(label);
    let failed = false;
    for (const step of steps) {
      if (step.kind === 'resource') {
        step.create();
        done.push({ step });
        note(`create ${step.name}`);
        continue;
      }
      const before = this.resource(step.logicalId);
      const properties = step.properties();
      const answer = await this.send('Update', { ...before, oldProperties: before.properties, properties });
      if (answer.Status === 'FAILED') {
        failures.push({ logicalId: step.logicalId, requestType: 'Update', reason: answer.Reason });
        // The failed resource is rolled back too, to its old properties, from the id it answered.
        done.push({ step, before, after: { ...before, physicalId: answer.PhysicalResourceId, properties } });
        failed = true;
        break;
      }
      const after = { ...before, physicalId: answer.PhysicalResourceId, properties };
      this.resources.set(step.logicalId, after);
      done.push({ step, before, after });
    }
    if (!failed) {
      for (const { step, before, after } of [...done].reverse()) {
        if (step.kind === 'resource') {
          try {
            step.retire?.();
            note(`retire ${step.name}`);
          } catch (e) {
            cleanupFailures.push(`${step.name}: ${(e as Error).message}`);
          }
        } else if (before && after && before.physicalId !== after.physicalId) {
          const answer = await this.send('Delete', before);
          if (answer.Status === 'FAILED') cleanupFailures.push(`${before.logicalId}: ${answer.Reason}`);
        }
      }
      return { status: 'UPDATE_COMPLETE', failures, cleanupFailures };
    }
    // Rollback: every custom resource that was sent an update goes back, last first.
    for (const { step, before, after } of [...done].reverse()) {
      if (step.kind !== 'custom' || !before || !after) continue;
      let answer = await this.send('Update', { ...after, oldProperties: after.properties, properties: before.properties });
      if (answer.Status === 'FAILED') {
        failures.push({ logicalId: step.logicalId, requestType: 'Update (rollback)', reason: answer.Reason });
        // ContinueUpdateRollback retries the resources that failed to roll back.
        answer = await this.send('Update', { ...after, oldProperties: after.properties, properties: before.properties });
        if (answer.Status === 'FAILED') {
          failures.push({ logicalId: step.logicalId, requestType: 'Update (rollback, continued)', reason: answer.Reason });
          return { status: 'UPDATE_ROLLBACK_FAILED', failures, cleanupFailures };
        }
      }
      this.resources.set(step.logicalId, { ...before, physicalId: answer.PhysicalResourceId });
    }
    for (const { step, before, after } of [...done].reverse()) {
      if (step.kind === 'resource') {
        try {
          step.remove();
          note(`remove ${step.name}`);
        } catch (e) {
          cleanupFailures.push(`${step.name}: ${(e as Error).message}`);
        }
      } else if (before && after && before.physicalId !== after.physicalId && !after.physicalId.startsWith('bluegreen-not-created:')) {
        await this.send('Delete', after);
      }
    }
    return { status: 'UPDATE_ROLLBACK_COMPLETE', failures, cleanupFailures };
  }

  /** Deletes custom resources (each list in parallel in CloudFormation; here one after the other), then `after`. */
  async destroy(logicalIds: readonly string[], after: () => void): Promise<UpdateOutcome> {
    const failures: UpdateOutcome['failures'][number][] = [];
    for (const id of logicalIds) {
      const answer = await this.send('Delete', this.resource(id));
      if (answer.Status === 'FAILED') failures.push({ logicalId: id, requestType: 'Delete', reason: answer.Reason });
    }
    if (failures.length) return { status: 'DELETE_FAILED', failures, cleanupFailures: [] };
    try {
      after();
    } catch (e) {
      return { status: 'DELETE_FAILED', failures: [{ logicalId: 'plain resources', requestType: 'Delete', reason: `${(e as Error).name}: ${(e as Error).message}` }], cleanupFailures: [] };
    }
    return { status: 'DELETE_COMPLETE', failures, cleanupFailures: [] };
  }
}
