/** parseInput on files as they travel: joined logs, rows without a header; every row accounted for. */
import { describe, expect, it } from 'vitest';
import { TRACKING_FIELD_SETS } from '../../functions/core/analysis/formats/exchange-tracking-log.js';
import { type ParsedBatch, parseInput } from '../../functions/core/analysis/input/parse-input.js';
import { chunked } from '../support/streams.js';

const FIELDS_2019 = TRACKING_FIELD_SETS[0]?.fields ?? [];
const FIELDS_2013 = TRACKING_FIELD_SETS[1]?.fields ?? [];

/** A FAIL row refused with 5.7.64, laid out by `fields`. */
function failRow(fields: readonly string[], minute: number, recipient: string): string {
  const values: Record<string, string> = {
    'date-time': `2026-11-28T10:${String(minute).padStart(2, '0')}:12.877Z`,
    source: 'SMTP',
    'event-id': 'FAIL',
    'message-id': `<M${minute}@EX01.contoso.local>`,
    'recipient-address': recipient,
    'recipient-status': '550 5.7.64 TenantAttribution; Relay Access Denied',
    'sender-address': 'scanner@contoso.com',
    'return-path': 'scanner@contoso.com',
    directionality: 'Originating',
  };
  return fields.map((name) => values[name] ?? '').join(',');
}

function preamble(version: string, fields: readonly string[]): string {
  return (
    `#Software: Microsoft Exchange Server\r\n#Version: ${version}\r\n#Log-type: Message Tracking Log\r\n` +
    `#Date: 2026-11-28T00:00:00.512Z\r\n#Fields: ${fields.join(',')}\r\n`
  );
}

async function parse(text: string) {
  const batches: ParsedBatch[] = [];
  const bytes = Buffer.from(`\uFEFF${text}`, 'utf8');
  await parseInput(
    { name: 'all.log', sourceId: 'all.log', open: () => chunked(bytes, 61) },
    { inferring: false },
    { format() {}, batch: (batch) => void batches.push(batch) },
  );
  const sum = (key: 'rowsRead' | 'rowsAnalysed') => batches.reduce((total, batch) => total + batch[key], 0);
  return {
    rowsRead: sum('rowsRead'),
    rowsAnalysed: sum('rowsAnalysed'),
    skips: batches.flatMap((batch) => batch.skips),
    notes: batches.flatMap((batch) => batch.notes.map((note) => note.message)),
    codes: batches.flatMap((batch) => batch.notes.map((note) => note.code)),
    refused: batches.flatMap((batch) =>
      batch.events
        .filter((_, index) => batch.rejections[index])
        .map((event) => [event.line, event.recipient]),
    ),
  };
}

describe('parseInput on joined logs', () => {
  it('reads each part with its own #Fields: line; BOMs and preambles are not rows', async () => {
    const text =
      preamble('15.00.1497.048', FIELDS_2013) +
      `${failRow(FIELDS_2013, 1, 'a@litware.com')}\r\n` +
      `\uFEFF${preamble('15.02.1544.004', FIELDS_2019)}` +
      `${failRow(FIELDS_2019, 2, 'b@litware.com')}\r\n` +
      // Exchange repeats its header after a restart: the same fields, nothing to note.
      `\uFEFF${preamble('15.02.1544.004', FIELDS_2019)}` +
      `${failRow(FIELDS_2019, 3, 'c@litware.com')}\r\n`;
    const result = await parse(text);
    expect(result).toMatchObject({ rowsRead: 3, rowsAnalysed: 3, skips: [] });
    expect(result.refused).toEqual([
      [6, 'a@litware.com'],
      [12, 'b@litware.com'],
      [18, 'c@litware.com'],
    ]);
    expect(result.notes).toEqual([
      'line 11: a new #Fields: line (30 fields, Exchange 2016/2019); the rows after it are read with its fields',
    ]);
  });

  /** A tracking log joined with a send protocol log, `answer` the remote's reply in it, and another tracking log. */
  const joinedWithProtocolLog = (answer: string) =>
    preamble('15.02.1544.004', FIELDS_2019) +
    `${failRow(FIELDS_2019, 1, 'a@litware.com')}\r\n` +
    '\uFEFF#Software: Microsoft Exchange Server\r\n#Log-type: SMTP Send Protocol Log\r\n' +
    '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n' +
    `2026-11-28T10:02:12.877Z,EX01\\Outbound to Office 365,08DF3C2B1A09F8E8,14,10.0.1.11:41871,52.101.1.1:25,<,${answer},\r\n` +
    '2026-11-28T10:02:12.878Z,EX01\\Outbound to Office 365,08DF3C2B1A09F8E8,15,10.0.1.11:41871,52.101.1.1:25,>,RSET,\r\n' +
    `\uFEFF${preamble('15.02.1544.004', FIELDS_2019)}` +
    `${failRow(FIELDS_2019, 2, 'b@litware.com')}\r\n`;

  it('fails the file when a row of such a part holds a refusal, once the rest is handed on', async () => {
    const handedOn: number[] = [];
    const bytes = Buffer.from(`\uFEFF${joinedWithProtocolLog('550 5.7.64 TenantAttribution')}`, 'utf8');
    const parsing = parseInput(
      { name: 'all.log', sourceId: 'all.log', open: () => chunked(bytes, 61) },
      { inferring: false },
      {
        format() {},
        batch: (batch) => {
          batch.events.forEach((event, index) => {
            if (batch.rejections[index]) handedOn.push(event.line);
          });
        },
      },
    );
    await expect(parsing).rejects.toMatchObject({
      code: 'REFUSAL_NOT_READ',
      message: expect.stringMatching(/^all\.log: line 10 could not be read/),
    });
    // The part is named, and the advice is to split the joined file where it begins (its #Software:
    // line), not to copy the file again or mend the row.
    await expect(parsing).rejects.toMatchObject({
      message: expect.stringContaining(
        'after the #Fields: line on line 9, of an Exchange SMTP send protocol log joined to the Exchange ' +
          'message tracking log before it, rows are not read, yet it holds relay-refusal text (5.7.64). ' +
          'Its other lines were read and their refusals are reported, but not this line. ' +
          'relay-audit reads each kind of log as a file of its own: split the file before line 7, where the ' +
          'Exchange SMTP send protocol log begins, and analyse both parts, or analyse the original logs as ' +
          'separate files (they may be given together in one run).',
      ),
    });
    expect(handedOn).toEqual([6, 17]);
  });

  it('skips, with a reason, the rows of a joined part that is not a tracking log, and reads on after it', async () => {
    const text = joinedWithProtocolLog('250 2.6.0 Queued mail for delivery');
    const result = await parse(text);
    expect(result.rowsRead).toBe(result.rowsAnalysed + result.skips.length);
    expect(result).toMatchObject({ rowsRead: 4, rowsAnalysed: 2 });
    expect(result.skips).toEqual([
      expect.objectContaining({ line: 10, reason: 'UNKNOWN_FIELD_SET' }),
      expect.objectContaining({ line: 11, reason: 'UNKNOWN_FIELD_SET' }),
    ]);
    expect(result.refused).toEqual([
      [6, 'a@litware.com'],
      [17, 'b@litware.com'],
    ]);
    expect(result.notes[0]).toMatch(
      /^line 9: the rows after this #Fields: line are not read: it begins an Exchange SMTP send protocol log joined to the Exchange message tracking log before it; relay-audit reads each kind of log as a file of its own/,
    );
    expect(result.notes[1]).toMatch(/^line 16: a new #Fields: line \(30 fields, Exchange 2016\/2019\)/);
    expect(result.codes).toEqual(['FIELD_SET_UNKNOWN', 'FIELD_SET_CHANGED']);
  });

  it("tells a joined receive protocol log (a send log's fields) from a send log, and says to split the file", async () => {
    const text =
      preamble('15.02.1544.004', FIELDS_2019) +
      `${failRow(FIELDS_2019, 1, 'a@litware.com')}\r\n` +
      '\uFEFF#Software: Microsoft Exchange Server\r\n#Log-type: SMTP Receive Protocol Log\r\n' +
      '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n' +
      '2026-11-28T10:02:12.877Z,EX01\\Default Frontend EX01,08DF3C2B1A09F8E8,14,10.0.1.11:25,10.0.1.50:41871,>,550 5.7.64 TenantAttribution; Relay Access Denied,\r\n';
    const bytes = Buffer.from(`\uFEFF${text}`, 'utf8');
    const parsing = parseInput(
      { name: 'all.log', sourceId: 'all.log', open: () => chunked(bytes, 61) },
      { inferring: false },
      { format() {}, batch() {} },
    );
    await expect(parsing).rejects.toMatchObject({
      code: 'REFUSAL_NOT_READ',
      message: expect.stringContaining(
        'line 10 could not be read — after the #Fields: line on line 9, which is not an Exchange message ' +
          "tracking log's, rows are not read, yet it holds relay-refusal text (5.7.64). Its other lines were " +
          'read and their refusals are reported, but not this line. Split the file before line 7 and analyse ' +
          'both parts, or the original logs as separate files: relay-audit then tells what the part from that line is.',
      ),
    });
  });
});

describe('parseInput on a tracking row that names no recipient', () => {
  it('keeps its refusal: the status says what happened, to a recipient the row does not name', async () => {
    const result = await parse(
      `${preamble('15.02.1544.004', FIELDS_2019)}${failRow(FIELDS_2019, 1, '')}\r\n`,
    );
    expect(result).toMatchObject({ rowsRead: 1, rowsAnalysed: 1, skips: [] });
    expect(result.refused).toEqual([[6, undefined]]);
  });
});

describe('parseInput on tracking rows without their header', () => {
  it('reads each row by its field count, reports rows of other counts, and notes what it inferred', async () => {
    const text =
      `${failRow(FIELDS_2019, 1, 'a@litware.com')}\n` +
      `${failRow(FIELDS_2013, 2, 'b@litware.com')}\n` +
      '2026-11-28T10:03:00.000Z,cut,short\n' +
      `${failRow(FIELDS_2019, 4, 'd@litware.com')}\n`;
    const result = await parse(text);
    expect(result).toMatchObject({ rowsRead: 4, rowsAnalysed: 3 });
    expect(result.skips).toEqual([
      {
        line: 3,
        reason: 'COLUMN_COUNT',
        message:
          'found 3 fields; a message tracking row without its #Fields: header has 30 (Exchange 2016/2019), 27 (Exchange 2013), 26 (Exchange 2010) or 21 (Exchange 2007)',
      },
    ]);
    expect(result.refused).toEqual([
      [1, 'a@litware.com'],
      [2, 'b@litware.com'],
      [4, 'd@litware.com'],
    ]);
    expect(result.notes).toEqual([
      'no #Fields: header: 2 rows of 30 fields (first on line 1) read with the Exchange 2016/2019 field list, inferred from the field count',
      'no #Fields: header: 1 row of 27 fields (first on line 2) read with the Exchange 2013 field list, inferred from the field count',
    ]);
  });

  it('switches to the field list of a #Fields: line that follows header-less rows', async () => {
    const text =
      `${failRow(FIELDS_2013, 1, 'a@litware.com')}\r\n` +
      preamble('15.02.1544.004', FIELDS_2019) +
      `${failRow(FIELDS_2019, 2, 'b@litware.com')}\r\n`;
    const result = await parse(text);
    expect(result).toMatchObject({ rowsRead: 2, rowsAnalysed: 2, skips: [] });
    expect(result.notes).toEqual([
      expect.stringMatching(/^no #Fields: header: 1 row of 27 fields/),
      'line 6: a new #Fields: line (30 fields, Exchange 2016/2019); the rows after it are read with its fields',
    ]);
  });
});

describe('parseInput on joined exports (Get-Content a.csv, b.csv > all.csv)', () => {
  const HEADER = [
    'Timestamp',
    'EventId',
    'Sender',
    'Recipients',
    'RecipientStatus',
    'MessageId',
    'ReturnPath',
  ];
  /** Another Select-Object's order of the same columns, as another script exports them. */
  const REORDERED = [
    'Timestamp',
    'EventId',
    'MessageId',
    'ReturnPath',
    'Sender',
    'RecipientStatus',
    'Recipients',
  ];
  const quoted = (cells: readonly string[]) => `${cells.map((cell) => `"${cell}"`).join(',')}\r\n`;
  /** An Export-Csv row laid out by `header`: a refusal, or (`status`) another outcome. */
  function exportRow(header: readonly string[], minute: number, recipient: string, status?: string): string {
    const values: Record<string, string> = {
      Timestamp: `2026-11-28T10:${String(minute).padStart(2, '0')}:12Z`,
      EventId: 'FAIL',
      Sender: 'scanner@contoso.com',
      Recipients: recipient,
      RecipientStatus: status ?? '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
      MessageId: `<M${minute}@EX01.contoso.local>`,
      ReturnPath: 'scanner@contoso.com',
    };
    return quoted(header.map((name) => values[name] ?? ''));
  }

  it('reads the next part with its own header row, in its own column order, and notes it', async () => {
    const text =
      quoted(HEADER) +
      exportRow(HEADER, 1, 'a@litware.com') +
      quoted(REORDERED) +
      exportRow(REORDERED, 2, 'b@litware.com') +
      exportRow(REORDERED, 3, 'c@litware.com', '550 5.1.10 RESOLVER.ADR.RecipientNotFound');
    const result = await parse(text);
    expect(result).toMatchObject({ rowsRead: 3, rowsAnalysed: 3, skips: [] });
    // Read with the first header's columns, line 4's recipient would be its status text.
    expect(result.refused).toEqual([
      [2, 'a@litware.com'],
      [4, 'b@litware.com'],
    ]);
    expect(result.notes).toEqual([
      'line 3: a new header row (7 columns); the rows after it are read with its columns',
    ]);
    expect(result.codes).toEqual(['FIELD_SET_CHANGED']);
  });

  it('takes the same header again for what it is: not a row, nothing to note', async () => {
    const text =
      quoted(HEADER) +
      exportRow(HEADER, 1, 'a@litware.com') +
      quoted(HEADER) +
      exportRow(HEADER, 2, 'b@litware.com');
    const result = await parse(text);
    expect(result).toMatchObject({ rowsRead: 2, rowsAnalysed: 2, skips: [], notes: [] });
    expect(result.refused).toEqual([
      [2, 'a@litware.com'],
      [4, 'b@litware.com'],
    ]);
  });

  it('reads a joined part of another export by its own format', async () => {
    const trace = [
      'Received',
      'SenderAddress',
      'RecipientAddress',
      'Subject',
      'Status',
      'MessageId',
      'MessageTraceId',
    ];
    const text =
      quoted(HEADER) +
      exportRow(HEADER, 1, 'a@litware.com') +
      quoted(trace) +
      quoted([
        '2026-11-28T10:02:12Z',
        'kate@contoso.com',
        'b@litware.com',
        'x',
        'Delivered',
        '<M2@EX01>',
        'f00d',
      ]);
    const result = await parse(text);
    expect(result).toMatchObject({ rowsRead: 2, rowsAnalysed: 2, skips: [] });
    expect(result.notes).toEqual([
      'line 3: a new header row (message trace, 7 columns); the rows after it are read with its columns',
    ]);
  });
});
