// Carrying out a swap or rollback plan: the route writes in the contract's order with the
// commit-point fault handling, then the labels and the record.
import { errorSummary } from '../core/errors';
import { ReleasePlan } from '../core/decide-swap';
import { Logger, SwapPorts } from '../core/ports';
import { RouteWrite } from '../core/routes';

export type ApplyResult =
  | { readonly ok: true; readonly routeWrites: number }
  | { readonly ok: false; readonly state: 'old' | 'new'; readonly reason: string };

/**
 * ModifyRule; when it errors, one read decides whether the write landed anyway (a timeout can hide
 * a success), so the state we report is the state the ALB is in.
 */
async function forwardConfirmed(ports: SwapPorts, write: RouteWrite): Promise<void> {
  try {
    await ports.routes.forward(write.ruleArn, write.targetGroupArn);
  } catch (err) {
    const landed = await ports.routes
      .read()
      .then((r) => {
        const rule = write.rule === 'production' ? r.production : r.test;
        return rule.forwardTargetGroupArns.length === 1 && rule.forwardTargetGroupArns[0] === write.targetGroupArn;
      })
      .catch(() => false);
    if (!landed) throw err;
  }
}

async function writeRoutes(ports: SwapPorts, plan: ReleasePlan, log: Logger): Promise<ApplyResult> {
  let productionMoved = false;
  for (const write of plan.writes) {
    try {
      await forwardConfirmed(ports, write);
      log.info('route written', { rule: write.rule, slot: write.slot });
      if (write.rule === 'production') productionMoved = true;
    } catch (err) {
      const cause = errorSummary(err);
      if (write.rule === 'production') {
        return { ok: false, state: 'old', reason: `writing the production rule failed (${cause}), so production still serves slot ${plan.fromSlot}` };
      }
      if (!productionMoved) {
        return { ok: false, state: 'new', reason: `production serves slot ${plan.toSlot} but repairing the test rule failed (${cause}), so the test route is stale` };
      }
      try {
        await forwardConfirmed(ports, plan.revert);
        log.warn('production reverted after the test rule write failed', { error: cause });
        return { ok: false, state: 'old', reason: `writing the test rule failed (${cause}), so production was reverted to slot ${plan.fromSlot}` };
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

/**
 * The new live slot's tag first (so it names what production will run), then the routes, the
 * labels and the record. Label and record failures leave the (committed) new state.
 */
export async function applyReleasePlan(ports: SwapPorts, plan: ReleasePlan, log: Logger): Promise<ApplyResult> {
  if (plan.repairTag !== null) {
    try {
      await ports.images.tag(plan.repairTag.digest, plan.repairTag.tag);
      log.warn('slot tag repaired: it did not name the digest its tasks run', { tag: plan.repairTag.tag, digest: plan.repairTag.digest });
    } catch (err) {
      return { ok: false, state: 'old', reason: `tag ${plan.repairTag.tag} names another digest than slot ${plan.toSlot} runs and repairing it failed (${errorSummary(err)}), so production still serves slot ${plan.fromSlot}` };
    }
  }
  const routes = await writeRoutes(ports, plan, log);
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
