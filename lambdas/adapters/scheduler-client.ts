// The EventBridge Scheduler SDK client behind the `SchedulerSend` seam (adapters/scheduler.ts),
// created on first use (only a pipeline with previousSlotRetention calls it).
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SchedulerInputs, SchedulerOperation, SchedulerOutputs, SchedulerSend } from './scheduler';

export function schedulerSend(): SchedulerSend {
  let client: SchedulerClient | undefined;
  return async <O extends SchedulerOperation>(_operation: O, input: SchedulerInputs[O]) => {
    client ??= new SchedulerClient({});
    return (await client.send(new CreateScheduleCommand(input))) as unknown as SchedulerOutputs[O];
  };
}
