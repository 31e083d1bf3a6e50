import type { Context } from '../context';
import { describeHolder, otherSlot, readLease, trafficText, viewTraffic } from '../control-plane';
import { discoverPipeline } from '../discovery';
import { EXIT_OK } from '../errors';
import { describeDigests, describeHealth, fields, shortCommit, shortDigest, when } from '../format';
import { observe, type SlotStatus } from '../observe';
import { RELEASE_STAGE, listExecutions, queuedExecutions, readPendingApproval, readPipelineState, runningExecutions } from '../pipeline';

const slotJson = (s: SlotStatus) => ({
  slot: s.slot,
  digest: s.digests.length === 1 ? s.digests[0] : null,
  digests: s.digests,
  desired: s.desired,
  running: s.running,
  steady: s.unsteady === null,
  unsteadyReason: s.unsteady,
  healthyTargets: s.healthyTargets,
  targets: s.targets,
});

type Observed = Awaited<ReturnType<typeof gather>>;

/**
 * A scaled-down slot's way back, typically: Fargate starts a task in about a minute, then the
 * health check grace and two healthy checks of the target group (docs/design.md, "The previous
 * slot after a release").
 */
export const SCALE_UP_ETA_SECONDS = 180;

/**
 * The previous slot (the non-live one, when production is not split): warm with its tasks, a
 * rollback in one route write; or at zero (`previousSlotRetention` scaled it down), a rollback that
 * starts the live slot's count of tasks first.
 */
function previousSlotOf(seen: Pick<Observed, 'pipeline' | 'obs' | 'live' | 'shift' | 'recorded'>) {
  const { pipeline, obs, live, shift, recorded } = seen;
  if (live === null || shift !== null || pipeline.state === null) return null;
  const slot = otherSlot(live);
  const s = obs.slots[slot];
  const retentionSeconds = pipeline.config.previousSlotRetention?.seconds ?? null;
  const scaledDownAt = recorded?.previousScaledDownAt ?? null;
  if (s.desired === 0) {
    return { slot, state: 'scaled-down' as const, tasks: 0, scaledDownAt, retentionSeconds, rollback: 'scale-up first' as const, rollbackEtaSeconds: SCALE_UP_ETA_SECONDS, startsTasks: Math.max(1, obs.slots[live].desired) };
  }
  if (scaledDownAt !== null && (s.running < s.desired || s.unsteady !== null)) {
    return { slot, state: 'starting' as const, tasks: s.running, scaledDownAt, retentionSeconds, rollback: 'scale-up first' as const, rollbackEtaSeconds: SCALE_UP_ETA_SECONDS, startsTasks: s.desired };
  }
  return { slot, state: 'warm' as const, tasks: s.running, scaledDownAt: null, retentionSeconds, rollback: 'one route write' as const, rollbackEtaSeconds: 0, startsTasks: 0 };
}

function previousSlotRow(seen: Observed): Array<[string, string]> {
  const p = previousSlotOf(seen);
  if (p === null || (p.retentionSeconds === null && p.state === 'warm')) return [];
  const retention = p.retentionSeconds === null ? '' : ` (previousSlotRetention scales it to zero ${humanSeconds(p.retentionSeconds)} after a release)`;
  if (p.state === 'warm') return [['rollback', `slot ${p.slot} warm with ${p.tasks} task(s): one route write${retention}`]];
  const since = p.scaledDownAt === null ? '' : ` at ${when(p.scaledDownAt)}`;
  const what = p.state === 'starting' ? `slot ${p.slot} scaled to zero${since}, starting again (${p.tasks} running)` : `slot ${p.slot} scaled to zero${since}`;
  return [['rollback', `${what}: a rollback starts ${p.startsTasks} task(s) first, about ${Math.round(p.rollbackEtaSeconds / 60)} minutes, then one route write`]];
}

function humanSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return seconds % 60 === 0 ? `${seconds / 60}min` : `${seconds}s`;
}

export async function status(ctx: Context, opts: { pipeline: string }): Promise<number> {
  const seen = await gather(ctx, opts.pipeline);
  ctx.printJson(statusJson(seen));
  if (ctx.json) return EXIT_OK;
  ctx.print(`${seen.pipeline.name} (${seen.region})\n${fields([...slotRows(ctx, seen), ...releaseRows(ctx, seen)])}`);
  return EXIT_OK;
}

/** Everything `status` shows, read once: routes, slots, labels, the record, the pipeline and the lease. */
async function gather(ctx: Context, name: string) {
  const aws = await ctx.aws();
  const pipeline = await discoverPipeline(aws, name);
  const [obs, pipelineState, last, lease] = await Promise.all([
    observe(aws, pipeline),
    readPipelineState(aws, pipeline.name),
    listExecutions(aws, pipeline.name, 1),
    readLease(aws, pipeline.config),
  ]);
  const approval = await readPendingApproval(aws, pipeline.name, pipelineState);
  const { state } = pipeline;
  const live = obs.liveSlot;
  const shift = obs.routes.shift;
  return {
    region: aws.region,
    pipeline,
    obs,
    lease,
    approval,
    now: new Date(),
    executions: runningExecutions(pipelineState),
    queued: queuedExecutions(pipelineState),
    live,
    green: live === null ? null : otherSlot(live),
    // The record speaks for the live slot only when it names the same slot as the routes.
    recorded: state !== null && state.liveSlot === live ? state : null,
    shift,
    traffic: live === null ? null : viewTraffic({ liveSlot: live, idleSlot: otherSlot(live), testSlot: obs.routes.test, testRouteStale: false, shift }),
    recordedShift: shift !== null && state?.shift?.toSlot === shift.toSlot ? state.shift : null,
    lastExecution: last[0] ? { executionId: last[0].pipelineExecutionId, status: last[0].status, startTime: last[0].startTime?.toISOString() } : null,
  };
}

function statusJson(seen: Observed) {
  const { pipeline, obs, live, green, recorded, shift, recordedShift, lease, approval } = seen;
  const { state, config } = pipeline;
  return {
    pipeline: pipeline.name,
    region: seen.region,
    released: state !== null,
    live: live === null ? null : { ...slotJson(obs.slots[live]), commit: recorded?.commit ?? null, recordedDigest: recorded?.liveDigest ?? null },
    green: green === null ? null : { ...slotJson(obs.slots[green]), testUrl: config.testUrl },
    routes: { production: obs.routes.production, test: obs.routes.test },
    traffic: seen.traffic,
    previousSlot: previousSlotOf(seen),
    shift: shift && { toSlot: shift.toSlot, percent: shift.percent, ...(recordedShift ? { step: recordedShift.step, steps: recordedShift.steps, since: recordedShift.since, stepAt: recordedShift.at, executionId: recordedShift.executionId } : {}) },
    labelsAgree: obs.drift.length === 0,
    drift: obs.drift,
    executions: seen.executions,
    queued: seen.queued,
    lease: { holder: describeHolder(lease, seen.now), release: lease.release, operation: lease.operation, generation: lease.generation },
    lastExecution: seen.lastExecution,
    approval: approval && {
      executionId: approval.executionId, stage: approval.stageName, action: approval.actionName, since: approval.since ?? null,
      ...approval.release,
    },
    state,
  };
}

/** The slots, the shift, the test URL and the labels. */
function slotRows(ctx: Context, seen: Observed): Array<[string, string]> {
  const s = ctx.style;
  const { pipeline, obs, live, green, shift, recordedShift } = seen;
  const rows: Array<[string, string]> = [];
  if (live === null) {
    rows.push(['live (blue)', s.loud('unknown: the production route forwards to no single slot')]);
  } else {
    const l = obs.slots[live];
    const what = pipeline.state === null && l.digests.length === 0
      ? 'nothing released yet (production answers 503 until the first release)'
      : `${describeDigests(l.digests)}  commit ${shortCommit(seen.recorded?.commit ?? null)}`;
    const share = shift === null ? '' : `  ${100 - shift.percent}%`;
    rows.push(['live (blue)', `slot ${live}  ${what}${share}  ${describeHealth(l)}`]);
    const g = obs.slots[green!];
    rows.push([shift === null ? 'green' : 'candidate', `slot ${green}  ${describeDigests(g.digests)}${shift === null ? '' : `  ${shift.percent}%`}  ${describeHealth(g)}`]);
    if (shift !== null) {
      const step = recordedShift ? `step ${recordedShift.step} of ${recordedShift.steps} since ${when(recordedShift.at)}, ` : '';
      rows.push(['shifting', s.loud(`${trafficText(seen.traffic!)}: ${step}to slot ${shift.toSlot}; bluegreen promote|abort --pipeline ${pipeline.name} ends it now`)]);
    }
    rows.push(...previousSlotRow(seen));
    const { testUrl, testHeader } = pipeline.config;
    rows.push(['test URL', testHeader ? `${testUrl} with header ${testHeader}` : testUrl]);
  }
  if (obs.drift.length === 0) {
    rows.push(['labels', s.good('agree with the routes')]);
  } else {
    rows.push(['labels', s.loud('DRIFT: the labels disagree with the routes (the routes are the truth)')]);
    for (const d of obs.drift) rows.push(['', s.loud(`!! ${d}`)]);
  }
  return rows;
}

/** The executions, the queue, the lease and the pending approval. */
function releaseRows(ctx: Context, seen: Observed): Array<[string, string]> {
  const s = ctx.style;
  const { pipeline, executions, queued, lastExecution, approval } = seen;
  const rows: Array<[string, string]> = [];
  if (executions.length === 0) {
    rows.push(['execution', lastExecution
      ? `none in progress (last: ${lastExecution.executionId} ${lastExecution.status} ${when(lastExecution.startTime)})`
      : 'none yet']);
  } else {
    for (const e of executions) rows.push(['execution', `${e.executionId} in stage ${e.stage}${e.action ? ` (${e.action})` : ''}`]);
  }
  for (const q of queued) rows.push(['queued', `${q.executionId} waits to enter ${q.stage}`]);
  rows.push(['lease', `the slots are held by ${describeHolder(seen.lease, seen.now)}`]);
  if (!approval) {
    rows.push(['approval', 'none pending']);
    return rows;
  }
  const r = approval.release;
  rows.push(['approval', `pending since ${when(approval.since)} for execution ${approval.executionId}`]);
  rows.push(['', `commit ${shortCommit(r.commit)}  digest ${shortDigest(r.digest)}`]);
  if (r.scanSummary) rows.push(['', `scan: ${r.scanSummary}`]);
  if (r.testCommand || r.testUrl) rows.push(['', `try it: ${r.testCommand && r.testCommand !== `curl ${r.testUrl}` ? r.testCommand : r.testUrl}`]);
  rows.push(['', `answer with: bluegreen approve|reject --pipeline ${pipeline.name}`]);
  if (queued.some((q) => q.stage === RELEASE_STAGE)) {
    // The hotfix path: one release at a time, so the queue waits for this answer.
    rows.push(['', s.loud(`${queued.length} release(s) wait behind this approval: for a hotfix, reject it (bluegreen reject --pipeline ${pipeline.name}) and the next one deploys`)]);
  }
  return rows;
}
