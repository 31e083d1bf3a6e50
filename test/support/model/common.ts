import type { AwsWorld } from '../aws-model';

/** A modelled API operation: takes the command input, returns the SDK output (or throws). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandFn = (input: any) => unknown;

export interface ServiceModel {
  /** Operation name (without `Command`) → implementation. */
  readonly commands: Record<string, CommandFn>;
}

/** Deterministic ids: the same scenario produces the same ARNs and ids every run. */
export class IdSource {
  private n = 0;
  next(): number {
    this.n += 1;
    return this.n;
  }
  hex(len: number): string {
    return this.next().toString(16).padStart(len, '0');
  }
}

export function arnResourceName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export type WorldRef = AwsWorld;

export function clone<T>(value: T): T {
  return structuredClone(value);
}
