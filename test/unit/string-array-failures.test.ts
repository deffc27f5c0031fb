/**
 * A `Get-MessageTrackingLog` export whose `RecipientStatus` was not joined (`System.String[]`): a FAIL
 * or DEFER row's reason was not exported, so it may have been a relay refusal. The row is skipped as
 * STATUS_NOT_EXPORTED, saying the status was not exported and how to export it. Where the file's
 * other rows were read and gave no refusal, the file fails (REFUSAL_NOT_READ) and never ends in
 * "nothing to fix"; where they gave refusals, the file is done and the row a listed skip. Other rows
 * with the literal stay plain SYSTEM_STRING_ARRAY skips.
 * Fixtures: test/fixtures/real-world/unjoined-exports/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS, type RowSink, type SkipReason } from '../../functions/core/analysis/formats/index.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import { analyzeFiles } from '../support/analyze-text.js';
import { cli } from '../support/capture-output.js';

const DIR = 'test/fixtures/real-world/unjoined-exports';
const RE_EXPORT = "re-export with @{n='RecipientStatus';e={$_.RecipientStatus -join ';'}}";
const HEADERS = ['Timestamp', 'Source', 'EventId', 'MessageId', 'Recipients', 'RecipientStatus', 'Sender'];

/** What the tracking export's row adapter makes of one row whose Recipients are joined. */
function adaptRow(eventId: string, status: string) {
  const format = FORMATS.find((f) => f.id === 'tracking-log-export');
  if (format === undefined) throw new Error('tracking-log-export');
  const skips: { reason: SkipReason; message: string; column: string | undefined }[] = [];
  let events = 0;
  const sink: RowSink = {
    event: () => events++,
    skip: (_line, reason, message, column) => skips.push({ reason, message, column }),
  };
  format
    .createRowAdapter(HEADERS, { file: 'x.csv', timestamps: new TimestampParser(), isRelevant: () => true })
    .adapt(
      [
        '12/3/2026 9:15:02 AM',
        'SMTP',
        eventId,
        '<m1@ex01.contoso.local>',
        'a@litware.com;b@litware.com',
        status,
        'finance@contoso.com',
      ],
      5,
      sink,
    );
  return { events, skips };
}

async function analyseFixture(file: string) {
  const { findings, sources } = await analyzeFiles([{ name: file, content: readFileSync(join(DIR, file)) }]);
  const source = sources[0];
  if (source === undefined) throw new Error(file);
  expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
  return { findings, source };
}

describe('a failure row whose RecipientStatus was exported as System.String[]', () => {
  it.each([
    ['FAIL', 'System.String[]'],
    ['DEFER', 'System.String[]'],
    ['defer', 'System.Object[]'],
    ['FAIL', 'System.Collections.ArrayList'],
  ])(
    '%s with %s may hold a refusal: skipped as STATUS_NOT_EXPORTED, saying the status was not exported',
    (eventId, literal) => {
      const { events, skips } = adaptRow(eventId, literal);
      expect(events).toBe(0);
      expect(skips).toEqual([
        {
          reason: 'STATUS_NOT_EXPORTED',
          message:
            `the status of this ${eventId.toUpperCase()} row was not exported (the cell holds the literal ` +
            `"${literal}": the list was not joined), so whether it is a relay refusal cannot be told; ${RE_EXPORT}`,
          column: 'RecipientStatus',
        },
      ]);
      const message = skips[0]?.message ?? '';
      // No refusal text was seen: the message must not say there was.
      expect(message).not.toMatch(/holds relay-refusal text/);
    },
  );

  it.each(['RECEIVE', 'DELIVER', 'SEND'])(
    'a %s row with the literal stays a plain SYSTEM_STRING_ARRAY skip',
    (eventId) => {
      const { events, skips } = adaptRow(eventId, 'System.String[]');
      expect(events).toBe(0);
      expect(skips).toEqual([
        { reason: 'SYSTEM_STRING_ARRAY', message: expect.any(String), column: 'RecipientStatus' },
      ]);
      expect(skips[0]?.message).toContain(RE_EXPORT);
    },
  );

  it('fails an export whose lists were joined but for RecipientStatus, naming the line and the re-export', async () => {
    const { findings, source } = await analyseFixture('recipients-joined-only.csv');
    expect(findings).toEqual([]);
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      format: 'tracking-log-export',
      rowsRead: 6,
      rowsAnalysed: 1,
    });
    expect(source.skippedByReason).toEqual({ SYSTEM_STRING_ARRAY: 3, STATUS_NOT_EXPORTED: 2 });
    expect(source.skipped.map((row) => [row.line, row.reason, row.column])).toEqual([
      [3, 'SYSTEM_STRING_ARRAY', 'RecipientStatus'],
      [4, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [5, 'SYSTEM_STRING_ARRAY', 'RecipientStatus'],
      [7, 'SYSTEM_STRING_ARRAY', 'RecipientStatus'],
      [8, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
    ]);
    // The DELIVER row was read and gave no refusal: the two FAIL rows are what the file cannot tell.
    expect(source.errorMessage).toMatch(
      /^recipients-joined-only\.csv: 2 lines that may be relay refusals could not be read, e\.g\. line 4 — the status of this FAIL row was not exported/,
    );
    expect(source.errorMessage).toContain(RE_EXPORT);
  });

  it("reports the file's other refusals, and lists the DEFER row a second run appended unjoined as a skip", async () => {
    const { findings, source } = await analyseFixture('appended-second-run.csv');
    expect(findings.map((f) => [f.source.line, f.recipient, f.code])).toEqual([
      [4, 'buyer@litware.com', '5.7.64'],
    ]);
    // A refusal was read, so the file cannot end in "no relay refusals": the skip is the warning.
    expect(source).toMatchObject({ status: 'done', rowsRead: 6, rowsAnalysed: 3, rowsSkipped: 3 });
    expect(source.errorCode).toBeUndefined();
    expect(source.skippedByReason).toEqual({ SYSTEM_STRING_ARRAY: 2, STATUS_NOT_EXPORTED: 1 });
    expect(source.skipped.map((row) => [row.line, row.reason, row.column])).toEqual([
      [6, 'SYSTEM_STRING_ARRAY', 'RecipientStatus'],
      [7, 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
      [8, 'SYSTEM_STRING_ARRAY', 'RecipientStatus'],
    ]);
    expect(source.skipped[1]?.message).toMatch(/^the status of this DEFER row was not exported/);
  });

  it('fails a file whose readable rows give no refusal, naming its unjoined FAIL row', async () => {
    const { findings, source } = await analyseFixture('appended-unjoined-fail.csv');
    expect(findings).toEqual([]);
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      format: 'tracking-log-export',
      rowsRead: 5,
      rowsAnalysed: 4,
      rowsSkipped: 1,
    });
    // Both lists of line 6 hold the literal: the status is the column named, not Recipients.
    expect(source.skipped).toEqual([
      {
        line: 6,
        reason: 'STATUS_NOT_EXPORTED',
        message: `the status of this FAIL row was not exported (the cell holds the literal "System.String[]": the list was not joined), so whether it is a relay refusal cannot be told; ${RE_EXPORT}`,
        column: 'RecipientStatus',
      },
    ]);
    expect(source.errorMessage).toMatch(
      /^appended-unjoined-fail\.csv: line 6 could not be read — the status of this FAIL row was not exported/,
    );
    expect(source.errorMessage).toContain(RE_EXPORT);
  });

  it.each(['recipients-joined-only.csv', 'appended-unjoined-fail.csv'])(
    '%s never ends in "nothing to fix" on the command line: exit 1',
    async (file) => {
      const { status, out } = await cli(
        'analyze',
        join(DIR, file),
        '--no-store',
        '--accepted-domains',
        'contoso.com',
      );
      const text = out.stdout + out.stderr;
      expect(status).toBe(1);
      expect(text).toContain('not analysed: REFUSAL_NOT_READ');
      expect(text).toContain('the refusals may be in it');
      expect(text).not.toContain('nothing to fix');
    },
  );
});
