import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';

/** Pipeline execution states published to the notification topic. */
export const PIPELINE_EVENT_STATES = ['STARTED', 'SUCCEEDED', 'FAILED', 'STOPPED', 'SUPERSEDED', 'CANCELED'] as const;

/**
 * Publishes every execution state change of the pipeline (started, succeeded, failed, stopped,
 * superseded, canceled) to the notification topic, next to the swap and rollback records the
 * swap function publishes there: one topic carries the whole change history.
 *
 * EventBridge publishes with its own execution role, granted sns:Publish on this topic and the
 * use of the topic's key, rather than through a topic policy and a key policy open to the
 * EventBridge service (a KMS key policy cannot be conditioned on the rule for that path).
 */
export function publishPipelineEvents(id: string, pipeline: codepipeline.IPipeline, topic: sns.ITopic): events.Rule {
  const field = (path: string) => events.EventField.fromPath(path);
  return pipeline.onStateChange(id, {
    description: 'Publishes the pipeline execution state changes to the release notification topic',
    eventPattern: { detail: { state: [...PIPELINE_EVENT_STATES] } },
    target: new targets.SnsTopic(topic, {
      authorizeUsingRole: true,
      message: events.RuleTargetInput.fromObject({
        event: 'pipeline-execution',
        pipeline: field('$.detail.pipeline'),
        executionId: field('$.detail.execution-id'),
        state: field('$.detail.state'),
        at: field('$.time'),
        account: field('$.account'),
        region: field('$.region'),
      }),
    }),
  });
}
