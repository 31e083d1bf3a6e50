import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { topicDisplayName } from './names';

export interface TopicsProps {
  readonly pipelineName: string;
  readonly approvalEmails: string[];
  /** Your audit topic; one is created when not given. */
  readonly notificationTopic?: sns.ITopic;
  readonly key: kms.IKey;
}

/** The approval topic (the approvers' emails) and the audit topic every release record goes to. */
export class Topics {
  public readonly approvalTopic: sns.Topic;
  public readonly notificationTopic: sns.ITopic;
  /** The audit topic's key when this part created the topic (absent for a topic you give). */
  public readonly createdTopicKey?: kms.IKey;

  constructor(scope: Construct, props: TopicsProps) {
    this.approvalTopic = new sns.Topic(scope, 'ApprovalTopic', {
      displayName: topicDisplayName(`Release approvals for ${props.pipelineName}`),
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of props.approvalEmails) {
      this.approvalTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.notificationTopic =
      props.notificationTopic ??
      new sns.Topic(scope, 'NotificationTopic', {
        displayName: topicDisplayName(`Release audit for ${props.pipelineName}`),
        masterKey: props.key,
        enforceSSL: true,
      });
    this.createdTopicKey = props.notificationTopic ? undefined : props.key;
  }
}
