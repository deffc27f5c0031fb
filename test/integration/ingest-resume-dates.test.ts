/**
 * An export whose day/month order is ambiguous (en-AU `10/11/2021 10:14:21 AM`, read month-first for
 * its AM/PM until a date settles it), too big for one invocation, on the local engines: the
 * continuations go on with what the earlier ones learnt of the order, and when the last row proves
 * day-first the file is read again from its start, so the stored findings carry the dates of one
 * pass and the record one note of each kind. In the store a date read in an assumed order never
 * moves a finding that a date read for sure placed (test/support/day-first-export.ts).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DATE_ORDER_ASSUMED_EVIDENCE, type Finding } from '../../functions/core/analysis/model/findings.js';
import { deadlineContext, drainQueue } from '../support/continuations.js';
import { enAuExport } from '../support/day-first-export.js';
import { sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import { fieldById, onePass, resumeEnginesForFile, storedFindings } from '../support/resume-engines.js';

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

const engines = resumeEnginesForFile({
  bucket: BUCKET,
  table: TABLE,
  marginMs: MARGIN_MS,
  analysis: ANALYSIS,
});

function dateAssumed(finding: Finding): boolean {
  return finding.evidence.some((item) => item.kind === DATE_ORDER_ASSUMED_EVIDENCE.kind);
}

/** Uploads `bytes` under `key`, drains the queue with a deadline after `checks` checks, returns the record. */
async function ingestInContinuations(key: string, bytes: Buffer, checks: number) {
  const notification = await uploadObject(engines.s3, BUCKET, key, bytes);
  engines.queue.push(notification);
  const run = await drainQueue(engines.handler, engines.queue, () => deadlineContext({ checks }, MARGIN_MS));
  const id = sourceIdOfNotification(BUCKET, notification);
  return { run, id, record: await engines.dynamo.store.getSource(id) };
}

describe('an export whose day/month order only its last row settles, over several invocations', () => {
  for (const compressed of [false, true]) {
    it(`${compressed ? 'gzip' : 'plain'}: the findings and notes of one pass`, async () => {
      const plain = enAuExport(COPIES, { settled: true, first: compressed ? COPIES : 0 });
      const reference = await onePass(plain, ANALYSIS);
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
      const stored = await storedFindings(engines, id);
      expect(stored.size).toBe(2 * COPIES);
      // 10/11/2021 is 10 November, not 11 October, in every finding, written early or late.
      expect(fieldById(stored, 'timestamp')).toEqual(fieldById(reference.findings, 'timestamp'));
      expect([...stored.values()].filter(dateAssumed)).toEqual([]);
    }, 120_000);
  }

  it('without a date that settles it: one note for the whole file, its lines merged', async () => {
    const plain = enAuExport(COPIES, { settled: false, first: 2 * COPIES });
    const reference = await onePass(plain, ANALYSIS);
    const { run, id, record } = await ingestInContinuations(
      'incoming/ex01/tracking-en-AU-open.csv',
      plain,
      CHECKS.plain,
    );

    expect(run.invocations).toBeGreaterThan(3);
    expect(record?.status).toBe('done');
    expect(record?.notes?.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
    expect(record?.notes).toEqual(reference.record.notes);
    const stored = await storedFindings(engines, id);
    expect(fieldById(stored, 'timestamp')).toEqual(fieldById(reference.findings, 'timestamp'));
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
      const sure = await onePass(enAuExport(10, { settled: true, first }), ANALYSIS);
      const assumed = await onePass(enAuExport(10, { settled: false, first }), ANALYSIS);
      const order = assumedFirst ? [assumed, sure] : [sure, assumed];
      for (const reading of order) await engines.dynamo.store.putFindings([...reading.findings.values()]);

      // Each refusal read by its id: the store also holds the thousands of findings of the tests
      // above, which a scan would read too (seconds) for nothing.
      for (const [id, finding] of sure.findings) {
        const stored = await engines.dynamo.store.getFinding(id);
        expect(stored?.timestamp, `${id} (${assumedFirst ? 'assumed' : 'sure'} first)`).toBe(
          finding.timestamp,
        );
        expect(dateAssumed(stored as Finding)).toBe(false);
      }
      // The assumed readings were a month off both ways: 11 October (earlier), 11 December (later).
      expect(
        new Set([...assumed.findings.values()].map((finding) => finding.timestamp.slice(0, 10))),
      ).toEqual(new Set(['2021-10-11', '2021-12-11']));
    }
  }, 60_000);
});
