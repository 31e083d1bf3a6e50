// EventBridge Scheduler's one-time schedules, as the previous slot's scale-down uses them. Served
// with `world.extend('scheduler', …)`, like Application Auto Scaling.
//
// From the EventBridge Scheduler API Reference, CreateSchedule:
// * Name and GroupName: 1-64 characters of [0-9a-zA-Z-_.]; Description at most 512 characters.
// * FlexibleTimeWindow and Target (Arn, RoleArn) are required.
// * ConflictException when a schedule of that name exists in the group; ResourceNotFoundException
//   when the group does not exist.
// From the User Guide, "Schedule types": a one-time schedule is `at(yyyy-mm-ddThh:mm:ss)`, evaluated
// in ScheduleExpressionTimezone (UTC by default); with ActionAfterCompletion DELETE the schedule
// deletes itself once it has invoked its target. Scheduler invokes a Lambda target asynchronously.
import type { AwsWorld, ServiceKey } from '../aws-model';
import type { SchedulerInputs, SchedulerSend } from '../../../lambdas/adapters/scheduler';
import { awsError } from './errors';

export const SCHEDULER = 'scheduler' as ServiceKey;

const NAME = /^[0-9a-zA-Z._-]{1,64}$/;
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

export interface ScheduleState {
  readonly name: string;
  readonly group: string;
  /** World time (ms) it is due at. */
  readonly due: number;
  readonly input: SchedulerInputs['CreateSchedule'];
}

const err = (name: string, message: string) => awsError(SCHEDULER, name, message);

export class SchedulerModel {
  readonly groups = new Set<string>();
  readonly schedules = new Map<string, ScheduleState>();
  /** Every schedule that fired, in order. */
  readonly fired: ScheduleState[] = [];

  constructor(private readonly world: AwsWorld) {}

  /** The schedules due at the world's time, oldest first. */
  due(): ScheduleState[] {
    return [...this.schedules.values()].filter((s) => s.due <= this.world.now()).sort((x, y) => x.due - y.due);
  }

  /** Scheduler has invoked the target: a DELETE schedule is gone. */
  completed(schedule: ScheduleState): void {
    this.fired.push(schedule);
    if (schedule.input.ActionAfterCompletion === 'DELETE') this.schedules.delete(`${schedule.group}/${schedule.name}`);
  }

  readonly commands = {
    CreateSchedule: (input: SchedulerInputs['CreateSchedule']) => {
      const problems: string[] = [];
      if (!NAME.test(input.Name ?? '')) problems.push(`Name ${JSON.stringify(input.Name)} must be 1-64 of [0-9a-zA-Z-_.]`);
      if (!NAME.test(input.GroupName ?? '')) problems.push(`GroupName ${JSON.stringify(input.GroupName)} must be 1-64 of [0-9a-zA-Z-_.]`);
      if ((input.Description ?? '').length > 512) problems.push('Description must be at most 512 characters');
      if (input.FlexibleTimeWindow?.Mode === undefined) problems.push('FlexibleTimeWindow is required');
      if (!input.Target?.Arn || !input.Target?.RoleArn) problems.push('Target.Arn and Target.RoleArn are required');
      const at = AT.exec(input.ScheduleExpression ?? '');
      if (at === null) problems.push(`ScheduleExpression ${JSON.stringify(input.ScheduleExpression)} is not a one-time at() expression`);
      if (problems.length) throw err('ValidationException', problems.join('; '));
      if (!this.groups.has(input.GroupName)) throw err('ResourceNotFoundException', `Schedule group ${input.GroupName} does not exist.`);
      const key = `${input.GroupName}/${input.Name}`;
      if (this.schedules.has(key)) throw err('ConflictException', `Schedule ${input.Name} already exists.`);
      this.schedules.set(key, { name: input.Name, group: input.GroupName, due: Date.parse(`${at![1]}Z`), input });
      return { ScheduleArn: `arn:aws:scheduler:${this.world.region}:${this.world.account}:schedule/${key}` };
    },
  };
}

export function serveScheduler(world: AwsWorld, groups: readonly string[]): SchedulerModel {
  const model = new SchedulerModel(world);
  for (const g of groups) model.groups.add(g);
  for (const [name, fn] of Object.entries(model.commands)) world.extend(SCHEDULER, name, fn);
  return model;
}

/** The `SchedulerSend` the handlers get in tests: calls logged, faultable, authorizable like any other. */
export function worldSchedulerSend(world: AwsWorld): SchedulerSend {
  return ((operation, input) => world.dispatch(SCHEDULER, operation, input)) as SchedulerSend;
}
