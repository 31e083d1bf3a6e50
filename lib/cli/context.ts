import { createClients, type AwsClients } from './aws';
import { CliError, EXIT_FAILED, EXIT_USAGE } from './errors';
import { style, type Style } from './format';
import { readlineConfirm, realSleep, Progress, type CliIo } from './io';

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
    this.clients ??= createClients({ region: this.options.region, profile: this.options.profile });
    return this.clients;
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

  /** Who is acting, for the audit trail. */
  actor(): string {
    const env = this.io.env ?? process.env;
    return env.USER || env.USERNAME || env.LOGNAME || 'unknown-user';
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
