/**
 * Culture dates saved back by a spreadsheet. Excel saves a date-time cell as CSV in the Windows short
 * date and `h:mm`, without seconds: en-US `12/3/2026 14:05`. PowerShell's Export-Csv always writes
 * seconds (`12/3/2026 2:05:03 PM`), and the cultures that zero-pad the month (en-GB `dd/MM/yyyy`,
 * en-AU `d/MM/yyyy`) never write a one-digit second part, so such a value is read month-first
 * (test/fixtures/real-world/cultures/README.md).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TimestampParser, type TrackedEvent } from '../../functions/core/analysis/input/timestamps.js';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { DateOrderState, SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from '../support/capture-output.js';
import { withoutSourceContext } from '../support/day-first-export.js';

const RE_EXPORT = "@{n='Timestamp';e={$_.Timestamp.ToUniversalTime().ToString('o')}}";
const EXCEL_REASON =
  'read month-first because Excel saves en-US dates so in a CSV (m/d/yyyy h:mm: no seconds, an unpadded day).';

/** Parses `value` as the row on `line` and tracks the event built from it. */
function read(parser: TimestampParser, value: string, line: number): TrackedEvent {
  const event = { timestamp: parser.parse(value, line) as string, line };
  parser.track(event);
  return event;
}

/** The DATE_ORDER_ASSUMED note of a parser once its events are handed on. */
function assumedNote(parser: TimestampParser): string {
  parser.release();
  const notes = parser.notes();
  expect(notes.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
  const message = notes[0]?.message ?? '';
  // A note is cut at 500 characters: the re-export must stay in.
  expect(message.indexOf(RE_EXPORT) + RE_EXPORT.length).toBeLessThan(500);
  return message;
}

describe('date-times as Excel saves en-US ones in a CSV (m/d/yyyy h:mm)', () => {
  it.each([
    ['12/3/2026 14:05', '2026-12-03T14:05:00.000Z'],
    ['12/3/2026 6:02', '2026-12-03T06:02:00.000Z'],
    ['3/4/2026 9:05', '2026-03-04T09:05:00.000Z'],
  ])('reads %j month-first, and the note says why', (value, expected) => {
    const parser = new TimestampParser({ delimiter: ',' });
    expect(read(parser, value, 2).timestamp).toBe(expected);
    const note = assumedNote(parser);
    expect(note).toContain(`(e.g. "${value}")`);
    expect(note).toContain(EXCEL_REASON);
    expect(note).toContain(
      'If the exporting PC writes the day first (zh-HK, en-SG, …), day and month are swapped.',
    );
    expect(note).not.toContain('24-hour');
  });

  it.each([
    ['3/12/2026 14:05', "en-AU's d/MM/yyyy as much as en-US's", '2026-12-03T14:05:00.000Z'],
    ['12/3/2026 14:05:03', 'seconds: not saved by Excel', '2026-03-12T14:05:03.000Z'],
    ['03/4/2026 14:05', 'a zero-padded month en-US never writes', '2026-04-03T14:05:00.000Z'],
    ['12-3-2026 14:05', 'a dash en-US never writes', '2026-03-12T14:05:00.000Z'],
  ])('still reads %j day-first (%s)', (value, _, expected) => {
    const parser = new TimestampParser({ delimiter: ',' });
    expect(read(parser, value, 2).timestamp).toBe(expected);
    expect(assumedNote(parser)).toContain('read day-first because the times are 24-hour');
  });

  it('leaves AM/PM and a ;-separated file to their own bases', () => {
    const meridiem = new TimestampParser({ delimiter: ',' });
    expect(read(meridiem, '12/3/2026 2:05 PM', 2).timestamp).toBe('2026-12-03T14:05:00.000Z');
    expect(assumedNote(meridiem)).toContain('read month-first because the times carry AM/PM');

    const semicolons = new TimestampParser({ delimiter: ';' });
    expect(read(semicolons, '12/3/2026 14:05', 2).timestamp).toBe('2026-03-12T14:05:00.000Z');
    expect(assumedNote(semicolons)).toContain('read day-first because the file is ;-separated');
  });

  it('re-dates the events waiting day-first when a date as Excel saves en-US ones follows', () => {
    const parser = new TimestampParser({ delimiter: ',' });
    const early = read(parser, '3/12/2026 14:05', 2);
    expect(early.timestamp).toBe('2026-12-03T14:05:00.000Z'); // en-AU's d/MM as much as en-US's: day-first for now
    const late = read(parser, '12/3/2026 14:05', 3);
    const after = read(parser, '3/12/2026 16:05', 4); // weaker: the file stays month-first
    expect([early, late, after].map((event) => event.timestamp)).toEqual([
      '2026-03-12T14:05:00.000Z',
      '2026-12-03T14:05:00.000Z',
      '2026-03-12T16:05:00.000Z',
    ]);
    const note = assumedNote(parser);
    expect(note).toMatch(
      /^3 dates \(lines 2–4\) could be day-first or month-first \(e\.g\. "12\/3\/2026 14:05"\)/,
    );
    expect(note).toContain(EXCEL_REASON);
    expect(note).not.toContain('came after');
  });

  it('keeps reading month-first when an en-AU-looking date follows one as Excel saves en-US ones', () => {
    const parser = new TimestampParser({ delimiter: ',' });
    const events = [read(parser, '12/3/2026 14:05', 2), read(parser, '3/12/2026 14:05', 3)];
    expect(events.map((event) => event.timestamp)).toEqual([
      '2026-12-03T14:05:00.000Z',
      '2026-03-12T14:05:00.000Z',
    ]);
    expect(assumedNote(parser)).toContain(EXCEL_REASON);
  });

  it('keeps rows handed on day-first in their order, and the note says what pointed month-first', () => {
    const parser = new TimestampParser({ delimiter: ',' });
    const early = read(parser, '3/12/2026 14:05', 200_002);
    parser.release();
    const late = read(parser, '12/3/2026 14:05', 200_003);
    expect([early.timestamp, late.timestamp]).toEqual([
      '2026-12-03T14:05:00.000Z',
      '2026-03-12T14:05:00.000Z',
    ]);
    expect(late.dateOrderAssumed).toBeUndefined();
    const note = assumedNote(parser);
    expect(late.dateOrderAssumed).toBe(true);
    expect(note).toContain('read day-first because the times are 24-hour');
    expect(note).toContain(
      '"12/3/2026 14:05" on line 200003 points month-first, but came after some were analysed.',
    );
    expect(note).not.toContain('If the exporting PC');
  });

  it('gives way to a date that proves the order', () => {
    const parser = new TimestampParser({ delimiter: ',' });
    const event = read(parser, '12/3/2026 14:05', 2);
    parser.parse('13/3/2026 9:00', 3);
    expect(event.timestamp).toBe('2026-03-12T14:05:00.000Z');
    parser.release();
    expect(parser.notes()).toEqual([]);
  });

  it('hands its basis on to the next read of the file (ingest continuations)', () => {
    const first = new TimestampParser({ delimiter: ',' });
    read(first, '12/3/2026 14:05', 2);
    first.release();
    const state = DateOrderState.parse(JSON.parse(JSON.stringify(first.state())));
    expect(state.assumed).toMatchObject({ basis: 'spreadsheet', order: 'month-first' });
    const next = new TimestampParser({ delimiter: ',' }, { state, countFrom: 3 });
    expect(read(next, '3/12/2026 14:05', 3).timestamp).toBe('2026-03-12T14:05:00.000Z');
    expect(assumedNote(next)).toMatch(/^2 dates \(lines 2–3\) .* read month-first because Excel saves/);
  });
});

describe('an export saved again by Excel, through the CLI', () => {
  const DIR = 'test/fixtures/real-world/cultures';
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-audit-spreadsheet-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** `file` analysed without the store: its refusals (line, time) and its source record. */
  async function analyse(file: string) {
    const { status, out } = await cli(
      'analyze',
      file,
      '--accepted-domains',
      'sample-logs/config/accepted-domains.csv',
      '--no-store',
      '--json',
    );
    expect(status).toBe(0);
    const findings = out.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => Finding.parse(JSON.parse(line)));
    const source = SourceRecord.parse((JSON.parse(out.stderr) as { sources: unknown[] }).sources[0]);
    expect(source).toMatchObject({ rowsRead: 6, rowsAnalysed: 6, rowsSkipped: 0 });
    return { refusals: findings.map((finding) => [finding.source.line, finding.timestamp]), source };
  }

  const MARCH_9_AND_11: [number, string][] = [
    [3, '2021-03-09T10:14:00.000Z'],
    [7, '2021-03-11T14:05:00.000Z'],
  ];
  const CASES: [string, [number, string][]][] = [
    ['tracking-export-en-US-excel.csv', MARCH_9_AND_11],
    [
      // Sorted by Recipients: `3/11/2021 14:05` (en-AU's shape too) comes first.
      'tracking-export-en-US-excel-sorted.csv',
      [
        [3, '2021-03-11T14:05:00.000Z'],
        [7, '2021-03-09T10:14:00.000Z'],
      ],
    ],
  ];

  it.each([
    ...CASES,
    // zh-HK writes the day first (`9/3/2021 10:14`) in a comma-separated file: only the
    // SourceContext tells it from en-US's Excel re-save.
    ['tracking-export-zh-HK-excel.csv', MARCH_9_AND_11],
  ] as [string, [number, string][]][])(
    '%s: every refusal on its day, settled by its SourceContext',
    async (file, refusals) => {
      const { refusals: read, source } = await analyse(join(DIR, file));
      expect(read).toEqual(refusals);
      // The SourceContext's session time (ISO, UTC) proves the order: nothing was assumed.
      expect(source.notes).toBeUndefined();
    },
  );

  it.each(CASES)(
    '%s without its SourceContext: every refusal on its day, and the note says why',
    async (file, refusals) => {
      const text = await readFile(join(DIR, file), 'utf8');
      const copy = join(dir, file);
      await writeFile(copy, text.split('\r\n').map(withoutSourceContext).join('\r\n'));
      const { refusals: read, source } = await analyse(copy);
      expect(read).toEqual(refusals);
      expect(source.notes?.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
      const message = source.notes?.[0]?.message ?? '';
      expect(message).toMatch(
        /^6 dates \(lines 2–7\) could be day-first or month-first \(e\.g\. "3\/(9|11)\/2021 (10|14):(14|05)"\)/,
      );
      expect(message).toContain(EXCEL_REASON);
      expect(message).toContain(RE_EXPORT); // within the 500 characters a note keeps
    },
  );
});

describe('TimestampParser.settleBy: an unambiguous time of the same event', () => {
  it.each([
    ['9/3/2021 10:14', '2021-03-09T10:14:21.829Z', '2021-03-09T10:14:00.000Z'],
    ['3/9/2021 10:14', '2021-03-09T10:14:21.829Z', '2021-03-09T10:14:00.000Z'],
    // The PC's zone: 13 hours ahead of UTC (Pacific/Auckland in summer) still settles it.
    ['9/3/2021 23:14', '2021-03-09T10:14:21.829Z', '2021-03-09T23:14:00.000Z'],
  ])('reads %j by %s, re-dating the events waiting', (value, iso, expected) => {
    const parser = new TimestampParser({ delimiter: ',' });
    const waiting = read(parser, '1/2/2021 8:00', 2);
    const before = waiting.timestamp;
    parser.parse(value, 3);
    expect(parser.orderAssumed).toBe(true);
    expect(parser.settleBy(iso, 3)).toBe(expected);
    expect(parser.orderAssumed).toBe(false);
    expect(parser.learntOrder).toBe(
      expected.startsWith('2021-03-09') && value.startsWith('9/') ? 'day-first' : 'month-first',
    );
    // The waiting event is dated in the settled order too, and nothing is noted as assumed.
    expect(waiting.timestamp).toBe(
      parser.learntOrder === 'day-first' ? '2021-02-01T08:00:00.000Z' : '2021-01-02T08:00:00.000Z',
    );
    expect(waiting.timestamp === before).toBe(parser.learntOrder === 'month-first');
    parser.release();
    expect(parser.notes()).toEqual([]);
  });

  it.each([
    ['both readings far from it', '9/3/2021 10:14', '2021-06-01T00:00:00.000Z'],
    ['not a time', '9/3/2021 10:14', 'yesterday'],
  ])('settles nothing with %s', (_case, value, iso) => {
    const parser = new TimestampParser({ delimiter: ',' });
    parser.parse(value, 2);
    expect(parser.settleBy(iso, 2)).toBeUndefined();
    expect(parser.learntOrder).toBeUndefined();
  });

  it('settles nothing for a value whose order was not assumed', () => {
    const parser = new TimestampParser({ delimiter: ',' });
    parser.parse('28/3/2021 10:14', 2);
    expect(parser.orderAssumed).toBe(false);
    expect(parser.settleBy('2021-03-28T10:14:00.000Z', 2)).toBeUndefined();
  });
});
