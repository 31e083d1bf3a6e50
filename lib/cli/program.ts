import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { processIO, scanGateCommand } from '../../buildspecs/gate/command';
import { answerApproval } from './commands/approve';
import { EVIDENCE_FORMATS, evidence } from './commands/evidence';
import { history } from './commands/history';
import { rollback } from './commands/rollback';
import { abort, promote } from './commands/shift';
import { status } from './commands/status';
import { watch } from './commands/watch';
import { Context, type GlobalOptions } from './context';
import { CliError, EXIT_OK, EXIT_USAGE, explainAwsError, firstLine } from './errors';
import type { CliIo } from './io';
import { packageVersion } from './version';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected a whole number from 1 to 100');
  return n;
};

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  refused or failed (no pending approval, rollback/promote/abort refused, AWS error, cancelled)
  2  usage (bad arguments, or a confirmation needed without a terminal: rerun with --yes)`;

/** Builds a fresh program for one run; `run` receives each command's exit code. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('bluegreen');
  const context = (cmd: Command) => new Context(io, cmd.optsWithGlobals<GlobalOptions>());
  const action = <O>(fn: (ctx: Context, opts: O) => Promise<number>) =>
    async (opts: O, cmd: Command) => setExit(await fn(context(cmd), opts));

  // Global options work before or after the command name; positional parsing keeps them away
  // from scan-gate, which has a --json of its own.
  const withGlobals = (cmd: Command) => cmd
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile\'s region)')
    .option('--profile <profile>', 'AWS profile from your shared config (default: AWS_PROFILE)')
    .option('--json', 'print one JSON document on stdout instead of text');

  configureRoot(withGlobals(program), io);

  const pipelineOption = () => new Option('--pipeline <name>', 'pipeline name (as given to the construct)').makeOptionMandatory();

  withGlobals(program.command('status'))
    .description('live and green slots, drift between labels and routes, current execution, pending approval')
    .addOption(pipelineOption())
    .option('-w, --watch', "follow an execution's progress (deploy, tests, approval, swap steps, bake) until it ends or Ctrl-C")
    .option('--interval <seconds>', 'with --watch: seconds between refreshes', positiveInt, 5)
    .option('--execution <id>', 'with --watch: the execution to follow (default: the one in the Release stage, else the newest)')
    .action(action((ctx, opts: { pipeline: string; watch?: boolean; interval: number; execution?: string }) => {
      if (!opts.watch && opts.execution !== undefined) throw new CliError('--execution goes with --watch', 'usage', EXIT_USAGE);
      return opts.watch ? watch(ctx, opts) : status(ctx, opts);
    }));

  for (const [name, answer, what] of [['approve', 'Approved', 'approve'], ['reject', 'Rejected', 'reject']] as const) {
    withGlobals(program.command(name))
      .description(`show the pending release (commit, digest, scan, test URL) and ${what} it`)
      .addOption(pipelineOption())
      .option('--comment <text>', 'note recorded with the answer')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(action((ctx, opts: { pipeline: string; comment?: string; yes?: boolean }) => answerApproval(ctx, opts, answer)));
  }

  const operators = [
    ['rollback', 're-swap production to the previous slot through the swap function; waits until the routes flip', rollback],
    ['promote', 'during a traffic shift: all of production on the candidate now, skipping the remaining steps (after the same checks)', promote],
    ['abort', 'during a traffic shift: all of production back on the live slot now, in one route write', abort],
  ] as const;
  for (const [name, description, run] of operators) {
    withGlobals(program.command(name))
      .description(description)
      .addOption(pipelineOption())
      .option('--reason <text>', 'why, for the audit trail')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(action(run));
  }

  withGlobals(program.command('history'))
    .description('recent releases, swaps and rollbacks')
    .addOption(pipelineOption())
    .option('--limit <n>', 'how many entries', positiveInt, 20)
    .action(action(history));

  withGlobals(program.command('evidence'))
    .description("a release's evidence record for a change ticket (--execution), or every release since a date with who approved it (--since)")
    .addOption(pipelineOption())
    .option('--execution <id>', 'the pipeline execution whose record to print')
    .option('--since <date>', 'list the releases whose evidence began at or after this day (YYYY-MM-DD, UTC) or time (ISO-8601)')
    .option('--until <date>', 'with --since: only those that began before this day or time')
    .addOption(new Option('--format <format>', 'json: the record as stored; md: Markdown for a change ticket (default)').choices([...EVIDENCE_FORMATS]))
    .action(action(evidence));

  addScanGate(program, io, setExit);
  return program;
}

/** The build's Trivy gate, under the same bin; its exit code is this run's. */
function addScanGate(program: Command, io: CliIo, setExit: (code: number) => void): void {
  // `bluegreen --json scan-gate …` means the gate's own --json: the global flag is parsed by the
  // program (positional options), so hand it on.
  program.hook('preAction', (_program, actionCommand) => {
    if (actionCommand.name() === 'scan-gate' && program.opts<GlobalOptions>().json) actionCommand.setOptionValue('json', true);
  });

  program.addCommand(scanGateCommand({
    ...processIO,
    stdout: (text) => void io.stdout.write(text),
    stderr: (text) => void io.stderr.write(text),
  }, { onExit: setExit }));
}

/** The program's own description, version, help and output (commander writes through `io`). */
function configureRoot(program: Command, io: CliIo): void {
  program
    .description('Release and roll back a blue/green pipeline built by cdk-blue-green-pipeline.')
    .version(packageVersion(), '-V, --version', 'print the version of bluegreen (the cdk-blue-green-pipeline package)')
    .enablePositionalOptions()
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, 'bluegreen: ')),
    });
}

/**
 * Runs one command and returns its exit code. Expected failures become one line on stderr (and a
 * JSON error document with --json); only a bug prints more, and only with BLUEGREEN_DEBUG set.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => (code = c));
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT_OK;
      // Commander already wrote the line on stderr; --json still gets its one document on stdout.
      if (json) io.stdout.write(`${JSON.stringify({ error: { code: 'usage', message: err.message.replace(/^error: /, '') } }, null, 2)}\n`);
      return EXIT_USAGE;
    }
    const expected = explainAwsError(err);
    const failure = expected ?? new CliError(`unexpected error: ${firstLine(err instanceof Error ? err.message : String(err))}`, 'unexpected');
    io.stderr.write(`bluegreen: ${failure.message}\n`);
    if (!expected && (io.env ?? process.env).BLUEGREEN_DEBUG) io.stderr.write(`${(err as Error)?.stack ?? err}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { code: failure.code, message: failure.message, ...failure.details } }, null, 2)}\n`);
    return failure.exitCode;
  }
}
