/**
 * SessionRowOrder puts each session's rows of one date-time back in the order of their
 * `sequence-number` before they are read (a sort on date-time alone may have changed it), reads the
 * rows of a log as written at once, and counts the rows whose order cannot be told. The send protocol
 * log reader says a skip of a row held back on the row's own line, as it is read.
 */
import { describe, expect, it } from 'vitest';
import { HELD_ROWS, SessionRowOrder, WriteOrder } from '../../functions/core/analysis/formats/write-order.js';
import { type ParsedBatch, parseInput } from '../../functions/core/analysis/input/parse-input.js';
import { chunked } from '../support/streams.js';

/** A row as the test pushes it: session, number (or none), date-time, line. */
type Row = [session: string, number: number | undefined, time: string, line: number];

/** Pushes the rows; returns the lines in the order read, the lines read at once, and the order's counts. */
function read(rows: readonly Row[], finish = true) {
  const lines: number[] = [];
  const order = new SessionRowOrder<Row>(100, (row) => lines.push(row[3]));
  const atOnce = rows.filter((row) => order.push(row[0], row[1], row[2], row[3], row)).map((row) => row[3]);
  if (finish) order.flush();
  return { lines, atOnce, unsure: order.unsure, first: order.firstUnsure };
}

describe('the rows of a session that share a date-time', () => {
  it('are read at once in a log as written, interleaved sessions and all', () => {
    const rows: Row[] = [
      ['A', 0, 't1', 1],
      ['A', 1, 't2', 2],
      ['B', 0, 't2', 3],
      ['A', 2, 't2', 4],
      ['B', 1, 't2', 5],
      ['A', 3, 't3', 6],
    ];
    expect(read(rows)).toEqual({
      lines: [1, 2, 3, 4, 5, 6],
      atOnce: [1, 2, 3, 4, 5, 6],
      unsure: 0,
      first: undefined,
    });
  });

  it('are put back in the order of their numbers, each session apart', () => {
    // A millisecond's rows the other way round (a stable sort of a copy put newest first).
    const rows: Row[] = [
      ['A', 0, 't1', 1],
      ['B', 3, 't2', 2],
      ['A', 3, 't2', 3],
      ['A', 2, 't2', 4],
      ['B', 2, 't2', 5],
      ['A', 1, 't2', 6],
      ['A', 4, 't3', 7],
    ];
    // B began before this log: its rows are held until t2's have all been read, then read in order.
    expect(read(rows)).toMatchObject({ lines: [1, 6, 4, 3, 5, 2, 7], unsure: 0 });
  });

  it('read a session begun in an earlier log from its first row here, and rows filtered out are no doubt', () => {
    const rows: Row[] = [
      ['A', 23, 't1', 1],
      ['A', 22, 't1', 2],
      ['A', 25, 't2', 3],
      ['A', 28, 't3', 4],
      ['A', 27, 't3', 5],
    ];
    expect(read(rows)).toMatchObject({ lines: [2, 1, 3, 5, 4], unsure: 0 });
  });

  it('are held until their date-time has ended, and the rest at the end of the file', () => {
    const rows: Row[] = [
      ['A', 0, 't1', 1],
      ['A', 2, 't1', 2],
    ];
    expect(read(rows, false)).toMatchObject({ lines: [1], atOnce: [1] });
    expect(read(rows)).toMatchObject({ lines: [1, 2], unsure: 0 });
  });

  it('that repeat a number, or have none beside another, are read as read and counted', () => {
    expect(
      read([
        ['A', 0, 't1', 1],
        ['A', 1, 't2', 2],
        ['A', 1, 't2', 3],
      ]),
    ).toMatchObject({
      lines: [1, 2, 3],
      unsure: 1,
      first: { line: 3, how: 'row 1 of session A comes after its row 1, at the same date-time' },
    });
    // No sequence-number column: the first row of each date-time tells nothing, the next may be out of place.
    expect(
      read([
        ['A', undefined, 't1', 1],
        ['A', undefined, 't2', 2],
        ['B', undefined, 't2', 3],
        ['A', undefined, 't2', 4],
      ]),
    ).toMatchObject({ lines: [1, 2, 3, 4], unsure: 1, first: { line: 4 } });
  });

  it('go back across date-times without a doubt: time orders them (rows put newest first are another check’s)', () => {
    expect(
      read([
        ['A', 5, 't1', 1],
        ['A', 4, 't2', 2],
      ]),
    ).toMatchObject({ lines: [1, 2], unsure: 0 });
  });

  it('are held back at most HELD_ROWS at once, then read in the order known', () => {
    const rows: Row[] = Array.from({ length: HELD_ROWS + 1 }, (_, index) => [
      'A',
      index + 1,
      't1',
      index + 1,
    ]);
    const { lines } = read(rows, false);
    expect(lines).toHaveLength(HELD_ROWS + 1);
    expect(lines[0]).toBe(1);
  });
});

describe('an answer held back until the rows of its session before it are read', () => {
  const FIELDS =
    'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';
  const row = (at: string, sequence: number, event: string, data: string) =>
    `${at},Outbound to Office 365,08DF00000000000E,${sequence},10.0.1.11:52140,52.101.1.1:25,${event},${data},`;
  /**
   * A session whose answer to one@'s RCPT TO (line 9), dated as no date can be, comes before the 250
   * to MAIL FROM; two@ is accepted, and the message refused after DATA: that refuses the recipients
   * accepted, two@ only.
   */
  const log = (answer: string) =>
    [
      '#Software: Microsoft Exchange Server',
      '#Log-type: SMTP Send Protocol Log',
      `#Fields: ${FIELDS}`,
      row('2026-11-28T10:00:00.100Z', 0, '+', ''),
      row('2026-11-28T10:00:00.101Z', 1, '<', '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com ready'),
      row('2026-11-28T10:00:00.102Z', 2, '>', 'MAIL FROM:<app@fabrikam.com>'),
      row('2026-11-28T10:00:00.102Z', 3, '>', 'RCPT TO:<one@adatum.com>'),
      row('2026-11-28T10:00:00.102Z', 4, '>', 'RCPT TO:<two@adatum.com>'),
      row('yesterday morning', 6, '<', answer),
      row('yesterday morning', 5, '<', '250 2.1.0 Sender OK'),
      row('2026-11-28T10:00:00.300Z', 7, '<', '250 2.1.5 Recipient OK'),
      row('2026-11-28T10:00:00.301Z', 8, '>', 'DATA'),
      row('2026-11-28T10:00:00.310Z', 9, '<', '354 Start mail input; end with <CRLF>.<CRLF>'),
      row('2026-11-28T10:00:00.311Z', 10, '>', '.'),
      row('2026-11-28T10:00:00.400Z', 11, '<', '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36'),
    ].join('\r\n');

  async function parse(text: string) {
    const batches: ParsedBatch[] = [];
    await parseInput(
      { name: 'SEND.LOG', sourceId: 'SEND.LOG', open: () => chunked(Buffer.from(`${text}\r\n`, 'utf8'), 97) },
      { inferring: false },
      { format: () => undefined, batch: (batch) => void batches.push(batch) },
    );
    return batches;
  }

  it('is skipped on its own line when its date-time cannot be read, and the answers after it still pair', async () => {
    const batches = await parse(log('550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found'));
    const skips = batches.flatMap((batch) => batch.skips);
    expect(skips.map((skip) => [skip.line, skip.reason])).toEqual([[9, 'BAD_TIMESTAMP']]);
    const rowsRead = batches.reduce((total, batch) => total + batch.rowsRead, 0);
    const rowsAnalysed = batches.reduce((total, batch) => total + batch.rowsAnalysed, 0);
    expect(rowsRead).toBe(rowsAnalysed + skips.length);
    // The answer skipped still answered one@'s RCPT TO, which was refused: the message's refusal is two@'s.
    const events = batches.flatMap((batch) => batch.events).filter((event) => event.eventId === 'FAIL');
    expect(events.map((event) => [event.line, event.recipient, event.returnPath])).toEqual([
      [15, 'two@adatum.com', 'app@fabrikam.com'],
    ]);
  });

  it('that is a relay refusal fails the file, naming its line, never dropped unsaid', async () => {
    await expect(parse(log('550 5.7.64 TenantAttribution; Relay Access Denied ATTR36'))).rejects.toThrow(
      /line 9 could not be read — "yesterday morning" is not a date and time, yet it holds relay-refusal text/,
    );
  });
});

/**
 * WriteOrder judges a numbered log's order as the file has it, from one date-time of a session to its
 * next: the rows of one millisecond, which a sort on date-time alone may put in any order, are no step.
 */
describe("a numbered log's order, judged by WriteOrder", () => {
  const judge = (rows: readonly Row[]) => {
    const order = new WriteOrder();
    for (const [session, number, time, line] of rows) order.sequence(session, number ?? 0, time, line);
    const { ahead, behind, trusted, firstBehind } = order;
    return { ahead, behind, trusted, newestFirst: order.sessionsGoBack, first: firstBehind?.how };
  };

  it('counts no step within a millisecond, whatever its rows’ order, and steps forward across them', () => {
    const rows: Row[] = [
      ['A', 0, 't1', 1],
      ['A', 3, 't2', 2],
      ['A', 1, 't2', 3],
      ['A', 2, 't2', 4],
      ['A', 4, 't3', 5],
      ['A', 6, 't4', 6],
      ['A', 5, 't4', 7],
      ['A', 7, 't5', 8],
    ];
    expect(judge(rows)).toMatchObject({ ahead: 4, behind: 0, trusted: true, newestFirst: false });
  });

  it('tells rows put newest first, each millisecond’s rows reversed too, from the first change of time on', () => {
    // Put back in order first, the four rows of t3 would be three steps forward: trusted at once.
    const rows: Row[] = [
      ['A', 18, 't3', 1],
      ['A', 17, 't3', 2],
      ['A', 16, 't3', 3],
      ['A', 15, 't3', 4],
      ['A', 14, 't2', 5],
      ['A', 13, 't1', 6],
      ['A', 12, 't0', 7],
    ];
    expect(judge(rows)).toEqual({
      ahead: 0,
      behind: 3,
      trusted: false,
      newestFirst: true,
      first: 'row 14 of session A follows its row 15, on line 4',
    });
  });

  it('tells rows put newest first whose milliseconds kept their rows’ order (a stable sort)', () => {
    const rows: Row[] = [
      ['A', 15, 't3', 1],
      ['A', 16, 't3', 2],
      ['A', 14, 't2', 3],
      ['A', 12, 't1', 4],
      ['A', 13, 't1', 5],
      ['A', 11, 't0', 6],
    ];
    expect(judge(rows)).toMatchObject({ ahead: 0, behind: 3, newestFirst: true });
  });
});
