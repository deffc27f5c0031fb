/**
 * Named errors of the ingest handler. Each says whether trying again can help, because that
 * decides between "report the message as a batch item failure" (SQS retries, then the DLQ) and
 * "let the message succeed" (retrying would fail the same way forever). Both carry the codes of
 * the one vocabulary (`functions/core/kernel/errors.ts`).
 */
import { ErrorCode, RelayAuditError } from '../core/kernel/errors.js';

/** An SQS message whose body is not an S3 event notification we understand. Sent on to the DLQ. */
export class InvalidMessageError extends RelayAuditError {
  public readonly messageId: string | undefined;

  public constructor(message: string, options: { messageId?: string; cause?: unknown } = {}) {
    super(
      ErrorCode.InvalidEvent,
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.messageId = options.messageId;
  }
}

/**
 * The object named by a notification no longer exists, or was replaced: the event is stale and
 * nothing is lost by dropping it (a replacement has a notification of its own).
 */
export class StaleObjectError extends RelayAuditError {
  public readonly reason: 'deleted' | 'replaced';

  public constructor(message: string, reason: 'deleted' | 'replaced', options?: { cause?: unknown }) {
    super(ErrorCode.StaleObject, message, options);
    this.reason = reason;
  }
}

/** Where the invalid accepted domains came from. */
export type DomainsOrigin = { kind: 'bucket-file'; bucket: string; key: string } | { kind: 'setting' };

/**
 * The organisation's accepted domains are given but invalid: `config/accepted-domains.csv` in the
 * bucket (a `Get-AcceptedDomain > file` table, a Word copy…) or the stack's `acceptedDomains`
 * setting. No redelivery can fix that, only a new file or a deployment, so the upload it stops is
 * recorded as failed with this message, not retried. A file that could not be read is not this: its
 * error is the SDK's, and retried. `problem` is the parse error, without the origin's name.
 */
export class InvalidDomainsError extends RelayAuditError {
  public readonly origin: DomainsOrigin;
  public readonly problem: string;

  public constructor(origin: DomainsOrigin, problem: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidConfig, invalidDomainsMessage(origin, problem), options);
    this.origin = origin;
    this.problem = problem;
  }
}

/** What is wrong, why nothing was analysed, and how to fix it: the failed upload's message. */
function invalidDomainsMessage(origin: DomainsOrigin, problem: string): string {
  // Why not inferred instead: the findings would be stored as if the organisation's list had been read.
  const why = "the upload waits for a valid list rather than being judged without the organisation's.";
  const exportCsv = 'Get-AcceptedDomain | Export-Csv -NoTypeInformation accepted-domains.csv';
  if (origin.kind === 'bucket-file') {
    const file = `s3://${origin.bucket}/${origin.key}`;
    return (
      `Not analysed: ${origin.key} in the bucket is not a list of accepted domains (${problem}); ${why} ` +
      `Replace it with the output of ${exportCsv} (aws s3 cp accepted-domains.csv ${file}), or delete it ` +
      'to have the domains inferred from the logs.'
    );
  }
  return (
    `Not analysed: the stack's acceptedDomains setting (ACCEPTED_DOMAINS) is not a list of accepted domains ` +
    `(${problem}); ${why} Deploy again with a valid one (npx cdk deploy -c acceptedDomains=contoso.com,fabrikam.com), ` +
    `or put the output of ${exportCsv} under config/ in the bucket, which is read first.`
  );
}
