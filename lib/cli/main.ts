#!/usr/bin/env node
import type { CliIo } from './io';
import { run } from './program';

export type { CliIo } from './io';

/** The `bluegreen` command, callable in-process: returns the exit code instead of exiting. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  return run(argv, io);
}

if (require.main === module) {
  // The SDK's "Node.js 20 support ends" notice would land in every command's stderr; the CLI's
  // supported Node versions are the package's `engines`, not the SDK's schedule.
  // (@aws-sdk/core emitWarningIfUnsupportedVersion honours exactly this variable set to "true".)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // `bluegreen … | head -1`: the reader left, so there is nobody to tell; end quietly, as Unix tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  void main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    isTTY: interactive,
  }).then((code) => {
    process.exitCode = code;
  });
}
