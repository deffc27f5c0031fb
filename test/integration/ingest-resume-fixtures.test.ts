/**
 * Real-world shapes through the ingest handler on the local engines, its first invocation stopped at
 * each deadline check it makes (the body arriving in pieces, a check between them), the next going
 * on from the stored resume point: the upload ends `done` with the findings, counts and notes of one
 * pass. A send protocol log sorted on date-time hands the refusals of one millisecond on in the
 * order of their sequence-number, not of their lines (38 before 37), and one that begins inside a
 * session holds its first rows back until their millisecond has been read: a resumed read lost
 * such a refusal. (Every resume point of more shapes: test/unit/resume-every-point.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { deadlineContext, drainQueue } from '../support/continuations.js';
import { sourceIdOfNotification, uploadObject } from '../support/ingest-harness.js';
import { comparable } from '../support/invocations.js';
import { onePass, resumeEnginesForFile, storedFindings } from '../support/resume-engines.js';

const BUCKET = 'relay-audit-resume-fixtures';
const TABLE = 'relay-audit-resume-fixtures-test';
const MARGIN_MS = 1_000;
const FIXTURES = join(import.meta.dirname, '../fixtures/real-world');

const engines = resumeEnginesForFile({
  bucket: BUCKET,
  table: TABLE,
  marginMs: MARGIN_MS,
  analysis: {},
  chunkBytes: 1024,
});

/** What a stored finding and the one-pass finding share (the store adds its own fields); `file` named `reference`. */
function compared(findings: Map<string, Finding>, file = 'reference') {
  const named = (text: string) => text.replaceAll(file, 'reference');
  return [...findings.values()]
    .map((finding) => ({
      id: finding.id,
      scenario: finding.scenario,
      recipient: finding.recipient,
      line: finding.source.line,
      evidence: finding.evidence.map((item) => ({ ...item, detail: named(item.detail) })),
      remediation: finding.remediation,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

describe('a real-world log stopped at any deadline check and resumed through the handler', () => {
  for (const fixture of [
    'protocol-log-same-millisecond/SEND20261128-1-sorted-on-date-time.LOG',
    'smtp-transactions/rolled-over/at-mail-from/SEND2026112810-2.LOG',
  ]) {
    it(fixture, async () => {
      const bytes = readFileSync(join(FIXTURES, fixture));
      const reference = await onePass(bytes, {});
      const { id: _id, file: _file, ...expected } = comparable(reference.record);
      let resumed = 0;
      for (let checks = 1; ; checks++) {
        const key = `incoming/resume-${checks}/${fixture}`;
        const notification = await uploadObject(engines.s3, BUCKET, key, bytes);
        engines.queue.push(notification);
        let invocation = 0;
        const run = await drainQueue(engines.handler, engines.queue, () =>
          deadlineContext(++invocation === 1 ? { checks } : {}, MARGIN_MS),
        );
        expect(run.failed).toEqual([]);
        const id = sourceIdOfNotification(BUCKET, notification);
        const record = await engines.dynamo.store.getSource(id);
        const at = `first invocation stopped after ${checks} checks`;
        expect(record?.status, at).toBe('done');
        const { id: _storedId, file: _storedFile, ...got } = comparable(record as NonNullable<typeof record>);
        expect(got, at).toEqual(expected);
        expect(compared(await storedFindings(engines, id), key), at).toEqual(compared(reference.findings));
        if (run.invocations === 1) break;
        resumed++;
      }
      expect(resumed).toBeGreaterThan(1);
    }, 120_000);
  }
});
