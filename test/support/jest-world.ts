// Jest glue for AwsWorld: the world's clock drives `Date` (handlers read `Date.now()` and
// `new Date()`), timers stay real.
import { AwsWorld, WorldOptions } from './aws-model';

const REAL_TIMERS = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

/** Fakes only `Date`, kept equal to the world's clock from now on. */
export function useWorldClock(world: AwsWorld): void {
  jest.useFakeTimers({ doNotFake: [...REAL_TIMERS], now: world.now() });
  world.onClock((ms) => jest.setSystemTime(ms));
}

/** A new world, installed under the SDK mocks, with its clock driving `Date`. */
export function createWorld(opts: WorldOptions = {}): AwsWorld {
  const world = new AwsWorld(opts);
  world.install();
  useWorldClock(world);
  return world;
}
