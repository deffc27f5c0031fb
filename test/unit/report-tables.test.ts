/**
 * The table of a report passed over (`ConvertTo-Html`): its rows read from a stream in chunks of any
 * size, keeping only the row not yet ended; and which columns tell a tracking log's or a message
 * trace's rows, renamed or not, from other cmdlets' rows that share some of their names.
 */
import { describe, expect, it } from 'vitest';
import { exportTableIn, reportedRowsOf, TableRows } from '../../bin/support/report-tables.js';
import { chunked, utf16 } from '../support/streams.js';

/** The rows `TableRows` gives for `text` pushed in chunks of `size` characters. */
function rowsOf(text: string, size: number): string[] {
  const rows = new TableRows();
  const found: string[] = [];
  for (let at = 0; at < text.length; at += size) found.push(...rows.push(text.slice(at, at + size)));
  return [...found, ...rows.end()];
}

const PAGE = [
  '<html><head><title>HTML TABLE</title><style>tr { color: black }</style></head><body>',
  '<table>',
  '<tr><th>Timestamp</th><th>Sender</th><th>Recipients</th><th>RecipientStatus</th></tr>',
  '<TR class="odd"><td>11/28/2026 10:15:02 PM</td><td>a@fabrikam.com</td><td>System.String[]</td><td>System.String[]</td></TR>',
  '<tr><td>11/28/2026 10:16:40 PM</td><td>b@fabrikam.com</td><td>System.String[]</td><td>System.String[]',
  '</table></body></html>',
].join('\r\n');

describe('TableRows', () => {
  it('gives the same rows whatever the chunks, a tag cut anywhere', () => {
    const whole = rowsOf(PAGE, PAGE.length);
    expect(whole).toEqual([
      '<tr><th>Timestamp</th><th>Sender</th><th>Recipients</th><th>RecipientStatus</th>',
      '<TR class="odd"><td>11/28/2026 10:15:02 PM</td><td>a@fabrikam.com</td><td>System.String[]</td><td>System.String[]</td>',
      // Its end tag left out: the row ends where the text does.
      '<tr><td>11/28/2026 10:16:40 PM</td><td>b@fabrikam.com</td><td>System.String[]</td><td>System.String[]\r\n</table></body></html>',
    ]);
    for (const size of [1, 2, 3, 4, 5, 7, 64]) expect(rowsOf(PAGE, size)).toEqual(whole);
  });

  it('passes over a row too long to keep, and reads the rows after it', () => {
    const long = `<tr><td>${'x'.repeat(200 * 1024)}</td></tr>`;
    expect(rowsOf(`${long}<tr><th>EventId</th></tr>`, 16 * 1024)).toEqual(['<tr><th>EventId</th>']);
  });

  it("gives no row of a picture inlined before the table, then the table's rows", () => {
    const rows = new TableRows();
    const picture = `<img src="data:image/png;base64,${'iVBORw0KGgo'.repeat(100_000)}" />`;
    for (let at = 0; at < picture.length; at += 4096)
      expect(rows.push(picture.slice(at, at + 4096))).toEqual([]);
    expect(rows.push('<tr><th>EventId</th></tr>')).toEqual(['<tr><th>EventId</th>']);
  });
});

describe('exportTableIn', () => {
  it('tells a selection of tracking rows in UTF-16LE read 3 bytes at a time', async () => {
    const bytes = utf16(PAGE, 'le', true);

    const table = await exportTableIn('failed.html', () => chunked(bytes, 3));

    expect(table).toEqual({
      format: 'tracking-log-export',
      unjoinedList: 'System.String[]',
      toldBy: 'its header row',
    });
  });

  it('names the literal its lists were written as: System.Collections.ArrayList from a remote session', async () => {
    const remote = PAGE.replaceAll('System.String[]', 'System.Collections.ArrayList');

    const table = await exportTableIn('failed.html', () => chunked(utf16(remote, 'le', true), 7));

    expect(table?.unjoinedList).toBe('System.Collections.ArrayList');
  });

  it('tells renamed columns by a From cell holding an address beside a To list', async () => {
    const page = [
      '<table><tr><th>Time</th><th>From</th><th>To</th><th>Subject</th></tr>',
      '<tr><td>11/28/2026 10:15:02 PM</td><td></td><td>System.String[]</td><td>Undeliverable</td></tr>',
      '<tr><td>11/28/2026 10:16:40 PM</td><td>a@fabrikam.com</td><td>System.String[]</td><td>Report</td></tr>',
      '</table>',
    ].join('\n');
    const noAddress = page.replace('a@fabrikam.com', 'System.String[]');

    const tell = (text: string) => exportTableIn('r.html', () => chunked(new TextEncoder().encode(text), 9));

    expect((await tell(page))?.format).toBe('tracking-log-export');
    // The same columns, From a list in every row (a transport rule's From): no sender address, no export.
    expect(await tell(noAddress)).toBeUndefined();
  });

  it('tells a table whose header row comes after a summary table and 1 MB of inlined pictures', async () => {
    const page = [
      `<body><img src="data:image/png;base64,${'A'.repeat(1024 * 1024)}" />`,
      '<table><tr><th>Count</th><th>Name</th></tr><tr><td>2</td><td>FAIL</td></tr></table>',
      '<table><tr><th>Time</th><th>From</th><th>To</th><th>Status</th></tr>',
      '<tr><td>11/28/2026 10:15:02 PM</td><td>a@fabrikam.com</td><td>System.String[]</td><td>System.String[]</td></tr>',
      '</table></body>',
    ].join('\n');

    const table = await exportTableIn('report.html', () => chunked(new TextEncoder().encode(page), 65536));

    expect(table?.format).toBe('tracking-log-export');
  });

  it('tells nothing of a page of another table', async () => {
    const page = '<table><tr><th>Server</th><th>Role</th></tr><tr><td>EX01</td><td>Mailbox</td></tr></table>';

    expect(
      await exportTableIn('servers.html', () => chunked(new TextEncoder().encode(page), 5)),
    ).toBeUndefined();
  });
});

/** What the cells held: the columns seen holding an unjoined list, and those seen holding an address. */
function held(lists: string[], addresses: string[] = []) {
  return { lists: new Set(lists), addresses: new Set(addresses) };
}

describe('reportedRowsOf', () => {
  it.each([
    // Get-MessageTrackingLog -EventId FAIL | Select …: no EventId column.
    [['Timestamp', 'Sender', 'Recipients', 'RecipientStatus', 'MessageSubject'], [], 'tracking-log-export'],
    [['Timestamp', 'Sender', 'Recipients', 'MessageSubject'], [], 'tracking-log-export'],
    [['Timestamp', 'EventId', 'Recipients'], [], 'tracking-log-export'],
    [['Recipient Status', 'Time'], [], 'tracking-log-export'],
    // Renamed: told by what their cells hold (lists, and addresses in a sender column).
    [['Time', 'From', 'To', 'Status', 'Subject', 'Server'], ['To', 'Status'], 'tracking-log-export'],
    [['Time', 'To', 'Status'], ['Status'], 'tracking-log-export'],
    [['Time', 'From', 'To', 'Subject'], ['To'], 'tracking-log-export', ['From']],
    [
      ['Date', 'Sender Address', 'Recipients', 'Subject'],
      ['Recipients'],
      'tracking-log-export',
      ['Sender Address'],
    ],
    // Get-MessageTrace[V2] and Get-MessageTraceDetail[V2] selections.
    [['Received', 'SenderAddress', 'RecipientAddress', 'Subject'], [], 'message-trace'],
    [['SenderAddress', 'RecipientAddress', 'Subject', 'Status'], [], 'message-trace'],
    [['Date', 'RecipientAddress', 'Event', 'Detail'], [], 'message-trace-detail'],
  ])('%j with lists in %j: %s (addresses in %j)', (names, lists, format, addresses: string[] = []) => {
    expect(reportedRowsOf(names, held(lists, addresses))).toBe(format);
  });

  it.each([
    // Renamed columns whose lists were joined: their refusal text, if any, is in the file.
    [['Time', 'From', 'To', 'Status', 'Subject'], []],
    // The queue viewer's Get-Message: Recipients unjoined beside FromAddress and one Status.
    [['Identity', 'FromAddress', 'Status', 'Subject', 'Recipients', 'LastError'], ['Recipients']],
    // Get-MailDetailSpamReport (the Malware, TransportRule, Dlp, Encryption and ATP ones alike).
    [
      [
        'Organization',
        'MessageId',
        'MessageTraceId',
        'Domain',
        'Subject',
        'MessageSize',
        'Direction',
        'SenderAddress',
        'RecipientAddress',
        'EventType',
        'Action',
        'Date',
      ],
      [],
    ],
    // Get-HistoricalSearch: search jobs, filtered by recipient.
    [['JobId', 'SubmitDate', 'ReportTitle', 'Status', 'Rows', 'RecipientAddress', 'SenderAddress'], []],
    // A list of statuses with no address beside it.
    [['Name', 'Status'], ['Status']],
    // Renamed To list beside a From that never held an address.
    [['Time', 'From', 'To', 'Subject'], ['To']],
    // Get-OutboundConnector: RecipientDomains listed beside SenderRewritingEnabled (`False`).
    [
      [
        'ConnectorType',
        'RecipientDomains',
        'SmartHosts',
        'SenderRewritingEnabled',
        'ValidationRecipients',
        'WhenChanged',
      ],
      ['RecipientDomains', 'SmartHosts', 'ValidationRecipients'],
    ],
    // Get-InboundConnector: ScanAndDropRecipients beside SenderDomains, both lists.
    [
      ['ConnectorType', 'SenderIPAddresses', 'SenderDomains', 'ScanAndDropRecipients'],
      ['SenderIPAddresses', 'SenderDomains', 'ScanAndDropRecipients'],
    ],
    // Get-TransportRule: RecipientDomainIs beside From, both lists.
    [
      ['Name', 'State', 'Priority', 'From', 'SentTo', 'SenderDomainIs', 'RecipientDomainIs'],
      ['From', 'RecipientDomainIs'],
    ],
  ])('%j with lists in %j: no export', (names, lists) => {
    expect(reportedRowsOf(names, held(lists))).toBeUndefined();
  });

  it('tells no export of Get-QuarantineMessage: a RecipientAddress list beside a SenderAddress address and a time', () => {
    const names = [
      'Identity',
      'ReceivedTime',
      'MessageId',
      'SenderAddress',
      'RecipientAddress',
      'Subject',
      'Type',
    ];

    expect(reportedRowsOf(names, held(['RecipientAddress'], ['SenderAddress']))).toBeUndefined();
  });

  it('compares names whatever their case and separators', () => {
    expect(reportedRowsOf(['RECIPIENTS', 'message_subject'], held([]))).toBe('tracking-log-export');
    expect(reportedRowsOf(['TIME', 'from', 'Recipient'], held(['Recipient'], ['from']))).toBe(
      'tracking-log-export',
    );
  });
});
