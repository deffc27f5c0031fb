/**
 * Format 1: raw Exchange Server message tracking logs (`MSGTRK*.LOG`, Exchange 2007–2019).
 * The header is the `#Fields:` directive; 2013 lacks the last three fields, 2010 also lacks
 * network-message-id — names, not positions, keep all of them working.
 *
 * Rows without their header (log shippers and SIEM exports drop the `#` lines) are recognised by
 * an ISO UTC timestamp in the first field and a field count that names one Exchange version's
 * field list; they are read with that list, and the source record says the field set was inferred.
 */

import { normaliseHeader } from '../../text/csv-records.js';
import type { SourceNote } from '../model/source-record.js';
import type { FormatAdapter, HeaderlessRows, RowAdapter, RowContext, RowSink } from './format-adapter.js';
import { type TrackingColumnNames, TrackingRowAdapter } from './tracking-row.js';

const NAMES: TrackingColumnNames = {
  timestamp: 'date-time',
  sourceContext: 'source-context',
  clientIp: 'client-ip',
  clientHostname: 'client-hostname',
  serverIp: 'server-ip',
  serverHostname: 'server-hostname',
  connectorId: 'connector-id',
  source: 'source',
  eventId: 'event-id',
  internalMessageId: 'internal-message-id',
  messageId: 'message-id',
  networkMessageId: 'network-message-id',
  recipients: 'recipient-address',
  recipientStatus: 'recipient-status',
  relatedRecipient: 'related-recipient-address',
  subject: 'message-subject',
  sender: 'sender-address',
  returnPath: 'return-path',
  directionality: 'directionality',
};

/** The `#Fields:` list Exchange 2016 and 2019 write (30 fields; docs/domain.md §3). */
export const FIELDS_2016 = [
  'date-time',
  'client-ip',
  'client-hostname',
  'server-ip',
  'server-hostname',
  'source-context',
  'connector-id',
  'source',
  'event-id',
  'internal-message-id',
  'message-id',
  'network-message-id',
  'recipient-address',
  'recipient-status',
  'total-bytes',
  'recipient-count',
  'related-recipient-address',
  'reference',
  'message-subject',
  'sender-address',
  'return-path',
  'message-info',
  'directionality',
  'tenant-id',
  'original-client-ip',
  'original-server-ip',
  'custom-data',
  'transport-traffic-type',
  'log-id',
  'schema-version',
] as const;
/** Exchange 2013: without transport-traffic-type, log-id and schema-version (27 fields). */
const FIELDS_2013 = FIELDS_2016.slice(0, 27);
/** Exchange 2010: also without network-message-id (26 fields). */
const FIELDS_2010 = FIELDS_2013.filter((name) => name !== 'network-message-id');
/**
 * Exchange 2007: the 2010 list up to message-info (21 fields), without directionality, tenant-id,
 * original-client-ip, original-server-ip and custom-data — the `#Fields:` line quoted by Microsoft's
 * ProcessTrackingLog.vbs for Exchange 2007 (2008), fields as in TechNet's "Description of Message
 * Tracking Log Fields" (cc539064).
 */
const FIELDS_2007 = FIELDS_2010.slice(0, 21);

/** The field lists of the Exchange versions, newest first. Their sizes (30, 27, 26, 21) all differ. */
export const TRACKING_FIELD_SETS: readonly { version: string; fields: readonly string[] }[] = [
  { version: 'Exchange 2016/2019', fields: FIELDS_2016 },
  { version: 'Exchange 2013', fields: FIELDS_2013 },
  { version: 'Exchange 2010', fields: FIELDS_2010 },
  { version: 'Exchange 2007', fields: FIELDS_2007 },
];

const FIELD_SET_BY_COUNT = new Map(TRACKING_FIELD_SETS.map((set) => [set.fields.length, set]));

const countList = TRACKING_FIELD_SETS.map((set) => `${set.fields.length} (${set.version})`);
/** `30 (Exchange 2016/2019), 27 (Exchange 2013), 26 (Exchange 2010) or 21 (Exchange 2007)`. */
export const TRACKING_FIELD_COUNTS = `${countList.slice(0, -1).join(', ')} or ${countList.at(-1)}`;

/** The Exchange version whose field list `headers` is exactly, or `undefined`. */
export function trackingVersionOf(headers: readonly string[]): string | undefined {
  const set = FIELD_SET_BY_COUNT.get(headers.length);
  if (!set) return undefined;
  return set.fields.every((name, index) => normaliseHeader(headers[index] ?? '') === name)
    ? set.version
    : undefined;
}

/** `2026-11-27T10:15:03.123Z`: how Exchange writes `date-time` (UTC, up to 7 fraction digits). */
const TRACKING_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z$/;

/** True when a row starts like a tracking-log row: an ISO UTC timestamp in the first field. */
export function startsWithTrackingTimestamp(row: readonly string[]): boolean {
  return TRACKING_TIMESTAMP.test((row[0] ?? '').trim());
}

/** Header-less rows: each read with the field list its field count names. */
class HeaderlessTrackingRows implements RowAdapter {
  private readonly bySize = new Map<
    number,
    { adapter: TrackingRowAdapter; version: string; first: number; rows: number }
  >();

  public constructor(private readonly context: RowContext) {}

  public adapt(fields: string[], line: number, sink: RowSink): void {
    let entry = this.bySize.get(fields.length);
    if (entry === undefined) {
      const set = FIELD_SET_BY_COUNT.get(fields.length);
      if (set === undefined) {
        sink.skip(
          line,
          'COLUMN_COUNT',
          `found ${fields.length} fields; a message tracking row without its #Fields: header has ${TRACKING_FIELD_COUNTS}`,
        );
        return;
      }
      entry = {
        adapter: new TrackingRowAdapter(set.fields, NAMES, this.context),
        version: set.version,
        first: line,
        rows: 0,
      };
      this.bySize.set(fields.length, entry);
    }
    entry.rows++;
    entry.adapter.adapt(fields, line, sink);
  }

  public notes(): SourceNote[] {
    return [...this.bySize]
      .sort(([, a], [, b]) => a.first - b.first)
      .map(([count, entry]) => ({
        code: 'FIELD_SET_INFERRED',
        message:
          `no #Fields: header: ${entry.rows} ${entry.rows === 1 ? 'row' : 'rows'} of ${count} fields (first on line ${entry.first}) ` +
          `read with the ${entry.version} field list, inferred from the field count`,
      }));
  }
}

const headerless: HeaderlessRows = {
  fieldsOf: (row) =>
    startsWithTrackingTimestamp(row) ? FIELD_SET_BY_COUNT.get(row.length)?.fields : undefined,
  createRowAdapter: (context) => new HeaderlessTrackingRows(context),
};

export const exchangeTrackingLog: FormatAdapter = {
  id: 'exchange-tracking-log',
  requiredHeaders: [
    'date-time',
    'event-id',
    'message-id',
    'recipient-address',
    'recipient-status',
    'sender-address',
  ],
  fieldsDirective: true,
  headerless,
  createRowAdapter: (headers, context) => new TrackingRowAdapter(headers, NAMES, context),
};
