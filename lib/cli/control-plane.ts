// The control plane's types, parsers and AWS readers, as the CLI uses them: one import point, so
// the CLI reads the system exactly as the handlers do (same adapters, same judgements).
export { executionLookup, listActionExecutions, releaseRecord } from '../../lambdas/adapters/codepipeline';
export { readRoutes } from '../../lambdas/adapters/elb';
export { observeSlot } from '../../lambdas/adapters/ecs';
export { readLease, readParameter, readState } from '../../lambdas/adapters/ssm';
export { proveApproved } from '../../lambdas/core/approval';
export { describeHolder } from '../../lambdas/core/lease';
export type { LeaseRecord } from '../../lambdas/core/lease';
export { readLabels } from '../../lambdas/adapters/tagging';
export { decideRollback } from '../../lambdas/core/decide-rollback';
export { findDrift, routeSlots, shortDigest } from '../../lambdas/core/drift';
export { labelledResources } from '../../lambdas/core/labels';
export { releaseDigests, unsteadyReason, uniformDigest } from '../../lambdas/core/slot';
export { otherSlot, parseReleaseConfig } from '../../lambdas/core/config';
export type { ReleaseConfig, SlotName } from '../../lambdas/core/config';
export type { RouteSlots as CoreRouteSlots } from '../../lambdas/core/drift';
export type { OperatorResult, RollbackResult } from '../../lambdas/core/events';
export { decideAbort, decidePromote } from '../../lambdas/core/decide-shift';
export { describeShare, trafficText, viewTraffic } from '../../lambdas/core/routes';
export type { ShiftView } from '../../lambdas/core/routes';
export type { ObservedRoutes, ResourceTags, SlotObservation } from '../../lambdas/core/ports';
export type { HistoryEntry, StateRecord } from '../../lambdas/core/state';
export { evidenceStoreFor } from '../../lambdas/adapters/evidence';
export type { S3Send } from '../../lambdas/adapters/s3';
export { s3Send } from '../../lambdas/adapters/s3-client';
export { summariseRelease } from '../../lambdas/core/evidence';
export type {
  ActionEntry, BakeEntry, BuildEntry, DeployEntry, EndEntry, EvidenceDocument, EvidenceEntry, EvidenceStore, ReleaseSummary, TrafficEntry,
} from '../../lambdas/core/evidence';
