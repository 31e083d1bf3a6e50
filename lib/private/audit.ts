import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';

/** Pipeline execution states published to the notification topic. */
export const PIPELINE_EVENT_STATES = ['STARTED', 'SUCCEEDED', 'FAILED', 'STOPPED', 'SUPERSEDED', 'CANCELED'] as const;

export interface PipelineEventsProps {
  readonly pipeline: codepipeline.IPipeline;
  readonly topic: sns.ITopic;
  /** The topic's key, when the construct owns it: EventBridge must be let in to publish. */
  readonly topicKey?: kms.IKey;
}

/**
 * Publishes every execution state change of the pipeline (started, succeeded, failed, stopped,
 * superseded, canceled) to the notification topic, next to the swap and rollback records the
 * swap function publishes there: one topic carries the whole change history.
 */
export function publishPipelineEvents(id: string, props: PipelineEventsProps): events.Rule {
  const field = (path: string) => events.EventField.fromPath(path);
  const rule = props.pipeline.onStateChange(id, {
    description: 'Publishes the pipeline execution state changes to the release notification topic',
    eventPattern: { detail: { state: [...PIPELINE_EVENT_STATES] } },
    target: new targets.SnsTopic(props.topic, {
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
  // SNS encrypts with the topic key on EventBridge's behalf; the key policy must admit it.
  props.topicKey?.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  return rule;
}
