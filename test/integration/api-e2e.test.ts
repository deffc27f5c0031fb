/**
 * The proof, end to end on real local engines: s3rver and dynalite start here, every file
 * of `sample-logs/` is uploaded, the S3 notification s3rver emits is wrapped as SQS delivers it,
 * the ingest Lambda handler analyses each upload, and everything is read back through the API
 * Lambda handler with the events API Gateway (HTTP API, payload 2.0) sends: findings, paging,
 * one finding, the summary, the sources, the CSV export. Then the same notifications are
 * delivered again (nothing may change) and an unknown-format file is uploaded (it must show as
 * failed with its reason).
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Summary } from '../../functions/api/contract.js';
import { TOP_ENTRIES } from '../../functions/api/summary.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { runNightly } from '../../functions/nightly/run-nightly.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { rollupDomainOf } from '../../functions/store/rollups.js';
import {
  csvRecords,
  httpApiEvent,
  type ParsedResponse,
  parseLambdaResult,
  type Query,
} from '../support/api-client.js';
import {
  deliverInBatches,
  type IngestLambda,
  sourceIdOfNotification,
  traceFiles,
  uploadObject,
} from '../support/ingest-harness.js';
import {
  type LocalS3,
  localFunctionEnvironment,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';
import {
  SAMPLE_FILE_COUNT,
  SAMPLE_FINDING_COUNT,
  SAMPLE_FINDINGS_BY_SCENARIO,
} from '../support/sample-expectations.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SAMPLE_LOGS = join(ROOT, 'sample-logs');
const BUCKET = 'relay-audit-api-e2e';
const TABLE = 'relay-audit-api-e2e';

/**
 * What the sample set yields when each upload is analysed on its own, as the ingest function does:
 * the same as a single run over all files (`npm start`). One message is received for an internal
 * mailbox in one export and refused in another; the end-of-upload correlation makes it forwarding
 * as soon as the second of the two is ingested, whichever comes first.
 */
const EXPECTED_BY_SCENARIO = SAMPLE_FINDINGS_BY_SCENARIO;
const EXPECTED_FINDINGS = SAMPLE_FINDING_COUNT;
const EXPECTED_SOURCES = SAMPLE_FILE_COUNT;

type ApiLambda = (event: unknown) => Promise<APIGatewayProxyStructuredResultV2>;
type PageJson<T> = { items: T[]; cursor?: string };

let s3: LocalS3;
let dynamo: EmbeddedServer;
let ingest: IngestLambda;
let api: ApiLambda;
const uploads: { key: string; notification: string }[] = [];

/** GET through the API Lambda, as API Gateway invokes it. */
async function get<T = unknown>(path: string, query: Query = {}): Promise<ParsedResponse<T>> {
  return parseLambdaResult<T>(await api(httpApiEvent(path, query)));
}

/** Every item of a paged route, following cursors with `limit`. */
async function getAll<T>(path: string, query: Query, limit: number): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const response = await get<PageJson<T>>(path, {
      ...query,
      limit: String(limit),
      ...(cursor ? { cursor } : {}),
    });
    expect(response.status, response.body).toBe(200);
    expect(response.json.items.length).toBeLessThanOrEqual(limit);
    items.push(...response.json.items);
    cursor = response.json.cursor;
    pages++;
  } while (cursor !== undefined);
  return { items, pages };
}

/** What a client sees of the whole store through the API. */
async function snapshot(): Promise<{ sources: unknown; findings: unknown; summary: unknown; csv: string }> {
  const sources = (await getAll<SourceRecord>('/sources', {}, 500)).items;
  const findings = (await getAll<Finding>('/findings', {}, 500)).items;
  const summary = (await get('/summary', { from: '2026-11-20', to: '2026-11-30' })).json;
  const csv = (await get('/findings.csv')).body;
  return { sources, findings, summary, csv };
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  // Both functions' whole configuration: what the CDK stack sets, plus the local endpoints.
  const environment = localFunctionEnvironment(
    { table: TABLE, bucket: BUCKET, s3, dynamo },
    { RETENTION_DAYS: '400', ACCEPTED_DOMAINS: '', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
  );
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  ({ handler: ingest } = await import('../../functions/ingest/handler.js'));
  ({ handler: api } = await import('../../functions/api/handler.js'));

  // The organisation's accepted domains first, where the ingest function looks for them.
  await s3.client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'config/accepted-domains.csv',
      Body: await readFile(join(SAMPLE_LOGS, 'config', 'accepted-domains.csv')),
    }),
  );
  for (const path of await traceFiles(SAMPLE_LOGS)) {
    const key = `incoming/2026-11-28/${relative(SAMPLE_LOGS, path)}`;
    uploads.push({ key, notification: await uploadObject(s3, BUCKET, key, await readFile(path)) });
  }
  const failed = await deliverInBatches(
    ingest,
    uploads.map((u) => u.notification),
  );
  expect(failed).toEqual([]);
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('sample logs uploaded to S3, ingested, read through the API', () => {
  let findings: Finding[];

  beforeAll(async () => {
    findings = (await getAll<Finding>('/findings', {}, 500)).items;
  });

  it('lists one done source record per upload, with rows read and no failure', async () => {
    const { items } = await getAll<SourceRecord>('/sources', {}, 500);
    expect(uploads).toHaveLength(EXPECTED_SOURCES);
    expect(items).toHaveLength(EXPECTED_SOURCES);
    expect(new Set(items.map((s) => s.file))).toEqual(new Set(uploads.map((u) => u.key)));
    for (const source of items) {
      expect(source, source.file).toMatchObject({ status: 'done', rowsRead: expect.any(Number) });
      expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
      expect(source.format).toBeDefined();
    }
    const startedAt = items.map((s) => s.startedAt);
    expect(startedAt).toEqual([...startedAt].sort().reverse());
  });

  it('returns each source with its skipped rows, under the id derived from the upload', async () => {
    const withSkips = uploads.find((u) => u.key.endsWith('tracking-export-en-US.csv'));
    if (!withSkips) throw new Error('sample set lacks tracking-export-en-US.csv');
    const id = sourceIdOfNotification(BUCKET, withSkips.notification);
    const response = await get<SourceRecord>(`/sources/${id}`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      id,
      file: withSkips.key,
      status: 'done',
      format: 'tracking-log-export',
    });
    expect(response.json.rowsSkipped).toBeGreaterThan(0);
    expect(response.json.skipped).toHaveLength(response.json.rowsSkipped);
    for (const row of response.json.skipped) {
      expect(row).toMatchObject({
        line: expect.any(Number),
        reason: expect.any(String),
        message: expect.any(String),
      });
    }
  });

  it(`finds ${EXPECTED_FINDINGS} distinct findings, newest first, with the expected scenario counts`, () => {
    expect(findings).toHaveLength(EXPECTED_FINDINGS);
    expect(new Set(findings.map((f) => f.id)).size).toBe(EXPECTED_FINDINGS);
    const counts: Record<string, number> = {};
    for (const f of findings) counts[f.scenario] = (counts[f.scenario] ?? 0) + 1;
    expect(counts).toEqual(EXPECTED_BY_SCENARIO);
    const times = findings.map((f) => f.timestamp);
    expect(times).toEqual([...times].sort().reverse());
    const sourceIds = new Set(uploads.map((u) => sourceIdOfNotification(BUCKET, u.notification)));
    for (const f of findings) expect(sourceIds).toContain(f.source.sourceId);
  });

  it('pages with the cursor without losing or repeating a finding', async () => {
    const paged = await getAll<Finding>('/findings', {}, 7);
    expect(paged.pages).toBe(Math.ceil(EXPECTED_FINDINGS / 7));
    expect(paged.items.map((f) => f.id)).toEqual(findings.map((f) => f.id));
  });

  it('filters by scenario, sender domain and day', async () => {
    for (const [scenario, count] of Object.entries(EXPECTED_BY_SCENARIO)) {
      const { items } = await getAll<Finding>('/findings', { scenario }, 500);
      expect(items, scenario).toHaveLength(count);
    }
    const fabrikam = await getAll<Finding>('/findings', { senderDomain: 'FABRIKAM.com' }, 500);
    expect(fabrikam.items.map((f) => f.id)).toEqual(
      findings.filter((f) => f.senderDomain === 'fabrikam.com').map((f) => f.id),
    );
    const firstDay = await getAll<Finding>('/findings', { from: '2026-11-27', to: '2026-11-27' }, 500);
    expect(firstDay.items.map((f) => f.id)).toEqual(
      findings.filter((f) => f.timestamp.startsWith('2026-11-27')).map((f) => f.id),
    );
  });

  it('returns one finding with its evidence and remediation', async () => {
    const [first] = findings;
    if (!first) throw new Error('no findings');
    const response = await get<Finding>(`/findings/${first.id}`);
    expect(response.status).toBe(200);
    expect(response.json).toEqual(first);
    expect(response.json.remediation.steps.length).toBeGreaterThan(0);
    expect(response.json.evidence.length).toBeGreaterThan(0);
  });

  it('summarises the range per scenario, per day, and by sender domain', async () => {
    const response = await get<Summary>('/summary', { from: '2026-11-27', to: '2026-11-28' });
    expect(response.status).toBe(200);
    const summary = response.json;
    expect(summary.totals).toEqual(EXPECTED_BY_SCENARIO);
    expect(summary.total).toBe(EXPECTED_FINDINGS);
    expect(summary.days.map((d) => [d.date, d.total])).toEqual([
      ['2026-11-27', findings.filter((f) => f.timestamp.startsWith('2026-11-27')).length],
      ['2026-11-28', findings.filter((f) => f.timestamp.startsWith('2026-11-28')).length],
    ]);
    const bySender = new Map<string, number>();
    for (const f of findings) bySender.set(rollupDomainOf(f), (bySender.get(rollupDomainOf(f)) ?? 0) + 1);
    const expected = [...bySender.entries()]
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .slice(0, TOP_ENTRIES)
      .map(([senderDomain, count]) => ({ senderDomain, count }));
    expect(summary.topSenderDomains).toEqual(expected);
  });

  it('exports the findings as CSV, in the same order, marked complete', async () => {
    const response = await get('/findings.csv');
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'text/csv; charset=utf-8',
      'x-truncated': 'false',
      'x-row-count': String(EXPECTED_FINDINGS),
    });
    const rows = csvRecords(response.body);
    expect(rows.map((r) => r.id)).toEqual(findings.map((f) => f.id));
    expect(rows.map((r) => r.scenario)).toEqual(findings.map((f) => f.scenario));
    for (const row of rows) expect(row.subject ?? '').not.toMatch(/^[=+\-@]/);
  });
});

describe('a redelivered notification', () => {
  it('changes nothing the API shows', async () => {
    // Prepare
    const before = await snapshot();
    // Act: SQS delivers every message again (at-least-once delivery).
    const failed = await deliverInBatches(
      ingest,
      uploads.map((u) => u.notification),
    );
    // Assess
    expect(failed).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});

describe('the nightly job after per-upload ingest', () => {
  it('finds the cross-upload forwarding already settled by ingest: forwarding 4, foreign-sender-domain 13', async () => {
    // Act: the nightly analysis of the sample day, on the same table the ingest function wrote.
    const result = await runNightly({
      store: dynamo.store,
      table: dynamo,
      date: '2026-11-28',
      lookBackDays: 1,
      now: () => new Date('2026-11-29T02:00:00Z'),
    });
    const findings = (await getAll<Finding>('/findings', {}, 500)).items;

    // Assess: the one message received in one export and refused in another was forwarding already.
    expect(result.reclassified).toBe(0);
    const counts = Object.fromEntries(
      Object.keys(EXPECTED_BY_SCENARIO).map((scenario) => [
        scenario,
        findings.filter((f) => f.scenario === scenario).length,
      ]),
    );
    expect(counts).toEqual({ ...EXPECTED_BY_SCENARIO, forwarding: 4, 'foreign-sender-domain': 14 });
  });
});

describe('an upload in an unknown format', () => {
  it('shows as failed with UNKNOWN_FORMAT and its reason', async () => {
    // Prepare
    const key = 'incoming/2026-11-28/mailbox-statistics.csv';
    const body = await readFile(join(ROOT, 'test', 'fixtures', 'ingest', 'unknown-format.csv'));
    const notification = await uploadObject(s3, BUCKET, key, body);
    // Act
    expect(await deliverInBatches(ingest, [notification])).toEqual([]);
    // Assess
    const id = sourceIdOfNotification(BUCKET, notification);
    const response = await get<SourceRecord>(`/sources/${id}`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ id, file: key, status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(response.json.errorMessage).toMatch(/mailbox-statistics\.csv/);
    const listed = await get<PageJson<SourceRecord>>('/sources', { limit: '1' });
    expect(listed.json.items[0]).toMatchObject({ id, status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    // No finding came from it.
    expect((await getAll<Finding>('/findings', {}, 500)).items).toHaveLength(EXPECTED_FINDINGS);
  });
});

describe('the API Lambda handler', () => {
  it('answers bad parameters and unknown routes through API Gateway events with JSON errors', async () => {
    const bad = await get<{ error: { code: string; message: string; requestId: string } }>('/findings', {
      limit: '0',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^limit: /),
    });
    expect(bad.json.error.requestId).toEqual(expect.any(String));
    expect((await get('/nowhere')).status).toBe(404);
  });

  it('refuses a repeated parameter, naming it, where API Gateway joined its values with commas', async () => {
    // Prepare: the events API Gateway sends for `POST /uploads?name=a.log&name=b.log&size=10` and
    // `GET /findings?scenario=ndr&scenario=forwarding` (`queryStringParameters.name` is "a.log,b.log").
    const uploads = httpApiEvent('/uploads', new URLSearchParams('name=a.log&name=b.log&size=10'), 'POST');
    const findings = httpApiEvent('/findings', new URLSearchParams('scenario=ndr&scenario=forwarding'));
    // Act
    const once = parseLambdaResult(
      await api(httpApiEvent('/uploads', { name: 'a.log', size: '10' }, 'POST')),
    );
    const twice = parseLambdaResult<{ error: { code: string; message: string } }>(await api(uploads));
    const scenarios = parseLambdaResult<{ error: { code: string; message: string } }>(await api(findings));
    // Assess
    expect(uploads.queryStringParameters).toMatchObject({ name: 'a.log,b.log' });
    expect(once.status, once.body).toBe(201);
    expect(twice.status).toBe(400);
    expect(twice.json.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'name: repeated parameter (give it once: each parameter takes one value)',
    });
    expect(scenarios.status).toBe(400);
    expect(scenarios.json.error.message).toMatch(/^scenario: repeated parameter/);
  });

  it('refuses to start without its table name', async () => {
    const { createHandlerFromEnvironment } = await import('../../functions/api/handler.js');
    expect(() => createHandlerFromEnvironment({})).toThrow(/invalid API environment: TABLE_NAME/);
  });
});
