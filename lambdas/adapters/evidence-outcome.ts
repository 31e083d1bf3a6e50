// A job outcome that also says its evidence could not be written: in the summary of a success,
// in the sentence of a failure. The outcome itself never changes because of evidence.
import { JobOutcome, failure } from './job';

export function withEvidenceProblem(outcome: JobOutcome, problem: string | null): JobOutcome {
  if (problem === null) return outcome;
  if (outcome.kind === 'success') return { ...outcome, result: { ...outcome.result, summary: `${outcome.result.summary}; ${problem}` } };
  return failure(`${outcome.message.replace(/\.$/, '')}; ${problem}`, outcome.executionId);
}
