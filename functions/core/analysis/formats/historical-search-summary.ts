/**
 * Format 5a: historical search Enhanced summary report. `recipient_status` packs every recipient
 * with its event chain: `addr##Receive, Send;addr2##Receive, Fail`. No SMTP text, so it supplies
 * context (internal recipients, senders), never findings on its own; its failures are counted as
 * failures without a reason (trace-failures.ts) until a file of the run gives one. A row that could
 * not be read while a recipient's events hold a failure is never dropped unsaid (csv-row-adapter.ts).
 */
import { normaliseAddress, type TraceEvent } from '../model/events.js';
import { isTraceFailure } from '../trace-failures.js';
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

  /**
   * A row not read shows a failure by a recipient whose events hold one, the column found where the
   * header puts it or shifted, a chain split at its comma joined again: that recipient's entry.
   */
  protected override failureShownBy(fields: readonly string[]): string | undefined {
    return this.textsOfUnread(fields, 'recipientStatus')
      .flatMap((packed) => packed.split(';'))
      .find((entry) => isTraceFailure(outcomeOf(entry.split('##')[1] ?? '')))
      ?.trim();
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
      sink.event({ ...base, eventId: outcomeOf(chain ?? ''), recipient: normaliseAddress(address) });
    }
  }
}

/** Events that take a recipient's mail on: out of the service (`Send`) or into its mailbox (`Deliver`). */
const DELIVERED: ReadonlySet<string> = new Set(['SEND', 'DELIVER']);

/**
 * One recipient's chain (`Receive, Fail`) as the event id of its row. Microsoft documents the chain
 * only by examples, not the order of its events, so a failure counts wherever it stands: a `Fail`,
 * or a `Defer` in a chain without `Send` or `Deliver` (a `451 4.4.62` ATTR35 deferral is a relay
 * refusal; a deferral retried and delivered is SMTP's normal course). Both are `FAIL`, a failure the
 * summary gives no reason for. Any other chain is its last event, as the examples end (`SEND`,
 * `DELIVER`, `EXPAND`…).
 */
function outcomeOf(chain: string): string {
  const events = chain
    .split(',')
    .map((name) => name.trim().toUpperCase())
    .filter((name) => name.length > 0);
  if (events.includes('FAIL')) return 'FAIL';
  if (events.includes('DEFER') && !events.some((name) => DELIVERED.has(name))) return 'FAIL';
  return events.at(-1) ?? 'SUMMARY';
}

export const historicalSearchSummary: FormatAdapter = {
  id: 'historical-search-summary',
  requiredHeaders: ['origin_timestamp_utc', 'sender_address', 'recipient_status', 'message_id'],
  createRowAdapter: (headers, context) => new SummaryRows(headers, context),
};
