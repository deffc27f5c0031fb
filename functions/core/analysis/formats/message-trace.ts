/**
 * Format 3: Exchange Online message trace (`Get-MessageTrace[V2]`, EAC export). It has no error
 * text: a `Failed` row is only a candidate. Its value is context — which messages reached internal
 * recipients (forwarding evidence) and who sent a trace id (for detail rows without addresses).
 *
 * Scripts add the failure's reason to the trace's rows, in columns a trace does not have:
 * - each row's details, `Select-Object *, @{n='Details'; e={Get-MessageTraceDetailV2 …}}`, which
 *   Export-Csv writes as PowerShell's text of the detail, `@{Date=…; Event=Defer; Detail=Reason:
 *   [{LED=451 4.4.62 …}]…}` (any column holding such text);
 * - a report's `Event`, `Detail` and `SmtpResponses` (`[PSCustomObject]@{Received = $_.Received; …;
 *   Event = $details.Event; Detail = $details.Detail; SmtpResponses = …}`).
 * Each is read as a detail row of the trace row, as the JSON reader reads the same object. A row
 * that still gives no refusal while such a column holds relay-refusal text is skipped as
 * `REFUSAL_NOT_READ`: its reason is in a form not read, and the file fails rather than report
 * "no relay refusals". Only a file with such columns pays for this: the usual exports have none.
 *
 * Other files take a trace's column names without being one:
 * - a `Status` that holds SMTP replies instead of a status word (a tracking export renamed to the
 *   trace's columns, `@{n='Status';e={$_.RecipientStatus}}`) is the row's reason, read as a detail's;
 * - a `RecipientAddress` that lists several recipients (`-join ';'`) gives each its own events, the
 *   statuses split and paired with them as a tracking export's are, or the row is skipped
 *   (`LIST_MISMATCH`) when they do not pair.
 * A row that could not be read but says `Failed` is never dropped unsaid (csv-row-adapter.ts).
 */

import { normaliseHeader } from '../../text/csv-records.js';
import { refusalMarkerIn, relayRejectionIn } from '../evidence/rejections.js';
import { normaliseAddress, type TraceEvent } from '../model/events.js';
import { isTraceFailure } from '../trace-failures.js';
import { type ColumnMap, cell, mapColumns } from './columns.js';
import type { FormatAdapter, RowContext, RowSink } from './format-adapter.js';
import { traceDetailText } from './powershell-object-text.js';
import { listJoin, pairRowStatuses, splitRecipients, UNJOINED_LIST_LITERALS } from './recipient-lists.js';
import { timestampOrSkip } from './row-checks.js';
import { detailStatus, holdsStatusCode } from './trace-detail-data.js';
import { traceEventId } from './trace-event-names.js';
import { type TraceExportNames, TraceExportRows, traceExportEvent } from './trace-export-rows.js';

const NAMES: TraceExportNames = {
  timestamp: 'Received',
  event: 'Status',
  sender: 'SenderAddress',
  recipient: 'RecipientAddress',
  subject: 'Subject',
  fromIp: 'FromIP',
  messageId: 'MessageId',
  messageTraceId: 'MessageTraceId',
};

/**
 * Columns of `Get-MessageTrace[V2]` and the Reporting Web Service that are not read (they hold no
 * reason), and those a remote session adds to every object.
 */
const UNREAD_COLUMNS: ReadonlySet<string> = new Set(
  [
    'Organization',
    'ToIP',
    'Size',
    'StartDate',
    'EndDate',
    'Index',
    'PSComputerName',
    'RunspaceId',
    'PSShowComputerName',
    'PSSourceJobInstanceId',
  ].map(normaliseHeader),
);

/** A report script's columns of the row's detail (see the module comment). */
const REASON_NAMES = { event: 'Event', detail: 'Detail', responses: 'SmtpResponses' } as const;
type ReasonField = keyof typeof REASON_NAMES;

export const messageTrace: FormatAdapter = {
  id: 'message-trace',
  requiredHeaders: ['received', 'senderaddress', 'recipientaddress', 'status', 'messageid'],
  createRowAdapter: (headers, context) => new MessageTraceRows(headers, context),
};

/** A detail of a trace row: its event, dated as the row until its own date (if any) is read. */
interface RowDetail {
  event: TraceEvent;
  /** The detail's own `Date` as written, and the column it is in. */
  date?: { text: string; column: string };
}

class MessageTraceRows extends TraceExportRows {
  /** Columns a message trace does not have, by position: none in the usual exports. */
  private readonly extra: readonly { position: number; name: string }[];
  private readonly reason: ColumnMap<ReasonField>;

  public constructor(
    headers: readonly string[],
    private readonly rowContext: RowContext,
  ) {
    super(headers, NAMES, rowContext);
    const known = new Set([...Object.values(NAMES).map(normaliseHeader), ...UNREAD_COLUMNS]);
    this.extra = headers.flatMap((header, position) =>
      known.has(normaliseHeader(header)) ? [] : [{ position, name: header.trim() }],
    );
    this.reason = this.extra.length === 0 ? {} : mapColumns(headers, REASON_NAMES, rowContext.file);
  }

  /**
   * A row not read shows a failure by its `Failed` status. In a row split at a subject's commas the
   * status is the cell the split moved it to (a subject's own "…,Failed" is not it); where that cannot
   * be told, either place saying `Failed` counts.
   */
  protected override failureShownBy(fields: readonly string[]): string | undefined {
    const subject = this.positionOf('subject');
    const freeText = [
      ...(subject === undefined ? [] : [subject]),
      ...this.extra.map((column) => column.position),
    ];
    const status = this.cellOfSplitRow(fields, 'event', freeText);
    const candidates = status === undefined ? this.cellsOfUnread(fields, 'event') : [status];
    return candidates.find((candidate) => isTraceFailure(traceEventId(candidate)));
  }

  protected override convert(
    fields: readonly string[],
    timestamp: string,
    line: number,
    sink: RowSink,
  ): void {
    const values = this.valuesOf(fields);
    // A status that holds an SMTP reply is the row's reason, in place of its status (module comment).
    const statusReason = values.event !== undefined && holdsReply(values.event) ? values.event : undefined;
    if (statusReason !== undefined) {
      values.event = this.reasonText(fields, 'event');
      values.detail = statusReason;
    }
    // The recipients are set on each event once its details are read: the cell may list several.
    const recipients = splitRecipients(values.recipient ?? '');
    const join = listJoin(values.recipient ?? '');
    values.recipient = undefined;
    const trace = traceExportEvent(values, timestamp, line);
    const details = this.detailsOf(fields, trace);
    const traces = perRecipient(trace, recipients, join);
    const perDetail = details.map(({ event }) => perRecipient(event, recipients, join));
    if (traces === undefined || !perDetail.every((events) => events !== undefined)) {
      sink.skip(
        line,
        'LIST_MISMATCH',
        `${recipients.length} recipients, and a list of statuses of the row that is neither one status nor one ` +
          'per recipient: which status belongs to which recipient cannot be told; export one row per recipient',
        NAMES.recipient,
      );
      return;
    }
    if (statusReason !== undefined || this.extra.length > 0) {
      const read = [...traces, ...perDetail.flat()];
      const unread = read.some(({ recipientStatus }) => relayRejectionIn(recipientStatus) !== undefined)
        ? undefined
        : this.unreadRefusalColumn(fields, statusReason);
      if (unread !== undefined) {
        // The sink adds the refusal text the row holds, and the file fails naming this line.
        sink.skip(
          line,
          'REFUSAL_NOT_READ',
          `the reason in column "${unread}" is not in a form relay-audit reads (the message's Get-MessageTraceDetailV2 export is)`,
          unread,
        );
        return;
      }
    }
    for (const event of traces) sink.event(event);
    details.forEach(({ date }, index) => {
      const events = perDetail[index] ?? [];
      // Parsed only now, after the trace's events are handed on: a date of unknown day/month order is
      // tracked by the event made from the value parsed last.
      if (date !== undefined) {
        const dated = timestampOrSkip(date.text, date.column, line, this.rowContext, sink);
        if (dated === undefined) return;
        for (const event of events) event.timestamp = dated;
      }
      for (const event of events) sink.event(event);
    });
  }

  /**
   * The column whose relay-refusal text the row's events did not give: the status read as its reason,
   * else a column a trace does not have; `undefined` when none holds any.
   */
  private unreadRefusalColumn(
    fields: readonly string[],
    statusReason: string | undefined,
  ): string | undefined {
    if (statusReason !== undefined && refusalMarkerIn(statusReason) !== undefined) return NAMES.event;
    return this.extra.find(({ position }) => refusalMarkerIn(fields[position] ?? '') !== undefined)?.name;
  }

  /**
   * The row's details: each cell of a detail's `@{…}` text, then the report's `Detail` and
   * `SmtpResponses`, with the trace row's identity where they do not name their own.
   */
  private detailsOf(fields: readonly string[], trace: TraceEvent): RowDetail[] {
    const details: RowDetail[] = [];
    if (this.extra.length === 0) return details;
    // No recipient: a detail that names none is the row's recipients' (see `perRecipient`).
    const identity = {
      sender: trace.sender,
      messageId: trace.messageId,
      messageTraceId: trace.messageTraceId,
    };
    for (const { position, name } of this.extra) {
      const nested = traceDetailText(fields[position] ?? '');
      if (nested === undefined) continue;
      const value = (key: string) => nested[key]?.trim() || undefined;
      const event = traceExportEvent(
        {
          event: value('event'),
          detail: value('detail'),
          data: value('data'),
          fromIp: value('fromip'),
          sender: value('senderaddress') ?? identity.sender,
          recipient: value('recipientaddress'),
          messageId: value('messageid') ?? identity.messageId,
          messageTraceId: value('messagetraceid') ?? identity.messageTraceId,
        },
        trace.timestamp,
        trace.line,
      );
      const date = value('date');
      details.push(date === undefined ? { event } : { event, date: { text: date, column: name } });
    }
    const reason = detailStatus(this.reasonText(fields, 'detail'), this.reasonText(fields, 'responses'));
    if (reason !== undefined) {
      // The report's one row per recipient: the event its details named, else the trace's status.
      const eventId = this.reasonText(fields, 'event') ?? trace.eventId;
      const event = traceExportEvent(
        { ...identity, event: eventId, detail: reason },
        trace.timestamp,
        trace.line,
      );
      details.push({ event });
    }
    return details;
  }

  /**
   * A report column's text; `undefined` when empty, a list PowerShell did not join
   * (`System.Object[]`: several details) or an object's `@{…}` text (read as a detail, if one).
   */
  private reasonText(fields: readonly string[], key: ReasonField): string | undefined {
    const value = cell(fields, this.reason, key);
    if (value === undefined || UNJOINED_LIST_LITERALS.has(value) || value.startsWith('@{')) return undefined;
    return value;
  }
}

/**
 * True for a status that holds an SMTP reply rather than a status word (`Delivered`, `Failed`, …, in
 * any language): an enhanced status code or relay-refusal text.
 */
function holdsReply(status: string): boolean {
  return holdsStatusCode(status) || refusalMarkerIn(status) !== undefined;
}

/**
 * `event` once per recipient of its row (a script's `-join ';'` lists several in `RecipientAddress`),
 * its status split and paired with them as a tracking export's are (recipient-lists.ts): one status
 * is every recipient's, several are paired by position; a single recipient is set on `event` itself.
 * An event that names its own recipient stays as it is. `undefined` when the statuses do not pair.
 * `join` is the recipients' separator: statuses split where it (of its kind) separates them, else at
 * any separator that gives one per recipient (`pairRowStatuses`).
 */
function perRecipient(
  event: TraceEvent,
  recipients: readonly string[],
  join: string | undefined,
): TraceEvent[] | undefined {
  if (event.recipient !== undefined || recipients.length === 0) return [event];
  if (recipients.length === 1) {
    event.recipient = normaliseAddress(recipients[0] as string);
    return [event];
  }
  let statuses: readonly string[] = [];
  if (event.recipientStatus !== undefined) {
    const paired = pairRowStatuses(recipients, event.recipientStatus, join);
    if (!paired.paired) return undefined;
    statuses = paired.statuses;
  }
  return recipients.map((recipient, index) => {
    const one: TraceEvent = { ...event, recipient: normaliseAddress(recipient) };
    const status = statuses[index];
    if (status !== undefined) one.recipientStatus = status;
    return one;
  });
}
