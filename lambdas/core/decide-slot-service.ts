// Judging a slot service for Custom::BlueGreenSlotService: whether an infrastructure deploy may
// start a new deployment of it (the slot tag rule), whether that deployment has finished, and
// whether a deleted service is gone. Pure: plain observations in, a verdict out.
import { ObservedService, ObservedTask } from './ports';
import { releaseDigests } from './slot';
import { asClause } from './text';

/** What the slot's image tag and its running tasks say, as the infra owner observed them. */
export interface SlotImageObservation {
  /** e.g. "slot a" */
  readonly slotLabel: string;
  readonly service: ObservedService | null;
  /** Tasks with desired status RUNNING. */
  readonly tasks: readonly ObservedTask[];
  readonly repositoryName: string;
  readonly imageTag: string;
  /** The digest the tag names now; null when the tag names nothing. */
  readonly tagDigest: string | null;
}

export type SlotImageVerdict =
  /** Nothing a new deployment resolves can differ from what runs. */
  | { readonly kind: 'proceed'; readonly note: string | null }
  /** Move the tag back to `digest` (what every task runs), then deploy. */
  | { readonly kind: 'repair'; readonly digest: string; readonly note: string }
  /** A rollout is under way; look again later. */
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * The slot tag rule for a deployment started by an infrastructure deploy: ECS resolves the tag
 * again for every new deployment ("software version consistency"), so the tag must name exactly
 * the digest the slot's tasks report, or an image that was never approved for the slot would run.
 */
export function judgeSlotImage(o: SlotImageObservation): SlotImageVerdict {
  const s = o.slotLabel;
  // A service that is missing or not ACTIVE runs nothing; UpdateService reports it.
  if (o.service === null || o.service.status !== 'ACTIVE') return { kind: 'proceed', note: null };
  const rolloutReason = rolloutInProgress(s, o.service);
  if (rolloutReason !== null) return { kind: 'wait', reason: rolloutReason };
  if (o.tasks.length === 0) return { kind: 'proceed', note: null };
  const digests = o.tasks.map((t) => releaseDigests(t, o.repositoryName));
  if (o.tasks.some((t) => t.lastStatus !== 'RUNNING') || digests.some((d) => d.length === 0 || d.includes(null))) {
    return { kind: 'wait', reason: `${s}'s tasks are starting or stopping and do not all report an image digest yet` };
  }
  const distinct = [...new Set(digests.flat() as string[])].sort();
  if (distinct.length > 1) {
    return {
      kind: 'refuse',
      reason: `${s}'s tasks run different images (${distinct.join(', ')}), so no deployment may resolve ${o.imageTag} again; retry the deploy once a release has left ${s} on one image`,
    };
  }
  const [running] = distinct;
  if (o.tagDigest === running) return { kind: 'proceed', note: null };
  return {
    kind: 'repair',
    digest: running,
    note: `${o.imageTag} named ${o.tagDigest ?? 'no image'}, which ${s} does not run; it was moved back to ${running}, the digest ${s}'s tasks run, before the update`,
  };
}

/** null when no rollout is under way; otherwise why one is. */
export function rolloutInProgress(slotLabel: string, service: ObservedService): string | null {
  if (service.deployments.length > 1) {
    return `${slotLabel} is deploying (${service.deployments.length} deployments are active: a release or an ECS rollback is under way)`;
  }
  const d = service.deployments[0];
  if (d !== undefined && d.rolloutState !== null && d.rolloutState !== 'COMPLETED') {
    return `${slotLabel}'s deployment ${d.id} is ${d.rolloutState}`;
  }
  return null;
}

export type DeploymentVerdict =
  | { readonly kind: 'done' }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * Whether the deployment an update started is over: the service settled on one COMPLETED
 * deployment. It succeeded when that deployment runs `taskDefinitionArn`; otherwise ECS rolled it
 * back (circuit breaker), and the update failed.
 */
export function judgeDeployment(slotLabel: string, service: ObservedService | null, taskDefinitionArn: string): DeploymentVerdict {
  if (service === null || service.status !== 'ACTIVE') return { kind: 'failed', reason: `${slotLabel}'s service is ${service?.status ?? 'gone'}` };
  const rollout = rolloutInProgress(slotLabel, service);
  if (rollout !== null) return { kind: 'wait', reason: rollout };
  const d = service.deployments[0];
  if (d === undefined || d.taskDefinition === taskDefinitionArn) return { kind: 'done' };
  return {
    kind: 'failed',
    reason: `the deployment of ${taskDefinitionArn} to ${slotLabel} did not complete and ECS rolled ${slotLabel} back to ${d.taskDefinition}${d.rolloutStateReason ? ` (${asClause(d.rolloutStateReason)})` : ''}`,
  };
}

/** A deleted service is gone once DescribeServices no longer finds it or reports it INACTIVE. */
export function serviceGone(service: ObservedService | null): boolean {
  return service === null || service.status === 'INACTIVE';
}
