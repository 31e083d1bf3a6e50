import { PublishCommand } from '@aws-sdk/client-sns';
import { Notifier } from '../core/ports';
import { Clients } from './clients';

export function snsNotifier(c: Clients<'sns'>, topicArn: string): Notifier {
  return {
    async publish(subject: string, message: string): Promise<void> {
      // SNS subjects: at most 100 printable ASCII characters, no line breaks.
      const safeSubject = subject.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100);
      await c.sns.send(new PublishCommand({ TopicArn: topicArn, Subject: safeSubject, Message: message }));
    },
  };
}
