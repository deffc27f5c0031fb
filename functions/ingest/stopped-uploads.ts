/**
 * The uploads an invalid accepted-domains file stopped, announced again once `config/` is valid.
 *
 * An upload analysed while `config/accepted-domains.csv` could not be read as a list is recorded
 * failed, `INVALID_CONFIG` (ingest.ts `failForDomains`), never analysed with other domains. When the
 * file is replaced and reads, those uploads are put back on the ingest queue as S3 notifications of
 * their current objects, marked {@link REANNOUNCED_EVENT} (a redelivery of the original notification
 * still finds the failure and leaves it), so that the dashboard's rows fill in without the admin
 * starting a re-analysis. Idempotent: an upload analysed since is skipped when its notification
 * comes, and a notification delivered twice finds the first one's record.
 */

import type { SourceRecord } from '../core/analysis/model/source-record.js';
import { ErrorCode } from '../core/kernel/errors.js';
import type { HeadObject } from '../runtime/head-object.js';
import type { Logger } from '../runtime/logger.js';
import type { ResolvedDomains } from './domain-source.js';
import { InvalidDomainsError } from './errors.js';

/** The event name of a notification the ingest sent itself for an upload the configuration stopped. */
export const REANNOUNCED_EVENT = 'ObjectCreated:ConfigurationFixed';

/** Source records read, newest first, looking for stopped uploads: they are recent, as the invalid file is. */
const SOURCES_SCANNED = 2_000;
const PAGE = 100;

/** What finding and announcing the stopped uploads needs of the ingest's dependencies. */
export interface StoppedUploadsDependencies {
  listSources?(options: {
    limit: number;
    cursor?: string;
  }): Promise<{ items: SourceRecord[]; cursor?: string }>;
  headObject?: HeadObject;
  sendToQueue?(body: string): Promise<void>;
  resolveDomains(): Promise<ResolvedDomains>;
}

/** The S3 notification of `key`'s current object, as S3 writes one (its key URL-encoded). */
function notificationOf(
  bucket: string,
  key: string,
  head: NonNullable<Awaited<ReturnType<HeadObject>>>,
): string {
  const object = {
    key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'),
    ...(head.size === undefined ? {} : { size: head.size }),
    ...(head.eTag === undefined ? {} : { eTag: head.eTag.replace(/"/g, '') }),
    ...(head.versionId === undefined ? {} : { versionId: head.versionId }),
  };
  return JSON.stringify({
    Records: [
      { eventSource: 'aws:s3', eventName: REANNOUNCED_EVENT, s3: { bucket: { name: bucket }, object } },
    ],
  });
}

/**
 * Announces again the uploads of `bucket` the accepted domains stopped, when they are valid now.
 * Returns how many were announced; throws what S3, the table or the queue threw (the configuration
 * message is then delivered again, and announcing twice is harmless).
 */
export async function reannounceStopped(
  deps: StoppedUploadsDependencies,
  bucket: string,
  log: Logger,
): Promise<number> {
  const { listSources, headObject, sendToQueue } = deps;
  if (listSources === undefined || headObject === undefined || sendToQueue === undefined) return 0;
  try {
    await deps.resolveDomains();
  } catch (error) {
    // Still invalid: the uploads stay as they are, their rows saying what to fix.
    if (error instanceof InvalidDomainsError) return 0;
    throw error;
  }
  const stopped: SourceRecord[] = [];
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await listSources({ limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
    for (const record of page.items) {
      if (record.status === 'failed' && record.errorCode === ErrorCode.InvalidConfig) stopped.push(record);
    }
    scanned += page.items.length;
    cursor = page.cursor;
  } while (cursor !== undefined && scanned < SOURCES_SCANNED);
  let announced = 0;
  for (const record of stopped) {
    const head = await headObject(bucket, record.file);
    if (head === undefined) continue; // deleted since: nothing to read
    await sendToQueue(notificationOf(bucket, record.file, head));
    announced++;
  }
  if (announced > 0 || cursor !== undefined) {
    log.info('uploads stopped by the accepted domains announced again', {
      announced,
      ...(cursor === undefined ? {} : { scannedNewest: scanned }),
    });
  }
  return announced;
}
