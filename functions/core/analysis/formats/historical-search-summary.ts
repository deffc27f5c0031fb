/**
 * Format 5a: historical search Enhanced summary report. `recipient_status` packs every recipient
 * with its event chain: `addr##Receive, Send;addr2##Receive, Fail`. No SMTP text, so it supplies
 * context (internal recipients, senders), never findings on its own.
 */
import { normaliseAddress, type TraceEvent } from '../model/events.js';
import { CsvRowAdapter, setTraceFields } from './csv-row-adapter.js';
import type { FormatAdapter, RowContext, RowSink } from './format-adapter.js';
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

class SummaryRows extends CsvRowAdapter<keyof typeof NAMES> {
  public constructor(headers: readonly string[], context: RowContext) {
    super(headers, NAMES, 'timestamp', context);
  }

  protected convert(fields: readonly string[], timestamp: string, line: number, sink: RowSink): void {
    const base: TraceEvent = { timestamp, eventId: 'SUMMARY', line };
    setTraceFields(base, {
      sender: this.value(fields, 'sender'),
      messageId: this.value(fields, 'messageId'),
    });
    const networkMessageId = this.value(fields, 'networkMessageId');
    const subject = this.value(fields, 'subject');
    const clientIp = this.value(fields, 'clientIp');
    const connectorId = this.value(fields, 'connectorId');
    const directionality = parseDirectionality(this.value(fields, 'directionality'));
    if (networkMessageId !== undefined) base.networkMessageId = networkMessageId;
    if (subject !== undefined) base.subject = subject;
    if (clientIp !== undefined) base.clientIp = clientIp;
    if (connectorId !== undefined) base.connectorId = connectorId;
    if (directionality !== undefined) base.directionality = directionality;

    const packed = this.value(fields, 'recipientStatus');
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
  requiredHeaders: ['origin_timestamp_utc', 'sender_address', 'recipient_status', 'message_id'],
  createRowAdapter: (headers, context) => new SummaryRows(headers, context),
};
