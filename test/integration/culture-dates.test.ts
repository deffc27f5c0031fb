/**
 * `Get-MessageTrackingLog | Export-Csv -UseCulture` from PCs of other cultures, through the CLI:
 * every row read, every refusal at the right instant, and the file whose day/month order nothing
 * settles says so (test/fixtures/real-world/cultures/README.md).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from '../support/capture-output.js';
import { withoutSourceContext } from '../support/day-first-export.js';

const DIR = 'test/fixtures/real-world/cultures';
const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

/** The refusals of each file: line of the FAIL row and its instant (culture dates are taken as UTC). */
const EXPECTED: Record<string, { rows: number; refusals: [line: number, timestamp: string][] }> = {
  'tracking-export-ja-JP.csv': {
    rows: 6,
    refusals: [
      [6, '2021-03-09T10:14:22.000Z'],
      [8, '2021-03-10T18:40:06.000Z'],
    ],
  },
  'tracking-export-ko-KR.csv': {
    rows: 8,
    refusals: [
      [4, '2021-03-09T10:14:22.000Z'], // 오전 10:14:22
      [6, '2021-03-09T14:05:08.000Z'], // 오후 2:05:08
    ],
  },
  'tracking-export-fi-FI.csv': {
    rows: 6,
    refusals: [
      [6, '2021-03-09T10:14:22.000Z'], // 9.3.2021 10.14.22
      [8, '2021-03-10T18:40:06.000Z'],
    ],
  },
  'tracking-export-hu-HU.csv': {
    rows: 6,
    refusals: [
      [6, '2021-03-09T10:14:22.000Z'],
      [8, '2021-03-10T18:40:06.000Z'],
    ],
  },
  'tracking-export-de-DE.csv': {
    rows: 6,
    refusals: [
      [5, '2021-03-09T10:14:22.000Z'],
      [7, '2021-03-10T18:40:06.000Z'],
    ],
  },
  'tracking-export-en-GB.csv': {
    rows: 6,
    refusals: [
      [4, '2021-03-09T10:14:22.000Z'], // 09/03/2021, settled by 15/03/2021 on line 7
      [8, '2021-03-15T08:05:34.000Z'],
    ],
  },
  'tracking-export-en-AU.csv': {
    rows: 6,
    refusals: [
      [4, '2021-03-10T10:14:22.000Z'], // 10/03/2021 … AM: first read as 3 October, re-dated by line 7
      [8, '2021-03-15T08:05:34.000Z'],
    ],
  },
  'tracking-export-en-US.csv': {
    rows: 6,
    refusals: [
      [4, '2021-03-09T10:14:22.000Z'], // 3/9/2021, settled by 3/15/2021 on line 7
      [8, '2021-03-15T14:05:08.000Z'],
    ],
  },
  'tracking-export-ambiguous.csv': {
    rows: 6,
    refusals: [
      [4, '2021-03-09T10:14:22.000Z'], // 3/9/2021, settled month-first by its SourceContext (2021-03-09T…Z)
      [8, '2021-03-11T14:05:08.000Z'],
    ],
  },
};

/** `file` (a fixture's name, or a path) analysed without the store, as JSON. */
async function analyseJson(
  file: string,
): Promise<{ status: number; findings: Finding[]; source: SourceRecord }> {
  const path = file.includes('/') ? file : join(DIR, file);
  const { status, out } = await cli('analyze', path, ...DOMAINS, '--no-store', '--json');
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => Finding.parse(JSON.parse(line)));
  const summary = JSON.parse(out.stderr) as { sources: unknown[] };
  return { status, findings, source: SourceRecord.parse(summary.sources[0]) };
}

describe('culture-formatted dates', () => {
  it.each(Object.entries(EXPECTED))(
    '%s: every row read, refusals at the right instants',
    async (file, expected) => {
      const { status, findings, source } = await analyseJson(file);
      expect(status).toBe(0);
      expect(source).toMatchObject({
        status: 'done',
        format: 'tracking-log-export',
        rowsRead: expected.rows,
        rowsAnalysed: expected.rows,
        rowsSkipped: 0,
      });
      expect(findings.map((finding) => [finding.source.line, finding.timestamp])).toEqual(expected.refusals);
      for (const finding of findings) expect(finding.code).toBe('5.7.64');
      expect(source.notes).toBeUndefined();
    },
  );

  it('says in the source record and the report when the day/month order was assumed', async () => {
    // Without SourceContext (an export of selected columns), nothing in the file settles the order.
    const dir = await mkdtemp(join(tmpdir(), 'relay-audit-cultures-'));
    const file = join(dir, 'tracking-export-ambiguous.csv');
    const text = await readFile(join(DIR, 'tracking-export-ambiguous.csv'), 'utf8');
    await writeFile(file, text.split('\r\n').map(withoutSourceContext).join('\r\n'));
    const { source } = await analyseJson(file);
    expect(source.notes?.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
    const message = source.notes?.[0]?.message ?? '';
    expect(message).toMatch(
      /^6 dates \(lines 3–8\) could be day-first or month-first \(e\.g\. "3\/9\/2021 10:14:21 AM"\)/,
    );
    expect(message).toMatch(/read month-first because the times carry AM\/PM/);
    expect(message).toContain("@{n='Timestamp';e={$_.Timestamp.ToUniversalTime().ToString('o')}}");

    const { out } = await cli('analyze', file, ...DOMAINS, '--no-store');
    expect(out.stderr).toMatch(
      /\n {6}note \(DATE_ORDER_ASSUMED\): 6 dates \(lines 3–8\) could be day-first or month-first/,
    );
    await rm(dir, { recursive: true, force: true });
  });

  it('holds rows across batches until a later date settles the order', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-audit-cultures-'));
    try {
      // en-AU: the refusal on line 4 (10/03/2021 … AM) reads as 3 October until 15/03/2021, some
      // 2 000 rows (several 256 KiB reads) later. Without SourceContext, whose session times would
      // settle the order on line 3.
      const lines = (await readFile(join(DIR, 'tracking-export-en-AU.csv'), 'utf8'))
        .split('\r\n')
        .map(withoutSourceContext);
      const filler = Array.from({ length: 1000 }, () => lines.slice(4, 6)).flat();
      const text = [...lines.slice(0, 4), ...filler, ...lines.slice(6)].join('\r\n');
      expect(text.length).toBeGreaterThan(4 * 256 * 1024);
      const file = join(dir, 'en-AU-long.csv');
      await writeFile(file, text);
      const { status, out } = await cli('analyze', file, ...DOMAINS, '--no-store', '--json');
      expect(status).toBe(0);
      const findings = out.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => Finding.parse(JSON.parse(line)));
      expect(findings.map((finding) => [finding.source.line, finding.timestamp])).toEqual([
        [4, '2021-03-10T10:14:22.000Z'],
        [2006, '2021-03-15T08:05:34.000Z'],
      ]);
      const source = SourceRecord.parse((JSON.parse(out.stderr) as { sources: unknown[] }).sources[0]);
      expect(source).toMatchObject({ rowsRead: 2004, rowsSkipped: 0 });
      expect(source.notes).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('skips a 100 000-space timestamp cell at once, and reads the rest of the file', {
    timeout: 30_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-audit-cultures-'));
    try {
      const text = await readFile(join(DIR, 'tracking-export-en-US.csv'), 'utf8');
      const padded = text.replace('"3/10/2021 4:40:05 PM"', `"3/10/2021 4:40:05${' '.repeat(100_000)}X"`);
      expect(padded).not.toBe(text);
      const file = join(dir, 'padded.csv');
      await writeFile(file, padded);
      const started = performance.now();
      const { status, out } = await cli('analyze', file, ...DOMAINS, '--no-store', '--json');
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(status).toBe(0);
      const source = SourceRecord.parse((JSON.parse(out.stderr) as { sources: unknown[] }).sources[0]);
      expect(source).toMatchObject({ rowsRead: 6, rowsSkipped: 1, skippedByReason: { BAD_TIMESTAMP: 1 } });
      expect(source.skipped[0]).toMatchObject({ line: 5, column: 'Timestamp' });
      // The record quotes the start of the cell, not all of it.
      expect(source.skipped[0]?.message).toMatch(
        /^"3\/10\/2021 4:40:05 +…" \(100018 characters\) is not a date and time$/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
