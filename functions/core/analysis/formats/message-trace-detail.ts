/**
 * Format 4: message trace detail (`Get-MessageTraceDetail[V2]`). `Detail` carries the SMTP text,
 * e.g. `Reason: [{LED=550 5.7.64 …};{MSG=};…]`, or `Data` does when `Detail` has no status code;
 * the `Receive` row's `Data` names the envelope sender (trace-detail-data.ts). Addresses are often
 * absent: the classifier then takes them from a message trace row with the same trace id or
 * Message-ID, and the envelope sender from another detail row of the same trace id.
 */
import type { TraceEvent } from '../model/events.js';
import type { FormatAdapter } from './format-adapter.js';
import { type TraceExportNames, TraceExportRows } from './trace-export-rows.js';

const NAMES: TraceExportNames = {
  timestamp: 'Date',
  event: 'Event',
  detail: 'Detail',
  data: 'Data',
  sender: 'SenderAddress',
  recipient: 'RecipientAddress',
  fromIp: 'FromIP',
  messageId: 'MessageId',
  messageTraceId: 'MessageTraceId',
};

const LRT = '{LRT=';
/** The longest `{LRT=…}` value read: a date and time in any culture is well under this. */
const MAX_LRT_CHARS = 64;

/** The `{LRT=…}` of a status text (`…;{IP=52.101.1.1};{LRT=28.11.2026 22:15:03}]`), when not empty. */
function lastRetryTimeIn(status: string | undefined): string | undefined {
  const at = status?.indexOf(LRT) ?? -1;
  if (status === undefined || at < 0) return undefined;
  const from = at + LRT.length;
  const end = status.indexOf('}', from);
  const value = end < 0 || end - from > MAX_LRT_CHARS ? '' : status.slice(from, end).trim();
  return value === '' ? undefined : value;
}

class MessageTraceDetailRows extends TraceExportRows {
  protected override eventOf(fields: readonly string[], timestamp: string, line: number): TraceEvent {
    const event = super.eventOf(fields, timestamp, line);
    // Only then: a row read with seconds keeps the finding id it always had (see `recipientOrStandIn`).
    // The row's Date was parsed just before (row-checks): a time without seconds was saved again by Excel.
    if (!this.context.timestamps.hadSeconds) {
      const lastRetryTime = lastRetryTimeIn(event.recipientStatus);
      if (lastRetryTime !== undefined) event.lastRetryTime = lastRetryTime;
    }
    return event;
  }
}

export const messageTraceDetail: FormatAdapter = {
  id: 'message-trace-detail',
  requiredHeaders: ['date', 'messageid', 'messagetraceid', 'event', 'detail'],
  createRowAdapter: (headers, context) => new MessageTraceDetailRows(headers, NAMES, context),
};
