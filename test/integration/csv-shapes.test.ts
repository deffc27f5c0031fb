/**
 * Exports as spreadsheets, hand edits and partial `Select-Object`s leave them, through the CLI
 * in-process with `--no-store --json`: Excel's `sep=` line, column titles with spaces, title lines
 * above the header, a duplicated column, exports with columns left out, and AM/PM designators of
 * hi-IN and ms-MY. Fixtures: test/fixtures/real-world/csv-shapes/ (described in its README.md).
 */
import { describe, expect, it } from 'vitest';
import { analyzeNoStore, type FindingRow, findingRow, type NoStoreRun } from '../support/analyze-no-store.js';

const DIR = 'test/fixtures/real-world/csv-shapes';

async function analyse(file: string): Promise<NoStoreRun<FindingRow>> {
  const run = await analyzeNoStore(`${DIR}/${file}`, '--accepted-domains', 'contoso.com');
  return { ...run, findings: run.findings.map(findingRow) };
}

describe('trace detail exports reshaped for Excel', () => {
  it.each([
    ['trace-detail-excel-sep-semicolon.csv', 4, '2026-11-28T22:15:03.000Z'],
    ['trace-detail-bom-sep-comma.csv', 4, '2026-11-28T22:15:03.000Z'],
    ['trace-detail-spaced-headers.csv', 3, '2026-11-28T22:15:03.000Z'],
  ])('reads %s and finds its refusal on line %i', async (file, line, timestamp) => {
    const { status, source, findings } = await analyse(file);
    expect(source).toMatchObject({
      status: 'done',
      format: 'message-trace-detail',
      rowsRead: 2,
      rowsAnalysed: 2,
      rowsSkipped: 0,
    });
    expect(findings).toEqual([[line, 'orders@adatum.com', 'foreign-sender-domain', timestamp]]);
    // Excel's sep= line is a directive, not a title passed over.
    expect(source.notes?.map((note) => note.code) ?? []).not.toContain('LINES_BEFORE_HEADER');
    expect(status).toBe(0);
  });

  it('passes over the title lines above the header, and says which', async () => {
    const { source, findings } = await analyse('trace-detail-title-lines.csv');
    expect(source).toMatchObject({ status: 'done', format: 'message-trace-detail', rowsAnalysed: 2 });
    expect(findings).toEqual([[6, 'orders@adatum.com', 'foreign-sender-domain', '2026-11-28T22:15:03.000Z']]);
    expect(source.notes).toContainEqual({
      code: 'LINES_BEFORE_HEADER',
      message:
        'lines 1–2, above the header on line 4, passed over as a title, not rows: ' +
        '"Message trace detail report", "Generated 11/29/2026 8:00 AM by admin@contoso.com"',
    });
    // The total below the rows is no row either, and is said to be skipped.
    expect(source.skipped).toEqual([expect.objectContaining({ line: 8, reason: 'COLUMN_COUNT' })]);
  });
});

describe('exports relay-audit refuses, saying why and whether they hold refusals', () => {
  it('refuses a duplicated Detail column instead of reading its empty copy', async () => {
    const { status, source, findings } = await analyse('trace-detail-duplicate-detail-column.csv');
    expect(status).toBe(1);
    expect(findings).toEqual([]);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(source.errorMessage).toMatch(
      /trace-detail-duplicate-detail-column\.csv: the header row names the column "Detail" twice, as columns 7 and 11\./,
    );
  });

  it('names a trace detail export without MessageId and MessageTraceId, and its refusal', async () => {
    const { status, source } = await analyse('trace-detail-subset.csv');
    expect(status).toBe(1);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(source.errorMessage).toMatch(
      /looks like Exchange Online message trace detail \(Get-MessageTraceDetail\[V2\]\) with columns left out: its header on line 1 lacks messageid, messagetraceid/,
    );
    expect(source.errorMessage).toMatch(/Get-MessageTraceDetailV2 \| Export-Csv -NoTypeInformation/);
    expect(source.errorMessage).toMatch(/Line 3 holds a relay refusal \(550 5\.7\.64 TenantAttribution/);
  });

  it('names a tracking log export without MessageId, and its refusal', async () => {
    const { status, source } = await analyse('tracking-subset-no-messageid.csv');
    expect(status).toBe(1);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(source.errorMessage).toMatch(
      /looks like Get-MessageTrackingLog \| Export-Csv with columns left out: its header on line 1 lacks messageid \(/,
    );
    expect(source.errorMessage).toMatch(/Line 3 holds a relay refusal \(550 5\.7\.64 TenantAttribution/);
  });
});

describe('AM/PM designators of Windows cultures', () => {
  it.each(['tracking-export-hi-IN.csv', 'tracking-export-ms-MY.csv'])(
    'reads every row of %s, its refusals at the right instants',
    async (file) => {
      const { status, source, findings } = await analyse(file);
      expect(source).toMatchObject({ status: 'done', rowsRead: 6, rowsAnalysed: 6, rowsSkipped: 0 });
      expect(findings).toEqual([
        [4, 'buyer@litware.com', 'connector-mismatch', '2021-03-09T10:14:22.000Z'],
        [8, 'orders@wingtiptoys.com', 'connector-mismatch', '2021-03-15T14:05:08.000Z'],
      ]);
      expect(status).toBe(0);
    },
  );
});
