// Judging one slot: steady, healthy, and running exactly one digest.
import { SlotName } from './config';
import { ObservedService, ObservedTask, ObservedTarget, SlotObservation } from './ports';
import { asClause } from './text';

/** null when the service is steady; otherwise why not. Steady = one deployment, COMPLETED, running = desired > 0. */
export function unsteadyReason(slot: SlotName, service: ObservedService | null): string | null {
  if (service === null) return `slot ${slot}'s service does not exist`;
  if (service.status !== 'ACTIVE') return `slot ${slot}'s service is ${service.status}, not ACTIVE`;
  if (service.desiredCount === 0) return `slot ${slot} has no tasks (desired count 0)`;
  if (service.deployments.length !== 1) return `slot ${slot} is still deploying (${service.deployments.length} deployments are active)`;
  const d = service.deployments[0];
  if (d.rolloutState !== null && d.rolloutState !== 'COMPLETED') {
    return `slot ${slot}'s deployment ${d.id} is ${d.rolloutState}${d.rolloutStateReason ? ` (${asClause(d.rolloutStateReason)})` : ''}`;
  }
  if (service.runningCount !== service.desiredCount) {
    return `slot ${slot} runs ${service.runningCount} of ${service.desiredCount} desired tasks`;
  }
  return null;
}

/**
 * The digests a task reports for the release image: its containers whose image is from the release
 * repository (all containers when none says so). Null entries mean the digest is not known yet.
 */
export function releaseDigests(task: ObservedTask, repositoryName: string): (string | null)[] {
  const fromRepository = task.containers.filter((c) => c.image !== null && isFromRepository(c.image, repositoryName));
  const containers = fromRepository.length > 0 ? fromRepository : task.containers;
  return containers.map((c) => c.imageDigest);
}

function isFromRepository(image: string, repositoryName: string): boolean {
  const path = image.slice(image.indexOf('/') + 1);
  return path === repositoryName || path.startsWith(`${repositoryName}:`) || path.startsWith(`${repositoryName}@`);
}

/** null when every task reports exactly `digest` (and at least one runs); otherwise why not. */
export function digestMismatchReason(slot: SlotName, tasks: readonly ObservedTask[], digest: string, repositoryName: string): string | null {
  const running = tasks.filter((t) => t.lastStatus === 'RUNNING');
  if (running.length === 0) return `slot ${slot} has no running tasks`;
  const others = new Set<string>();
  let unknown = 0;
  for (const task of tasks) {
    const digests = releaseDigests(task, repositoryName);
    if (digests.length === 0) unknown += task.lastStatus === 'RUNNING' ? 1 : 0;
    for (const d of digests) {
      if (d === null) unknown += task.lastStatus === 'RUNNING' ? 1 : 0;
      else if (d !== digest) others.add(d);
    }
  }
  if (others.size > 0) return `slot ${slot} runs ${[...others].sort().join(', ')}, not ${digest}`;
  if (unknown > 0) return `${unknown} running task(s) in slot ${slot} do not report an image digest yet`;
  return null;
}

/**
 * null when at least `minHealthy` targets are healthy (and, with `requireAll`, every target that is
 * not draining is healthy); otherwise why not.
 */
export function healthShortfallReason(slot: SlotName, targets: readonly ObservedTarget[], minHealthy: number, requireAll: boolean): string | null {
  const live = targets.filter((t) => t.state !== 'draining');
  const healthy = live.filter((t) => t.state === 'healthy').length;
  if (healthy < minHealthy || healthy === 0) return `slot ${slot} has ${healthy} healthy target(s), needs ${Math.max(minHealthy, 1)}`;
  if (requireAll && healthy < live.length) {
    const bad = live.filter((t) => t.state !== 'healthy').map((t) => `${t.id}${t.port !== null ? `:${t.port}` : ''} ${t.state}`);
    return `slot ${slot} has unhealthy targets (${bad.join(', ')})`;
  }
  return null;
}

/**
 * null when the slot may serve production with `digest`: steady, ≥ desired healthy targets, and
 * every task reports exactly `digest`. `requireAllTargetsHealthy` is DeployGreen's stricter bar.
 */
export function slotNotReadyReason(obs: SlotObservation, digest: string, repositoryName: string, requireAllTargetsHealthy = false): string | null {
  return (
    unsteadyReason(obs.slot, obs.service) ??
    digestMismatchReason(obs.slot, obs.tasks, digest, repositoryName) ??
    healthShortfallReason(obs.slot, obs.targets, obs.service?.desiredCount ?? 1, requireAllTargetsHealthy)
  );
}

/** The one digest every running task reports, or null when none run or they disagree. */
export function uniformDigest(tasks: readonly ObservedTask[], repositoryName: string): string | null {
  const digests = new Set(tasks.filter((t) => t.lastStatus === 'RUNNING').flatMap((t) => releaseDigests(t, repositoryName)));
  if (digests.size !== 1) return null;
  const [only] = [...digests];
  return only;
}
