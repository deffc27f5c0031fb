/**
 * Rows of the Exchange Online trace exports (message trace and trace detail): one event per row,
 * read the same way; the formats differ only in their column names.
 */
import type { TraceEvent } from '../model/events.js';
import { CsvRowAdapter, setTraceFields } from './csv-row-adapter.js';
import type { RowContext, RowSink } from './format-adapter.js';
import { detailStatus, returnPathIn } from './trace-detail-data.js';

/** Canonical fields of a trace export row → the column name the format uses. */
export interface TraceExportNames {
  timestamp: string;
  /** Status (message trace) or event name (detail), upper-cased into `eventId`. */
  event: string;
  sender: string;
  recipient: string;
  messageId: string;
  messageTraceId: string;
  fromIp: string;
  /** Subject (message trace only). */
  subject?: string;
  /** SMTP detail text (trace detail only), carried as `recipientStatus`. */
  detail?: string;
  /** The event's properties as XML (trace detail only): see trace-detail-data.ts. */
  data?: string;
}

type Field = keyof TraceExportNames;

export class TraceExportRows extends CsvRowAdapter<Field> {
  public constructor(headers: readonly string[], names: TraceExportNames, context: RowContext) {
    // Optional columns are simply absent from `names`: mapColumns only maps the keys present.
    super(headers, names as Record<Field, string>, 'timestamp', context);
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
    const subject = this.value(fields, 'subject');
    const data = this.value(fields, 'data');
    const status = detailStatus(this.value(fields, 'detail'), data);
    const returnPath = returnPathIn(data);
    const fromIp = this.value(fields, 'fromIp');
    if (subject !== undefined) event.subject = subject;
    if (status !== undefined) event.recipientStatus = status;
    if (returnPath !== undefined) event.returnPath = returnPath;
    if (fromIp !== undefined) event.clientIp = fromIp;
    sink.event(event);
  }
}
