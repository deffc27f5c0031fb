import { describe, expect, it } from 'vitest';
import {
  HeldBatches,
  MAX_TIMESTAMP_CHARS,
  TimestampParser,
  type TrackedEvent,
} from '../../functions/core/analysis/input/timestamps.js';

describe('TimestampParser', () => {
  it.each([
    ['2026-11-28T22:15:03.123Z', '2026-11-28T22:15:03.123Z'],
    ['2026-11-28T22:15:03Z', '2026-11-28T22:15:03.000Z'],
    ['2026-11-28 22:15:03', '2026-11-28T22:15:03.000Z'],
    ['2026-11-28T23:15:03+01:00', '2026-11-28T22:15:03.000Z'],
    ['2026-11-28T17:15:03-0500', '2026-11-28T22:15:03.000Z'],
    ['2026-11-28T22:15:03.1234567Z', '2026-11-28T22:15:03.123Z'],
    ['2026-11-28T22:15:03.5Z', '2026-11-28T22:15:03.500Z'],
    ['2026-11-28T22:15:03,25', '2026-11-28T22:15:03.250Z'],
    ['2026-11-28T22:15', '2026-11-28T22:15:00.000Z'],
    ['2026-11-28t22:15:03z', '2026-11-28T22:15:03.000Z'],
    ['11/28/2026 10:15:03 PM', '2026-11-28T22:15:03.000Z'],
    ['11/28/2026 12:05:00 AM', '2026-11-28T00:05:00.000Z'],
    ['28-11-2026 22:15:03', '2026-11-28T22:15:03.000Z'],
    ['28.11.2026 22:15:03', '2026-11-28T22:15:03.000Z'],
    ['28/11/2026 22:15:03', '2026-11-28T22:15:03.000Z'],
    // The cultures of docs/domain.md §5, all 9 March 2021 10:14:21.
    ['2021/03/09 10:14:21', '2021-03-09T10:14:21.000Z'], // ja-JP
    ['2021/3/9 10:14:21', '2021-03-09T10:14:21.000Z'], // zh-CN
    ['2021-03-09 오전 10:14:21', '2021-03-09T10:14:21.000Z'], // ko-KR
    ['2021-03-09 오후 10:14:21', '2021-03-09T22:14:21.000Z'],
    ['2021/3/9 下午 10:14:21', '2021-03-09T22:14:21.000Z'], // zh-TW
    ['9.3.2021 10.14.21', '2021-03-09T10:14:21.000Z'], // fi-FI: dots in the time too
    ['2021. 03. 09. 10:14:21', '2021-03-09T10:14:21.000Z'], // hu-HU
    ['9. 3. 2021 10:14:21', '2021-03-09T10:14:21.000Z'], // cs-CZ (ICU)
    ['09.03.2021. 10:14:21', '2021-03-09T10:14:21.000Z'], // lv-LV
    ['9/03/2021 10:14:21 AM', '2021-03-09T10:14:21.000Z'], // en-AU: the zero-padded month proves it
    ['3/9/2021 10:14:21 AM', '2021-03-09T10:14:21.000Z'], // en-US
    ['3/9/2021 10:14:21\u202fPM', '2021-03-09T22:14:21.000Z'], // ICU's narrow no-break space
    ['09/03/2021 10:14:21', '2021-03-09T10:14:21.000Z'], // en-GB
    ['9-3-2021 10:14:21', '2021-03-09T10:14:21.000Z'], // nl-NL
    ['  2021-03-09 10:14:21  ', '2021-03-09T10:14:21.000Z'],
  ])('normalises %s to UTC', (raw, expected) => {
    expect(new TimestampParser().parse(raw)).toBe(expected);
  });

  it.each([
    'not-a-date',
    '',
    '2026-13-01T00:00:00Z',
    '31.11.2026 10:00:00',
    '13/13/2026 10:00:00',
    '11/28/2026 13:15:03 PM', // 13 o'clock PM
    '2021-03-09 ?? 10:14:21', // ko-KR exported as ASCII: AM or PM is lost
    '9/3/2564 10:14:21', // th-TH Buddhist year
    '1400/01/01 10:00:00', // fa-IR Persian year
    '9/3/21 10:14:21', // two-digit year
    '2021-03-09', // no time
    '2021-03-09 10:14:21 XX',
    '2021-03-09 10:14:21+1',
    `2021-03-09 10:14:21${'0'.repeat(MAX_TIMESTAMP_CHARS)}`,
  ])('rejects %j', (raw) => {
    expect(new TimestampParser().parse(raw)).toBeUndefined();
  });

  it('reads 100 000-character cells in linear time (the old pattern took seconds)', {
    timeout: 10_000,
  }, () => {
    const parser = new TimestampParser();
    const spaces = ' '.repeat(100_000);
    const started = performance.now();
    expect(parser.parse(`11/28/2026 10:15:03${spaces}X`)).toBeUndefined();
    expect(parser.parse(`11/28/2026 10:15:03${spaces}PM`)).toBeUndefined();
    expect(parser.parse(spaces)).toBeUndefined();
    expect(parser.parse(`${spaces}11/28/2026 10:15:03 PM${spaces}`)).toBe('2026-11-28T22:15:03.000Z');
    expect(parser.parse(`2026-11-28T22:15:03${'5'.repeat(100_000)}`)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('learns day-first order from an unambiguous value and keeps it for the file', () => {
    const parser = new TimestampParser();
    expect(parser.parse('5/11/2026 10:00:00 AM')).toBe('2026-05-11T10:00:00.000Z'); // en-US's shape: month first until proved
    expect(parser.parse('28/11/2026 10:00:00 AM')).toBe('2026-11-28T10:00:00.000Z'); // proves day-first
    expect(parser.learntOrder).toBe('day-first');
    expect(parser.parse('05/11/2026 10:00:00 AM')).toBe('2026-11-05T10:00:00.000Z');
    expect(parser.notes()).toEqual([]);
  });

  it('takes an unpadded day before a zero-padded month as proof of day-first (en-AU d/MM/yyyy)', () => {
    const parser = new TimestampParser();
    expect(parser.parse('9/03/2021 10:14:21 AM')).toBe('2021-03-09T10:14:21.000Z');
    expect(parser.learntOrder).toBe('day-first');
    expect(parser.parse('10/03/2021 10:14:21 AM')).toBe('2021-03-10T10:14:21.000Z');
    // The other way round (`03/9`) is no culture's pattern and proves nothing.
    const other = new TimestampParser();
    other.parse('03/9/2021 10:14:21 AM');
    expect(other.learntOrder).toBeUndefined();
  });

  it('needs no order for year-first and dotted dates, nor when day and month are equal', () => {
    const parser = new TimestampParser();
    for (const raw of ['2021/03/09 10:14:21', '9.3.2021 10.14.21', '3/3/2021 10:14:21 AM'])
      parser.parse(raw, 2);
    expect(parser.learntOrder).toBeUndefined();
    parser.release();
    expect(parser.notes()).toEqual([]);
  });

  it('assumes day-first in a ;-separated file, month-first with AM/PM, day-first with 24-hour times', () => {
    expect(new TimestampParser({ delimiter: ';' }).parse('3/9/2021 10:14:21 AM')).toBe(
      '2021-09-03T10:14:21.000Z',
    );
    expect(new TimestampParser({ delimiter: ',' }).parse('3/9/2021 10:14:21 AM')).toBe(
      '2021-03-09T10:14:21.000Z',
    );
    expect(new TimestampParser({ delimiter: ',' }).parse('9/3/2021 10:14:21')).toBe(
      '2021-03-09T10:14:21.000Z',
    );
  });

  it('says when nothing in the file settles the order', () => {
    const parser = new TimestampParser();
    parser.parse('3/9/2021 10:14:21 AM', 3);
    parser.parse('3/10/2021 1:00:00 PM', 7);
    parser.release();
    const [note, ...rest] = parser.notes();
    expect(rest).toEqual([]);
    expect(note?.code).toBe('DATE_ORDER_ASSUMED');
    expect(note?.message).toMatch(
      /^2 dates \(lines 3–7\) could be day-first or month-first \(e\.g\. "3\/9\/2021 10:14:21 AM"\)/,
    );
    expect(note?.message).toMatch(/read month-first because the times carry AM\/PM/);
    expect(note?.message).toContain("$_.Timestamp.ToUniversalTime().ToString('o')");
    const european = new TimestampParser({ delimiter: ';' });
    european.parse('3/9/2021 10:14:21', 2);
    expect(european.notes()[0]?.message).toMatch(/read day-first because the file is ;-separated/);
  });

  it('re-dates tracked events when a later date proves the other order', () => {
    const parser = new TimestampParser();
    const events: TrackedEvent[] = [];
    for (const [line, raw] of [
      [2, '10/03/2021 9:00:00 AM'], // en-AU, read month-first for now
      [3, '11/03/2021 9:00:00 AM'],
    ] as const) {
      const timestamp = parser.parse(raw, line) as string;
      for (let recipient = 0; recipient < 2; recipient++) {
        const event = { timestamp, line };
        parser.track(event);
        events.push(event);
      }
    }
    expect(events[0]?.timestamp).toBe('2021-10-03T09:00:00.000Z');
    expect(parser.waiting).toBe(true);
    expect(parser.parse('13/03/2021 9:00:00 AM', 4)).toBe('2021-03-13T09:00:00.000Z');
    expect(parser.waiting).toBe(false);
    expect(events.map((event) => event.timestamp)).toEqual([
      '2021-03-10T09:00:00.000Z',
      '2021-03-10T09:00:00.000Z',
      '2021-03-11T09:00:00.000Z',
      '2021-03-11T09:00:00.000Z',
    ]);
    parser.release();
    expect(parser.notes()).toEqual([]);
  });

  it('only tracks events of the value just parsed, when its order was assumed', () => {
    const parser = new TimestampParser();
    const proven = { timestamp: parser.parse('28/11/2026 10:00:00', 2) as string, line: 2 };
    parser.track(proven);
    expect(parser.waiting).toBe(false);
    const other = new TimestampParser();
    other.parse('3/9/2021 10:14:21 AM', 2);
    other.track({ timestamp: '2021-01-01T00:00:00.000Z', line: 2 });
    expect(other.waiting).toBe(false);
  });

  it('says which rows were handed on before a late proof of the other order', () => {
    const parser = new TimestampParser();
    for (const line of [2, 3, 4]) {
      parser.track({ timestamp: parser.parse('10/03/2021 9:00:00 AM', line) as string, line });
    }
    parser.release(); // handed on: a proof can no longer re-date them
    const late = { timestamp: parser.parse('11/03/2021 9:00:00 AM', 5) as string, line: 5 };
    parser.track(late);
    parser.parse('13/03/2021 9:00:00 AM', 6);
    expect(late.timestamp).toBe('2021-03-11T09:00:00.000Z'); // still held: re-dated
    parser.release();
    const notes = parser.notes();
    expect(notes.map((note) => note.code)).toEqual(['DATE_ORDER_LATE']);
    expect(notes[0]?.message).toMatch(
      /"13\/03\/2021 9:00:00 AM" on line 6 shows the file writes dates day-first, but the dates of 3 rows \(lines 2–4\) had been read month-first/,
    );
  });

  it('says when a file writes dates in both orders, and reads each proven date as written', () => {
    const parser = new TimestampParser();
    expect(parser.parse('28/11/2026 22:15:03', 2)).toBe('2026-11-28T22:15:03.000Z');
    expect(parser.parse('11/28/2026 10:15:03 PM', 9)).toBe('2026-11-28T22:15:03.000Z');
    expect(parser.parse('05/11/2026 10:00:00 AM', 10)).toBe('2026-11-05T10:00:00.000Z'); // the first proof holds
    const notes = parser.notes();
    expect(notes.map((note) => note.code)).toEqual(['DATE_ORDER_MIXED']);
    expect(notes[0]?.message).toMatch(
      /"28\/11\/2026 22:15:03" on line 2 is day-first, "11\/28\/2026 10:15:03 PM" on line 9 month-first/,
    );
  });
});

describe('HeldBatches', () => {
  interface Batch {
    events: TrackedEvent[];
    rowsRead: number;
    notes?: { code: string; message: string }[];
  }
  const batchOf = (parser: TimestampParser, rows: [number, string][]): Batch => {
    const events: TrackedEvent[] = [];
    for (const [line, raw] of rows) {
      const event = { timestamp: parser.parse(raw, line) as string, line };
      parser.track(event);
      events.push(event);
    }
    return { events, rowsRead: rows.length };
  };

  it('passes batches straight on when no date waits for its order', () => {
    const parser = new TimestampParser();
    const held = new HeldBatches<Batch>(parser);
    const batch = batchOf(parser, [[2, '28/11/2026 22:15:03']]);
    expect(held.take(batch, false)).toEqual([batch]);
    expect(held.holding).toBe(false);
  });

  it('holds batches until a proof re-dates them, then hands them on in order', () => {
    const parser = new TimestampParser();
    const held = new HeldBatches<Batch>(parser);
    const first = batchOf(parser, [[2, '10/03/2021 9:00:00 AM']]);
    expect(held.take(first, false)).toEqual([]);
    expect(held.holding).toBe(true);
    const second = batchOf(parser, [[3, '13/03/2021 9:00:00 AM']]);
    expect(held.take(second, false)).toEqual([first, second]);
    expect(first.events[0]?.timestamp).toBe('2021-03-10T09:00:00.000Z');
  });

  it('hands batches on past the events limit, and the last batch carries the notes', () => {
    const parser = new TimestampParser();
    const held = new HeldBatches<Batch>(parser, { events: 2, rows: 100 });
    const first = batchOf(parser, [[2, '10/03/2021 9:00:00 AM']]);
    expect(held.take(first, false)).toEqual([]);
    const second = batchOf(parser, [[3, '11/03/2021 9:00:00 AM']]);
    expect(held.take(second, false)).toEqual([first, second]); // the cap: handed on as dated
    expect(first.events[0]?.timestamp).toBe('2021-10-03T09:00:00.000Z');
    const last = batchOf(parser, [[4, '13/03/2021 9:00:00 AM']]);
    expect(held.take(last, true)).toEqual([last]);
    expect(last.notes?.map((note) => note.code)).toEqual(['DATE_ORDER_LATE']);
  });

  it('hands batches on past the rows limit, however few events they hold', () => {
    const parser = new TimestampParser();
    const held = new HeldBatches<Batch>(parser, { events: 100, rows: 1000 });
    const first = batchOf(parser, [[2, '10/03/2021 9:00:00 AM']]);
    expect(held.take(first, false)).toEqual([]);
    const skipped: Batch = { events: [], rowsRead: 998 }; // rows that became no event
    expect(held.take(skipped, false)).toEqual([]);
    const more: Batch = { events: [], rowsRead: 1 };
    expect(held.take(more, false)).toEqual([first, skipped, more]);
    expect(parser.waiting).toBe(false);
  });

  it('hands everything on at the end of the file, with a note when the order stayed unknown', () => {
    const parser = new TimestampParser();
    const held = new HeldBatches<Batch>(parser);
    const first = batchOf(parser, [[2, '3/9/2021 10:14:21 AM']]);
    expect(held.take(first, false)).toEqual([]);
    const last: Batch = { events: [], rowsRead: 0 };
    expect(held.take(last, true)).toEqual([first, last]);
    expect(last.notes?.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
    expect(first.events[0]?.timestamp).toBe('2021-03-09T10:14:21.000Z');
  });
});
