/**
 * The contract every input format implements: recognise a header, turn rows into canonical events.
 */

import type { TimestampParser } from '../input/timestamps.js';
import type { FormatId, ServerHop, TraceEvent } from '../model/events.js';
import type { SourceNote } from '../model/source-record.js';

/** Stable reason codes for skipped rows (stored in source records; never rename). */
export type SkipReason =
  | 'COLUMN_COUNT'
  | 'BAD_TIMESTAMP'
  | 'SYSTEM_STRING_ARRAY'
  /**
   * A failure row (FAIL, DEFER) whose status was exported as `System.String[]`: whether it was a relay
   * refusal cannot be told. It fails a file whose other rows were read (input/unread-refusals.ts); a
   * file of nothing else is NO_USABLE_ROWS.
   */
  | 'STATUS_NOT_EXPORTED'
  /**
   * A row that says its delivery failed, a failure its format gives no reason for (a message trace's
   * `Failed`, a summary's `Fail`: trace-failures.ts), but cannot be read (a cell split at an unquoted
   * delimiter, a stray quote, a date that is none). Read, it would count among the failures without a
   * reason; unread, it may be a relay refusal no one can tell. Like STATUS_NOT_EXPORTED, it fails a
   * file whose other rows were read and gave no refusal (input/unread-refusals.ts).
   */
  | 'FAILURE_NOT_READ'
  | 'LIST_MISMATCH'
  | 'MISSING_FIELD'
  | 'TRUNCATED_RECORD'
  | 'RECORD_TOO_LARGE'
  /** A line whose quoted field never closes (a stray quote); the lines after it are read as rows. */
  | 'UNTERMINATED_QUOTE'
  | 'INVALID_EVENT'
  /** A row after a mid-file `#Fields:` line that is not the file's format (joined logs of another kind). */
  | 'UNKNOWN_FIELD_SET'
  /** A line of an MTA or IIS log that has not the log's shape (no syslog prefix, too few fields). */
  | 'BAD_LINE'
  /** An MTA's delivery line (`to=…`) whose status cannot be read (an unknown word, no `status=`/`stat=`). */
  | 'UNKNOWN_STATUS'
  /** JSON that does not parse (a cut or corrupted record). */
  | 'INVALID_JSON'
  /** A JSON record that fails its schema (a field of the wrong type, no timestamp). */
  | 'INVALID_RECORD'
  /** A JSON record that is neither a message trace nor a trace detail record. */
  | 'NOT_A_TRACE_RECORD'
  /** A protocol-log command whose content a session could not keep (its bound of unanswered commands). */
  | 'SESSION_LIMIT'
  /**
   * A row that cannot be read (not a log line, no real date, a status that cannot be read) and
   * holds relay-refusal text: it fails the file, so that its refusal is never lost unsaid.
   */
  | 'REFUSAL_NOT_READ';

/** How a row is skipped: its code and what is said of it. */
export interface RowSkip {
  reason: SkipReason;
  message: string;
}

/** Receives what an adapter makes of one row. */
export interface RowSink {
  event(event: TraceEvent): void;
  skip(line: number, reason: SkipReason, message: string, column?: string): void;
}

/** Per-file state an adapter may use. */
export interface RowContext {
  file: string;
  timestamps: TimestampParser;
  /**
   * Asked before an event is built: can a row with these values matter to classification?
   * Adapters of large formats skip building events for rows that cannot (see the classifier).
   */
  isRelevant(
    eventId: string,
    source: string | undefined,
    status: string | undefined,
    directionality: TraceEvent['directionality'],
  ): boolean;
  /**
   * Told the hosts of a tracking log's SMTP SEND row that {@link isRelevant} dropped, when the run
   * wants them: the sending server and an internal connector's next hop are the organisation's own
   * (`OwnServers` in evidence/inbound-trace.ts), learnt without an event built for the row. `hop` is
   * filled again for the next row: copy what is kept.
   */
  noteServerHop?(hop: Readonly<ServerHop>): void;
}

/** Converts the rows of one file; created once the header is known. */
export interface RowAdapter {
  /** Converts one record; emits zero or more events (one per recipient) or one skip. */
  adapt(fields: string[], line: number, sink: RowSink): void;
  /**
   * How a row that cannot be read is skipped, by what its `cells` show: as `reason`, or as
   * `FAILURE_NOT_READ` where they show a failure the format gives no reason for. Asked of the rows
   * the adapter's own checks skip and of a line the CSV splitter could not cut into a record
   * (input/parse-input.ts); a format whose failures carry their reason needs none.
   */
  unreadSkip?(cells: readonly string[], reason: SkipReason, message: string): RowSkip;
  /**
   * The rows have ended (not when a read is stopped mid-file): emits what a later file of the run
   * may need, such as the SMTP sessions a send protocol log leaves open.
   */
  finish?(sink: RowSink): void;
  /**
   * The first line whose events the adapter may still emit — rows it holds back, sessions
   * {@link finish} hands on with the line of the last row — or `undefined`: a read stopped there
   * (ingest's continuations) has not handed those events on yet, and the next read must.
   */
  heldFrom?(): number | undefined;
  /**
   * False while a read must not be stopped mid-file: the rows read so far may yet have the file
   * refused whole (a send protocol log put newest first is told before any of its refusals are handed
   * on, which a stop would hand on).
   */
  mayStop?(): boolean;
  /**
   * What the adapter inferred rather than read, for the source record's notes (e.g. the field set
   * of rows without a header). Asked once, after the last row.
   */
  notes?(): SourceNote[];
}

/**
 * Rows a format can recognise without their header: tracking-log rows whose `#` lines a log
 * shipper or SIEM export dropped (docs/domain.md §5).
 */
export interface HeaderlessRows {
  /** The field names the format would read `row` (the file's first row) with, or `undefined`. */
  fieldsOf(row: readonly string[]): readonly string[] | undefined;
  /** Reads every row by the field list its field count names. */
  createRowAdapter(context: RowContext): RowAdapter;
}

export interface FormatAdapter {
  readonly id: FormatId;
  /**
   * Header names (compared case-insensitively) that must all be present for this format.
   * Detection picks the format with the most required headers present.
   */
  readonly requiredHeaders: readonly string[];
  /** True when the header came from a `#Fields:` line (raw W3C-style logs) rather than a CSV header row. */
  readonly fieldsDirective?: boolean;
  /** Set when the format's rows can be recognised and read without their header. */
  readonly headerless?: HeaderlessRows;
  /**
   * Why a file with this format's header is still not one it reads, judged by the `#` lines before
   * the header (an SMTP receive protocol log has the send log's fields), or `undefined`.
   */
  refuses?(preamble: readonly string[]): string | undefined;
  createRowAdapter(headers: readonly string[], context: RowContext): RowAdapter;
}
