// EventBridge Scheduler, for the previous slot's one-time scale-down (core/retire.ts): CreateSchedule
// as plain data in the API's own shape (EventBridge Scheduler API Reference, CreateSchedule), behind
// one `send` function like Application Auto Scaling's (adapters/scaling.ts). The SDK client comes
// from adapters/scheduler-client.ts; tests send to the in-memory model.
import { RetentionConfig, SlotName } from '../core/config';
import { errorSummary } from '../core/errors';
import { Logger, RetirementPort, RetireSchedule } from '../core/ports';
import { atExpression, retireEvent, retireScheduleName } from '../core/retire';

export interface SchedulerInputs {
  readonly CreateSchedule: {
    readonly Name: string;
    readonly GroupName: string;
    readonly ScheduleExpression: string;
    readonly ScheduleExpressionTimezone: 'UTC';
    /** Required; OFF invokes at the exact time (API Reference, FlexibleTimeWindow). */
    readonly FlexibleTimeWindow: { readonly Mode: 'OFF' };
    readonly Target: {
      readonly Arn: string;
      readonly RoleArn: string;
      readonly Input: string;
      readonly RetryPolicy: { readonly MaximumRetryAttempts: number; readonly MaximumEventAgeInSeconds: number };
    };
    /** A one-time schedule deletes itself once it has invoked its target. */
    readonly ActionAfterCompletion: 'DELETE';
    readonly Description: string;
  };
}

export interface SchedulerOutputs {
  readonly CreateSchedule: { readonly ScheduleArn?: string };
}

export type SchedulerOperation = keyof SchedulerInputs;
export type SchedulerSend = <O extends SchedulerOperation>(operation: O, input: SchedulerInputs[O]) => Promise<SchedulerOutputs[O]>;

export function retirementScheduler(send: SchedulerSend, retention: RetentionConfig, pipelineName: string): RetirementPort {
  return {
    schedule: async (request: RetireSchedule) => {
      try {
        await send('CreateSchedule', {
          Name: request.name,
          GroupName: retention.scheduleGroupName,
          ScheduleExpression: request.expression,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          // Scheduler retries a failed delivery; the swap function itself refuses when it is too late.
          Target: { Arn: request.targetArn, RoleArn: retention.schedulerRoleArn, Input: request.input, RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
          ActionAfterCompletion: 'DELETE',
          Description: `${pipelineName}: ${request.description}`.slice(0, 512),
        });
        return 'created';
      } catch (err) {
        if ((err as { name?: string }).name === 'ConflictException') return 'exists';
        throw err;
      }
    },
  };
}

/** A function ARN without its version or alias qualifier (what a schedule's target needs). */
export function unqualifiedFunctionArn(arn: string | undefined): string | undefined {
  if (arn === undefined) return undefined;
  const parts = arn.split(':');
  return parts.length > 7 ? parts.slice(0, 7).join(':') : arn;
}

/**
 * The release ended with production on `liveSlot`: schedule the other slot's scale-down. Never
 * throws: without the schedule the previous slot only stays warm (it costs, rollback still works).
 */
export async function scheduleRetirement(
  port: RetirementPort | undefined,
  retention: RetentionConfig | undefined,
  ended: { readonly executionId: string; readonly liveSlot: SlotName; readonly targetArn: string | undefined },
  now: Date,
  log: Logger,
): Promise<void> {
  if (port === undefined || retention === undefined) return;
  if (ended.targetArn === undefined) {
    log.warn('the previous slot stays warm: the swap function\'s ARN is not known here, so no scale-down was scheduled');
    return;
  }
  const at = new Date(now.getTime() + retention.seconds * 1000);
  const name = retireScheduleName(ended.executionId);
  try {
    const created = await port.schedule({
      name,
      expression: atExpression(at),
      targetArn: ended.targetArn,
      input: JSON.stringify(retireEvent(ended.executionId, ended.liveSlot, retention)),
      description: `Scales the previous slot (the one release ${ended.executionId} left) to zero`,
    });
    log.info('previous slot scale-down scheduled', { schedule: name, at: at.toISOString(), created });
  } catch (err) {
    log.warn('the previous slot stays warm: its scale-down could not be scheduled', { schedule: name, error: errorSummary(err) });
  }
}
