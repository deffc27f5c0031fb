/**
 * The shape shared by the export formats (message trace, trace detail, historical summary): check
 * the row against the header, read the timestamp, then let the format convert the rest.
 */
import { normaliseAddress, normaliseMessageId, type TraceEvent } from '../model/events.js';
import { type ColumnMap, cell, mapColumns } from './columns.js';
import type { RowAdapter, RowContext, RowSink } from './format-adapter.js';
import { hasHeaderShape, timestampOrSkip } from './row-checks.js';

export abstract class CsvRowAdapter<K extends string> implements RowAdapter {
  private readonly map: ColumnMap<K>;
  private readonly headerCount: number;

  protected constructor(
    headers: readonly string[],
    private readonly names: Readonly<Record<K, string>>,
    private readonly timestampKey: K,
    protected readonly context: RowContext,
  ) {
    this.map = mapColumns(headers, names, context.file);
    this.headerCount = headers.length;
  }

  public adapt(fields: string[], line: number, sink: RowSink): void {
    if (!hasHeaderShape(fields, this.headerCount, line, sink)) return;
    const raw = this.value(fields, this.timestampKey);
    const timestamp = timestampOrSkip(raw, this.names[this.timestampKey], line, this.context, sink);
    if (timestamp === undefined) return;
    this.convert(fields, timestamp, line, sink);
  }

  /** The trimmed cell of a column, or `undefined` when absent or empty. */
  protected value(fields: readonly string[], key: K): string | undefined {
    return cell(fields, this.map, key);
  }

  /** Converts a row whose shape and timestamp are valid. */
  protected abstract convert(fields: readonly string[], timestamp: string, line: number, sink: RowSink): void;
}

/** Sets the identity and address fields that trace exports share, normalised. */
export function setTraceFields(
  event: TraceEvent,
  values: {
    sender?: string | undefined;
    recipient?: string | undefined;
    messageId?: string | undefined;
    traceId?: string | undefined;
  },
): TraceEvent {
  if (values.sender !== undefined) event.sender = normaliseAddress(values.sender);
  if (values.recipient !== undefined) event.recipient = normaliseAddress(values.recipient);
  if (values.messageId !== undefined) event.messageId = normaliseMessageId(values.messageId);
  if (values.traceId !== undefined) event.messageTraceId = values.traceId.toLowerCase();
  return event;
}
