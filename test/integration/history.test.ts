/**
 * The findings history the nightly job writes to S3 (gzip NDJSON under `history/findings/day=…/`),
 * against s3rver and the embedded engine: one line per finding in its final scenario, no
 * remediation, the columns the Glue table declares; a re-run replaces a day's objects and removes
 * the parts a smaller day no longer has.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HISTORY_COLUMNS,
  HistoryDayWriter,
  historyDayPrefix,
  historyPartKey,
} from '../../functions/nightly/history.js';
import { runNightly } from '../../functions/nightly/run-nightly.js';
import { S3HistorySink } from '../../functions/nightly/s3-history-sink.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { type LocalS3, startLocalS3 } from '../support/local-engines.js';
import { makeFinding, makeFindingsSeries } from '../support/make-finding.js';

const BUCKET = 'relay-audit-history';
const DAY = '2026-11-20';

let s3: LocalS3;
let engine: EmbeddedStore;
let sink: S3HistorySink;

beforeAll(async () => {
  [s3, engine] = await Promise.all([
    startLocalS3([BUCKET]),
    startEmbeddedStore({ inMemory: true, tableName: 'history-test' }),
  ]);
  sink = new S3HistorySink(s3.client, BUCKET);
});

afterAll(async () => {
  await Promise.all([s3?.close(), engine?.close()]);
});

async function keysOf(day: string): Promise<string[]> {
  const response = await s3.client.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: historyDayPrefix(day) }),
  );
  return (response.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
}

async function linesOf(key: string): Promise<Record<string, unknown>[]> {
  const response = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const bytes = await response.Body?.transformToByteArray();
  if (!bytes) throw new Error(`no body for ${key}`);
  return gunzipSync(bytes)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the findings history in S3', () => {
  it('holds each finding of the day once, compact, in the columns of the Glue table', async () => {
    // Prepare: findings on the day, one of them written twice (an overlapping upload), one the day after.
    const findings = makeFindingsSeries(3, `${DAY}T10:00:00.000Z`, { scenario: 'ndr' });
    await engine.store.putFindings([...findings, makeFinding({ timestamp: '2026-11-21T01:00:00.000Z' })]);
    await engine.store.putFindings(findings.slice(0, 1));
    // Act
    const result = await runNightly({
      store: engine.store,
      table: engine,
      date: DAY,
      lookBackDays: 0,
      now: () => new Date('2026-11-21T02:00:00.000Z'),
      history: sink,
    });
    // Assess
    expect(result.history).toMatchObject({ findings: 3, parts: 1 });
    expect(await keysOf(DAY)).toEqual([historyPartKey(DAY, 0)]);
    const lines = await linesOf(historyPartKey(DAY, 0));
    expect(lines.map((line) => line.id).sort()).toEqual(findings.map((finding) => finding.id).sort());
    const columns = new Set<string>(HISTORY_COLUMNS.map((column) => column.name));
    for (const line of lines) {
      expect(Object.keys(line).filter((name) => !columns.has(name))).toEqual([]);
      expect(line).toMatchObject({ scenario: 'ndr', evidence: ['redirect-event'] });
      expect(JSON.stringify(line)).not.toContain('Enable SRS');
    }
  });

  it('replaces a day on a re-run, deleting the parts it no longer has', async () => {
    // Prepare: a day written in three parts of two findings.
    const day = '2026-11-10';
    const findings = makeFindingsSeries(5, `${day}T08:00:00.000Z`);
    const first = new HistoryDayWriter(sink, day, 2);
    for (const finding of findings) await first.add(finding);
    expect(await first.finish()).toMatchObject({ findings: 5, parts: 3, deleted: 0 });
    // Act: the day again, with one finding left.
    const second = new HistoryDayWriter(sink, day, 2);
    await second.add(findings[0] ?? makeFinding());
    const result = await second.finish();
    // Assess
    expect(result).toMatchObject({ findings: 1, parts: 1, deleted: 2 });
    expect(await keysOf(day)).toEqual([historyPartKey(day, 0)]);
    expect((await linesOf(historyPartKey(day, 0))).map((line) => line.id)).toEqual([findings[0]?.id]);
  });
});
