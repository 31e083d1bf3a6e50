// Audit notifications (SNS).
import { PublishCommand } from '@aws-sdk/client-sns';
import { Notifier } from '../core/ports';
import { Clients } from './clients';

/**
 * Publish's Subject "must be UTF-8 text with no line breaks or control characters, and less than
 * 100 characters long" (SNS API reference, Publish; older revisions: ASCII beginning with a letter,
 * number or punctuation mark). Printable ASCII without a leading space satisfies every revision.
 */
export const MAX_SUBJECT = 99;

/** A valid Subject for any text: printable ASCII, single spaces, trimmed, shortened with "..." to fit. */
export function snsSubject(text: string): string {
  const plain = text.replace(/[^\x21-\x7e]+/g, ' ').trim();
  return plain.length <= MAX_SUBJECT ? plain : `${plain.slice(0, MAX_SUBJECT - 3).trimEnd()}...`;
}

export function snsNotifier(c: Clients<'sns'>, topicArn: string): Notifier {
  return {
    async publish(subject: string, message: string): Promise<void> {
      await c.sns.send(new PublishCommand({ TopicArn: topicArn, Subject: snsSubject(subject), Message: message }));
    },
  };
}
