// `bluegreen scan-gate`: the command-line face of the gate, shared by the CLI and the build.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { AllowList, parseAllowList } from './allow-list';
import { DEFAULT_POLICY, evaluate, GateResult, THRESHOLDS, Threshold } from './evaluate';
import { jsonError, jsonResult, junit, junitError, markdown, summaryLine } from './format';
import { MAX_REPORT_BYTES, parseTrivyReport, quote, TrivyReport, UnusableInputError } from './report';

export interface ScanGateIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads an input file; throws on failure. */
  readFile(path: string): string | Uint8Array;
  writeFile(path: string, text: string): void;
  now(): Date;
}

export const processIO: ScanGateIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readFile: (path) => {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error('not a regular file');
    // Refuse before reading, so a runaway file never lands in memory.
    if (stat.size > MAX_REPORT_BYTES) {
      throw new Error(`${Math.ceil(stat.size / 1048576)} MiB, over the ${MAX_REPORT_BYTES / 1048576} MiB limit`);
    }
    // Decoded here so the raw bytes are garbage before JSON.parse builds the document: this
    // keeps the peak memory of a 50,000-finding report under 200 MB.
    return readFileSync(path, 'utf8');
  },
  writeFile: (path, text) => writeFileSync(path, text),
  now: () => new Date(),
};

export interface ScanGateOptions {
  readonly failOn?: string;
  readonly ignoreUnfixed?: boolean;
  readonly allowEmptyScan?: boolean;
  readonly allow?: string;
  readonly baseline?: string;
  readonly junit?: string;
  readonly markdown?: string;
  readonly summaryFile?: string;
  readonly json?: boolean;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : err.message;
  }
  return String(err);
}

function load<T>(io: ScanGateIO, label: string, path: string, parse: (bytes: string | Uint8Array) => T): T {
  let bytes: string | Uint8Array;
  try {
    bytes = io.readFile(path);
  } catch (err) {
    throw new UnusableInputError(`unusable ${label} ${quote(path, 200)}: cannot read it: ${errorMessage(err)}`);
  }
  try {
    return parse(bytes);
  } catch (err) {
    if (err instanceof UnusableInputError) throw new UnusableInputError(`unusable ${label} ${quote(path, 200)}: ${err.message}`);
    throw err;
  }
}

function parseThreshold(value: string | undefined): Threshold {
  const upper = (value ?? DEFAULT_POLICY.failOn).toUpperCase();
  if (!(THRESHOLDS as readonly string[]).includes(upper)) {
    throw new UnusableInputError(`--fail-on ${quote(value)} is not one of ${THRESHOLDS.join(', ')}`);
  }
  return upper as Threshold;
}

/** Why the gate failed, in one line. */
function failureReason(result: GateResult): string {
  const reasons: string[] = [];
  if (result.emptyScan && !result.emptyScan.allowed) {
    reasons.push(`${result.emptyScan.reason}; pass --allow-empty-scan only for an image that has nothing to scan`);
  }
  if (result.violations.length > 0) {
    reasons.push(`${result.violations.length} finding(s) violate the policy; ${summaryLine(result)}`);
  }
  return reasons.join('; and ');
}

/** Runs the gate once; never throws. Returns 0 pass, 1 policy violation or a scan of nothing, 2 unusable input. */
export function executeScanGate(reportPath: string, opts: ScanGateOptions, io: ScanGateIO = processIO): 0 | 1 | 2 {
  const write = (flag: string, path: string | undefined, text: string): void => {
    if (path === undefined) return;
    try {
      io.writeFile(path, text);
    } catch (err) {
      throw new UnusableInputError(`cannot write ${flag} file ${quote(path, 200)}: ${errorMessage(err)}`);
    }
  };

  let result: GateResult;
  try {
    const policy = {
      failOn: parseThreshold(opts.failOn),
      ignoreUnfixed: opts.ignoreUnfixed === true,
      allowEmptyScan: opts.allowEmptyScan === true,
    };
    const report = load(io, 'report', reportPath, parseTrivyReport);
    const allowList: AllowList | undefined = opts.allow ? load(io, 'allow-list', opts.allow, parseAllowList) : undefined;
    const baseline: TrivyReport | undefined = opts.baseline
      ? load(io, 'baseline report', opts.baseline, parseTrivyReport)
      : undefined;
    result = evaluate(report, policy, { allowList, baseline, now: io.now() });
    write('--junit', opts.junit, junit(result));
    write('--markdown', opts.markdown, markdown(result));
    write('--summary-file', opts.summaryFile, `${summaryLine(result)}\n`);
  } catch (err) {
    // Fail closed: whatever went wrong, the answer is "unusable", never a pass.
    const reason = oneLine(err instanceof UnusableInputError ? err.message : `internal error: ${errorMessage(err)}`);
    io.stderr(`scan-gate: ${reason}\n`);
    if (opts.json) io.stdout(`${JSON.stringify(jsonError(reason), null, 2)}\n`);
    for (const [path, text] of [
      [opts.junit, junitError(reason)],
      [opts.markdown, `## Trivy scan gate: ERROR\n\n${reason}\n`],
    ] as const) {
      try {
        if (path !== undefined) io.writeFile(path, text);
      } catch {
        // Already failing with exit code 2; the reason is on stderr.
      }
    }
    return 2;
  }

  io.stdout(opts.json ? `${JSON.stringify(jsonResult(result), null, 2)}\n` : markdown(result));
  if (result.verdict === 'fail') io.stderr(`scan-gate: FAIL: ${failureReason(result)}\n`);
  return result.exitCode;
}

function buildCommand(io: ScanGateIO, done: (code: 0 | 1 | 2) => void): Command {
  return new Command('scan-gate')
    .description(
      'Gate a Trivy JSON report (SchemaVersion 2). Exit code 0: pass; 1: policy violation or a scan of nothing; 2: unusable report or input.',
    )
    .argument('<report>', 'Trivy JSON report (trivy … --format json)')
    .option(
      '--fail-on <severity>',
      `fail on vulnerabilities and misconfigurations at or above this severity (${THRESHOLDS.join('|')})`,
      DEFAULT_POLICY.failOn,
    )
    .option('--ignore-unfixed', 'drop vulnerabilities with no fix available', false)
    .option(
      '--allow-empty-scan',
      'pass a report in which Trivy found no OS and no packages (by default that fails: the image was not scanned)',
      false,
    )
    .option('--allow <file>', 'allow-list JSON: {"entries":[{"id","expires":"YYYY-MM-DD","reason"}]}')
    .option('--baseline <live.json>', "the live image's Trivy report: list findings new since live")
    .option('--junit <out.xml>', 'write a JUnit XML report (for a CodeBuild report group)')
    .option('--markdown <out.md>', 'also write the Markdown summary to a file')
    .option('--summary-file <out.txt>', 'write the one-line summary to a file')
    .option('--json', 'print the result as JSON instead of Markdown', false)
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride((err) => {
      // Commander's usage errors would exit 1, which here means "policy violation".
      throw new CommanderError(err.exitCode === 0 ? 0 : 2, err.code, err.message);
    })
    .action((report: string, opts: ScanGateOptions) => done(executeScanGate(report, opts, io)));
}

export interface ScanGateCommandOptions {
  /**
   * Receives the gate's exit code (0 pass, 1 policy violation or a scan of nothing, 2 unusable input).
   * @default - sets `process.exitCode`
   */
  readonly onExit?: (code: 0 | 1 | 2) => void;
}

/**
 * The `scan-gate` subcommand for the `bluegreen` CLI. Reports its exit code to `onExit` (by
 * default: sets `process.exitCode`). Usage errors (unknown option, missing report argument) throw
 * a CommanderError whose `exitCode` is 2 (0 for --help): the caller should catch CommanderError
 * and use its exitCode.
 */
export function scanGateCommand(io: ScanGateIO = processIO, options: ScanGateCommandOptions = {}): Command {
  return buildCommand(io, options.onExit ?? ((code) => {
    process.exitCode = code;
  }));
}

/** Runs `scan-gate <argv…>` in-process and returns the exit code; never throws. */
export function runScanGate(argv: readonly string[], io: ScanGateIO = processIO): number {
  let code = 2;
  try {
    buildCommand(io, (c) => {
      code = c;
    }).parse([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.stderr(`scan-gate: internal error: ${oneLine(errorMessage(err))}\n`);
    return 2;
  }
}
