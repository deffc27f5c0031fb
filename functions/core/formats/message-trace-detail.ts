/**
 * Format 4: message trace detail (`Get-MessageTraceDetail[V2]`). `Detail` carries the SMTP text,
 * e.g. `Reason: [{LED=550 5.7.64 …};{MSG=};…]`. Addresses are often absent: the classifier then
 * takes them from a message trace row with the same trace id or Message-ID.
 */
import type { TraceEvent } from '../events.js';
import { CsvRowAdapter, setTraceFields } from './csv-row-adapter.js';
import type { FormatAdapter, RowContext, RowSink } from './format-adapter.js';

const NAMES = {
  date: 'Date',
  messageId: 'MessageId',
  messageTraceId: 'MessageTraceId',
  event: 'Event',
  detail: 'Detail',
  sender: 'SenderAddress',
  recipient: 'RecipientAddress',
  fromIp: 'FromIP',
} as const;

class MessageTraceDetailRows extends CsvRowAdapter<keyof typeof NAMES> {
  public constructor(headers: readonly string[], context: RowContext) {
    super(headers, NAMES, 'date', context);
  }

  protected convert(fields: readonly string[], timestamp: string, line: number, sink: RowSink): void {
    const event: TraceEvent = {
      timestamp,
      eventId: (this.value(fields, 'event') ?? 'NONE').toUpperCase(),
      line,
    };
    setTraceFields(event, {
      sender: this.value(fields, 'sender'),
      recipient: this.value(fields, 'recipient'),
      messageId: this.value(fields, 'messageId'),
      traceId: this.value(fields, 'messageTraceId'),
    });
    const detail = this.value(fields, 'detail');
    const fromIp = this.value(fields, 'fromIp');
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
