import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createClients, type AwsClients } from './aws';
import { CliError, EXIT_FAILED, EXIT_USAGE, errorMessage, firstLine } from './errors';
import { style, type Style } from './format';
import { readlineConfirm, realSleep, Progress, type CliIo } from './io';
import { s3Send, type S3Send } from './control-plane';

export interface GlobalOptions {
  readonly region?: string;
  readonly profile?: string;
  readonly json?: boolean;
}

/** What every command gets: where to write, how to ask, and the AWS clients. */
export class Context {
  readonly json: boolean;
  readonly style: Style;
  readonly sleep: (ms: number) => Promise<void>;
  private clients: Promise<AwsClients> | undefined;

  constructor(readonly io: CliIo, readonly options: GlobalOptions) {
    this.json = options.json === true;
    const env = io.env ?? process.env;
    this.style = style(io.isTTY === true && !this.json && env.NO_COLOR === undefined);
    this.sleep = io.sleep ?? realSleep;
  }

  aws(): Promise<AwsClients> {
    this.clients ??= createClients({ region: this.options.region, profile: this.options.profile }, this.io.env ?? process.env);
    return this.clients;
  }

  /** S3 requests (the evidence bucket), through the same region and credentials as every other client. */
  s3(): S3Send {
    if (this.io.s3) return this.io.s3;
    return async (operation, input) => s3Send((await this.aws()).s3)(operation, input);
  }

  /**
   * A signal that Ctrl-C aborts, for as long as a command keeps it (a `--watch`): Ctrl-C then ends
   * the command cleanly instead of killing the process mid-write. `dispose` gives Ctrl-C back.
   */
  interruptible(): { signal: AbortSignal; dispose: () => void } {
    if (this.io.interrupt) return { signal: this.io.interrupt, dispose: () => undefined };
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
  }

  /** Waits `ms` unless `signal` aborts first; true when it did. */
  async waitUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return true;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<true>((resolve) => {
      onAbort = () => resolve(true);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.sleep(ms).then(() => signal.aborted), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /** Human output; suppressed under --json so stdout stays one JSON document. */
  print(text: string): void {
    if (!this.json) this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  progress(): Progress {
    return new Progress(this.io, this.json);
  }

  /** The local user name. */
  actor(): string {
    const env = this.io.env ?? process.env;
    return env.USER || env.USERNAME || env.LOGNAME || 'unknown-user';
  }

  /**
   * Who is acting, for the audit trail: the caller's AWS identity (an ARN cannot be set by a
   * local environment variable), else the local user name with a note on stderr.
   */
  async auditActor(): Promise<string> {
    const aws = await this.aws();
    let why: string;
    try {
      const { Arn } = await aws.sts.send(new GetCallerIdentityCommand({}));
      if (Arn) return Arn;
      why = 'STS returned no ARN';
    } catch (err) {
      why = firstLine(errorMessage(err));
    }
    const user = this.actor();
    this.io.stderr.write(`bluegreen: note: could not read your AWS identity (${why}); recording the local user ${user} as the actor\n`);
    return user;
  }

  /**
   * Asks before a change unless --yes. Without a terminal there is nobody to ask, so that is a
   * usage error rather than a silent yes.
   */
  async confirm(question: string, yes: boolean | undefined): Promise<void> {
    if (yes) return;
    const ask = this.io.confirm ?? (this.io.isTTY ? readlineConfirm(this.io) : undefined);
    if (!ask) throw new CliError('confirmation needed: rerun with --yes', 'confirmation-needed', EXIT_USAGE);
    if (!(await ask(question))) throw new CliError('cancelled: nothing was changed', 'cancelled', EXIT_FAILED);
  }
}
