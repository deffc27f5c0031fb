/**
 * Format 5a: historical search Enhanced summary report. `recipient_status` packs every recipient
 * with its event chain: `addr##Receive, Send;addr2##Receive, Fail`. No SMTP text, so it supplies
 * context (internal recipients, senders), never findings on its own.
 */
import { normaliseAddress, normaliseMessageId, type TraceEvent } from '../events.js';
import { cell, mapColumns } from './columns.js';
import type { FormatAdapter, RowAdapter, RowContext, RowSink } from './format-adapter.js';
import { hasHeaderShape, timestampOrSkip } from './row-checks.js';
import { parseDirectionality } from './tracking-row.js';

const NAMES = {
  timestamp: 'origin_timestamp_utc',
  sender: 'sender_address',
  recipientStatus: 'recipient_status',
  subject: 'message_subject',
  messageId: 'message_id',
  networkMessageId: 'network_message_id',
  clientIp: 'original_client_ip',
  directionality: 'directionality',
  connectorId: 'connector_id',
} as const;

class SummaryRows implements RowAdapter {
  private readonly map;
  public constructor(
    private readonly headers: readonly string[],
    private readonly context: RowContext,
  ) {
    this.map = mapColumns(headers, NAMES);
  }

  public adapt(fields: string[], line: number, sink: RowSink): void {
    if (!hasHeaderShape(fields, this.headers.length, line, sink)) return;
    const map = this.map;
    const timestamp = timestampOrSkip(
      cell(fields, map, 'timestamp'),
      NAMES.timestamp,
      line,
      this.context,
      sink,
    );
    if (timestamp === undefined) return;
    const base: TraceEvent = { timestamp, eventId: 'SUMMARY', line };
    const sender = cell(fields, map, 'sender');
    const messageId = cell(fields, map, 'messageId');
    const networkMessageId = cell(fields, map, 'networkMessageId');
    const subject = cell(fields, map, 'subject');
    const clientIp = cell(fields, map, 'clientIp');
    const connectorId = cell(fields, map, 'connectorId');
    const directionality = parseDirectionality(cell(fields, map, 'directionality'));
    if (sender !== undefined) base.sender = normaliseAddress(sender);
    if (messageId !== undefined) base.messageId = normaliseMessageId(messageId);
    if (networkMessageId !== undefined) base.networkMessageId = networkMessageId;
    if (subject !== undefined) base.subject = subject;
    if (clientIp !== undefined) base.clientIp = clientIp;
    if (connectorId !== undefined) base.connectorId = connectorId;
    if (directionality !== undefined) base.directionality = directionality;

    const packed = cell(fields, map, 'recipientStatus');
    if (packed === undefined) {
      sink.event(base);
      return;
    }
    for (const entry of packed.split(';')) {
      const [address, chain] = entry.split('##');
      if (!address?.trim()) continue;
      // The last event of the chain is where the message ended for this recipient (DELIVER, FAIL, SEND…).
      const events = (chain ?? '').split(',').map((name) => name.trim().toUpperCase());
      const last = events.filter((name) => name.length > 0).at(-1) ?? 'SUMMARY';
      sink.event({ ...base, eventId: last, recipient: normaliseAddress(address) });
    }
  }
}

export const historicalSearchSummary: FormatAdapter = {
  id: 'historical-search-summary',
  label: 'Historical search Enhanced summary report',
  requiredHeaders: ['origin_timestamp_utc', 'sender_address', 'recipient_status', 'message_id'],
  createRowAdapter: (headers, context) => new SummaryRows(headers, context),
};
