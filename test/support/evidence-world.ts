// Release evidence in the in-memory world: the build's upload (what buildspecs/scripts/push-image.sh
// writes), CodePipeline's EventBridge events delivered to the real evidence recorder, and the
// documents as stored.
import { createEvidenceRecorder, recorderPorts } from '../../lambdas/evidence';
import { evidenceStoreFor } from '../../lambdas/adapters/evidence';
import type { BuildEvidence, EvidenceDocument } from '../../lambdas/core/evidence';
import { ACTION_EVENT, EXECUTION_EVENT, evidenceKeys, parseEvidenceDocument } from '../../lambdas/core/evidence';
import type { AwsWorld } from './aws-model';
import type { ActionCategory } from './model/codepipeline';
import { serveS3, worldS3Send } from './model/s3';
import type { Release } from './release-driver';
import type { ReleaseStack } from './release-stack';

export const TRIVY_DB = { version: 2, updatedAt: '2024-12-31T06:12:44Z', nextUpdate: '2025-01-01T06:12:44Z', downloadedAt: '2024-12-31T09:00:02Z' };

/** The build's own record for a release, as push-image.sh composes it. */
export function buildEvidenceOf(stack: ReleaseStack, release: Release, over: Partial<BuildEvidence> = {}): BuildEvidence {
  const builds = `s3://${stack.config.evidence!.bucket}/${evidenceKeys(stack.config.evidence!.prefix).build(release.execution.id).replace(/build\.json$/, '')}`;
  return {
    schema: 1,
    source: { repository: 'acme/shop-api', branch: 'main', commit: release.image.commit },
    buildId: `app-pipeline-build:${release.image.label}-0000-4000-8000-000000000001`,
    image: { uri: release.image.imageUri, digest: release.image.digest },
    trivy: { version: '0.69.3', db: TRIVY_DB },
    policy: { failOn: 'HIGH', ignoreUnfixed: true, allowEmptyScan: false },
    scan: { summary: '0 critical, 0 high, 2 medium; 0 secrets', report: `${builds}trivy-report.json`, sbom: `${builds}sbom.cdx.json` },
    allowList: [{ id: 'CVE-2024-0001', reason: 'not reachable: the parser is never given untrusted input', expires: '2025-06-30', findings: 1 }],
    ...over,
  };
}

/** The build uploads its record under the execution's key (the build role's write). */
export function uploadBuildEvidence(world: AwsWorld, stack: ReleaseStack, release: Release, body: unknown = buildEvidenceOf(stack, release)): void {
  const { bucket, prefix } = stack.config.evidence!;
  serveS3(world).putDirect(bucket, evidenceKeys(prefix).build(release.execution.id), typeof body === 'string' ? body : JSON.stringify(body));
}

/** The stored document of an execution, or null. */
export function storedEvidence(world: AwsWorld, stack: ReleaseStack, executionId: string): EvidenceDocument | null {
  const { bucket, prefix } = stack.config.evidence!;
  const body = serveS3(world).body(bucket, evidenceKeys(prefix).document(executionId));
  return body === undefined ? null : parseEvidenceDocument(body);
}

const EVENT_STATES: Record<string, string> = { Succeeded: 'SUCCEEDED', Failed: 'FAILED', Abandoned: 'ABANDONED' };

/**
 * CodePipeline's EventBridge events for what changed since the last call (an action of the
 * Release stage finished, an execution ended), delivered to the real recorder the construct
 * subscribes. `duplicate`: deliver each twice, as EventBridge may (at-least-once delivery).
 */
export class PipelineEventFeed {
  readonly recorder;
  readonly delivered: unknown[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly world: AwsWorld, private readonly stack: ReleaseStack, logSink: (line: string) => void) {
    const now = () => new Date(world.now());
    this.recorder = world.actingAs('EvidenceRecorder', createEvidenceRecorder({
      loadConfig: () => stack.config,
      ports: (config) => ({ ...recorderPorts(config), evidence: evidenceStoreFor(config, worldS3Send(world), now) }),
      now,
      logSink,
    }));
  }

  async deliver(opts: { duplicate?: boolean } = {}): Promise<number> {
    const events: unknown[] = [];
    const pipeline = this.world.codepipeline.pipelines.get(this.stack.pipelineName)!;
    const categoryOf = (action: string) => pipeline.stages.flatMap((s) => s.actions).find((a) => a.name === action)?.category as ActionCategory;
    for (const exec of this.world.codepipeline.executions.values()) {
      for (const a of exec.actions) {
        const state = EVENT_STATES[a.status];
        const key = `${a.actionExecutionId}:${state}`;
        if (!state || this.seen.has(key)) continue;
        this.seen.add(key);
        events.push(this.event(ACTION_EVENT, exec.id, { stage: a.stageName, action: a.actionName, state, type: { owner: 'AWS', category: categoryOf(a.actionName), provider: 'x', version: '1' } }));
      }
      const ended = exec.status !== 'InProgress' && exec.status !== 'Stopping';
      if (ended && !this.seen.has(`${exec.id}:end`)) {
        this.seen.add(`${exec.id}:end`);
        events.push(this.event(EXECUTION_EVENT, exec.id, { state: exec.status.toUpperCase() }));
      }
    }
    for (const e of events) {
      for (let n = 0; n < (opts.duplicate ? 2 : 1); n++) {
        this.delivered.push(e);
        await this.recorder(e);
      }
    }
    return events.length;
  }

  private event(type: string, executionId: string, detail: Record<string, unknown>) {
    // CodePipeline User Guide, "Monitoring CodePipeline events": the envelope and detail fields.
    return {
      version: '0',
      id: `e0e0e0e0-0000-4000-8000-${(this.delivered.length + 1).toString(16).padStart(12, '0')}`,
      'detail-type': type,
      source: 'aws.codepipeline',
      account: this.world.account,
      time: new Date(this.world.now()).toISOString(),
      region: this.world.region,
      resources: [this.world.codepipeline.pipelineArn(this.stack.pipelineName)],
      detail: { pipeline: this.stack.pipelineName, 'execution-id': executionId, version: 1, ...detail },
    };
  }
}
