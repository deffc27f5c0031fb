/**
 * Rows that carry message-tracking fields — the raw `MSGTRK*.LOG` files, `Get-MessageTrackingLog |
 * Export-Csv` and the historical-search Extended report — share one conversion; the formats differ
 * only in how they spell the column names.
 */
import { StreamingClassifier } from '../classifier.js';
import { normaliseAddress, normaliseMessageId, type TraceEvent } from '../events.js';
import { type ColumnMap, cell, mapColumns } from './columns.js';
import { type RowAdapter, type RowContext, type RowSink, SYSTEM_STRING_ARRAY } from './format-adapter.js';
import { pairStatuses, splitRecipients, splitStatuses } from './recipient-lists.js';
import { hasHeaderShape, timestampOrSkip } from './row-checks.js';

/** Canonical names of the tracking fields the classifier uses. */
export type TrackingField =
  | 'timestamp'
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

/** Columns whose cells must never hold `System.String[]` (they are lists PowerShell failed to join). */
const LIST_FIELDS: readonly TrackingField[] = ['recipients', 'recipientStatus', 'relatedRecipient'];

/** `Incoming`/`Originating`, or the numeric codes of historical search (1/2, inferred). */
export function parseDirectionality(value: string | undefined): TraceEvent['directionality'] {
  if (!value) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'incoming' || lower === '1') return 'incoming';
  if (lower === 'originating' || lower === '2') return 'originating';
  return undefined;
}

export class TrackingRowAdapter implements RowAdapter {
  private readonly map: ColumnMap<TrackingField>;
  private readonly names: TrackingColumnNames;
  private readonly headerCount: number;
  private readonly context: RowContext;

  public constructor(headers: readonly string[], names: TrackingColumnNames, context: RowContext) {
    this.map = mapColumns(headers, names);
    this.names = names;
    this.headerCount = headers.length;
    this.context = context;
  }

  public adapt(fields: string[], line: number, sink: RowSink): void {
    if (!hasHeaderShape(fields, this.headerCount, line, sink)) return;
    const map = this.map;
    for (const field of LIST_FIELDS) {
      if (cell(fields, map, field) === SYSTEM_STRING_ARRAY) {
        sink.skip(
          line,
          'SYSTEM_STRING_ARRAY',
          `the cell holds the literal "System.String[]": the export was made without joining the list; ` +
            `re-export with @{n='${this.names[field]}';e={$_.${this.names[field]} -join ';'}}`,
          this.names[field],
        );
        return;
      }
    }
    const timestamp = timestampOrSkip(
      cell(fields, map, 'timestamp'),
      this.names.timestamp,
      line,
      this.context,
      sink,
    );
    if (timestamp === undefined) return;
    const eventId = cell(fields, map, 'eventId')?.toUpperCase();
    if (eventId === undefined) {
      sink.skip(line, 'MISSING_FIELD', 'the event id is empty', this.names.eventId);
      return;
    }

    // Rows that can neither be a refusal nor correlation evidence are counted, not converted.
    const source = cell(fields, map, 'source')?.toUpperCase();
    const statusList = cell(fields, map, 'recipientStatus');
    if (!StreamingClassifier.isRelevant(eventId, source, statusList)) return;

    const rawReturnPath = cell(fields, map, 'returnPath');
    const rawSender = cell(fields, map, 'sender');
    const messageId = cell(fields, map, 'messageId');
    const related = cell(fields, map, 'relatedRecipient');
    // Base event: everything but the per-recipient fields. Optional keys are only set when present.
    const base: TraceEvent = { timestamp, eventId, line };
    if (source !== undefined) base.source = source;
    if (messageId !== undefined) base.messageId = normaliseMessageId(messageId);
    assign(base, 'internalMessageId', cell(fields, map, 'internalMessageId'));
    assign(base, 'networkMessageId', cell(fields, map, 'networkMessageId'));
    if (rawSender !== undefined) base.sender = normaliseAddress(rawSender);
    if (map.returnPath !== undefined)
      base.returnPath = rawReturnPath === undefined ? '' : normaliseAddress(rawReturnPath);
    if (related !== undefined) base.relatedRecipient = normaliseAddress(related);
    assign(base, 'subject', cell(fields, map, 'subject'));
    assign(base, 'clientIp', cell(fields, map, 'clientIp'));
    assign(base, 'clientHostname', cell(fields, map, 'clientHostname'));
    assign(base, 'serverIp', cell(fields, map, 'serverIp'));
    assign(base, 'serverHostname', cell(fields, map, 'serverHostname'));
    assign(base, 'connectorId', cell(fields, map, 'connectorId'));
    const directionality = parseDirectionality(cell(fields, map, 'directionality'));
    if (directionality !== undefined) base.directionality = directionality;

    const recipientList = cell(fields, map, 'recipients');
    if (recipientList === undefined) {
      sink.event(base);
      return;
    }
    const recipients = splitRecipients(recipientList);
    const statuses =
      statusList === undefined ? undefined : pairStatuses(recipients, splitStatuses(statusList));
    for (let index = 0; index < recipients.length; index++) {
      const event: TraceEvent = { ...base, recipient: normaliseAddress(recipients[index] as string) };
      const status = statuses?.[index];
      if (status !== undefined && status.length > 0) event.recipientStatus = status;
      sink.event(event);
    }
  }
}

function assign<K extends keyof TraceEvent>(
  event: TraceEvent,
  key: K,
  value: TraceEvent[K] | undefined,
): void {
  if (value !== undefined) event[key] = value;
}
