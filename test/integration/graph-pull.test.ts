/**
 * The Exchange Online message trace pull end to end, against a local server implementing the
 * documented Graph and identity platform contract (test/support/local-graph.ts) and s3rver: sign-in
 * with a certificate, paging with @odata.nextLink, a 429 with Retry-After, a token that expires
 * mid-run; then the written window is analysed by the real analysis.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSigningCertificate } from '../../functions/graph-pull/certificate.js';
import { CURSOR_KEY, CursorStore } from '../../functions/graph-pull/cursor-store.js';
import { type PullSettings, runPull } from '../../functions/graph-pull/run-pull.js';
import { TokenSource } from '../../functions/graph-pull/token-source.js';
import { createLogger } from '../../functions/runtime/logger.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { type LocalS3, startLocalS3 } from '../support/local-engines.js';
import {
  createAppCertificate,
  type GraphTrace,
  graphTrace,
  LocalGraph,
  refusedDetails,
} from '../support/local-graph.js';

const BUCKET = 'relay-audit-graph-test';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = '99999999-8888-7777-6666-555555555555';
/** 11:20 with a 15-minute lag: the last whole hour that can be pulled is 10:00–11:00. */
const NOW = new Date('2026-12-05T11:20:00Z');
const WINDOW_KEY = 'incoming/graph/20261205T100000Z_20261205T110000Z.json';

const SETTINGS = (graphBase: string): PullSettings => ({
  graphBase,
  lagMs: 15 * 60_000,
  windowMs: 60 * 60_000,
  firstLookBackMs: 60 * 60_000,
  requestLimit: 80,
  maxDetailsPerWindow: 150,
});

const TRACES: GraphTrace[] = [
  graphTrace(1, '2026-12-05T10:05:00Z', 'alerts@app.fabrikam.com', 'vendor@adatum.com', 'Failed'),
  graphTrace(2, '2026-12-05T10:06:00Z', 'kate@contoso.com', 'lee@contoso.com', 'Delivered'),
  graphTrace(3, '2026-12-05T10:40:00Z', 'scanner@contoso.com', 'orders@adatum.com', 'Delivered'),
  graphTrace(4, '2026-12-05T10:59:59Z', 'billing@invoices.northwind.com', "o'brien@adatum.com", 'Failed'),
  // Exactly at the window's end: `le` returns it, but it belongs to the next window.
  graphTrace(5, '2026-12-05T11:00:00Z', 'next@fabrikam.com', 'x@adatum.com', 'Failed'),
];

let dir: string;
let certificatePem: string;
let graph: LocalGraph;
let s3: LocalS3;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-graph-'));
  ({ certificatePem, secretPem } = await createAppCertificate(dir));
  graph = new LocalGraph({
    tenantId: TENANT,
    clientId: CLIENT,
    certificatePem,
    traces: TRACES,
    details: Object.fromEntries(TRACES.map((t) => [t.id, refusedDetails(t)])),
    pageSize: 2,
  });
  await graph.start();
  s3 = await startLocalS3([BUCKET]);
}, 60_000);

afterAll(async () => {
  await graph?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

let secretPem: string;

function pull(options: { now?: Date } = {}) {
  return runPull({
    s3: s3.client,
    bucket: BUCKET,
    cursor: new CursorStore(s3.client, BUCKET),
    tokens: new TokenSource({
      authorityHost: graph.origin,
      tenantId: TENANT,
      clientId: CLIENT,
      certificate: readSigningCertificate(secretPem),
    }),
    logger: createLogger('test', 'silent'),
    settings: SETTINGS(graph.graphBase),
    now: () => options.now ?? NOW,
  });
}

async function objectText(key: string): Promise<string> {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await object.Body?.transformToString('utf-8')) ?? '';
}

describe('message trace pull against the documented Graph contract', () => {
  it('pulls the window since the cursor through paging, a 429 and an expired token, and the file gives the refusals', async () => {
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: CURSOR_KEY,
        Body: JSON.stringify({ cursor: '2026-12-05T10:00:00.000Z' }),
      }),
    );
    // The second trace page is throttled once; every token expires after the third Graph request.
    graph.throttleOnce = (url) => url.searchParams.has('$skiptoken');
    graph.expireTokensAfter = 3;
    const result = await pull();

    expect(result.windows).toEqual([
      { key: WINDOW_KEY, traces: 4, details: 4, detailsLeftOut: 0, written: true },
    ]);
    expect(result.cursor).toBe('2026-12-05T11:00:00.000Z');
    expect(graph.filters[0]).toBe(
      'receivedDateTime ge 2026-12-05T10:00:00.000Z and receivedDateTime le 2026-12-05T11:00:00.000Z',
    );
    const statuses = graph.log.map((entry) => entry.status);
    expect(statuses.filter((status) => status === 429)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(1);
    expect(result).toMatchObject({ throttled: 1, reauthenticated: 1 });
    // A new token after the 401, and the request was sent again with it.
    const tokens = graph.log.filter((entry) => entry.path.endsWith('/token'));
    expect(tokens.map((entry) => entry.status)).toEqual([200, 200]);
    const afterExpiry = graph.log.slice(graph.log.findIndex((entry) => entry.status === 401) + 2);
    expect(afterExpiry.every((entry) => entry.token === undefined || entry.token === 'token-2')).toBe(true);
    // Retry-After: 1 was honoured.
    const tooMany = graph.log.findIndex((entry) => entry.status === 429);
    const retried = graph.log[tooMany + 1];
    expect(retried?.path).toBe(graph.log[tooMany]?.path);
    expect((retried?.at ?? 0) - (graph.log[tooMany]?.at ?? 0)).toBeGreaterThanOrEqual(1000);

    const cursor = JSON.parse(await objectText(CURSOR_KEY)) as { cursor: string; recentRequests: number[] };
    expect(cursor.cursor).toBe('2026-12-05T11:00:00.000Z');
    expect(cursor.recentRequests.length).toBe(result.requests);
    // The file lands under incoming/: s3rver notifies for it as S3 does for the ingest queue.
    expect(() => s3.lastNotificationFor(WINDOW_KEY)).not.toThrow();

    const text = await objectText(WINDOW_KEY);
    const { findings, sources } = await analyzeFiles([{ name: WINDOW_KEY, content: text }], {
      accepted: 'contoso.com',
    });
    expect(sources.map((s) => [s.format, s.status, s.rowsRead, s.rowsAnalysed, s.rowsSkipped])).toEqual([
      ['message-trace-json', 'done', 8, 8, 0],
    ]);
    expect(findings.map((f) => [f.recipient, f.sender, f.scenario, f.attr])).toEqual([
      ['vendor@adatum.com', 'alerts@app.fabrikam.com', 'foreign-sender-domain', 'ATTR36'],
      ["o'brien@adatum.com", 'billing@invoices.northwind.com', 'foreign-sender-domain', 'ATTR36'],
    ]);
  }, 60_000);

  it('a second run with nothing due sends nothing; a rerun of the window writes the same key with the same records', async () => {
    const before = await objectText(WINDOW_KEY);
    const graphRequests = graph.log.length;
    const idle = await pull();
    expect(idle.windows).toEqual([]);
    expect(graph.log.length).toBe(graphRequests);

    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: CURSOR_KEY }));
    const rerun = await pull();
    expect(rerun.windows.map((w) => w.key)).toEqual([WINDOW_KEY]);
    expect(await objectText(WINDOW_KEY)).toBe(before);
  }, 60_000);

  it('writes no file for an empty window but still moves the cursor past it', async () => {
    const result = await pull({ now: new Date('2026-12-05T12:20:00Z') });
    expect(result.windows).toEqual([
      {
        key: 'incoming/graph/20261205T110000Z_20261205T120000Z.json',
        traces: 1,
        details: 2,
        detailsLeftOut: 0,
        written: true,
      },
    ]);
    const empty = await pull({ now: new Date('2026-12-05T13:20:00Z') });
    expect(empty.windows).toEqual([
      {
        key: 'incoming/graph/20261205T120000Z_20261205T130000Z.json',
        traces: 0,
        details: 0,
        detailsLeftOut: 0,
        written: false,
      },
    ]);
    await expect(objectText('incoming/graph/20261205T120000Z_20261205T130000Z.json')).rejects.toThrow();
    expect(JSON.parse(await objectText(CURSOR_KEY))).toMatchObject({ cursor: '2026-12-05T13:00:00.000Z' });
  }, 60_000);
});
