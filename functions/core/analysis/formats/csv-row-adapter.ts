/**
 * The shape shared by the export formats (message trace, trace detail, historical summary): check
 * the row against the header, read the timestamp, then let the format convert the rest.
 */
import { normaliseAddress, normaliseMessageId, type TraceEvent } from '../model/events.js';
import { type ColumnMap, cell, mapColumns } from './columns.js';
import type { RowAdapter, RowContext, RowSink, RowSkip, SkipReason } from './format-adapter.js';
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
    // A row these checks skip is not read at all: see `unreadSkip`.
    const checks: RowSink = {
      event: (event) => sink.event(event),
      skip: (at, reason, message, column) => {
        const skipped = this.unreadSkip(fields, reason, message);
        sink.skip(at, skipped.reason, skipped.message, column);
      },
    };
    if (!hasHeaderShape(fields, this.headerCount, line, checks)) return;
    const raw = this.value(fields, this.timestampKey);
    const timestamp = timestampOrSkip(raw, this.names[this.timestampKey], line, this.context, checks);
    if (timestamp === undefined) return;
    this.convert(fields, timestamp, line, sink);
  }

  /**
   * How a row that could not be read is skipped. One whose status is a failure the format gives no
   * reason for (`failureShownBy`: a message trace's `Failed`) is a failure the run counts as
   * unexplained (trace-failures.ts); unread, it would drop out of that count and the report could say
   * "nothing to fix". So it is skipped as `FAILURE_NOT_READ`, which fails the file where its other rows
   * give no refusal (input/unread-refusals.ts). A row that holds refusal text fails it in any case.
   */
  public unreadSkip(fields: readonly string[], reason: SkipReason, message: string): RowSkip {
    const failure = this.failureShownBy(fields);
    if (failure === undefined) return { reason, message };
    // More cells than the header: a cell holding the delimiter was not quoted.
    const unquoted =
      reason === 'COLUMN_COUNT' && fields.length > this.headerCount
        ? ' (a cell holding the delimiter unquoted, as `Export-Csv -UseQuotes Never` writes a text with a comma?)'
        : '';
    return {
      reason: 'FAILURE_NOT_READ',
      message:
        `${message}${unquoted}; its status "${failure}" is a failure this export gives no reason for, ` +
        'which may be a relay refusal: unread, it could not be counted among the messages that failed without a reason',
    };
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
    const places = this.placesOfUnread(fields, key);
    if (places === undefined) return [];
    const [position, fromEnd] = places;
    const positions = fromEnd === position ? [position] : [position, fromEnd];
    return positions.flatMap((at) => {
      const value = fields[at]?.trim();
      return value ? [value] : [];
    });
  }

  /**
   * A column's text in a row of another field count than the header's, as `cellsOfUnread` finds it;
   * in a row of more cells, its cells from where the header puts it to the shifted place, joined with
   * commas: a cell split at the commas it holds (a summary's `Receive, Fail`, unquoted) is whole again.
   */
  protected textsOfUnread(fields: readonly string[], key: K): string[] {
    const places = this.placesOfUnread(fields, key);
    if (places === undefined) return [];
    const [position, fromEnd] = places;
    return fromEnd > position
      ? [fields.slice(position, fromEnd + 1).join(',')]
      : this.cellsOfUnread(fields, key);
  }

  /**
   * The cell of a column in a row of more cells than the header's, when which one it is can be told:
   * such a row was split at the commas of a free-text cell (a subject written unquoted), so the
   * column is shifted when every free-text column (`freeText`, by position) is before it, and in its
   * place when every one is after it. `undefined` when they lie on both sides, or the row is not longer.
   */
  protected cellOfSplitRow(
    fields: readonly string[],
    key: K,
    freeText: readonly number[],
  ): string | undefined {
    const places = this.placesOfUnread(fields, key);
    if (places === undefined || fields.length <= this.headerCount) return undefined;
    const [position, fromEnd] = places;
    if (freeText.every((at) => at < position)) return fields[fromEnd]?.trim();
    if (freeText.every((at) => at > position)) return fields[position]?.trim();
    return undefined;
  }

  /** Where the header puts a column; `undefined` when it has none. */
  protected positionOf(key: K): number | undefined {
    return this.map[key];
  }

  /** Where the header puts a column, and where as far from the row's end; `undefined` without it. */
  private placesOfUnread(fields: readonly string[], key: K): [number, number] | undefined {
    const position = this.map[key];
    if (position === undefined) return undefined;
    return [position, position + fields.length - this.headerCount];
  }

  /** The trimmed cell of a column, or `undefined` when absent or empty. */
  protected value(fields: readonly string[], key: K): string | undefined {
    return cell(fields, this.map, key);
  }

  /** Converts a row whose shape and timestamp are valid. */
  protected abstract convert(fields: readonly string[], timestamp: string, line: number, sink: RowSink): void;
}

/**
 * The sender address a message trace record gives, for {@link setTraceFields}. A message trace
 * record always has an envelope sender, so an empty one (`""`, `null`, blanks: Graph's
 * `senderAddress`, `Get-MessageTrace`'s SenderAddress, the admin center's CSV) in a record that has
 * the field can only be the null sender of an NDR, a DSN or an automatic reply, and is read as `''`,
 * as a `<>` written out is; only a record without the field names no sender. Read as no sender, it
 * kept the row out of the message's context, and a detail that names no recipient lost the row's one.
 */
export function traceSender(value: string | undefined, hasField: boolean): string | undefined {
  return value ?? (hasField ? '' : undefined);
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
