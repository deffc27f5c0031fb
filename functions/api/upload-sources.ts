/**
 * The source records of one dashboard upload, by its key (`GET /sources?file=`): what the
 * dashboard follows after an upload. Its record's id hashes the object's version, which the page
 * never learns, and the store lists sources only newest first; so the list is read from the newest
 * until the records started before the upload was granted (the time in its key). Reading only the
 * first page instead lost an upload among many dropped at once.
 */
import type { SourceRecord } from '../core/analysis/model/source-record.js';
import type { ApiStore } from './dependencies.js';
import { dashboardUploadTime } from './upload-grant.js';

/** Records read per store page. */
const PAGE_SIZE = 200;
/**
 * How far before the grant an analysis may seem to have started: the clocks of the API and of what
 * analyses (another Lambda, the same process with `serve`) may differ by a little.
 */
export const CLOCK_SLACK_MS = 5 * 60 * 1000;

/** The records whose file is `key`, newest first; none while its analysis has not started. */
export async function sourcesOfUpload(
  store: Pick<ApiStore, 'listSources'>,
  key: string,
  limit: number,
): Promise<SourceRecord[]> {
  const granted = dashboardUploadTime(key);
  if (granted === undefined) return [];
  const since = granted.getTime() - CLOCK_SLACK_MS;
  const found: SourceRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listSources({ limit: PAGE_SIZE, cursor });
    for (const record of page.items) {
      if (Date.parse(record.startedAt) < since) return found;
      if (record.file === key) found.push(record);
      if (found.length >= limit) return found;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return found;
}
