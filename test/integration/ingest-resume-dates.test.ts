/**
 * An export whose day/month order is ambiguous (en-AU `10/11/2021 10:14:21 AM`, read month-first for
 * its AM/PM until a date settles it), too big for one invocation, on the local engines: the
 * continuations go on with what the earlier ones learnt of the order, and when the last row proves
 * day-first the file is read again from its start, so the stored findings carry the dates of one
 * pass and the record one note of each kind. In the store a date read in an assumed order never
 * moves a finding that a date read for sure placed (test/support/day-first-export.ts).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { DATE_ORDER_ASSUMED_EVIDENCE, type Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { createIngestHandler } from '../../functions/ingest/ingest.js';
import { objectOpener } from '../../functions/ingest/object-reader.js';
import { createLogger, levelFromEnv } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { deadlineContext, drainQueue, type IngestLambda } from '../support/continuations.js';
import { enAuExport } from '../support/day-first-export.js';
import { sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import { type LocalS3, startLocalDynamo, startLocalS3 } from '../support/local-engines.js';

const BUCKET = 'relay-audit-resume-dates-bucket';
const TABLE = 'relay-audit-resume-dates-test';
/** A small classifier memory, as in ingest-resume.test.ts: a short replay per continuation. */
const ANALYSIS = { windowEvents: 20, maxTrackedMessages: 10 };
const MARGIN_MS = 1_000;
/** 3 600 rows, 1 200 refusals, 2.5 MB. */
const COPIES = 600;
/**
 * Deadline checks per invocation: enough for a continuation's replay and some progress, few enough
 * for several invocations (a plain object is read in network chunks, gzip in 256 KiB pieces).
 */
const CHECKS = { plain: 12, gzip: 5 };

let s3: LocalS3;
let dynamo: EmbeddedServer;
let handler: IngestLambda;
const queue: string[] = [];

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  handler = createIngestHandler({
    store: dynamo.store,
    openObject: objectOpener(s3.client),
    resolveDomains: async () => ({ oracle: parseAcceptedDomains('contoso.com', 'test'), origin: 'test' }),
    sendToQueue: async (body) => {
      queue.push(body);
    },
    logger: createLogger('test', levelFromEnv({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' })),
    stopMarginMs: MARGIN_MS,
    analysis: ANALYSIS,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([s3?.close(), dynamo?.close()]);
});

/** The findings of one pass over `bytes`, in memory, by id: the reference. */
async function onePass(bytes: Buffer): Promise<{ record: SourceRecord; findings: Map<string, Finding> }> {
  const findings = new Map<string, Finding>();
  const result = await analyze(
    [
      {
        name: 'reference',
        sourceId: 'reference',
        open: async function* () {
          yield bytes;
        },
      },
    ],
    {
      domains: parseAcceptedDomains('contoso.com', 'test'),
      sink: {
        putFindings: async (batch: Finding[]) => {
          for (const finding of batch) findings.set(finding.id, finding);
        },
        putSource: async () => undefined,
      },
      ...ANALYSIS,
    },
  );
  return { record: result.sources[0] as SourceRecord, findings };
}

async function storedFindings(sourceId?: string): Promise<Map<string, Finding>> {
  const found = new Map<string, Finding>();
  let cursor: string | undefined;
  do {
    const page = await dynamo.store.queryFindings({
      ...(sourceId === undefined ? {} : { sourceId }),
      limit: 500,
      cursor,
    });
    for (const finding of page.items) found.set(finding.id, finding);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return found;
}

function timestamps(findings: Map<string, Finding>): Map<string, string> {
  return new Map([...findings].map(([id, finding]) => [id, finding.timestamp]));
}

function dateAssumed(finding: Finding): boolean {
  return finding.evidence.some((item) => item.kind === DATE_ORDER_ASSUMED_EVIDENCE.kind);
}

/** Uploads `bytes` under `key`, drains the queue with a deadline after `checks` checks, returns the record. */
async function ingestInContinuations(key: string, bytes: Buffer, checks: number) {
  const notification = await uploadObject(s3, BUCKET, key, bytes);
  queue.push(notification);
  const run = await drainQueue(handler, queue, () => deadlineContext({ checks }, MARGIN_MS));
  const id = sourceIdOfNotification(BUCKET, notification);
  return { run, id, record: await dynamo.store.getSource(id) };
}

describe('an export whose day/month order only its last row settles, over several invocations', () => {
  for (const compressed of [false, true]) {
    it(`${compressed ? 'gzip' : 'plain'}: the findings and notes of one pass`, async () => {
      const plain = enAuExport(COPIES, { settled: true, first: compressed ? COPIES : 0 });
      const reference = await onePass(plain);
      const key = `incoming/ex01/tracking-en-AU-${compressed ? 'gz.csv.gz' : 'plain.csv'}`;
      const { run, id, record } = await ingestInContinuations(
        key,
        compressed ? gzipSync(plain) : plain,
        compressed ? CHECKS.gzip : CHECKS.plain,
      );

      expect(run.failed, 'nothing is retried').toEqual([]);
      expect(run.invocations).toBeGreaterThan(3);
      expect(record?.status).toBe('done');
      expect(record?.resume).toBeUndefined();
      for (const field of ['rowsRead', 'rowsAnalysed', 'rowsSkipped', 'events', 'rejections'] as const)
        expect(record?.[field], field).toBe(reference.record[field]);
      expect(record?.findingsByScenario).toEqual(reference.record.findingsByScenario);
      expect(record?.notes).toEqual(reference.record.notes);
      const stored = await storedFindings(id);
      expect(stored.size).toBe(2 * COPIES);
      // 10/11/2021 is 10 November, not 11 October, in every finding, written early or late.
      expect(timestamps(stored)).toEqual(timestamps(reference.findings));
      expect([...stored.values()].filter(dateAssumed)).toEqual([]);
    }, 120_000);
  }

  it('without a date that settles it: one note for the whole file, its lines merged', async () => {
    const plain = enAuExport(COPIES, { settled: false, first: 2 * COPIES });
    const reference = await onePass(plain);
    const { run, id, record } = await ingestInContinuations(
      'incoming/ex01/tracking-en-AU-open.csv',
      plain,
      CHECKS.plain,
    );

    expect(run.invocations).toBeGreaterThan(3);
    expect(record?.status).toBe('done');
    expect(record?.notes?.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
    expect(record?.notes).toEqual(reference.record.notes);
    const stored = await storedFindings(id);
    expect(timestamps(stored)).toEqual(timestamps(reference.findings));
    expect([...stored.values()].every(dateAssumed)).toBe(true);
  }, 120_000);
});

describe('a finding dated for sure, and again by a reading of assumed order', () => {
  it('keeps the sure date, whichever export is stored first', async () => {
    for (const [first, assumedFirst] of [
      [3 * COPIES, true],
      [3 * COPIES + 10, false],
    ] as const) {
      // The same ten messages exported twice: once settled (dates sure), once without the proof.
      const sure = await onePass(enAuExport(10, { settled: true, first }));
      const assumed = await onePass(enAuExport(10, { settled: false, first }));
      const order = assumedFirst ? [assumed, sure] : [sure, assumed];
      for (const reading of order) await dynamo.store.putFindings([...reading.findings.values()]);

      const stored = await storedFindings();
      for (const [id, finding] of sure.findings) {
        expect(stored.get(id)?.timestamp, `${id} (${assumedFirst ? 'assumed' : 'sure'} first)`).toBe(
          finding.timestamp,
        );
        expect(dateAssumed(stored.get(id) as Finding)).toBe(false);
      }
      // The assumed readings were a month off both ways: 11 October (earlier), 11 December (later).
      expect(
        new Set([...assumed.findings.values()].map((finding) => finding.timestamp.slice(0, 10))),
      ).toEqual(new Set(['2021-10-11', '2021-12-11']));
    }
  }, 60_000);
});
