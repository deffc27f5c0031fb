/**
 * A `Get-MessageTrackingLog` export whose `RecipientStatus` was not joined (`System.String[]`) while
 * its `Recipients` were: a FAIL or DEFER row's reason was not exported, so it may have been a relay
 * refusal. The row is skipped as REFUSAL_NOT_READ, saying the status was not exported and how to
 * export it; the file fails once read, its other refusals reported, and never ends in "nothing to
 * fix". Other rows with the literal stay plain SYSTEM_STRING_ARRAY skips.
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
    '%s with %s may hold a refusal: skipped as REFUSAL_NOT_READ, saying the status was not exported',
    (eventId, literal) => {
      const { events, skips } = adaptRow(eventId, literal);
      expect(events).toBe(0);
      expect(skips).toEqual([
        { reason: 'REFUSAL_NOT_READ', message: expect.any(String), column: 'RecipientStatus' },
      ]);
      const message = skips[0]?.message ?? '';
      expect(message).toContain(`the status of this ${eventId.toUpperCase()} row was not exported`);
      expect(message).toContain(`"${literal}"`);
      expect(message).toContain(RE_EXPORT);
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
    expect(source.skipped.map((row) => [row.line, row.reason, row.column])).toEqual([
      [3, 'SYSTEM_STRING_ARRAY', 'RecipientStatus'],
      [4, 'REFUSAL_NOT_READ', 'RecipientStatus'],
      [5, 'SYSTEM_STRING_ARRAY', 'RecipientStatus'],
      [7, 'SYSTEM_STRING_ARRAY', 'RecipientStatus'],
      [8, 'REFUSAL_NOT_READ', 'RecipientStatus'],
    ]);
    expect(source.errorMessage).toContain('line 4');
    expect(source.errorMessage).toContain('the status of this FAIL row was not exported');
    expect(source.errorMessage).toContain(RE_EXPORT);
  });

  it("reports the file's other refusals, and fails it for the DEFER row a second run appended unjoined", async () => {
    const { findings, source } = await analyseFixture('appended-second-run.csv');
    expect(findings.map((f) => [f.source.line, f.recipient, f.code])).toEqual([
      [4, 'buyer@litware.com', '5.7.64'],
    ]);
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      rowsRead: 6,
      rowsAnalysed: 3,
    });
    expect(source.skipped.map((row) => [row.line, row.reason])).toEqual([
      [6, 'SYSTEM_STRING_ARRAY'],
      [7, 'REFUSAL_NOT_READ'],
      [8, 'SYSTEM_STRING_ARRAY'],
    ]);
    expect(source.errorMessage).toMatch(
      /line 7 could not be read — the status of this DEFER row was not exported/,
    );
  });

  it('never ends in "nothing to fix" on the command line: exit 1', async () => {
    const { status, out } = await cli(
      'analyze',
      join(DIR, 'recipients-joined-only.csv'),
      '--no-store',
      '--accepted-domains',
      'contoso.com',
    );
    const text = out.stdout + out.stderr;
    expect(status).toBe(1);
    expect(text).toContain('not analysed: REFUSAL_NOT_READ');
    expect(text).not.toContain('nothing to fix');
  });
});
