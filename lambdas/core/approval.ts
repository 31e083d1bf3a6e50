// Proving that a digest was approved before production goes back to it: from CodePipeline's own
// record of the execution that released it (its manual approval succeeded and its Swap made that
// digest live), not from the state record alone, which anyone with ssm:PutParameter could edit.

/** One action execution of a pipeline execution, as ListActionExecutions reports it (plain data). */
export interface ObservedActionExecution {
  readonly actionName: string;
  /** actionTypeId.category: Source | Build | Invoke | Approval | … */
  readonly category: string;
  /** InProgress | Succeeded | Failed | Abandoned */
  readonly status: string;
  readonly outputVariables: Readonly<Record<string, string>>;
}

export type ApprovalProof = { readonly proven: true; readonly how: string } | { readonly proven: false; readonly reason: string };

/** The Swap action's output variable that names the digest it made live. */
export const SWAP_LIVE_DIGEST_VARIABLE = 'LIVE_DIGEST';

/**
 * `history` is every action execution of `releaseId`, or 'not-found' when CodePipeline no longer
 * holds that execution (execution history is kept for 12 months): then the state record, sealed with
 * a key only the control plane may encrypt with, is the remaining proof.
 */
export function proveApproved(digest: string, releaseId: string | null, history: readonly ObservedActionExecution[] | 'not-found'): ApprovalProof {
  if (releaseId === null) return { proven: false, reason: `no release execution is recorded for ${digest}, so its approval cannot be proven` };
  if (history === 'not-found') {
    return { proven: true, how: `execution ${releaseId} is past CodePipeline's execution history; the sealed state record is the proof` };
  }
  const approved = history.some((a) => a.category === 'Approval' && a.status === 'Succeeded');
  if (!approved) return { proven: false, reason: `execution ${releaseId}, which the record says released ${digest}, has no succeeded approval` };
  const released = history.some((a) => a.category === 'Invoke' && a.status === 'Succeeded' && a.outputVariables[SWAP_LIVE_DIGEST_VARIABLE] === digest);
  if (!released) return { proven: false, reason: `execution ${releaseId} was approved but its swap did not make ${digest} live` };
  return { proven: true, how: `execution ${releaseId} approved and swapped ${digest}` };
}
