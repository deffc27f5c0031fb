/**
 * Message trace CSVs as PowerShell recipes reshape them: `Export-Csv -UseQuotes Never` (a `Failed` row
 * split by a comma in its Subject, or cut off by a Subject that starts with a double quote), a tracking
 * export renamed to the trace's columns (`Status` holds the SMTP replies) and a report row listing
 * several recipients; a historical search summary whose `Fail` row cannot be read. Neither may end in
 * "nothing to fix" while a refusal or an unexplained failure is in the file. Through the CLI in-process (`--no-store --json`) and,
 * for rows made here, `analyze` over in-memory files.
 * Fixtures: test/fixtures/real-world/trace-csv-shapes/ (described in its README.md).
 */
import { describe, expect, it } from 'vitest';
import { READ_AGAIN, UnreadRefusals } from '../../functions/core/analysis/input/unread-refusals.js';
import { analyzeNoStore, type FindingRow, findingRow, type NoStoreRun } from '../support/analyze-no-store.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/trace-csv-shapes';

async function analyse(file: string): Promise<NoStoreRun<FindingRow>> {
  const run = await analyzeNoStore(`${DIR}/${file}`, '--accepted-domains', 'contoso.com');
  return { ...run, findings: run.findings.map(findingRow) };
}

const HEADER =
  'Organization,MessageId,Received,SenderAddress,RecipientAddress,Subject,Status,ToIP,FromIP,Size';
/** A `Get-MessageTraceV2` row as `-UseQuotes Never` writes it. */
const traceRow = (received: string, recipient: string, subject: string, status: string, id: string) =>
  `contoso.onmicrosoft.com,<${id}@EX01.contoso.local>,${received},scanner@contoso.com,${recipient},${subject},${status},,203.0.113.25,377016`;

const R5764 =
  '550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const R5110 = '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup';
const REPORT_HEADER = '"Received","SenderAddress","RecipientAddress","Status","MessageId","Detail"';
const quoted = (...cells: string[]) => cells.map((cell) => `"${cell}"`).join(',');

describe('a Failed trace row that cannot be read', () => {
  it('fails a -UseQuotes Never export whose Failed row a comma split, naming the line', async () => {
    const { status, source, findings } = await analyse('trace-v2-usequotes-never.csv');
    expect(status).toBe(1);
    expect(findings).toEqual([]);
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      rowsRead: 3,
      rowsAnalysed: 1,
      rowsSkipped: 2,
    });
    // The Failed row is found at its shifted place; a Delivered row split the same way is a plain skip.
    expect(source.skipped.map((skip) => [skip.line, skip.reason])).toEqual([
      [2, 'FAILURE_NOT_READ'],
      [4, 'COLUMN_COUNT'],
    ]);
    expect(source.skipped[0]?.message).toBe(
      'expected 13 fields, found 14 (a cell holding the delimiter unquoted, as `Export-Csv -UseQuotes Never` ' +
        'writes a text with a comma?); its status "Failed" is a failure this export gives no reason for, which ' +
        'may be a relay refusal: unread, it could not be counted among the messages that failed without a reason',
    );
    expect(source.errorMessage).toMatch(
      /trace-v2-usequotes-never\.csv: line 2 could not be read — expected 13/,
    );
  });

  it('reads the same rows written -UseQuotes AsNeeded: the Failed row is a failure without a reason', async () => {
    const { status, source, findings } = await analyse('trace-v2-usequotes-asneeded.csv');
    expect(status).toBe(0);
    expect(findings).toEqual([]);
    expect(source).toMatchObject({ status: 'done', rowsAnalysed: 3, rowsSkipped: 0, unexplainedFailures: 1 });
  });

  it('fails the file for a Failed row whose date was saved as shown (####), not for a Delivered one', async () => {
    const file = (status: string) =>
      [
        HEADER,
        traceRow('11/28/2026 10:14:56 PM', 'ops@fourthcoffee.com', 'Weekly status', 'Delivered', 'D1'),
        traceRow('########', 'orders@adatum.com', 'Scan', status, 'F1'),
      ].join('\r\n');
    const { sources } = await analyzeFiles([
      { name: 'failed.csv', content: file('Failed') },
      { name: 'delivered.csv', content: file('Delivered') },
    ]);
    expect(sources.map((source) => [source.file, source.status, source.errorCode])).toEqual([
      ['failed.csv', 'failed', 'REFUSAL_NOT_READ'],
      ['delivered.csv', 'done', undefined],
    ]);
    expect(
      sources.map((source) => source.skipped.map((skip) => [skip.line, skip.reason, skip.column])),
    ).toEqual([[[3, 'FAILURE_NOT_READ', 'Received']], [[3, 'BAD_TIMESTAMP', 'Received']]]);
    expect(sources[0]?.skipped[0]?.message).toMatch(
      /^"########" is not a date and time; its status "Failed" is a failure this export gives no reason for/,
    );
  });
});

describe("a row a subject's commas split, its status told from the end", () => {
  it('takes the status the split moved, so a subject ending ",Failed" on a Delivered row fails nothing', async () => {
    const file = (subject: string, status: string) =>
      [
        HEADER,
        traceRow('11/28/2026 10:14:56 PM', 'ops@fourthcoffee.com', subject, status, 'D1'),
        traceRow('11/28/2026 10:16:40 PM', 'kate@fabrikam.com', 'Weekly status', 'Delivered', 'D2'),
      ].join('\r\n');
    const { sources } = await analyzeFiles([
      { name: 'delivered.csv', content: file('[Veeam] Backup job Daily,Failed', 'Delivered') },
      { name: 'failed.csv', content: file('[Veeam] Backup job Daily,Delivered', 'Failed') },
    ]);
    expect(sources.map((source) => [source.file, source.status, source.skipped[0]?.reason])).toEqual([
      ['delivered.csv', 'done', 'COLUMN_COUNT'],
      ['failed.csv', 'failed', 'FAILURE_NOT_READ'],
    ]);
  });
});

describe('a Failed row an earlier invocation could not read (a read that goes on from its record)', () => {
  it('still fails the file where its other rows gave no refusal', () => {
    const earlier = {
      skipped: [
        { line: 2, reason: 'FAILURE_NOT_READ', message: 'expected 13 fields, found 14; its status "Failed"' },
      ],
      skippedByReason: { COLUMN_COUNT: 1, FAILURE_NOT_READ: 1 },
    };
    const unread = new UnreadRefusals('trace.csv', READ_AGAIN, earlier);
    expect(() => unread.fail(undefined, { analysed: true, refusals: false })).toThrow(
      /^trace\.csv: line 2 could not be read — expected 13 fields, found 14; its status "Failed"/,
    );
    // Where its other rows gave a refusal, the row's skip is the warning.
    expect(() => unread.fail(undefined, { analysed: true, refusals: true })).not.toThrow();
  });
});

describe('a -UseQuotes Never trace whose Subject starts with a double quote (a stray quote)', () => {
  it('fails the file naming the Failed row the quote left unread, to the end of the file', async () => {
    const { status, source, findings } = await analyse('trace-v2-usequotes-never-subject-quote.csv');
    expect(status).toBe(1);
    expect(findings).toEqual([]);
    // Every line is a row, read or skipped with its reason: the quote costs its own line only.
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      rowsRead: 3,
      rowsAnalysed: 1,
      rowsSkipped: 2,
    });
    expect(source.skipped.map((skip) => [skip.line, skip.reason])).toEqual([
      [2, 'FAILURE_NOT_READ'],
      [4, 'COLUMN_COUNT'],
    ]);
    expect(source.skipped[0]?.message).toMatch(
      /^line 2 opens a quoted field \(field 6\) that is still open at the end of the file \(2 lines later; a stray quote\?\).*; its status "Failed" is a failure this export gives no reason for/,
    );
    expect(source.errorMessage).toMatch(
      /subject-quote\.csv: line 2 could not be read — line 2 opens a quoted field/,
    );
  });

  it('reads the rows a later quote closed into one record with the Failed row, and fails the file naming it', async () => {
    const { status, source, findings } = await analyse('trace-v2-usequotes-never-quote-closed.csv');
    expect(status).toBe(1);
    expect(findings).toEqual([]);
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      rowsRead: 4,
      rowsAnalysed: 3,
      rowsSkipped: 1,
    });
    expect(source.skipped.map((skip) => [skip.line, skip.reason])).toEqual([[2, 'FAILURE_NOT_READ']]);
    expect(source.skipped[0]?.message).toMatch(
      /^line 2 opens a quoted field \(field 6\) that a quote on line 4 closes into one record of the header's width with the 2 lines after it \(a stray quote\?\): line 2 is skipped and the lines after it are read as rows; its status "Failed"/,
    );
  });

  /** The trace's rows, CRLF: a Delivered row whose Subject is `subject`, then `rows`. */
  const traceFile = (subject: string, ...rows: string[]) =>
    [
      HEADER,
      traceRow('11/28/2026 10:14:56 PM', 'ops@fourthcoffee.com', subject, 'Delivered', 'D1'),
      ...rows,
    ].join('\r\n');

  it("counts the Failed row a Delivered row's stray quote took in until a later quote closed it", async () => {
    const content = traceFile(
      '"Urgent scan',
      traceRow('11/28/2026 10:15:02 PM', 'orders@adatum.com', 'Scan', 'Failed', 'F1'),
      traceRow('11/28/2026 10:16:40 PM', 'kate@fabrikam.com', 'Order 24" monitor', 'Delivered', 'D2'),
    );
    const { result, sources } = await analyzeFiles([{ name: 'closed.csv', content }]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: 3, rowsAnalysed: 2, rowsSkipped: 1 });
    expect(sources[0]?.skipped.map((skip) => [skip.line, skip.reason])).toEqual([[2, 'UNTERMINATED_QUOTE']]);
    expect(result.unexplainedFailures).toBe(1);
  });

  it('skips a Delivered row whose quote is never closed as it was, the file done', async () => {
    const content = traceFile(
      '"Urgent scan',
      traceRow('11/28/2026 10:16:40 PM', 'kate@fabrikam.com', 'Weekly status', 'Delivered', 'D2'),
    );
    const { sources } = await analyzeFiles([{ name: 'open.csv', content }]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: 2, rowsAnalysed: 1 });
    expect(sources[0]?.skipped.map((skip) => [skip.line, skip.reason])).toEqual([[2, 'TRUNCATED_RECORD']]);
  });

  it('reads a Subject quoted over two lines (-UseQuotes AsNeeded) as one Failed row', async () => {
    const content = traceFile(
      'Weekly status',
      traceRow('11/28/2026 10:15:02 PM', 'orders@adatum.com', '"Scan, floor 2\r\nprinter"', 'Failed', 'F1'),
    );
    const { result, sources } = await analyzeFiles([{ name: 'multiline.csv', content }]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: 2, rowsAnalysed: 2, rowsSkipped: 0 });
    expect(result.unexplainedFailures).toBe(1);
  });
});

describe('a historical search summary row whose Fail cannot be read', () => {
  const SUMMARY_HEADER = [
    'origin_timestamp_utc',
    'sender_address',
    'recipient_status',
    'message_subject',
    'total_bytes',
    'message_id',
    'network_message_id',
    'original_client_ip',
    'directionality',
    'connector_id',
    'delivery_priority',
  ];
  const summaryRow = (date: string, recipientStatus: string, id: string) => [
    date,
    'scanner@alerts.contoso.com',
    recipientStatus,
    'Scanned document',
    '377016',
    `<${id}@EX01.contoso.local>`,
    `${id.toLowerCase()}-7bd1-5e57-bf52-a6efff907b95`,
    '203.0.113.25',
    'Originating',
    'Inbound from contoso on-premises',
    'Normal',
  ];
  /** As the EAC downloads it (every cell quoted, CRLF, UTF-16LE with a BOM), `last` written as given. */
  const summaryFile = (last: string) => {
    const line = (cells: string[]) => cells.map((cell) => `"${cell}"`).join(',');
    const text = [
      line(SUMMARY_HEADER),
      line(summaryRow('2026-11-28T08:02:41.3170000Z', 'ops@fourthcoffee.com##Receive, Send', 'A1')),
      last,
    ].join('\r\n');
    return Buffer.from(`\uFEFF${text}\r\n`, 'utf16le');
  };
  const quotedRow = (date: string, recipientStatus: string) =>
    summaryRow(date, recipientStatus, 'F1')
      .map((cell) => `"${cell}"`)
      .join(',');

  it('fails a download cut short in the Fail row, naming the line', async () => {
    const { status, source } = await analyse('mtsummary-download-cut-short.csv');
    expect(status).toBe(1);
    expect(source).toMatchObject({
      format: 'historical-search-summary',
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      rowsRead: 2,
      rowsAnalysed: 1,
      rowsSkipped: 1,
    });
    expect(source.skipped.map((skip) => [skip.line, skip.reason])).toEqual([[3, 'FAILURE_NOT_READ']]);
    expect(source.skipped[0]?.message).toMatch(
      /^the file ends inside a quoted field that starts on line 3 \(truncated file\?\); its status "orders@adatum\.com##Receive, Fail"/,
    );
    // Its skip says to copy or export it again; the failure does not say so twice.
    expect(source.errorMessage).toMatch(/ — copy or export it again\. .* Analyse the new copy\.$/);
    expect(source.errorMessage).not.toMatch(/Copy or export the file again/);
  });

  it.each([
    ['a date that is none', quotedRow('########', 'x@adatum.com##Receive, Fail'), 'origin_timestamp_utc'],
    [
      'a Defer never sent on, the date none',
      quotedRow('########', 'x@adatum.com##Receive, Defer'),
      'origin_timestamp_utc',
    ],
    // Written unquoted: the events split at their comma, 12 cells for 11 columns.
    [
      'its events split at their comma',
      summaryRow('2026-11-28T08:05:13.9500000Z', 'x@adatum.com##Receive, Fail', 'F1').join(','),
      undefined,
    ],
    [
      'a row cut short after its events',
      quotedRow('2026-11-28T08:05:13.9500000Z', 'x@adatum.com##Receive, Fail').split(',"Scanned')[0] ?? '',
      undefined,
    ],
  ])('fails the file for a failed recipient in a row of %s', async (_shape, last, column) => {
    const { sources } = await analyzeFiles([{ name: 'summary.csv', content: summaryFile(last) }]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ', rowsAnalysed: 1 });
    expect(sources[0]?.skipped.map((skip) => [skip.line, skip.reason, skip.column])).toEqual([
      [3, 'FAILURE_NOT_READ', column],
    ]);
  });

  it.each([
    ['a date that is none', quotedRow('########', 'x@adatum.com##Receive, Send'), 'BAD_TIMESTAMP'],
    [
      'its events split at their comma',
      summaryRow('2026-11-28T08:05:13.9500000Z', 'x@adatum.com##Receive, Defer, Send', 'F1').join(','),
      'COLUMN_COUNT',
    ],
  ])(
    'skips a row of %s whose recipients were delivered as it was, the file done',
    async (_shape, last, reason) => {
      const { sources } = await analyzeFiles([{ name: 'summary.csv', content: summaryFile(last) }]);
      expect(sources[0]).toMatchObject({ status: 'done', rowsAnalysed: 1 });
      expect(sources[0]?.skipped.map((skip) => [skip.line, skip.reason])).toEqual([[3, reason]]);
    },
  );
});

describe("a Status that holds the SMTP replies (a tracking export renamed to the trace's columns)", () => {
  it("reads the replies as the row's reason, each recipient's refusal its own finding", async () => {
    const { status, source, findings } = await analyse('renamed-tracking-status-holds-reply.csv');
    expect(source).toMatchObject({
      status: 'done',
      format: 'message-trace',
      rowsAnalysed: 2,
      rowsSkipped: 0,
    });
    // old.account@contoso.com was refused with 5.1.10: no relay refusal, no finding.
    expect(findings).toEqual([
      [3, 'ap@litware.com', 'connector-mismatch', '2026-11-28T14:05:32.000Z'],
      [3, 'ar@litware.com', 'connector-mismatch', '2026-11-28T14:05:32.000Z'],
    ]);
    expect(status).toBe(0);
  });

  it('fails the file naming the Status column when its refusal text is not a reply it reads', async () => {
    const content = [
      REPORT_HEADER.replace(',"Detail"', ''),
      quoted(
        '11/28/2026 2:05:32 PM',
        'finance@contoso.com',
        'ap@litware.com',
        'TenantAttribution; Relay Access Denied',
        '<A1@EX01.contoso.local>',
      ),
    ].join('\r\n');
    const { findings, sources } = await analyzeFiles([{ name: 'status-text.csv', content }]);
    expect(findings).toEqual([]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(sources[0]?.skipped.map((skip) => [skip.line, skip.reason, skip.column])).toEqual([
      [2, 'REFUSAL_NOT_READ', 'Status'],
    ]);
  });
});

describe('a trace row whose RecipientAddress lists several recipients', () => {
  it('pairs each recipient with its own status of the Detail list', async () => {
    const { status, source, findings } = await analyse('report-joined-recipients-detail.csv');
    expect(findings).toEqual([
      [2, 'ap@litware.com', 'connector-mismatch', '2026-11-28T14:05:32.000Z'],
      [2, 'ar@litware.com', 'connector-mismatch', '2026-11-28T14:05:32.000Z'],
    ]);
    // Each FAIL recipient is explained by its own reply, old.account@contoso.com's 5.1.10 included.
    expect(source).toMatchObject({ status: 'done', rowsAnalysed: 1, rowsSkipped: 0 });
    expect(source.unexplainedFailures).toBeUndefined();
    expect(status).toBe(0);
  });

  it('skips a row whose statuses do not pair with its recipients, and fails the file when it holds a refusal', async () => {
    const row = (detail: string) =>
      [
        REPORT_HEADER,
        quoted(
          '11/28/2026 2:05:32 PM',
          'finance@contoso.com',
          'ap@litware.com;old.account@contoso.com;ar@litware.com',
          'FAIL',
          '<A1@EX01.contoso.local>',
          detail,
        ),
        quoted(
          '11/28/2026 2:06:10 PM',
          'finance@contoso.com',
          'ops@fourthcoffee.com',
          'Delivered',
          '<A2@EX01.contoso.local>',
          '',
        ),
      ].join('\r\n');
    const { findings, sources } = await analyzeFiles([
      { name: 'refusal.csv', content: row(`${R5764};${R5110}`) },
      { name: 'no-refusal.csv', content: row(`${R5110};${R5110}`) },
    ]);
    expect(findings).toEqual([]);
    expect(sources.map((source) => [source.status, source.skipped.map((skip) => skip.reason)])).toEqual([
      ['failed', ['REFUSAL_NOT_READ']],
      ['done', ['LIST_MISMATCH']],
    ]);
    expect(sources[1]?.skipped[0]).toMatchObject({ line: 2, column: 'RecipientAddress' });
    expect(sources[1]?.skipped[0]?.message).toMatch(/^3 recipients, and a list of statuses of the row/);
  });

  it("counts a Failed row's recipients one by one: each is explained by its own detail", async () => {
    const trace = [
      HEADER,
      traceRow('11/28/2026 10:15:02 PM', 'a@litware.com;b@litware.com', 'Scan', 'Failed', 'M1'),
    ].join('\r\n');
    const detail = [
      '"MessageId","MessageTraceId","RecipientAddress","Date","Event","Detail"',
      ...['a@litware.com', 'b@litware.com'].map((recipient) =>
        quoted(
          '<M1@EX01.contoso.local>',
          '6f12b2d7-d3af-50a6-b7a9-2182002541ab',
          recipient,
          '11/28/2026 10:15:03 PM',
          'Fail',
          R5110,
        ),
      ),
    ].join('\r\n');
    const { result, sources } = await analyzeFiles([
      { name: 'trace.csv', content: trace },
      { name: 'detail.csv', content: detail },
    ]);
    expect(sources.map((source) => [source.format, source.status, source.rowsAnalysed])).toEqual([
      ['message-trace', 'done', 1],
      ['message-trace-detail', 'done', 2],
    ]);
    expect(result.unexplainedFailures).toBe(0);
  });
});
