/**
 * Rows of the Exchange Online trace exports (message trace and trace detail): one event per row,
 * read the same way; the formats differ only in their column names.
 */

import type { TraceEvent } from '../model/events.js';
import { CsvRowAdapter, setTraceFields, traceSender } from './csv-row-adapter.js';
import type { RowContext, RowSink } from './format-adapter.js';
import { detailStatus, returnPathIn } from './trace-detail-data.js';
import { traceEventId } from './trace-event-names.js';

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

/** What a trace export row says (or a detail nested in one, see message-trace.ts), by field. */
export type TraceExportValues = { [K in Exclude<Field, 'timestamp'>]?: string | undefined };

/** The event of a trace export row's values: `detail` and `data` give its status, `data` the P1. */
export function traceExportEvent(values: TraceExportValues, timestamp: string, line: number): TraceEvent {
  const event: TraceEvent = { timestamp, eventId: traceEventId(values.event ?? 'NONE'), line };
  setTraceFields(event, {
    sender: values.sender,
    recipient: values.recipient,
    messageId: values.messageId,
    traceId: values.messageTraceId,
  });
  const status = detailStatus(values.detail, values.data);
  const returnPath = returnPathIn(values.data);
  if (values.subject !== undefined) event.subject = values.subject;
  if (status !== undefined) event.recipientStatus = status;
  if (returnPath !== undefined) event.returnPath = returnPath;
  if (values.fromIp !== undefined) event.clientIp = values.fromIp;
  return event;
}

export class TraceExportRows extends CsvRowAdapter<Field> {
  public constructor(headers: readonly string[], names: TraceExportNames, context: RowContext) {
    // Optional columns are simply absent from `names`: mapColumns only maps the keys present.
    super(headers, names as Record<Field, string>, 'timestamp', context);
  }

  protected convert(fields: readonly string[], timestamp: string, line: number, sink: RowSink): void {
    sink.event(this.eventOf(fields, timestamp, line));
  }

  /** The row's event. */
  protected eventOf(fields: readonly string[], timestamp: string, line: number): TraceEvent {
    return traceExportEvent(this.valuesOf(fields), timestamp, line);
  }

  /** What the row says, by field. */
  protected valuesOf(fields: readonly string[]): TraceExportValues {
    return {
      event: this.value(fields, 'event'),
      sender: traceSender(this.value(fields, 'sender'), this.positionOf('sender') !== undefined),
      recipient: this.value(fields, 'recipient'),
      messageId: this.value(fields, 'messageId'),
      messageTraceId: this.value(fields, 'messageTraceId'),
      fromIp: this.value(fields, 'fromIp'),
      subject: this.value(fields, 'subject'),
      detail: this.value(fields, 'detail'),
      data: this.value(fields, 'data'),
    };
  }
}
