/**
 * The re-analysis worker's logic: one object of `incoming/`, handed over by the state machine's
 * Distributed Map (an item of its S3 listing), analysed again through the ingest path when an older
 * classifier version read it. Independent of where its clients come from (Lambda or the tests).
 *
 * The item's outcome is the task's result: `analysed`, `skipped` (current already, outside the
 * date range, not an upload, failed for good), or `continued` — the object did not fit the
 * invocation, and the state machine invokes again to go on from the resume point. Anything that
 * may pass on a second try is thrown as {@link ReanalysisRetryError}: the state machine retries
 * the item with backoff, and an item that keeps failing counts against the tolerated failures.
 */
import { z } from 'zod';
import { ErrorCode, InvalidEventError, RelayAuditError } from '../core/kernel/errors.js';
import { firstIssueLine } from '../core/kernel/issues.js';
import type { InvocationContext, ObjectOutcome, ReanalysisWorker } from '../ingest/ingest.js';
import type { S3ObjectRef } from '../ingest/s3-event.js';
import type { HeadObject } from '../runtime/head-object.js';
import type { Logger } from '../runtime/logger.js';

/**
 * One item of the map: the listing's `Key` (S3 ListObjectsV2, as the Distributed Map's S3 reader
 * gives it), the bucket and the execution's date range (`from`/`to`: ISO dates or times, inclusive
 * by upload time; `null` for no bound). Extra fields (the listing's ETag, size, an earlier
 * attempt's `result`) are ignored: the object's current version is read with HeadObject.
 */
export const ReanalysisItem = z.looseObject({
  bucket: z.string().min(3),
  key: z.string().min(1),
  from: z.iso.date().or(z.iso.datetime()).nullish(),
  to: z.iso.date().or(z.iso.datetime()).nullish(),
});
export type ReanalysisItem = z.infer<typeof ReanalysisItem>;

/** What the task returns for one item. */
export interface ReanalysisResult {
  outcome: 'analysed' | 'skipped' | 'continued' | 'failed';
  key: string;
  reason?: string;
  sourceId?: string;
  findings?: number;
}

/** Thrown for an item worth another attempt: its name is what the state machine's retrier matches. */
export class ReanalysisRetryError extends RelayAuditError {
  public constructor(message: string) {
    super(ErrorCode.ReadFailure, message);
    this.name = 'ReanalysisRetryError';
  }
}

export interface ReanalysisDependencies {
  worker: ReanalysisWorker;
  headObject: HeadObject;
  logger: Logger;
}

export type ReanalysisHandler = (event: unknown, context: InvocationContext) => Promise<ReanalysisResult>;

/** Builds the task handler around its dependencies. */
export function createReanalysisHandler(deps: ReanalysisDependencies): ReanalysisHandler {
  return async (event, context) => {
    const parsed = ReanalysisItem.safeParse(event);
    if (!parsed.success) {
      throw new InvalidEventError(
        `not a re-analysis item: ${firstIssueLine(parsed.error, { whole: '(root)' })}`,
        {
          cause: parsed.error,
        },
      );
    }
    const item = parsed.data;
    const log = deps.logger.createChild({
      persistentKeys: { requestId: context.awsRequestId, bucket: item.bucket, key: item.key },
    });
    const head = await deps.headObject(item.bucket, item.key);
    if (head === undefined) return skipped(item, 'deleted since it was listed', log);
    if (!inRange(head.lastModified, item)) return skipped(item, 'uploaded outside the date range', log);
    const ref: S3ObjectRef = {
      bucket: item.bucket,
      key: item.key,
      eventName: 'Reanalysis',
      ...(head.versionId === undefined ? {} : { versionId: head.versionId }),
      ...(head.eTag === undefined ? {} : { eTag: head.eTag }),
      ...(head.size === undefined ? {} : { size: head.size }),
    };
    return resultOf(item, await deps.worker(ref, context, log), log);
  };
}

/** True when an upload of `modified` lies in the item's range (bounds inclusive; a date is a whole UTC day). */
export function inRange(modified: Date | undefined, range: Pick<ReanalysisItem, 'from' | 'to'>): boolean {
  if (modified === undefined) return true;
  const at = modified.getTime();
  if (range.from != null && at < Date.parse(range.from)) return false;
  if (range.to != null && at > endOf(range.to)) return false;
  return true;
}

/** The last millisecond a `to` bound covers: the end of its day for a date, itself for a time. */
function endOf(to: string): number {
  return to.length === 'YYYY-MM-DD'.length ? Date.parse(to) + 86_400_000 - 1 : Date.parse(to);
}

function skipped(item: ReanalysisItem, reason: string, log: Logger): ReanalysisResult {
  log.info('skipped', { reason });
  return { outcome: 'skipped', key: item.key, reason };
}

/** The task's result for the ingest path's outcome; a retry is thrown. */
function resultOf(item: ReanalysisItem, outcome: ObjectOutcome, log: Logger): ReanalysisResult {
  switch (outcome.result) {
    case 'analysed':
    case 'continued': {
      const { record } = outcome;
      const findings = Object.values(record.findingsByScenario).reduce((sum, n) => sum + (n ?? 0), 0);
      log.info(outcome.result === 'analysed' ? 're-analysed' : 'continues in the next invocation', {
        sourceId: record.id,
        rowsRead: record.rowsRead,
        findings,
      });
      return { outcome: outcome.result, key: item.key, sourceId: record.id, findings };
    }
    case 'failed-permanently':
      log.warn('file cannot be analysed', { errorCode: outcome.record.errorCode });
      return {
        outcome: 'failed',
        key: item.key,
        sourceId: outcome.record.id,
        reason: `${outcome.record.errorCode}: ${outcome.record.errorMessage ?? ''}`,
      };
    case 'skipped':
      return skipped(item, outcome.reason, log);
    case 'retry':
      throw new ReanalysisRetryError(`${item.key}: ${outcome.reason}`);
  }
}
