/**
 * Publishes the nightly summary to the alert topic (SNS). The SDK stays external in the bundle
 * (Lambda's Node.js 22 runtime provides it), like every other AWS client here.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { PublishError } from './errors.js';
import type { Publisher } from './publisher.js';
import type { AlertSummary } from './summary.js';

/** Publishes summaries to one topic; the client is created on first use and reused. */
export class SnsPublisher implements Publisher {
  private client: SNSClient | undefined;

  public constructor(
    private readonly topicArn: string,
    private readonly createClient: () => SNSClient = () => new SNSClient({}),
  ) {}

  public async publish(summary: AlertSummary): Promise<void> {
    this.client ??= this.createClient();
    try {
      await this.client.send(
        new PublishCommand({ TopicArn: this.topicArn, Subject: summary.subject, Message: summary.body }),
      );
    } catch (error) {
      throw new PublishError(
        `cannot publish to ${this.topicArn}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        { cause: error },
      );
    }
  }
}
