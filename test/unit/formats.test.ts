/** Each adapter turns a row into schema-valid canonical events, one per recipient. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { TraceEvent } from '../../functions/core/events.js';
import {
  TRACKING_FIELD_SETS,
  trackingVersionOf,
} from '../../functions/core/formats/exchange-tracking-log.js';
import { FORMATS, type RowSink } from '../../functions/core/formats/index.js';
import { TimestampParser } from '../../functions/core/timestamps.js';

function adapt(formatId: string, headers: string[], row: string[]) {
  const format = FORMATS.find((f) => f.id === formatId);
  if (!format) throw new Error(formatId);
  const events: TraceEvent[] = [];
  const skips: { reason: string; column?: string }[] = [];
  const sink: RowSink = {
    event: (event) => events.push(event),
    skip: (_line, reason, _message, column) =>
      skips.push(column === undefined ? { reason } : { reason, column }),
  };
  const adapter = format.createRowAdapter(headers, {
    file: 'x',
    timestamps: new TimestampParser(),
    isRelevant: () => true,
  });
  adapter.adapt(row, 7, sink);
  return { events, skips };
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

  it('reports System.String[] with its column', () => {
    const { events, skips } = adapt(
      'tracking-log-export',
      ['Timestamp', 'EventId', 'MessageId', 'Recipients', 'RecipientStatus', 'Sender'],
      ['11/28/2026 10:15:03 PM', 'FAIL', 'm', 'System.String[]', 'System.String[]', 'a@contoso.com'],
    );
    expect(events).toEqual([]);
    expect(skips).toEqual([{ reason: 'SYSTEM_STRING_ARRAY', column: 'Recipients' }]);
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
