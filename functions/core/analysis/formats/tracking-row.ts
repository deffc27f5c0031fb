/**
 * Rows that carry message-tracking fields — the raw `MSGTRK*.LOG` files, `Get-MessageTrackingLog |
 * Export-Csv` and the historical-search Extended report — share one conversion; the formats differ
 * only in how they spell the column names.
 */
import { normaliseAddress, normaliseMessageId, type ServerHop, type TraceEvent } from '../model/events.js';
import { mapColumns } from './columns.js';
import type { RowAdapter, RowContext, RowSink } from './format-adapter.js';
import {
  displayedListItems,
  listJoin,
  pairRowStatuses,
  splitRecipients,
  UNJOINED_LIST_LITERALS,
} from './recipient-lists.js';
import { hasHeaderShape, timestampOrSkip } from './row-checks.js';

/** Canonical names of the tracking fields the classifier uses. */
export type TrackingField =
  | 'timestamp'
  | 'sourceContext'
  | 'clientIp'
  | 'clientHostname'
  | 'serverIp'
  | 'serverHostname'
  | 'connectorId'
  | 'source'
  | 'eventId'
  | 'internalMessageId'
  | 'messageId'
  | 'networkMessageId'
  | 'recipients'
  | 'recipientStatus'
  | 'relatedRecipient'
  | 'subject'
  | 'sender'
  | 'returnPath'
  | 'directionality';

/** How one format spells each tracking field. */
export type TrackingColumnNames = Readonly<Record<TrackingField, string>>;

/**
 * Columns whose cells must never hold `System.String[]` or `System.Collections.ArrayList` (they are
 * lists PowerShell failed to join).
 */
const LIST_FIELDS: readonly TrackingField[] = ['recipients', 'recipientStatus', 'relatedRecipient'];

/** Events of a delivery that failed or was put off: their status is the reason, maybe a relay refusal. */
const FAILURE_EVENTS: ReadonlySet<string> = new Set(['FAIL', 'DEFER']);

/** `Incoming`/`Originating`, or the numeric codes of historical search (1/2, inferred). */
export function parseDirectionality(value: string | undefined): TraceEvent['directionality'] {
  if (!value) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'incoming' || lower === '1') return 'incoming';
  if (lower === 'originating' || lower === '2') return 'originating';
  return undefined;
}

/** Column positions of one file (-1 when the format or version lacks the column). */
type Columns = Record<TrackingField, number>;

/** The trimmed cell, or `undefined` when absent or empty. Hot path: no allocation when nothing to trim. */
function at(fields: readonly string[], index: number): string | undefined {
  if (index < 0) return undefined;
  const value = fields[index];
  if (value === undefined || value.length === 0) return undefined;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first > 32 && last > 32) return value;
  const trimmed = value.trim();
  return trimmed.length === 0 ? undefined : trimmed;
}

/** The longest SourceContext searched for a time: a session's is about 45 characters. */
const MAX_SOURCE_CONTEXT_CHARS = 256;
/** A time in UTC as Exchange writes it in SourceContext: `2021-03-09T10:14:21.829Z`. */
const CONTEXT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z$/;

/** The UTC time in a SourceContext (`08DFE22526BF27A1;2021-03-09T10:14:21.829Z;0`), if it holds one. */
function contextTime(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_SOURCE_CONTEXT_CHARS) return undefined;
  return value.split(';').find((part) => CONTEXT_TIME.test(part));
}

/** Upper-cases only when needed (Exchange already writes upper case). */
function upper(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 97 && code <= 122) return value.toUpperCase();
  }
  return value;
}

export class TrackingRowAdapter implements RowAdapter {
  private readonly columns: Columns;
  private readonly names: TrackingColumnNames;
  private readonly headerCount: number;
  private readonly context: RowContext;
  private readonly listColumns: readonly [TrackingField, number][];
  /** The hosts of a dropped SMTP SEND row (`RowContext.noteServerHop`), one object filled again each time. */
  private readonly hop: ServerHop = { eventId: 'SEND', source: 'SMTP' };

  public constructor(headers: readonly string[], names: TrackingColumnNames, context: RowContext) {
    const map = mapColumns(headers, names, context.file);
    const columns = {} as Columns;
    for (const key of Object.keys(names) as TrackingField[]) columns[key] = map[key] ?? -1;
    this.columns = columns;
    this.names = names;
    this.headerCount = headers.length;
    this.context = context;
    this.listColumns = LIST_FIELDS.map((field) => [field, columns[field]] as [TrackingField, number]).filter(
      ([, index]) => index >= 0,
    );
  }

  /**
   * The row's time in the day/month order its SourceContext proves, when its date was read with an
   * assumed order: an SMTP session's start is written in ISO UTC there, and settles the file's dates
   * (an Excel re-save of a zh-HK or en-SG export, `9/3/2021 10:14`, would otherwise be read month-first).
   */
  private settledByContext(fields: readonly string[], line: number): string | undefined {
    const time = contextTime(at(fields, this.columns.sourceContext));
    return time === undefined ? undefined : this.context.timestamps.settleBy(time, line);
  }

  public adapt(fields: string[], line: number, sink: RowSink): void {
    if (!hasHeaderShape(fields, this.headerCount, line, sink)) return;
    const c = this.columns;
    for (const [field, index] of this.listColumns) {
      const value = fields[index] as string;
      if (UNJOINED_LIST_LITERALS.has(value)) {
        this.skipUnjoined(fields, field, value, line, sink);
        return;
      }
    }
    let timestamp = timestampOrSkip(at(fields, c.timestamp), this.names.timestamp, line, this.context, sink);
    if (timestamp === undefined) return;
    if (this.context.timestamps.orderAssumed) timestamp = this.settledByContext(fields, line) ?? timestamp;
    const rawEventId = at(fields, c.eventId);
    if (rawEventId === undefined) {
      sink.skip(line, 'MISSING_FIELD', 'the event id is empty', this.names.eventId);
      return;
    }
    const eventId = upper(rawEventId);
    const rawSource = at(fields, c.source);
    const source = rawSource === undefined ? undefined : upper(rawSource);
    const statusList = at(fields, c.recipientStatus);
    const directionality = parseDirectionality(at(fields, c.directionality));
    // Rows that can neither be a refusal nor correlation evidence are counted, not converted; an SMTP
    // send among them still names the organisation's servers, told by three cells, not an event.
    if (!this.context.isRelevant(eventId, source, statusList, directionality)) {
      if (eventId === 'SEND' && source === 'SMTP' && this.context.noteServerHop !== undefined) {
        const hop = this.hop;
        hop.directionality = directionality;
        hop.clientIp = at(fields, c.clientIp);
        hop.serverIp = at(fields, c.serverIp);
        hop.connectorId = at(fields, c.connectorId);
        this.context.noteServerHop(hop);
      }
      return;
    }

    const messageId = at(fields, c.messageId);
    const rawSender = at(fields, c.sender);
    const rawReturnPath = at(fields, c.returnPath);
    const related = at(fields, c.relatedRecipient);
    // Every event gets the same properties in the same order (one hidden class: fast to build and read).
    const base: TraceEvent = {
      timestamp,
      eventId,
      source,
      messageId: messageId === undefined ? undefined : normaliseMessageId(messageId),
      internalMessageId: at(fields, c.internalMessageId),
      networkMessageId: at(fields, c.networkMessageId),
      messageTraceId: undefined,
      sender: rawSender === undefined ? undefined : normaliseAddress(rawSender),
      returnPath:
        c.returnPath < 0 ? undefined : rawReturnPath === undefined ? '' : normaliseAddress(rawReturnPath),
      recipient: undefined,
      recipientStatus: undefined,
      relatedRecipient: related === undefined ? undefined : normaliseAddress(related),
      subject: at(fields, c.subject),
      clientIp: at(fields, c.clientIp),
      clientHostname: at(fields, c.clientHostname),
      serverIp: at(fields, c.serverIp),
      serverHostname: at(fields, c.serverHostname),
      connectorId: at(fields, c.connectorId),
      directionality,
      line,
    };
    const recipientList = at(fields, c.recipients);
    const recipients = recipientList === undefined ? [] : splitRecipients(recipientList);
    if (recipients.length <= 1) {
      // One recipient, or none named (a hand-made export, a cut cell, `{}`): the status, whole, is
      // the row's, and a refusal in it is still a refusal, of a recipient the row may not name.
      const recipient = recipients[0];
      base.recipient = recipient === undefined ? undefined : normaliseAddress(recipient);
      const status = statusList === undefined ? undefined : displayedListItems(statusList);
      base.recipientStatus = status === undefined || status.length === 0 ? undefined : status;
      sink.event(base);
      return;
    }
    let statuses: (string | undefined)[] | undefined;
    if (statusList !== undefined) {
      // Statuses split where the row joined its recipients, else at any separator (recipient-lists.ts).
      const join = recipientList === undefined ? undefined : listJoin(recipientList);
      const paired = pairRowStatuses(recipients, statusList, join);
      if (!paired.paired) {
        sink.skip(
          line,
          'LIST_MISMATCH',
          this.mismatchMessage(recipients.length, paired, join),
          this.names.recipientStatus,
        );
        return;
      }
      statuses = paired.statuses;
    }
    for (let index = 0; index < recipients.length; index++) {
      const status = statuses?.[index];
      sink.event({
        ...base,
        recipient: normaliseAddress(recipients[index] as string),
        recipientStatus: status === undefined || status.length === 0 ? undefined : status,
      });
    }
  }

  /**
   * Why a row's lists do not pair. Re-exporting with `-join ';'` is advised only when the recipients
   * were joined otherwise: a tracking log, or an export already joined with `;`, would come out the same.
   */
  private mismatchMessage(
    recipients: number,
    { count, refusals }: { count: number; refusals?: readonly string[] },
    join: string | undefined,
  ): string {
    if (refusals !== undefined) {
      return (
        `${recipients} recipients but one status holding several recipients' refusals (${refusals.join(', ')}): ` +
        'which refusal belongs to which recipient cannot be told'
      );
    }
    const why = `${recipients} recipients but ${count} statuses: which status belongs to which recipient cannot be told`;
    if (join !== undefined && join.trim() === ';') {
      return `${why} (both lists are joined with ';', and the statuses are neither one for the whole row nor one per recipient)`;
    }
    const { recipients: r, recipientStatus: s } = this.names;
    return `${why}; re-export with @{n='${r}';e={$_.${r} -join ';'}} and @{n='${s}';e={$_.${s} -join ';'}}`;
  }

  /**
   * Skips a row with a list cell PowerShell did not join (`value`). One stable reason code for every
   * such literal, as the cause and the fix are the same; but a failure whose status is the cell
   * (the Recipients, checked first, were joined) may have been a relay refusal that was not
   * exported: it is skipped as `REFUSAL_NOT_READ`, which fails the file once its other rows are read,
   * rather than let them say "no relay refusals".
   */
  private skipUnjoined(
    fields: readonly string[],
    field: TrackingField,
    value: string,
    line: number,
    sink: RowSink,
  ): void {
    const name = this.names[field];
    const reExport = `re-export with @{n='${name}';e={$_.${name} -join ';'}}`;
    const rawEventId = at(fields, this.columns.eventId);
    const eventId = rawEventId === undefined ? undefined : upper(rawEventId);
    // A failure whose status was not exported may have been a refusal, whichever list came first.
    const status = at(fields, this.columns.recipientStatus);
    if (
      eventId !== undefined &&
      FAILURE_EVENTS.has(eventId) &&
      status !== undefined &&
      UNJOINED_LIST_LITERALS.has(status)
    ) {
      const statusName = this.names.recipientStatus;
      sink.skip(
        line,
        'STATUS_NOT_EXPORTED',
        `the status of this ${eventId} row was not exported (the cell holds the literal "${status}": ` +
          'the list was not joined), so whether it is a relay refusal cannot be told; ' +
          `re-export with @{n='${statusName}';e={$_.${statusName} -join ';'}}`,
        statusName,
      );
      return;
    }
    sink.skip(
      line,
      'SYSTEM_STRING_ARRAY',
      `the cell holds the literal "${value}": the export was made without joining the list; ${reExport}`,
      name,
    );
  }
}
