/**
 * The shape shared by the export formats (message trace, trace detail, historical summary): check
 * the row against the header, read the timestamp, then let the format convert the rest.
 */
import { normaliseAddress, normaliseMessageId, type TraceEvent } from '../model/events.js';
import { type ColumnMap, cell, mapColumns } from './columns.js';
import type { RowAdapter, RowContext, RowSink, SkipReason } from './format-adapter.js';
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
    // A row these checks skip is not read at all: see `skipUnread`.
    const checks: RowSink = {
      event: (event) => sink.event(event),
      skip: (at, reason, message, column) => this.skipUnread(fields, at, reason, message, column, sink),
    };
    if (!hasHeaderShape(fields, this.headerCount, line, checks)) return;
    const raw = this.value(fields, this.timestampKey);
    const timestamp = timestampOrSkip(raw, this.names[this.timestampKey], line, this.context, checks);
    if (timestamp === undefined) return;
    this.convert(fields, timestamp, line, sink);
  }

  /**
   * Skips a row that could not be read. One whose status is a failure the format gives no reason for
   * (`failureShownBy`: a message trace's `Failed`) is a failure the run counts as unexplained
   * (trace-failures.ts); unread, it would drop out of that count and the report could say "nothing
   * to fix". So it is skipped as a row that may be a relay refusal no one can tell
   * (`STATUS_NOT_EXPORTED`), which fails the file where its other rows give no refusal
   * (input/unread-refusals.ts). A row that holds refusal text fails it in any case.
   */
  private skipUnread(
    fields: readonly string[],
    line: number,
    reason: SkipReason,
    message: string,
    column: string | undefined,
    sink: RowSink,
  ): void {
    const failure = this.failureShownBy(fields);
    if (failure === undefined) {
      sink.skip(line, reason, message, column);
      return;
    }
    // More cells than the header: a cell holding the delimiter was not quoted.
    const unquoted =
      reason === 'COLUMN_COUNT' && fields.length > this.headerCount
        ? ' (a cell holding the delimiter unquoted, as `Export-Csv -UseQuotes Never` writes a text with a comma?)'
        : '';
    sink.skip(
      line,
      'STATUS_NOT_EXPORTED',
      `${message}${unquoted}; its status "${failure}" is a failure this export gives no reason for, ` +
        'which may be a relay refusal: unread, it could not be counted among the messages that failed without a reason',
      column,
    );
  }

  /**
   * The status cell by which a row that could not be read still shows a failure its format gives no
   * reason for, or `undefined`: formats whose failures carry their reason have none.
   */
  protected failureShownBy(_fields: readonly string[]): string | undefined {
    return undefined;
  }

  /**
   * A column's cells in a row of another field count than the header's: where the header puts it,
   * and as far from the row's end as the header puts it from its end (a cell split in two, or a cell
   * lost, before it shifts it). Trimmed, empties left out.
   */
  protected cellsOfUnread(fields: readonly string[], key: K): string[] {
    const position = this.map[key];
    if (position === undefined) return [];
    const fromEnd = position + fields.length - this.headerCount;
    const positions = fromEnd === position ? [position] : [position, fromEnd];
    return positions.flatMap((at) => {
      const value = fields[at]?.trim();
      return value ? [value] : [];
    });
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
