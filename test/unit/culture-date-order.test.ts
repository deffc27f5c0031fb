/**
 * Which culture dates point to month-first: only en-US's own shape (`M/d/yyyy h:mm:ss tt`, an
 * unpadded month and `AM`/`PM`). Other 12-hour forms — vi-VN `SA`, es-MX `a. m.`, zh-SG `上午`,
 * en-NZ `a.m.`, ur-PK's zero-padded `03/12/2026 … AM` — say nothing of the order and are read
 * day-first, with a note that says why. And fr-CA's long time `09 h 15 min 02 s` is read
 * (test/fixtures/real-world/culture-dates/README.md).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TimestampParser, type TrackedEvent } from '../../functions/core/analysis/input/timestamps.js';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from '../support/capture-output.js';

const DIR = 'test/fixtures/real-world/culture-dates';
const RE_EXPORT = "@{n='Timestamp';e={$_.Timestamp.ToUniversalTime().ToString('o')}}";

/** The one note of a parser that read `values` (rows 3, 4, …) and handed them on. */
function noteOf(parser: TimestampParser, values: string[]): string {
  values.forEach((value, index) => {
    parser.track({ timestamp: parser.parse(value, index + 3) as string, line: index + 3 });
  });
  parser.release();
  const notes = parser.notes();
  expect(notes.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
  return notes[0]?.message ?? '';
}

describe('12-hour culture dates that en-US never writes', () => {
  // 3 December 2026 9:15:01 and 14:05:08 as each culture writes them (ShortDatePattern LongTimePattern).
  it.each([
    ['vi-VN dd/MM/yyyy h:mm:ss tt', '03/12/2026 9:15:01 SA', '03/12/2026 2:05:08 CH', 'the designator "SA"'],
    [
      'es-MX dd/MM/yyyy hh:mm:ss tt',
      '03/12/2026 09:15:01 a. m.',
      '03/12/2026 02:05:08 p. m.',
      'the designator "a. m."',
    ],
    [
      'es-MX under ICU (no-break space)',
      '03/12/2026 09:15:01 a.\u00a0m.',
      '03/12/2026 02:05:08 p.\u00a0m.',
      'the designator "a.\u00a0m."',
    ],
    [
      'zh-SG d/M/yyyy tt h:mm:ss',
      '3/12/2026 上午 9:15:01',
      '3/12/2026 下午 2:05:08',
      'the designator "上午"',
    ],
    [
      'en-NZ d/MM/yyyy h:mm:ss tt, before 2017',
      '3/12/2026 9:15:01 a.m.',
      '3/12/2026 2:05:08 p.m.',
      'the designator "a.m."',
    ],
    [
      'en-NZ d/MM/yyyy h:mm:ss tt, 2020 on',
      '3/12/2026 9:15:01 am',
      '3/12/2026 2:05:08 pm',
      'the designator "am"',
    ],
    [
      'ur-PK dd/MM/yyyy h:mm:ss tt',
      '03/12/2026 9:15:01 AM',
      '03/12/2026 2:05:08 PM',
      'the zero-padded "03/"',
    ],
  ])('%s: read day-first, and the note says why', (_, morning, afternoon, unlike) => {
    const parser = new TimestampParser({ delimiter: ',' });
    expect(parser.parse(morning)).toBe('2026-12-03T09:15:01.000Z');
    expect(parser.parse(afternoon)).toBe('2026-12-03T14:05:08.000Z');
    const note = noteOf(new TimestampParser({ delimiter: ',' }), [morning, afternoon]);
    expect(note).toContain(`read day-first because ${unlike} is not en-US's`);
    expect(note).toContain(
      'If the exporting PC writes the month first (en-US, …), day and month are swapped.',
    );
    expect(note).not.toMatch(/as en-US writes them|AM\/PM/);
    expect(note).toContain(RE_EXPORT);
  });

  it("still reads en-US's own shape month-first, as en-US writes it", () => {
    for (const value of ['3/12/2026 9:15:01 AM', '3/12/2026 9:15:01\u202fAM']) {
      expect(new TimestampParser().parse(value)).toBe('2026-03-12T09:15:01.000Z');
    }
    const note = noteOf(new TimestampParser(), ['3/12/2026 9:15:01 AM', '10/12/2026 2:05:08 PM']);
    expect(note).toContain('read month-first because the times carry AM/PM, as en-US writes them');
  });

  it('reads a file day-first once one of its dates is not as en-US writes them (ur-PK)', () => {
    // In export order: the 3 December rows come first, then 10 December's, which look like en-US's.
    const parser = new TimestampParser();
    expect(parser.parse('03/12/2026 9:15:01 AM', 3)).toBe('2026-12-03T09:15:01.000Z');
    expect(parser.parse('10/12/2026 2:05:08 PM', 8)).toBe('2026-12-10T14:05:08.000Z');
  });

  it('re-dates the events waiting month-first when a later date is not as en-US writes them', () => {
    const parser = new TimestampParser();
    const early: TrackedEvent = { timestamp: parser.parse('10/12/2026 2:05:08 PM', 3) as string, line: 3 };
    parser.track(early);
    expect(early.timestamp).toBe('2026-10-12T14:05:08.000Z'); // en-US's shape: month-first for now
    const late: TrackedEvent = { timestamp: parser.parse('03/12/2026 9:15:01 AM', 4) as string, line: 4 };
    parser.track(late);
    expect([early.timestamp, late.timestamp]).toEqual([
      '2026-12-10T14:05:08.000Z',
      '2026-12-03T09:15:01.000Z',
    ]);
    // Still an assumption: a date that proves month-first (es-PA `MM/dd/yyyy … a. m.`) re-dates both.
    expect(parser.waiting).toBe(true);
    parser.parse('12/13/2026 9:00:00 AM', 5);
    expect([early.timestamp, late.timestamp]).toEqual([
      '2026-10-12T14:05:08.000Z',
      '2026-03-12T09:15:01.000Z',
    ]);
    parser.release();
    expect(parser.notes()).toEqual([]);
  });

  it('keeps a file read one way once its dates were handed on month-first', () => {
    const parser = new TimestampParser();
    parser.track({ timestamp: parser.parse('10/12/2026 2:05:08 PM', 3) as string, line: 3 });
    parser.release();
    expect(parser.parse('03/12/2026 9:15:01 AM', 4)).toBe('2026-03-12T09:15:01.000Z');
    parser.release();
    expect(parser.notes()[0]?.message).toMatch(/^2 dates \(lines 3–4\) .* read month-first because/);
  });

  it('hands the day-first reading on to the next read of the file (ingest continuations)', () => {
    const first = new TimestampParser();
    first.track({ timestamp: first.parse('03/12/2026 9:15:01 SA', 3) as string, line: 3 });
    first.release();
    const next = new TimestampParser({}, { state: first.state(), countFrom: 4 });
    expect(next.parse('10/12/2026 2:05:08 PM', 4)).toBe('2026-12-10T14:05:08.000Z');
    next.release();
    expect(next.notes()[0]?.message).toMatch(/^2 dates \(lines 3–4\) .* the designator "SA" is not en-US's/);
  });
});

describe("fr-CA's long time, HH 'h' mm 'min' ss 's'", () => {
  it.each([
    ['2026-12-03 09 h 15 min 02 s', '2026-12-03T09:15:02.000Z'],
    ['2026-12-10 14 h 05 min 08 s', '2026-12-10T14:05:08.000Z'],
    ['2026-12-03 09 h 15', '2026-12-03T09:15:00.000Z'], // the short time, HH 'h' mm
    ['2026-12-03\u00a009\u00a0h\u00a015\u00a0min\u00a002\u00a0s', '2026-12-03T09:15:02.000Z'],
  ])('reads %j', (value, expected) => {
    expect(new TimestampParser().parse(value)).toBe(expected);
  });

  it.each([
    '2026-12-03 09 h 15 min 02',
    '2026-12-03 09 h min 02 s',
    '2026-12-03 09 h 15 min 02 s 7',
    '2026-12-03 09 h 15 min 02 sec',
    '2026-12-03 09 h',
  ])('rejects %j', (value) => {
    expect(new TimestampParser().parse(value)).toBeUndefined();
  });
});

describe('Export-Csv from PCs of these cultures, through the CLI', () => {
  const NO_EN_US: Record<string, string | undefined> = {
    'tracking-export-vi-VN.csv': 'the designator "SA"',
    'tracking-export-es-MX.csv': 'the designator "a. m."',
    'tracking-export-zh-SG.csv': 'the designator "上午"',
    'tracking-export-en-NZ.csv': 'the designator "a.m."',
    'tracking-export-ur-PK.csv': 'the zero-padded "03/"',
    'tracking-export-fr-CA.csv': undefined, // year first: no order to assume
  };

  it.each(Object.entries(NO_EN_US))('%s: every refusal on its day', async (file, unlike) => {
    const { status, out } = await cli(
      'analyze',
      join(DIR, file),
      '--accepted-domains',
      'contoso.com',
      '--no-store',
      '--json',
    );
    expect(status).toBe(0);
    const findings = out.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => Finding.parse(JSON.parse(line)));
    expect(findings.map((finding) => [finding.source.line, finding.timestamp])).toEqual([
      [4, '2026-12-03T09:15:02.000Z'],
      [8, '2026-12-10T14:05:08.000Z'],
      [8, '2026-12-10T14:05:08.000Z'],
    ]);
    const source = SourceRecord.parse((JSON.parse(out.stderr) as { sources: unknown[] }).sources[0]);
    expect(source).toMatchObject({ rowsRead: 6, rowsAnalysed: 6, rowsSkipped: 0 });
    if (unlike === undefined) {
      expect(source.notes).toBeUndefined();
      return;
    }
    expect(source.notes?.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
    const message = source.notes?.[0]?.message ?? '';
    expect(message).toMatch(/^6 dates \(lines 3–8\) could be day-first or month-first/);
    expect(message).toContain(`read day-first because ${unlike} is not en-US's`);
    expect(message).toContain(RE_EXPORT); // within the 500 characters a note keeps
  });
});
