/**
 * Where the alert summary goes. An interface, so the core needs no SNS client: the Lambda passes
 * an SNS publisher, tests a recording one, the CLI none.
 */
import type { AlertSummary } from './summary.js';

/** Publishes one alert summary; throws `PublishError` when it could not. */
export interface Publisher {
  publish(summary: AlertSummary): Promise<void>;
}
