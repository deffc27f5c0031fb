/** A nightly alert publisher that records what it was asked to publish (and can be told to fail once). */
import { PublishError } from '../../functions/nightly/errors.js';
import type { Publisher } from '../../functions/nightly/publisher.js';
import type { AlertSummary } from '../../functions/nightly/summary.js';

export class RecordingPublisher implements Publisher {
  public readonly published: AlertSummary[] = [];
  public failNext = false;
  public async publish(summary: AlertSummary): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new PublishError('topic unavailable');
    }
    this.published.push(summary);
  }
}
