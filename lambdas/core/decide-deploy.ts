// DeployGreen decisions: where to deploy, and after each poll whether to wait, succeed or fail.
import { ReleaseConfig, SlotName } from './config';
import { DeployLeaseToken, DeployRollToken } from './events';
import { ObservedRoutes, ObservedService, SlotObservation } from './ports';
import { RouteWrite, resolveRoutes, routeWrite } from './routes';
import { digestMismatchReason, slotNotReadyReason, unsteadyReason } from './slot';
import { asClause } from './text';

export interface Refusal {
  readonly kind: 'refused';
  /** One sentence fragment, no trailing period. */
  readonly reason: string;
}

export interface DeployStartPlan {
  readonly kind: 'deploy';
  readonly slot: SlotName;
  readonly imageTag: string;
  readonly desiredCount: number;
  /** The idle slot's count before the release: what a failed release puts back. */
  readonly previousDesiredCount: number;
  /** Set when the test rule does not forward to the idle slot: repaired before the roll. */
  readonly repairTestRoute: RouteWrite | null;
  readonly startedAt: string;
  readonly deadline: string;
}

/** The idle slot at run time gets the release; it runs as many tasks as the busier slot, or the configured count. */
export function planDeployStart(
  config: ReleaseConfig,
  routes: ObservedRoutes,
  services: Partial<Record<SlotName, ObservedService>>,
  now: Date,
): DeployStartPlan | Refusal {
  const resolved = resolveRoutes(config, routes);
  if (!resolved.ok) return { kind: 'refused', reason: resolved.reason };
  const { liveSlot, idleSlot, testRouteStale } = resolved.view;
  const idle = services[idleSlot];
  if (idle === undefined) return { kind: 'refused', reason: `slot ${idleSlot}'s service ${config.slots[idleSlot].serviceArn} does not exist` };
  if (idle.status !== 'ACTIVE') return { kind: 'refused', reason: `slot ${idleSlot}'s service is ${idle.status}, not ACTIVE` };
  const busiest = Math.max(idle.desiredCount, services[liveSlot]?.desiredCount ?? 0);
  return {
    kind: 'deploy',
    slot: idleSlot,
    imageTag: config.slots[idleSlot].imageTag,
    desiredCount: busiest > 0 ? busiest : config.desiredCount,
    previousDesiredCount: idle.desiredCount,
    repairTestRoute: testRouteStale ? routeWrite(config, 'test', idleSlot) : null,
    startedAt: now.toISOString(),
    deadline: new Date(now.getTime() + config.deployTimeoutSeconds * 1000).toISOString(),
  };
}

/**
 * When the slot tag already pointed at the digest (a retried or duplicated start), the rollout that
 * start began, or a slot already running the digest, is reused instead of restarted: returns its
 * deployment id, or null when the slot must be rolled.
 */
export function reusableRollout(obs: SlotObservation, digest: string, desiredCount: number, repositoryName: string): string | null {
  const service = obs.service;
  const primary = service?.deployments.find((d) => d.status === 'PRIMARY');
  if (!service || !primary || service.desiredCount !== desiredCount) return null;
  if (primary.rolloutState === 'IN_PROGRESS') return primary.id;
  const running = unsteadyReason(obs.slot, service) === null && digestMismatchReason(obs.slot, obs.tasks, digest, repositoryName) === null;
  return running ? primary.id : null;
}

export type DeployOutputs = {
  readonly GREEN_SLOT: string;
  readonly IMAGE_DIGEST: string;
  readonly TEST_URL: string;
  readonly COMMIT: string;
  /** The header line a request to TEST_URL needs to reach the green slot (`X-Release-Test: green`); empty with a test port. */
  readonly TEST_HEADER: string;
  /** One line that reaches the green slot, for the approval message: `curl -H 'X-Release-Test: green' https://…`. */
  readonly TEST_COMMAND: string;
};

/** How to reach the green slot, as one shell line (the header quoted for a POSIX shell). */
export function testCommand(config: Pick<ReleaseConfig, 'testUrl' | 'testHeader'>): string {
  return config.testHeader === undefined ? `curl ${config.testUrl}` : `curl -H '${config.testHeader.replace(/'/g, `'\\''`)}' ${config.testUrl}`;
}

/**
 * What a failed release leaves to undo on its slot, so that its tag names what its tasks run again
 * (the slot-tag rule): nothing (the service is gone); the tag only (ECS already went back: the
 * circuit breaker rolled back to the pinned previous digest, or someone else's deployment replaced
 * ours); or the tag and a roll back to the previous digest (the candidate never became ready).
 */
export type DeployUndo = 'none' | 'tag' | 'tag-and-roll';

export type DeployProgress =
  | { readonly kind: 'continue'; readonly reason: string }
  | { readonly kind: 'succeed'; readonly outputs: DeployOutputs; readonly summary: string }
  | { readonly kind: 'fail'; readonly reason: string; readonly undo: DeployUndo };

function pastDeadline(token: DeployLeaseToken | DeployRollToken, now: Date): boolean {
  return now.getTime() >= Date.parse(token.deadline);
}

/** Waiting for the release lease: again, or give up at the deadline (nothing was touched yet). */
export function decideLeaseWait(token: DeployLeaseToken, now: Date, reason: string): DeployProgress {
  if (pastDeadline(token, now)) return { kind: 'fail', reason: `the release lease was not free by the deadline ${token.deadline}: ${reason}`, undo: 'none' };
  return { kind: 'continue', reason: `waiting for the release lease: ${reason}` };
}

/**
 * After a poll: succeed when the slot is steady, every target healthy (≥ desired) and every task
 * runs the digest; fail on a circuit-breaker FAILED rollout, a replaced deployment or the deadline;
 * otherwise wait.
 */
export function decideDeployProgress(config: ReleaseConfig, token: DeployRollToken, obs: SlotObservation, now: Date): DeployProgress {
  const slot = token.slot;
  const service = obs.service;
  if (service === null) return { kind: 'fail', reason: `slot ${slot}'s service no longer exists`, undo: 'none' };
  const ours = token.deploymentId === null ? undefined : service.deployments.find((d) => d.id === token.deploymentId);
  const failed = ours?.rolloutState === 'FAILED' ? ours : service.deployments.find((d) => d.status === 'PRIMARY' && d.rolloutState === 'FAILED');
  if (failed) {
    return {
      kind: 'fail',
      reason: `the ECS deployment circuit breaker stopped slot ${slot}'s rollout ${failed.id}${failed.rolloutStateReason ? ` (${asClause(failed.rolloutStateReason)})` : ''}`,
      undo: 'tag',
    };
  }
  if (token.deploymentId !== null && ours === undefined) {
    return { kind: 'fail', reason: `slot ${slot}'s deployment ${token.deploymentId} was replaced by another deployment before it completed`, undo: 'tag-and-roll' };
  }
  const notReady = slotNotReadyReason(obs, token.digest, config.repositoryName, true);
  if (notReady === null) {
    return {
      kind: 'succeed',
      outputs: { GREEN_SLOT: slot, IMAGE_DIGEST: token.digest, TEST_URL: config.testUrl, COMMIT: token.commit, TEST_HEADER: config.testHeader ?? '', TEST_COMMAND: testCommand(config) },
      summary: `Slot ${slot} runs ${token.digest} on ${service.desiredCount} healthy task(s); try it: ${testCommand(config)}`,
    };
  }
  if (pastDeadline(token, now)) {
    return { kind: 'fail', reason: `slot ${slot} was not ready by the deadline ${token.deadline}: ${notReady}`, undo: 'tag-and-roll' };
  }
  return { kind: 'continue', reason: notReady };
}

/** A throttle or 5xx during a poll is worth another poll until the deadline. */
export function decideAfterTransientError(token: DeployLeaseToken | DeployRollToken, now: Date, error: string): DeployProgress {
  if (pastDeadline(token, now)) {
    const what = token.phase === 'rolling' ? `slot ${token.slot} was not confirmed ready` : 'the release lease could not be read';
    return { kind: 'fail', reason: `${what} by the deadline ${token.deadline} (last poll: ${error})`, undo: token.phase === 'rolling' ? 'tag-and-roll' : 'none' };
  }
  return { kind: 'continue', reason: `transient AWS error, polling again: ${error}` };
}
