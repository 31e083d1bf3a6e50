import { PutApprovalResultCommand } from '@aws-sdk/client-codepipeline';
import type { Context } from '../context';
import { CliError, EXIT_OK, EXIT_USAGE, errorName } from '../errors';
import { fields, shortCommit } from '../format';
import { readPendingApproval } from '../pipeline';

export interface ApproveOptions {
  readonly pipeline: string;
  readonly comment?: string;
  readonly yes?: boolean;
}

/** CodePipeline's limit on an approval summary. */
const MAX_SUMMARY = 512;

/** `approve` and `reject`: one flow, two answers. */
export async function answerApproval(ctx: Context, opts: ApproveOptions, answer: 'Approved' | 'Rejected'): Promise<number> {
  const verb = answer === 'Approved' ? 'approve' : 'reject';
  if (opts.comment !== undefined && opts.comment.length > MAX_SUMMARY) {
    throw new CliError(`--comment is ${opts.comment.length} characters; CodePipeline takes at most ${MAX_SUMMARY}`, 'usage', EXIT_USAGE);
  }
  const aws = await ctx.aws();
  // The pipeline's own name is all an approval needs: no config read, so grantApprove suffices.
  const pipeline = { name: opts.pipeline };
  const approval = await readPendingApproval(aws, pipeline.name);
  if (!approval) {
    throw new CliError(`no pending approval for pipeline ${pipeline.name} (nothing is waiting in its Approve stage)`, 'no-pending-approval');
  }
  const r = approval.release;
  ctx.print(
    `${answer === 'Approved' ? 'Approve' : 'Reject'} this release of ${pipeline.name}?\n` +
      fields([
        ['execution', approval.executionId],
        ['commit', r.commit ?? '(unknown)'],
        ['digest', r.digest ?? '(unknown)'],
        ['scan', r.scanSummary ?? '(no summary)'],
        ['test URL', r.testUrl ?? '(unknown)'],
        ...(r.testCommand && r.testCommand !== `curl ${r.testUrl}` ? [['try it', r.testCommand] as [string, string]] : []),
        ...(r.greenSlot ? [['green slot', `${r.greenSlot} (becomes live when the swap runs)`] as [string, string]] : []),
      ]),
  );
  await ctx.confirm(`${verb} execution ${approval.executionId}?`, opts.yes);

  const summary = opts.comment ?? `${answer} with the bluegreen CLI by ${ctx.actor()}`;
  let approvedAt: Date | undefined;
  try {
    const out = await aws.codepipeline.send(new PutApprovalResultCommand({
      pipelineName: pipeline.name,
      stageName: approval.stageName,
      actionName: approval.actionName,
      token: approval.token,
      result: { status: answer, summary },
    }));
    approvedAt = out.approvedAt;
  } catch (err) {
    const name = errorName(err);
    if (name === 'ApprovalAlreadyCompletedException') {
      throw new CliError(`the approval for execution ${approval.executionId} was already answered; nothing changed`, 'approval-already-answered');
    }
    if (name === 'InvalidApprovalTokenException' || name === 'ActionNotFoundException' || name === 'StageNotFoundException') {
      throw new CliError(`the pending approval changed while you were looking (execution ${approval.executionId} is no longer waiting); nothing changed, run status and retry`, 'approval-changed');
    }
    throw err;
  }
  ctx.printJson({
    pipeline: pipeline.name,
    result: answer,
    executionId: approval.executionId,
    summary,
    answeredAt: approvedAt?.toISOString() ?? null,
    ...r,
  });
  ctx.print(answer === 'Approved'
    ? `Approved execution ${approval.executionId} (commit ${shortCommit(r.commit)}); the pipeline goes on to the swap.`
    : `Rejected execution ${approval.executionId} (commit ${shortCommit(r.commit)}); production is untouched.`);
  return EXIT_OK;
}
