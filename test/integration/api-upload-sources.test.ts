/**
 * `GET /sources?file=<key>`: the records of one dashboard upload, by the key its grant named, on
 * the real embedded engine. The dashboard follows each upload with it: looking for the key among
 * the newest sources lost an upload once more than a page of others had started after it (sixty
 * files dropped at once: ten shown "Failed: not analysed after 15 minutes" though they were done).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler, type RequestHandler } from '../../functions/api/api.js';
import type { ApiStore } from '../../functions/api/dependencies.js';
import { dashboardUploadKey } from '../../functions/api/upload-grant.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { createLogger } from '../../functions/runtime/logger.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { call } from '../support/api-client.js';

type PageJson = { items: SourceRecord[]; cursor?: string };
type ErrorJson = { error: { code: string; message: string } };

/** When the upload followed was granted: sixty were dropped at once then. */
const GRANTED = new Date('2026-12-07T15:30:55.120Z');
const SECOND = 1000;

function record(id: number, file: string, startedAt: Date): SourceRecord {
  return {
    id: id.toString(16).padStart(32, '0'),
    file,
    format: 'exchange-tracking-log',
    status: 'done',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + 15 * SECOND).toISOString(),
    bytes: 1_760_842,
    rowsRead: 2550,
    rowsAnalysed: 2550,
    rowsSkipped: 0,
    events: 1897,
    rejections: 442,
    skipped: [],
    skippedTruncated: 0,
    skippedByReason: {},
    findingsByScenario: { ndr: 32 },
  };
}

function upload(name: string): string {
  return dashboardUploadKey({ fileName: name, size: 1_760_842, caller: 'local' }, GRANTED);
}

const FOLLOWED = upload('MSGTRK2026112700-1.LOG');
/** The followed upload's record: the first of the drop to start. */
const FOLLOWED_RECORD = record(1, FOLLOWED, new Date(GRANTED.getTime() + 6 * SECOND));
/** Its 59 fellows, analysed after it, and more uploads after them: 120 newer records in all. */
const NEWER = Array.from({ length: 120 }, (_, i) =>
  record(100 + i, upload(`MSGTRK2026112700-${i + 2}.LOG`), new Date(GRANTED.getTime() + (7 + i) * SECOND)),
);
/** Uploads of the days before, which the search need not read. */
const OLDER = Array.from({ length: 400 }, (_, i) =>
  record(
    1000 + i,
    `incoming/cli/EX01/MSGTRK20261126${i}.LOG`,
    new Date(GRANTED.getTime() - (600 + i * 60) * SECOND),
  ),
);

let engine: EmbeddedStore;
let handler: RequestHandler;
/** Store pages the handler asked for. */
let pagesRead = 0;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, tableName: 'relay-audit-api-upload-sources' });
  for (const source of [FOLLOWED_RECORD, ...NEWER, ...OLDER]) await engine.store.putSource(source);
  const counting: ApiStore = Object.assign(Object.create(engine.store) as ApiStore, {
    listSources: (options: Parameters<ApiStore['listSources']>[0]) => {
      pagesRead += 1;
      return engine.store.listSources(options);
    },
  });
  handler = createRequestHandler({ store: counting, logger: createLogger('test', 'silent') });
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

describe('GET /sources?file=<key>', () => {
  it("answers the upload's record though more than a page of sources started after it", async () => {
    // Prepare: the newest page, which the dashboard looked in before, does not hold it.
    const newest = await call<PageJson>(handler, '/sources', { limit: '50' });
    expect(newest.json.items.some((item) => item.file === FOLLOWED)).toBe(false);
    pagesRead = 0;
    // Act
    const response = await call<PageJson>(handler, '/sources', { file: FOLLOWED });
    // Assess: the record as the list shows it (no skipped rows), in one answer.
    expect(response.status).toBe(200);
    const { skipped: _skipped, ...summary } = FOLLOWED_RECORD;
    expect(response.json).toEqual({ items: [summary] });
    // Read from the newest back to the grant only, not through the older uploads.
    expect(pagesRead).toBe(1);
  });

  it('answers no record for an upload whose analysis has not started', async () => {
    // Act
    const response = await call<PageJson>(handler, '/sources', { file: upload('still-uploading.LOG') });
    // Assess
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ items: [] });
  });

  it.each([
    [{ file: 'incoming/cli/EX01/MSGTRK2026112600.LOG' }, 'file', /must be the key POST \/uploads granted/],
    [{ file: 'incoming/dashboard/local/20261399T250000Z-4d13bef0/a.LOG' }, 'file', /POST \/uploads granted/],
    [{ file: FOLLOWED, cursor: 'AAAA' }, 'cursor', /does not apply with file/],
  ])('refuses %o with 400 naming %s', async (query, parameter, message) => {
    // Act
    const response = await call<ErrorJson>(handler, '/sources', query);
    // Assess
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('INVALID_ARGUMENT');
    expect(response.json.error.message).toMatch(new RegExp(`^${parameter}: `));
    expect(response.json.error.message).toMatch(message);
  });
});
