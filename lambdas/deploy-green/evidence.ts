// DeployGreen's evidence: on the first invocation, the build's own record (checked against the
// image this release deploys); when the deploy ends, its outcome. Ids: 'build' once per
// execution, 'deploy:<job id>' per terminal job (a retried stage is a new job, a redelivery is not).
import { ReleaseConfig } from '../core/config';
import { errorSummary } from '../core/errors';
import { EvidenceEntry, EvidencePorts, buildEntry, evidenceText } from '../core/evidence';
import { PipelineJob, parseDeployGreenParameters } from '../core/events';
import { Logger } from '../core/ports';
import { isSlotName } from '../core/config';
import { recordEvidence } from '../adapters/evidence';
import { JobOutcome } from '../adapters/job';

export async function recordDeployEvidence(
  job: PipelineJob,
  executionId: string,
  config: ReleaseConfig,
  ports: EvidencePorts,
  outcome: JobOutcome,
  now: Date,
  log: Logger,
): Promise<string | null> {
  const store = ports.evidence;
  if (!store) return null;
  const entries: EvidenceEntry[] = [];
  if (job.continuationToken === undefined) {
    let params;
    try {
      params = parseDeployGreenParameters(job.userParameters);
    } catch {
      params = null; // the job fails saying why; the deploy entry below records that sentence
    }
    if (params !== null) {
      let raw: unknown = null;
      let missing: string | undefined;
      try {
        raw = await store.buildEvidence(executionId);
        if (raw === null) missing = 'the build left no evidence for this execution (is BG_EXECUTION_ID set on the build action?)';
      } catch (err) {
        missing = `the build evidence could not be read (${errorSummary(err)})`;
      }
      entries.push(buildEntry(raw, { imageUri: params.imageUri, digest: params.imageDigest, commit: params.commit }, now, missing));
    }
  }
  const terminal = outcome.kind === 'failure' || outcome.result.continuationToken === undefined;
  if (terminal) {
    const outputs = outcome.kind === 'success' ? outcome.result.outputVariables ?? {} : {};
    entries.push({
      id: `deploy:${job.id}`,
      kind: 'deploy',
      at: now.toISOString(),
      outcome: outcome.kind === 'success' ? 'ready' : 'failed',
      slot: isSlotName(outputs.GREEN_SLOT) ? outputs.GREEN_SLOT : null,
      digest: outputs.IMAGE_DIGEST ?? null,
      testUrl: outputs.TEST_URL ?? null,
      message: evidenceText(outcome.kind === 'success' ? outcome.result.summary : outcome.message) ?? '',
    });
  }
  return recordEvidence(store, config.pipelineName, executionId, entries, log);
}
