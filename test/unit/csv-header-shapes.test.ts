/**
 * Header shapes exports take after a spreadsheet, a hand edit or a partial `Select-Object`: names
 * with spaces or underscores, Excel's `sep=` line, title lines above the header, a column named
 * twice, a header with required columns left out; and AM/PM designators of more Windows cultures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapColumns } from '../../functions/core/analysis/formats/columns.js';
import { FORMATS } from '../../functions/core/analysis/formats/index.js';
import { chooseFormat, detectFormat } from '../../functions/core/analysis/input/detect.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import { UnknownFormatError } from '../../functions/core/kernel/errors.js';
import { guessDelimiter, normaliseHeader, splitRecord } from '../../functions/core/text/csv-records.js';
import { decodeBytes } from '../../functions/core/text/decode.js';

async function* chunks(text: string, size = 7): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

function detect(text: string) {
  return detectFormat(chunks(text), 'input.csv');
}

async function refusal(text: string): Promise<string> {
  const error = await detect(text).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnknownFormatError);
  return (error as Error).message;
}

const DETAIL_HEADER = '"Date","MessageId","MessageTraceId","Event","Action","Detail","Data"';
const REFUSAL_ROW =
  '"11/28/2026 10:15:03 PM","<d1@scan01.contoso.com>","6f12b2d7-d3af-50a6-b7a9-2182002541ab","Fail","",' +
  '"Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=}]",""';

describe('header names compare without case, spaces or underscores', () => {
  it.each([
    ['Message ID', 'messageid'],
    ['message_id', 'messageid'],
    ['\uFEFF MessageId ', 'messageid'],
    ['Message Trace ID', 'messagetraceid'],
    ['date-time', 'date-time'], // hyphens of raw #Fields: names stay
  ])('%j is %j', (header, expected) => {
    expect(normaliseHeader(header)).toBe(expected);
  });

  it.each([
    [['Date', 'Message ID', 'Message Trace ID', 'Event', 'Action', 'Detail', 'Data'], 'message-trace-detail'],
    [['Received', 'Sender Address', 'Recipient Address', 'Status', 'Message ID'], 'message-trace'],
    [
      ['origin_timestamp_utc', 'sender_address', 'recipient_status', 'message_id'],
      'historical-search-summary',
    ],
    [
      ['date_time_utc', 'event_id', 'message_id', 'recipient_address', 'recipient_status'],
      'historical-search-extended',
    ],
    [
      ['Timestamp', 'Event Id', 'Message Id', 'Recipients', 'Recipient Status', 'Sender'],
      'tracking-log-export',
    ],
  ])('recognises %j', (headers, id) => {
    expect(chooseFormat(headers, false)?.id).toBe(id);
  });

  it('keeps the required headers of every two formats of one kind apart', () => {
    for (const a of FORMATS) {
      for (const b of FORMATS) {
        if (a === b || Boolean(a.fieldsDirective) !== Boolean(b.fieldsDirective)) continue;
        const names = new Set(b.requiredHeaders.map(normaliseHeader));
        expect(a.requiredHeaders.map(normaliseHeader).every((name) => names.has(name))).toBe(false);
      }
    }
  });

  it('merges no two columns of a real header (every CSV-like sample and fixture)', async () => {
    const files = [
      ...readdirSync('sample-logs').map((name) => join('sample-logs', name)),
      ...readdirSync('test/fixtures/real-world/cultures').map((name) =>
        join('test/fixtures/real-world/cultures', name),
      ),
    ].filter((path) => /\.(csv|log)$/i.test(path));
    let headers = 0;
    for (const path of files) {
      const decoded = await decodeBytes(
        (async function* () {
          yield readFileSync(path);
        })(),
        path,
      );
      let text = '';
      for await (const chunk of decoded.chunks) text += chunk;
      const line = text
        .split(/\r?\n/)
        .map((candidate) => candidate.replace(/^\uFEFF/, ''))
        .find(
          (candidate) =>
            candidate.startsWith('#Fields:') || (candidate.length > 0 && !candidate.startsWith('#')),
        );
      if (line === undefined) continue;
      const header = line.replace(/^#Fields:\s*/, '');
      const cells = splitRecord(header, guessDelimiter(header)) ?? [];
      if (chooseFormat(cells, line.startsWith('#Fields:')) === undefined) continue;
      headers++;
      const lowerCased = new Set(cells.map((cell) => cell.trim().toLowerCase()));
      const normalised = new Set(cells.map(normaliseHeader));
      expect(normalised.size, path).toBe(lowerCased.size);
    }
    expect(headers).toBeGreaterThanOrEqual(10);
  });
});

describe('a column the header names twice', () => {
  const NAMES = { detail: 'Detail', messageId: 'MessageId' } as const;

  it('is refused when the format reads it, naming the column and both positions', () => {
    const error = (() => {
      try {
        mapColumns(['Date', 'Detail', 'MessageId', 'Data', 'Detail'], NAMES, 'merged.csv');
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownFormatError);
    expect(error).toMatchObject({
      code: 'UNKNOWN_FORMAT',
      location: { file: 'merged.csv', column: 'Detail' },
      message:
        'merged.csv: the header row names the column "Detail" twice, as columns 2 and 5. relay-audit reads a ' +
        'column by its name and cannot tell which copy holds the values (an empty copy would hide a refusal), ' +
        'so the file is not read. Delete the copy that does not belong (one a spreadsheet merge or edit ' +
        'added?) or export the file again, and analyse it again.',
    });
  });

  it('is refused when two spellings are one name, each spelling said', () => {
    expect(() => mapColumns(['Message ID', 'Detail', 'MessageId'], NAMES, 'x.csv')).toThrow(
      /names the column "Message ID" twice, as columns 1 \("Message ID"\) and 3 \("MessageId"\)/,
    );
  });

  it('is left alone when the format does not read it', () => {
    expect(
      mapColumns(['Organization', 'Detail', 'MessageId', 'Organization', '', ''], NAMES, 'x.csv'),
    ).toEqual({
      detail: 1,
      messageId: 2,
    });
  });

  it('is refused by every CSV format', () => {
    const context = { file: 'x.csv', timestamps: new TimestampParser(), isRelevant: () => true };
    for (const format of FORMATS) {
      const headers = [...format.requiredHeaders, format.requiredHeaders[0] ?? ''];
      expect(() => format.createRowAdapter(headers, context), format.id).toThrow(UnknownFormatError);
    }
  });
});

describe("Excel's sep= line", () => {
  it.each([
    [`sep=;\r\n${DETAIL_HEADER.replaceAll(',', ';')}\r\n`, ';'],
    [`\uFEFFsep=,\r\n${DETAIL_HEADER}\r\n`, ','],
    [`sep=\t\r\n${DETAIL_HEADER.replaceAll(',', '\t')}\r\n`, '\t'],
    [`SEP=;\n${DETAIL_HEADER.replaceAll(',', ';')}\n`, ';'],
  ])('declares the delimiter and is no header: %j', async (text, delimiter) => {
    const detection = await detect(text);
    expect(detection).toMatchObject({ delimiter, headerLine: 2, notes: [] });
    expect(detection.format.id).toBe('message-trace-detail');
  });

  it('wins over the delimiter the header would suggest', async () => {
    // A ;-delimited header whose names hold commas would be guessed as ','.
    const header = '"Date";"MessageId";"MessageTraceId";"Event";"Detail";"Note, a, b, c, d, e, f"';
    expect((await detect(`sep=;\n${header}\n`)).delimiter).toBe(';');
  });
});

describe('title lines above the header', () => {
  it('are passed over and named in a note', async () => {
    const detection = await detect(
      `Message trace detail report\r\nGenerated 2026-11-29\r\n\r\n${DETAIL_HEADER}\r\n${REFUSAL_ROW}\r\n`,
    );
    expect(detection).toMatchObject({ headerLine: 4, restLine: 5 });
    expect(detection.format.id).toBe('message-trace-detail');
    expect(detection.notes).toEqual([
      {
        code: 'LINES_BEFORE_HEADER',
        message:
          'lines 1–2, above the header on line 4, passed over as a title, not rows: "Message trace detail report", "Generated 2026-11-29"',
      },
    ]);
    expect(detection.rest.startsWith(REFUSAL_ROW)).toBe(true);
  });

  it('are never a line that holds a refusal: the file is refused, saying so', async () => {
    const message = await refusal(
      `Failed messages\r\n${REFUSAL_ROW}\r\n${DETAIL_HEADER}\r\n${REFUSAL_ROW}\r\n`,
    );
    expect(message).toMatch(
      /input\.csv: unknown format\. Line 1 is no header relay-audit knows: "Failed messages" \(nor is the line after it a header\)\./,
    );
    expect(message).toMatch(/Line 2 holds a relay refusal \(550 5\.7\.64 TenantAttribution/);
  });

  it('are a few: past ten, the file is refused by its first line', async () => {
    const titles = Array.from({ length: 11 }, (_, index) => `Note ${index + 1}`).join('\n');
    const message = await refusal(`${titles}\n${DETAIL_HEADER}\n`);
    expect(message).toMatch(
      /Line 1 is no header relay-audit knows: "Note 1" \(nor is any of the 10 lines after it a header\)\. It holds no relay refusal\./,
    );
  });

  it('are short: a long line stops the search', async () => {
    const message = await refusal(`Report\n${'x'.repeat(2000)}\n${DETAIL_HEADER}\n`);
    expect(message).toMatch(
      /Line 1 is no header relay-audit knows: "Report" \(nor is the line after it a header\)/,
    );
  });

  it('are not looked for below a header with columns left out', async () => {
    const message = await refusal(`"Date","Event","Action","Detail"\n${DETAIL_HEADER}\n`);
    expect(message).toMatch(/looks like Exchange Online message trace detail .* with columns left out/);
  });
});

describe('a header with required columns left out', () => {
  it('names the format, what it lacks, how to export it again, and the refusal it holds', async () => {
    const message = await refusal(
      '"Timestamp","EventId","Source","Sender","Recipients","RecipientStatus","MessageSubject"\r\n' +
        '"11/28/2026 10:15:03 PM","FAIL","SMTP","app@fabrikam.com","buyer@litware.com","550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]","Invoice"\r\n',
    );
    expect(message).toMatch(
      /^input\.csv: looks like Get-MessageTrackingLog \| Export-Csv with columns left out: its header on line 1 lacks messageid \(compared without case, spaces or underscores\)\. relay-audit needs it to tell one message from another/,
    );
    expect(message).toMatch(
      /Export again with Recipients and RecipientStatus joined in its Select-Object \(@\{n='Recipients';e=\{\$_\.Recipients -join ';'\}\}/,
    );
    expect(message).toMatch(
      /Line 2 holds a relay refusal \(550 5\.7\.64 TenantAttribution; Relay Access Denied ATTR36 \[AM0PR01MB1234\.eurprd0…\): it is not counted until the file is read\.$/,
    );
  });

  it('says when the file holds no refusal', async () => {
    const message = await refusal('Date;Event;Action;Detail\n11/28/2026 10:15:03 PM;Deliver;;\n');
    expect(message).toMatch(/lacks messageid, messagetraceid .* It holds no relay refusal\./s);
  });

  it('is not said of a header sharing a name or two with a format', async () => {
    const message = await refusal('"Date","Event","Location"\n');
    expect(message).toMatch(
      /unknown format\. Line 1 is no header relay-audit knows: ""Date","Event","Location""\. It holds no relay refusal\./,
    );
  });

  it.each([
    // A status cut before its code: its words still tell the refusal.
    ['"11/28/2026 10:15:03 PM","Fail","TenantAttribution; Relay Access Denied ATTR36"', 'TenantAttribution'],
    // The code at a sentence's end: no status to quote, the code itself.
    ['"11/28/2026 10:15:03 PM","Fail","Exchange Online refused it with 5.7.64."', '5.7.64'],
  ])('names a refusal that has no status to quote by its marker: %s', async (row, marker) => {
    const message = await refusal(`"Date","Event","Location"\n${row}\n`);
    expect(message).toContain(
      `Line 2 holds a relay refusal (${marker}): it is not counted until the file is read.`,
    );
  });
});

describe('AM/PM designators of Windows cultures', () => {
  it.each([
    ['15-03-2021 10:14:21 पूर्वाह्न', '2021-03-15T10:14:21.000Z'], // hi-IN (Windows)
    ['15-03-2021 2:05:08 अपराह्न', '2021-03-15T14:05:08.000Z'],
    ['15/03/2021 10:14:21 PG', '2021-03-15T10:14:21.000Z'], // ms-MY
    ['15/03/2021 2:05:08 PTG', '2021-03-15T14:05:08.000Z'],
    ['2021/03/15 02:05:08 ب.ظ', '2021-03-15T14:05:08.000Z'], // fa-IR, Gregorian
    ['2021/03/15 10:14:21 ق.ظ.', '2021-03-15T10:14:21.000Z'],
    ['2021-03-15 02:05:08 nm.', '2021-03-15T14:05:08.000Z'], // af-ZA
    ['2021-03-15 10:14:21 vm.', '2021-03-15T10:14:21.000Z'],
    ['15.03.2021 02:05:08 ÖS', '2021-03-15T14:05:08.000Z'], // tr-TR
    ['15.03.2021 10:14:21 ÖÖ', '2021-03-15T10:14:21.000Z'],
    ['15.3.2021 2:05:08 m.d.', '2021-03-15T14:05:08.000Z'], // sq-AL
    ['15.3.2021 10:14:21 PD', '2021-03-15T10:14:21.000Z'],
    ['15.03.2021 02:05:08 nachm.', '2021-03-15T14:05:08.000Z'], // de (older CLDR)
    ['15.03.2021 10:14:21 vorm.', '2021-03-15T10:14:21.000Z'],
  ])('reads %s', (raw, expected) => {
    expect(new TimestampParser().parse(raw)).toBe(expected);
  });
});
