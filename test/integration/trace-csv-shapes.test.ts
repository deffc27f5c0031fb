/**
 * Message trace CSVs as PowerShell recipes reshape them: `Export-Csv -UseQuotes Never` (a `Failed` row
 * split by a comma in its Subject), a tracking export renamed to the trace's columns (`Status` holds the
 * SMTP replies) and a report row listing several recipients. Neither may end in "nothing to fix" while a
 * refusal or an unexplained failure is in the file. Through the CLI in-process (`--no-store --json`) and,
 * for rows made here, `analyze` over in-memory files.
 * Fixtures: test/fixtures/real-world/trace-csv-shapes/ (described in its README.md).
 */
import { describe, expect, it } from 'vitest';
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
      [2, 'STATUS_NOT_EXPORTED'],
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
    ).toEqual([[[3, 'STATUS_NOT_EXPORTED', 'Received']], [[3, 'BAD_TIMESTAMP', 'Received']]]);
    expect(sources[0]?.skipped[0]?.message).toMatch(
      /^"########" is not a date and time; its status "Failed" is a failure this export gives no reason for/,
    );
  });
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
