/** Each adapter turns a row into schema-valid canonical events, one per recipient. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  TRACKING_FIELD_SETS,
  trackingVersionOf,
} from '../../functions/core/analysis/formats/exchange-tracking-log.js';
import { FORMATS, type RowSink } from '../../functions/core/analysis/formats/index.js';
import { splitRecipients, splitStatuses } from '../../functions/core/analysis/formats/recipient-lists.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import { TraceEvent } from '../../functions/core/analysis/model/events.js';

function adapt(formatId: string, headers: string[], row: string[]) {
  const format = FORMATS.find((f) => f.id === formatId);
  if (!format) throw new Error(formatId);
  const events: TraceEvent[] = [];
  const skips: { reason: string; column?: string }[] = [];
  const messages: string[] = [];
  const sink: RowSink = {
    event: (event) => events.push(event),
    skip: (_line, reason, message, column) => {
      skips.push(column === undefined ? { reason } : { reason, column });
      messages.push(message);
    },
  };
  const adapter = format.createRowAdapter(headers, {
    file: 'x',
    timestamps: new TimestampParser(),
    isRelevant: () => true,
  });
  adapter.adapt(row, 7, sink);
  return { events, skips, messages };
}

const TRACKING_HEADERS = [
  'date-time',
  'source',
  'event-id',
  'message-id',
  'recipient-address',
  'recipient-status',
  'sender-address',
  'return-path',
  'directionality',
];

describe('format adapters', () => {
  it('splits multi-recipient tracking rows and pairs statuses that themselves contain ";"', () => {
    const { events } = adapt('exchange-tracking-log', TRACKING_HEADERS, [
      '2026-11-28T10:00:00.000Z',
      'smtp',
      'fail',
      '<ID@EX01>',
      'A@Gmail.com;b@fabrikam.com',
      '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [X];550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found',
      'News@Contoso.com',
      '<>',
      'Originating',
    ]);
    expect(events.map((e) => [e.recipient, e.recipientStatus?.slice(0, 10)])).toEqual([
      ['a@gmail.com', '550 5.7.64'],
      ['b@fabrikam.com', '550 5.1.10'],
    ]);
    expect(events[0]).toMatchObject({
      eventId: 'FAIL',
      source: 'SMTP',
      messageId: 'ID@EX01',
      returnPath: '',
      sender: 'news@contoso.com',
      directionality: 'originating',
      line: 7,
    });
    for (const event of events) expect(TraceEvent.safeParse(event).success).toBe(true);
  });

  // A failure row's unexported status is the column to name: it may have been a relay refusal.
  it.each([
    ['DELIVER', 'SYSTEM_STRING_ARRAY', 'Recipients'],
    ['FAIL', 'STATUS_NOT_EXPORTED', 'RecipientStatus'],
  ])('reports System.String[] with its column (%s row: %s, %s)', (eventId, reason, column) => {
    const { events, skips } = adapt(
      'tracking-log-export',
      ['Timestamp', 'EventId', 'MessageId', 'Recipients', 'RecipientStatus', 'Sender'],
      ['11/28/2026 10:15:03 PM', eventId, 'm', 'System.String[]', 'System.String[]', 'a@contoso.com'],
    );
    expect(events).toEqual([]);
    expect(skips).toEqual([{ reason, column }]);
  });

  it('reports a bad timestamp with its column and a short row', () => {
    expect(
      adapt('exchange-tracking-log', TRACKING_HEADERS, [
        'not-a-date',
        'SMTP',
        'FAIL',
        'm',
        'a@b.c',
        '',
        'x@y.z',
        'x@y.z',
        '',
      ]).skips,
    ).toEqual([{ reason: 'BAD_TIMESTAMP', column: 'date-time' }]);
    expect(adapt('exchange-tracking-log', TRACKING_HEADERS, ['2026-11-28T10:00:00.000Z']).skips).toEqual([
      { reason: 'COLUMN_COUNT' },
    ]);
  });

  it('reads message trace, detail and summary rows into valid events', () => {
    const trace = adapt(
      'message-trace',
      ['Received', 'SenderAddress', 'RecipientAddress', 'Subject', 'Status', 'MessageId', 'MessageTraceId'],
      ['2026-11-28T10:00:00.0000000Z', 'App@Fabrikam.com', 'x@gmail.com', 's', 'Failed', '<m@x>', 'ABC'],
    );
    expect(trace.events[0]).toMatchObject({
      eventId: 'FAILED',
      sender: 'app@fabrikam.com',
      messageTraceId: 'abc',
      messageId: 'm@x',
    });
    expect(trace.events[0]?.returnPath).toBeUndefined();
    const detail = adapt(
      'message-trace-detail',
      ['Date', 'MessageId', 'MessageTraceId', 'Event', 'Action', 'Detail', 'Data'],
      [
        '11/28/2026 10:15:03 PM',
        '<m@x>',
        'abc',
        'Fail',
        '',
        'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [X]};{MSG=}]',
        '',
      ],
    );
    expect(detail.events[0]).toMatchObject({
      eventId: 'FAIL',
      recipientStatus: expect.stringContaining('5.7.64'),
    });
    const summary = adapt(
      'historical-search-summary',
      ['origin_timestamp_utc', 'sender_address', 'recipient_status', 'message_id', 'directionality'],
      [
        '2026-11-28T10:00:00Z',
        'a@fabrikam.com',
        'kate@tailspintoys.com##Receive, Fail;lee@contoso.com##Receive, Deliver',
        'm',
        'Incoming',
      ],
    );
    expect(summary.events.map((e) => [e.recipient, e.eventId])).toEqual([
      ['kate@tailspintoys.com', 'FAIL'],
      ['lee@contoso.com', 'DELIVER'],
    ]);
    for (const event of [...trace.events, ...detail.events, ...summary.events])
      expect(TraceEvent.safeParse(event).success).toBe(true);
  });
});

describe('Exchange tracking-log field lists (for rows without a header)', () => {
  it('have distinct sizes: 30 (2016/2019), 27 (2013), 26 (2010), 21 (2007)', () => {
    expect(TRACKING_FIELD_SETS.map((set) => [set.version, set.fields.length])).toEqual([
      ['Exchange 2016/2019', 30],
      ['Exchange 2013', 27],
      ['Exchange 2010', 26],
      ['Exchange 2007', 21],
    ]);
    expect(TRACKING_FIELD_SETS[3]?.fields.at(-1)).toBe('message-info');
  });

  it.each([
    ['MSGTRK2026112800-1.LOG', 'Exchange 2016/2019'],
    ['MSGTRK2013-EX2013.LOG', 'Exchange 2013'],
    ['MSGTRK2010-EX2010.LOG', 'Exchange 2010'],
  ])('match the #Fields: line of sample-logs/%s', async (file, version) => {
    const text = await readFile(`sample-logs/${file}`, 'utf8');
    const fields = /^#Fields: (.*)$/m.exec(text)?.[1]?.trim().split(',') ?? [];
    expect(trackingVersionOf(fields)).toBe(version);
  });
});

const EXPORT_HEADERS = [
  'Timestamp',
  'Source',
  'EventId',
  'MessageId',
  'Recipients',
  'RecipientStatus',
  'Sender',
  'ReturnPath',
];
const REFUSED = 'ap@litware.com';
const ATTR36 =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const NOT_FOUND = '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup';
const NESTED = `451 4.4.0 Primary target IP address responded with: "451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [X.outlook.com]" Attempted failover to alternate host, but that did not succeed`;

/** A `Get-MessageTrackingLog | Export-Csv` FAIL row whose two lists were joined with `join`. */
function exportRow(recipients: string[], statuses: string[], join: string, trailing = '') {
  return adapt('tracking-log-export', EXPORT_HEADERS, [
    '11/28/2026 2:05:32 PM',
    'SMTP',
    'FAIL',
    '<m1@ex01.contoso.local>',
    recipients.join(join) + trailing,
    statuses.join(join) + trailing,
    'finance@contoso.com',
    'finance@contoso.com',
  ]);
}

describe('recipient and status lists, however the export joined them', () => {
  const recipients = [REFUSED, 'old.account@contoso.com', 'AR@LITWARE.COM', 'treasury@woodgrovebank.com'];
  const statuses = [ATTR36, NOT_FOUND, ATTR36, NESTED];

  it.each([
    ["-join ';' (tracking logs)", ';', ''],
    ["-join '; '", '; ', ''],
    ["-join ','", ',', ''],
    ["-join ' | '", ' | ', ''],
    ['[string]$_.Recipients (space-joined)', ' ', ''],
    ['Out-String (one per line, trailing newline)', '\r\n', '\r\n'],
    ['Out-String on LF', '\n', '\n'],
  ])('pairs every recipient with its own status: %s', (_name, join, trailing) => {
    const { events, skips } = exportRow(recipients, statuses, join, trailing);
    expect(skips).toEqual([]);
    expect(events.map((e) => [e.recipient, e.recipientStatus])).toEqual([
      ['ap@litware.com', ATTR36],
      ['old.account@contoso.com', NOT_FOUND],
      ['ar@litware.com', ATTR36],
      ['treasury@woodgrovebank.com', NESTED],
    ]);
    for (const event of events) expect(TraceEvent.safeParse(event).success).toBe(true);
  });

  it('gives one status to every recipient when the row has one (RECEIVE lists such as "To To Cc")', () => {
    expect(splitStatuses('To To Cc')).toEqual(['To To Cc']);
    const { events } = exportRow(['a@x.com', 'b@x.com'], [ATTR36], ' ');
    expect(events.map((e) => e.recipientStatus)).toEqual([ATTR36, ATTR36]);
  });

  it('never splits a status inside itself: ";", "," and spaces of its text, nor a wrapped answer', () => {
    expect(splitStatuses(NESTED)).toEqual([NESTED]);
    expect(splitStatuses(`${ATTR36} ${NESTED}`)).toEqual([ATTR36, NESTED]);
    const expired =
      '550 4.4.7 QUEUE.Expired; message expired [{LED=441 4.4.1 Error encountered: "Failed to connect. Winsock error code: 10060, Win32 error code: 10060."};{MSG=};{FQDN=x};{IP=52.101.1.1};{LRT=11/28/2026 9:15:03 PM}]';
    expect(splitStatuses(`${expired} | ${ATTR36}`)).toEqual([expired, ATTR36]);
    expect(splitRecipients(' a@x.com ;; b@y.com |c@z.com\r\n')).toEqual(['a@x.com', 'b@y.com', 'c@z.com']);
  });

  it('keeps an address with a quoted local part whole (an outside sender may choose one), and a stray quote splits as none', () => {
    expect(splitRecipients('"smith, john"@litware.com')).toEqual(['"smith, john"@litware.com']);
    expect(splitRecipients('a@x.com; "b; \\"c\\" d"@y.com,e@z.com')).toEqual([
      'a@x.com',
      '"b; \\"c\\" d"@y.com',
      'e@z.com',
    ]);
    expect(splitRecipients('"a@x.com;b@y.com')).toEqual(['"a@x.com', 'b@y.com']);
    const { events } = exportRow(['"smith, john"@litware.com'], [ATTR36], ';');
    expect(events.map((e) => e.recipient)).toEqual(['"smith, john"@litware.com']);
  });

  it('refuses a row whose lists cannot be paired, saying why', () => {
    const { events, skips, messages } = exportRow(recipients, [ATTR36, NOT_FOUND], ' ');
    expect(events).toEqual([]);
    expect(skips).toEqual([{ reason: 'LIST_MISMATCH', column: 'RecipientStatus' }]);
    expect(messages[0]).toMatch(/^4 recipients but 2 statuses/);
  });

  it.each(['System.Collections.ArrayList', 'System.String[]'])(
    'reports %s (an export without -join; ArrayList from a remote session) with the re-export command',
    (literal) => {
      const row = (eventId: string) =>
        adapt('tracking-log-export', EXPORT_HEADERS, [
          '11/28/2026 2:05:32 PM',
          'SMTP',
          eventId,
          '<m1@ex01.contoso.local>',
          literal,
          literal,
          'finance@contoso.com',
          'finance@contoso.com',
        ]);
      const deliver = row('DELIVER');
      expect(deliver.events).toEqual([]);
      expect(deliver.skips).toEqual([{ reason: 'SYSTEM_STRING_ARRAY', column: 'Recipients' }]);
      expect(deliver.messages).toEqual([
        `the cell holds the literal "${literal}": the export was made without joining the list; ` +
          "re-export with @{n='Recipients';e={$_.Recipients -join ';'}}",
      ]);
      // A FAIL row's status is what was lost, though the Recipients column holds the literal first.
      const fail = row('FAIL');
      expect(fail.events).toEqual([]);
      expect(fail.skips).toEqual([{ reason: 'STATUS_NOT_EXPORTED', column: 'RecipientStatus' }]);
      expect(fail.messages).toEqual([
        `the status of this FAIL row was not exported (the cell holds the literal "${literal}": ` +
          'the list was not joined), so whether it is a relay refusal cannot be told; ' +
          "re-export with @{n='RecipientStatus';e={$_.RecipientStatus -join ';'}}",
      ]);
    },
  );
});
