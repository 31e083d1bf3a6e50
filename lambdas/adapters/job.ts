// The shell every CodePipeline job handler shares: parse the job, run the work, and give the job
// exactly one result, whatever happens on the way.
import { CONFIG_ENV, ReleaseConfig, parseReleaseConfig } from '../core/config';
import { errorSummary } from '../core/errors';
import { clip } from '../core/text';
import { MAX_FAILURE_MESSAGE } from './codepipeline';
import { PipelineJob, jobIdOf, parsePipelineJob } from '../core/events';
import { JobReporter, JobSuccess, Logger } from '../core/ports';
import { LogSink, createLogger } from './log';

/** What a handler needs from outside; `P` is the set of ports it uses. */
export interface HandlerDeps<P> {
  readonly loadConfig: () => ReleaseConfig;
  readonly ports: (config: ReleaseConfig) => P;
  readonly reporter: JobReporter;
  readonly now: () => Date;
  readonly logSink?: LogSink;
}

/**
 * The handler's AWS wiring plus overrides. Config is read per invocation, so a changed
 * environment takes effect at once (and tests can vary it).
 */
export function handlerDeps<P>(aws: Pick<HandlerDeps<P>, 'ports' | 'reporter'>, overrides: Partial<HandlerDeps<P>> = {}): HandlerDeps<P> {
  return { loadConfig: () => parseReleaseConfig(process.env[CONFIG_ENV]), now: () => new Date(), ...aws, ...overrides };
}

export type JobOutcome =
  | { readonly kind: 'success'; readonly result: JobSuccess }
  | { readonly kind: 'failure'; readonly message: string; readonly executionId?: string };

/**
 * One sentence: trimmed, first letter upper-case, one final period, within `max` characters (cut
 * at a word with the number of characters left out, never mid-way without saying so).
 */
export function sentence(text: string, max = MAX_FAILURE_MESSAGE): string {
  const t = clip(text.trim().replace(/[.\s]+$/, ''), max - 1);
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}.`;
}

/** Whether a job outcome carries on in another invocation (a continuation). */
export function continues(outcome: JobOutcome | undefined): boolean {
  return outcome?.kind === 'success' && outcome.result.continuationToken !== undefined;
}

export function failure(message: string, executionId?: string): JobOutcome {
  return { kind: 'failure', message: sentence(message), ...(executionId !== undefined ? { executionId } : {}) };
}

/** Where one poll of a long-running action ends: wait, succeed with output variables, or fail. */
export type PollVerdict =
  | { readonly kind: 'continue'; readonly reason: string }
  | { readonly kind: 'succeed'; readonly summary: string; readonly outputs: Readonly<Record<string, string>> }
  | { readonly kind: 'fail'; readonly reason: string };

/** How a long-running action words its results: `Waiting: …` / `DeployGreen failed …: …`. */
export interface PollWords {
  readonly waiting: string;
  readonly failed: string;
}

/**
 * A poll verdict as the job's result: waiting answers with the same continuation token (so
 * CodePipeline polls again), success carries the output variables, failure says why.
 */
export function pollOutcome(verdict: PollVerdict, continuationToken: string, words: PollWords, log: Logger): JobOutcome {
  switch (verdict.kind) {
    case 'continue':
      log.info(words.waiting.toLowerCase(), { reason: verdict.reason });
      return { kind: 'success', result: { summary: `${words.waiting}: ${verdict.reason}`, continuationToken } };
    case 'succeed':
      return { kind: 'success', result: { summary: verdict.summary, outputVariables: { ...verdict.outputs } } };
    case 'fail':
      return failure(`${words.failed}: ${verdict.reason}`);
  }
}

/**
 * Runs `work` for a CodePipeline job and reports its outcome once. Malformed jobs and unexpected
 * errors become failure results; only a failure to report is rethrown (so Lambda's retry or the
 * pipeline's timeout is the last resort), except that a job that already has a result is done.
 */
export async function runPipelineJob(
  event: unknown,
  operation: string,
  deps: HandlerDeps<unknown>,
  work: (job: PipelineJob, log: Logger) => Promise<JobOutcome>,
  unexpected: (err: unknown) => string,
): Promise<void> {
  const jobId = jobIdOf(event);
  let log = createLogger({ operation, jobId: jobId ?? null, executionId: null }, deps.logSink);
  if (jobId === undefined) {
    log.error('The event is a CodePipeline job without an id: there is no job to answer.');
    return;
  }
  let outcome: JobOutcome;
  let job: PipelineJob | undefined;
  try {
    job = parsePipelineJob(event);
    if (job.pipelineExecutionId) log = log.child({ executionId: job.pipelineExecutionId });
    outcome = await work(job, log);
  } catch (err) {
    log.error('unexpected error', { error: errorSummary(err) });
    outcome = failure(unexpected(err));
  }
  // The work's own id (Swap's UserParameters) wins; else the pipeline context's.
  const executionId = (outcome.kind === 'success' ? outcome.result.executionId : outcome.executionId) ?? job?.pipelineExecutionId;
  if (executionId) log = log.child({ executionId });
  try {
    if (outcome.kind === 'success') {
      await deps.reporter.succeed(jobId, { ...outcome.result, ...(executionId ? { executionId } : {}) });
      log.info('job succeeded', { summary: outcome.result.summary, continuation: outcome.result.continuationToken !== undefined, outputVariables: outcome.result.outputVariables });
    } else {
      await deps.reporter.fail(jobId, outcome.message, executionId);
      log.warn('job failed', { reason: outcome.message });
    }
  } catch (err) {
    // The job already has its one result (a duplicated delivery, or a retry after a lost response):
    // repeating the work would change nothing, so this invocation is done.
    if ((err as Error | undefined)?.name === 'InvalidJobStateException') {
      log.warn('the job already has a result; this duplicate delivery changes nothing', { outcome: outcome.kind });
      return;
    }
    log.error('could not report the job result', { error: errorSummary(err), outcome: outcome.kind });
    throw err;
  }
}
