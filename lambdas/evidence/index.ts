// The evidence recorder: what no job handler sees. CodePipeline's EventBridge events for this
// pipeline (an action of the Release stage finished; the execution ended) invoke it, and it writes
// the approval (approved, rejected or timed out: who, when, the comment), the test actions' results
// and how the execution ended, each read from CodePipeline's own record of the execution.
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { S3Client } from '@aws-sdk/client-s3';
import { CONFIG_ENV, ReleaseConfig, parseReleaseConfig } from '../core/config';
import { errorSummary } from '../core/errors';
import {
  EvidenceEntry, EvidencePorts, FINAL_ACTION_STATES, FINAL_EXECUTION_STATES, ObservedActionRecord, PipelineStateEvent, RELEASE_STAGE,
  actionEntry, parsePipelineStateEvent,
} from '../core/evidence';
import { Logger } from '../core/ports';
import { actionRecords } from '../adapters/codepipeline';
import { evidenceStoreFor, recordEvidence } from '../adapters/evidence';
import { s3Send } from '../adapters/s3-client';
import { LogSink, createLogger } from '../adapters/log';

export interface RecorderPorts extends EvidencePorts {
  readonly actions: (executionId: string) => Promise<ObservedActionRecord[]>;
}

// Created once per container.
const clients = { codepipeline: new CodePipelineClient({}), s3: new S3Client({}) };

export function recorderPorts(config: ReleaseConfig): RecorderPorts {
  return { actions: (executionId) => actionRecords(clients, config.pipelineName, executionId), evidence: evidenceStoreFor(config, s3Send(clients.s3)) };
}

interface Deps {
  readonly loadConfig: () => ReleaseConfig;
  readonly ports: (config: ReleaseConfig) => RecorderPorts;
  readonly now: () => Date;
  readonly logSink?: LogSink;
}

export type RecorderResult = { readonly recorded: readonly string[] } | { readonly ignored: string };

export function createEvidenceRecorder(overrides: Partial<Deps> = {}) {
  const deps: Deps = { loadConfig: () => parseReleaseConfig(process.env[CONFIG_ENV]), ports: recorderPorts, now: () => new Date(), ...overrides };
  return async (event: unknown): Promise<RecorderResult> => {
    const log = createLogger({ operation: 'evidence', jobId: null, executionId: null }, deps.logSink);
    let parsed: PipelineStateEvent;
    try {
      parsed = parsePipelineStateEvent(event);
    } catch (err) {
      // Retrying a malformed event cannot help: say why and stop.
      log.warn('ignored: not a CodePipeline event this function records', { error: errorSummary(err) });
      return { ignored: errorSummary(err) };
    }
    const config = deps.loadConfig();
    return record(parsed, config, deps.ports(config), deps.now, log.child({ executionId: parsed.executionId }));
  };
}

export const handler = createEvidenceRecorder();

async function record(event: PipelineStateEvent, config: ReleaseConfig, ports: RecorderPorts, now: () => Date, log: Logger): Promise<RecorderResult> {
  if (event.pipeline !== config.pipelineName) return { ignored: `the event is about pipeline ${event.pipeline}, not ${config.pipelineName}` };
  if (!ports.evidence) return { ignored: 'no evidence store is configured' };
  let entries: EvidenceEntry[];
  if (event.kind === 'action') {
    if (event.stage !== RELEASE_STAGE || !FINAL_ACTION_STATES.has(event.state)) return { ignored: `action ${event.action} in stage ${event.stage} is ${event.state}` };
    const records = (await ports.actions(event.executionId)).filter((r) => r.stageName === event.stage && r.actionName === event.action);
    entries = records.map(actionEntry).filter((e): e is NonNullable<typeof e> => e !== null);
  } else {
    if (!FINAL_EXECUTION_STATES.has(event.state)) return { ignored: `execution ${event.executionId} is ${event.state}` };
    // Only an execution that reached the Release stage has evidence to close.
    if ((await ports.evidence.read(event.executionId)) === null) return { ignored: `execution ${event.executionId} never reached the Release stage` };
    entries = [{ id: 'end', kind: 'end', at: now().toISOString(), state: event.state }];
  }
  const problem = await recordEvidence(ports.evidence, config.pipelineName, event.executionId, entries, log);
  // Thrown, so Lambda's asynchronous retries try again; the warning and its metric are logged already.
  if (problem !== null) throw new Error(problem);
  return { recorded: entries.map((e) => e.id) };
}
