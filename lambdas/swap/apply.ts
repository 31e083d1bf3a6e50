// Carrying out a swap or rollback plan: the route writes in the contract's order with the
// commit-point fault handling, then the labels and the record.
import { ReleaseConfig } from '../core/config';
import { errorSummary } from '../core/errors';
import { ShiftStepPlan } from '../core/decide-shift';
import { ReleasePlan } from '../core/decide-swap';
import { Logger, SwapPorts } from '../core/ports';
import { ReleaseOperation, releaseMetricDocuments } from '../core/release-metrics';
import { RouteWrite, describeShare, describeWrite, ruleMatchesWrite, weightedTargetGroups } from '../core/routes';

export type ApplyResult =
  | { readonly ok: true; readonly routeWrites: number }
  | { readonly ok: false; readonly state: 'old' | 'new'; readonly reason: string };

/**
 * ModifyRule; when it errors, one read decides whether the write landed anyway (a timeout can hide
 * a success), so the state we report is the state the ALB is in.
 */
async function forwardConfirmed(config: ReleaseConfig, ports: SwapPorts, write: RouteWrite): Promise<void> {
  try {
    if (write.split === undefined) await ports.routes.forward(write.ruleArn, write.targetGroupArn);
    else await ports.routes.forwardWeighted(write.ruleArn, weightedTargetGroups(config, write), write.split.stickinessSeconds);
  } catch (err) {
    const landed = await ports.routes
      .read()
      .then((r) => ruleMatchesWrite(config, write.rule === 'production' ? r.production : r.test, write))
      .catch(() => false);
    if (!landed) throw err;
  }
}

/** The dashboard's metrics (embedded metric format, no extra permission) once a production write has landed. */
function recordProductionMove(config: ReleaseConfig, log: Logger, operation: ReleaseOperation, write: RouteWrite, digest: string | null): void {
  for (const metrics of releaseMetricDocuments({ pipelineName: config.pipelineName, operation, write, digest, timestamp: Date.now() })) {
    log.info('release metric', metrics);
  }
}

async function writeRoutes(config: ReleaseConfig, ports: SwapPorts, plan: ReleasePlan, log: Logger): Promise<ApplyResult> {
  let productionMoved = false;
  const was = describeWrite(plan.revert);
  for (const write of plan.writes) {
    try {
      await forwardConfirmed(config, ports, write);
      log.info('route written', { rule: write.rule, to: describeWrite(write) });
      if (write.rule === 'production') {
        productionMoved = true;
        recordProductionMove(config, log, plan.kind, write, plan.liveDigest);
      }
    } catch (err) {
      const cause = errorSummary(err);
      if (write.rule === 'production') {
        return { ok: false, state: 'old', reason: `writing the production rule failed (${cause}), so production still serves ${was}` };
      }
      if (!productionMoved) {
        return { ok: false, state: 'new', reason: `production serves slot ${plan.toSlot} but repairing the test rule failed (${cause}), so the test route is stale` };
      }
      try {
        await forwardConfirmed(config, ports, plan.revert);
        log.warn('production reverted after the test rule write failed', { error: cause });
        recordProductionMove(config, log, 'revert', plan.revert, plan.previousDigest);
        return { ok: false, state: 'old', reason: `writing the test rule failed (${cause}), so production was reverted to ${was}` };
      } catch (revertErr) {
        return {
          ok: false,
          state: 'new',
          reason: `writing the test rule failed (${cause}) and reverting production failed too (${errorSummary(revertErr)}), so production serves slot ${plan.toSlot} and the test route is stale`,
        };
      }
    }
  }
  return { ok: true, routeWrites: plan.writes.length };
}

/** The slot tag names what its slot runs before production goes there (the slot-tag rule); null when done or not needed. */
async function repairTag(ports: SwapPorts, plan: Pick<ReleasePlan, 'repairTag' | 'toSlot' | 'revert'>, log: Logger): Promise<ApplyResult | null> {
  if (plan.repairTag === null) return null;
  try {
    await ports.images.tag(plan.repairTag.digest, plan.repairTag.tag);
    log.warn('slot tag repaired: it did not name the digest its tasks run', { tag: plan.repairTag.tag, digest: plan.repairTag.digest });
    return null;
  } catch (err) {
    return { ok: false, state: 'old', reason: `tag ${plan.repairTag.tag} names another digest than slot ${plan.toSlot} runs and repairing it failed (${errorSummary(err)}), so production still serves ${describeWrite(plan.revert)}` };
  }
}

/**
 * The new live slot's tag first (so it names what production will run), then the shift's last
 * step in the record (when production leaves a shift), the routes, the labels and the record.
 * Label and record failures leave the (committed) new state.
 */
export async function applyReleasePlan(config: ReleaseConfig, ports: SwapPorts, plan: ReleasePlan, log: Logger): Promise<ApplyResult> {
  const tagged = await repairTag(ports, plan, log);
  if (tagged !== null) return tagged;
  if (plan.intent !== undefined) {
    try {
      await ports.state.write(plan.intent);
    } catch (err) {
      return { ok: false, state: 'old', reason: `recording the step before it failed (${errorSummary(err)}), so production still serves ${describeWrite(plan.revert)}` };
    }
  }
  const routes = await writeRoutes(config, ports, plan, log);
  if (!routes.ok) return routes;
  const problems: string[] = [];
  try {
    await ports.labels.write(plan.labelArns, plan.labels);
  } catch (err) {
    problems.push(`writing the labels failed (${errorSummary(err)})`);
  }
  if (plan.nextState !== null) {
    try {
      await ports.state.write(plan.nextState);
    } catch (err) {
      problems.push(`writing the state record failed (${errorSummary(err)})`);
    }
  }
  if (problems.length > 0) {
    return { ok: false, state: 'new', reason: `production serves slot ${plan.toSlot} but ${problems.join(' and ')}` };
  }
  return routes;
}

/**
 * One step of a traffic shift that keeps production split: the candidate's tag and the test rule
 * onto the candidate (first step only), the record (this step), then the one weighted production
 * write, then the labels. Until the production write has landed this is the old state; a label
 * failure after it leaves the new one (the record already says it).
 */
export async function applyShiftStep(config: ReleaseConfig, ports: SwapPorts, plan: ShiftStepPlan, log: Logger): Promise<ApplyResult> {
  const was = describeShare(plan.toSlot, plan.record.shift!.fromPercent);
  const old = (what: string, err: unknown): ApplyResult => ({ ok: false, state: 'old', reason: `${what} failed (${errorSummary(err)}), so production still serves ${was}` });
  const tagged = await repairTag(ports, { repairTag: plan.repairTag, toSlot: plan.toSlot, revert: plan.write }, log);
  if (tagged !== null) return tagged;
  const writes: RouteWrite[] = [];
  try {
    if (plan.testRepair !== null) {
      await forwardConfirmed(config, ports, plan.testRepair);
      writes.push(plan.testRepair);
      log.warn('repaired the test rule before the shift', { testSlot: plan.toSlot });
    }
  } catch (err) {
    return old('repairing the test rule', err);
  }
  try {
    await ports.state.write(plan.record);
  } catch (err) {
    return old('recording the step', err);
  }
  try {
    await forwardConfirmed(config, ports, plan.write);
    writes.push(plan.write);
    log.info('route written', { rule: 'production', to: describeWrite(plan.write), step: plan.record.shift!.step });
    recordProductionMove(config, log, 'shift-step', plan.write, plan.record.shift!.digest);
  } catch (err) {
    return old(`writing step ${plan.record.shift!.step} (${describeWrite(plan.write)})`, err);
  }
  try {
    await ports.labels.write(plan.labelArns, plan.labels);
  } catch (err) {
    return { ok: false, state: 'new', reason: `production sends ${describeWrite(plan.write)} but writing the labels failed (${errorSummary(err)})` };
  }
  return { ok: true, routeWrites: writes.length };
}

/** The metric a failed audit notification counts (CloudWatch embedded metric format, from the log line itself). */
export const AUDIT_METRIC = { namespace: 'BlueGreen', name: 'AuditNotificationsFailed', dimension: 'Pipeline' } as const;

/**
 * Audit notification. A failure to publish never fails the operation, but it is never silent: the
 * warning log line is also a CloudWatch metric (embedded metric format, no extra permission), and
 * the caller gets the reason to put in the job summary or the rollback result.
 */
export async function notify(ports: SwapPorts, pipelineName: string, subject: string, message: string, log: Logger): Promise<string | null> {
  if (ports.notifier === null) return null;
  try {
    await ports.notifier.publish(subject, message);
    return null;
  } catch (err) {
    const error = errorSummary(err);
    log.warn('could not publish the audit notification', {
      error,
      subject,
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{ Namespace: AUDIT_METRIC.namespace, Dimensions: [[AUDIT_METRIC.dimension]], Metrics: [{ Name: AUDIT_METRIC.name, Unit: 'Count' }] }],
      },
      [AUDIT_METRIC.dimension]: pipelineName,
      [AUDIT_METRIC.name]: 1,
    });
    return `the audit notification could not be published (${error})`;
  }
}
