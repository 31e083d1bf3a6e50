import * as readline from 'node:readline';
import type { S3Send } from './control-plane';

/** Where the CLI reads and writes; `main` gets the process streams, tests get buffers. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin?: NodeJS.ReadableStream;
  /** An interactive terminal: prompts and spinners only then. @default false */
  readonly isTTY?: boolean;
  /** Asks a yes/no question. @default - a readline prompt on stdin when isTTY */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Waits between polls and retries (tests pass a no-op). @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Environment: the actor name, AWS_PROFILE and where the shared config files are. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * S3 requests, for the evidence bucket (lambdas/adapters/s3.ts).
   * @default - none: the package does not depend on an S3 client yet, so `evidence` says so
   */
  readonly s3?: S3Send;
  /** Ends a `--watch` cleanly when aborted. @default - aborted by Ctrl-C (SIGINT) while watching */
  readonly interrupt?: AbortSignal;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads y/yes from a terminal; anything else is "no". */
export function readlineConfirm(io: CliIo): (question: string) => Promise<boolean> {
  return (question) =>
    new Promise((resolve) => {
      const rl = readline.createInterface({ input: io.stdin ?? process.stdin, output: io.stderr as NodeJS.WritableStream });
      rl.question(`${question} [y/N] `, (answer) => {
        rl.close();
        resolve(/^y(es)?$/i.test(answer.trim()));
      });
    });
}

/**
 * Progress while waiting: an animated spinner on a terminal, one plain line otherwise (no control
 * characters in logs or pipes).
 */
export class Progress {
  private static readonly frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private text = '';

  constructor(private readonly io: CliIo, private readonly quiet: boolean) {}

  start(text: string): void {
    this.text = text;
    if (this.quiet) return;
    if (!this.io.isTTY) {
      this.io.stderr.write(`${text}\n`);
      return;
    }
    this.render();
    this.timer ??= setInterval(() => this.render(), 80);
    this.timer.unref?.();
  }

  update(text: string): void {
    if (text === this.text) return;
    if (this.io.isTTY) this.text = text;
    else this.start(text);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.io.isTTY && !this.quiet) this.io.stderr.write('\r\x1b[2K');
  }

  private render(): void {
    const f = Progress.frames[this.frame++ % Progress.frames.length];
    this.io.stderr.write(`\r\x1b[2K${f} ${this.text}`);
  }
}
