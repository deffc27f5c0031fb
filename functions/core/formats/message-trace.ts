/**
 * Format 3: Exchange Online message trace (`Get-MessageTrace[V2]`, EAC export). It has no error
 * text: a `Failed` row is only a candidate. Its value is context — which messages reached internal
 * recipients (forwarding evidence) and who sent a trace id (for detail rows without addresses).
 */
import { normaliseAddress, normaliseMessageId, type TraceEvent } from '../events.js';
import { cell, mapColumns } from './columns.js';
import type { FormatAdapter, RowAdapter, RowContext, RowSink } from './format-adapter.js';
import { hasHeaderShape, timestampOrSkip } from './row-checks.js';

const NAMES = {
  received: 'Received',
  sender: 'SenderAddress',
  recipient: 'RecipientAddress',
  subject: 'Subject',
  status: 'Status',
  fromIp: 'FromIP',
  messageId: 'MessageId',
  messageTraceId: 'MessageTraceId',
} as const;

class MessageTraceRows implements RowAdapter {
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
    const timestamp = timestampOrSkip(
      cell(fields, map, 'received'),
      NAMES.received,
      line,
      this.context,
      sink,
    );
    if (timestamp === undefined) return;
    const event: TraceEvent = {
      timestamp,
      eventId: (cell(fields, map, 'status') ?? 'NONE').toUpperCase(),
      line,
    };
    const sender = cell(fields, map, 'sender');
    const recipient = cell(fields, map, 'recipient');
    const messageId = cell(fields, map, 'messageId');
    const traceId = cell(fields, map, 'messageTraceId');
    const subject = cell(fields, map, 'subject');
    const fromIp = cell(fields, map, 'fromIp');
    if (sender !== undefined) event.sender = normaliseAddress(sender);
    if (recipient !== undefined) event.recipient = normaliseAddress(recipient);
    if (messageId !== undefined) event.messageId = normaliseMessageId(messageId);
    if (traceId !== undefined) event.messageTraceId = traceId.toLowerCase();
    if (subject !== undefined) event.subject = subject;
    if (fromIp !== undefined) event.clientIp = fromIp;
    sink.event(event);
  }
}

export const messageTrace: FormatAdapter = {
  id: 'message-trace',
  label: 'Exchange Online message trace (Get-MessageTrace[V2])',
  requiredHeaders: ['received', 'senderaddress', 'recipientaddress', 'status', 'messageid'],
  createRowAdapter: (headers, context) => new MessageTraceRows(headers, context),
};
