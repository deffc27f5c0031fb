/**
 * Format 4: message trace detail (`Get-MessageTraceDetail[V2]`). `Detail` carries the SMTP text,
 * e.g. `Reason: [{LED=550 5.7.64 …};{MSG=};…]`. Addresses are often absent: the classifier then
 * takes them from a message trace row with the same trace id or Message-ID.
 */
import { normaliseAddress, normaliseMessageId, type TraceEvent } from '../events.js';
import { cell, mapColumns } from './columns.js';
import type { FormatAdapter, RowAdapter, RowContext, RowSink } from './format-adapter.js';
import { hasHeaderShape, timestampOrSkip } from './row-checks.js';

const NAMES = {
  date: 'Date',
  messageId: 'MessageId',
  messageTraceId: 'MessageTraceId',
  event: 'Event',
  action: 'Action',
  detail: 'Detail',
  sender: 'SenderAddress',
  recipient: 'RecipientAddress',
  fromIp: 'FromIP',
} as const;

class MessageTraceDetailRows implements RowAdapter {
  private readonly map;
  public constructor(
    private readonly headers: readonly string[],
    private readonly context: RowContext,
  ) {
    this.map = mapColumns(headers, NAMES);
  }

  public adapt(fields: string[], line: number, sink: RowSink): void {
    if (!hasHeaderShape(fields, this.headers.length, line, sink)) return;
    const map = this.map;
    const timestamp = timestampOrSkip(cell(fields, map, 'date'), NAMES.date, line, this.context, sink);
    if (timestamp === undefined) return;
    const event: TraceEvent = {
      timestamp,
      eventId: (cell(fields, map, 'event') ?? 'NONE').toUpperCase(),
      line,
    };
    const sender = cell(fields, map, 'sender');
    const recipient = cell(fields, map, 'recipient');
    const messageId = cell(fields, map, 'messageId');
    const traceId = cell(fields, map, 'messageTraceId');
    const detail = cell(fields, map, 'detail');
    const fromIp = cell(fields, map, 'fromIp');
    if (sender !== undefined) event.sender = normaliseAddress(sender);
    if (recipient !== undefined) event.recipient = normaliseAddress(recipient);
    if (messageId !== undefined) event.messageId = normaliseMessageId(messageId);
    if (traceId !== undefined) event.messageTraceId = traceId.toLowerCase();
    if (detail !== undefined) event.recipientStatus = detail;
    if (fromIp !== undefined) event.clientIp = fromIp;
    sink.event(event);
  }
}

export const messageTraceDetail: FormatAdapter = {
  id: 'message-trace-detail',
  label: 'Exchange Online message trace detail (Get-MessageTraceDetail[V2])',
  requiredHeaders: ['date', 'messageid', 'messagetraceid', 'event', 'detail'],
  createRowAdapter: (headers, context) => new MessageTraceDetailRows(headers, context),
};
