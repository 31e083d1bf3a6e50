import { GetPipelineExecutionCommand, type GetPipelineStateOutput } from '@aws-sdk/client-codepipeline';
import type { AwsClients } from '../aws';
import type { Context } from '../context';
import { listActionExecutions } from '../control-plane';
import { CliError, EXIT_FAILED, EXIT_OK, errorName } from '../errors';
import { when } from '../format';
import { RELEASE_STAGE, listExecutions, readPipelineState } from '../pipeline';
import { releaseProgress, renderProgress, type ReleaseProgress } from '../release-progress';

export interface WatchOptions {
  readonly pipeline: string;
  /** Seconds between refreshes. */
  readonly interval: number;
  readonly execution?: string;
}

/** The execution to follow: the one in the Release stage, else the newest one running, else the newest. */
async function pickExecution(aws: AwsClients, pipeline: string, state: GetPipelineStateOutput): Promise<string | null> {
  const release = (state.stageStates ?? []).find((s) => s.stageName === RELEASE_STAGE)?.latestExecution;
  if (release?.status === 'InProgress' && release.pipelineExecutionId) return release.pipelineExecutionId;
  const recent = await listExecutions(aws, pipeline, 10);
  return (recent.find((e) => e.status === 'InProgress') ?? recent[0])?.pipelineExecutionId ?? null;
}

async function observeExecution(aws: AwsClients, pipeline: string, executionId: string, state: GetPipelineStateOutput): Promise<ReleaseProgress> {
  let status: string;
  try {
    const out = await aws.codepipeline.send(new GetPipelineExecutionCommand({ pipelineName: pipeline, pipelineExecutionId: executionId }));
    status = out.pipelineExecution?.status ?? 'Unknown';
  } catch (err) {
    if (errorName(err) === 'PipelineExecutionNotFoundException') throw new CliError(`no execution ${executionId} in pipeline ${pipeline}`, 'unknown-execution');
    throw err;
  }
  return releaseProgress(executionId, status, state, await listActionExecutions(aws, pipeline, executionId));
}

/**
 * `status --watch`: follows one execution until it ends (exit 0 when it succeeded, 1 otherwise) or
 * Ctrl-C (exit 0). On a terminal the block is redrawn in place; elsewhere (a log, a pipe) a new
 * block is printed only when something changed; with --json, one JSON object per change.
 */
export async function watch(ctx: Context, opts: WatchOptions): Promise<number> {
  const aws = await ctx.aws();
  const { signal, dispose } = ctx.interruptible();
  const tty = ctx.io.isTTY === true && !ctx.json;
  let shown = '';
  let drawnLines = 0;
  let executionId = opts.execution ?? null;
  try {
    for (;;) {
      const state = await readPipelineState(aws, opts.pipeline);
      executionId ??= await pickExecution(aws, opts.pipeline, state);
      const progress = executionId === null ? null : await observeExecution(aws, opts.pipeline, executionId, state);
      const block = progress === null ? `${opts.pipeline}: no execution yet; waiting for one\n` : renderProgress(opts.pipeline, progress);
      if (ctx.json) {
        if (block !== shown && progress !== null) ctx.io.stdout.write(`${JSON.stringify({ pipeline: opts.pipeline, ...progress })}\n`);
      } else if (tty) {
        const footer = `\n${ctx.style.dim(`refreshed ${when(new Date())}, every ${opts.interval}s; Ctrl-C to stop`)}\n`;
        ctx.io.stdout.write(`${drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[0J` : ''}${block}${footer}`);
        drawnLines = `${block}${footer}`.split('\n').length - 1;
      } else if (block !== shown) {
        ctx.io.stdout.write(`${shown === '' ? '' : '\n'}${block}`);
      }
      shown = block;
      if (progress?.done) return progress.status === 'Succeeded' ? EXIT_OK : EXIT_FAILED;
      if (await ctx.waitUnlessAborted(opts.interval * 1000, signal)) return EXIT_OK;
    }
  } finally {
    dispose();
  }
}
