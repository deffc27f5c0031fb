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
 */

import { normaliseHeader } from '../../text/csv-records.js';
import { refusalMarkerIn, relayRejectionIn } from '../evidence/rejections.js';
import type { TraceEvent } from '../model/events.js';
import { type ColumnMap, cell, mapColumns } from './columns.js';
import type { FormatAdapter, RowContext, RowSink } from './format-adapter.js';
import { traceDetailText } from './powershell-object-text.js';
import { UNJOINED_LIST_LITERALS } from './recipient-lists.js';
import { timestampOrSkip } from './row-checks.js';
import { detailStatus } from './trace-detail-data.js';
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

  protected override convert(
    fields: readonly string[],
    timestamp: string,
    line: number,
    sink: RowSink,
  ): void {
    const trace = this.eventOf(fields, timestamp, line);
    if (this.extra.length === 0) {
      sink.event(trace);
      return;
    }
    const details = this.detailsOf(fields, trace);
    if (!details.some(({ event }) => relayRejectionIn(event.recipientStatus) !== undefined)) {
      const unread = this.extra.find(({ position }) => refusalMarkerIn(fields[position] ?? '') !== undefined);
      if (unread !== undefined) {
        // The sink adds the refusal text the row holds, and the file fails naming this line.
        sink.skip(
          line,
          'REFUSAL_NOT_READ',
          `the reason in column "${unread.name}" is not in a form relay-audit reads (the message's Get-MessageTraceDetailV2 export is)`,
          unread.name,
        );
        return;
      }
    }
    sink.event(trace);
    for (const { event, date } of details) {
      // Parsed only now, after the trace's event is handed on: a date of unknown day/month order is
      // tracked by the event made from the value parsed last.
      if (date !== undefined) {
        const dated = timestampOrSkip(date.text, date.column, line, this.rowContext, sink);
        if (dated === undefined) continue;
        event.timestamp = dated;
      }
      sink.event(event);
    }
  }

  /**
   * The row's details: each cell of a detail's `@{…}` text, then the report's `Detail` and
   * `SmtpResponses`, with the trace row's identity where they do not name their own.
   */
  private detailsOf(fields: readonly string[], trace: TraceEvent): RowDetail[] {
    const details: RowDetail[] = [];
    const identity = {
      sender: trace.sender,
      recipient: trace.recipient,
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
          recipient: value('recipientaddress') ?? identity.recipient,
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
