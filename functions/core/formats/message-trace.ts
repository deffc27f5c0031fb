/**
 * Format 3: Exchange Online message trace (`Get-MessageTrace[V2]`, EAC export). It has no error
 * text: a `Failed` row is only a candidate. Its value is context — which messages reached internal
 * recipients (forwarding evidence) and who sent a trace id (for detail rows without addresses).
 */
import type { TraceEvent } from '../events.js';
import { CsvRowAdapter, setTraceFields } from './csv-row-adapter.js';
import type { FormatAdapter, RowContext, RowSink } from './format-adapter.js';

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

class MessageTraceRows extends CsvRowAdapter<keyof typeof NAMES> {
  public constructor(headers: readonly string[], context: RowContext) {
    super(headers, NAMES, 'received', context);
  }

  protected convert(fields: readonly string[], timestamp: string, line: number, sink: RowSink): void {
    const event: TraceEvent = {
      timestamp,
      eventId: (this.value(fields, 'status') ?? 'NONE').toUpperCase(),
      line,
    };
    setTraceFields(event, {
      sender: this.value(fields, 'sender'),
      recipient: this.value(fields, 'recipient'),
      messageId: this.value(fields, 'messageId'),
      traceId: this.value(fields, 'messageTraceId'),
    });
    const subject = this.value(fields, 'subject');
    const fromIp = this.value(fields, 'fromIp');
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
