/**
 * Format 4: message trace detail (`Get-MessageTraceDetail[V2]`). `Detail` carries the SMTP text,
 * e.g. `Reason: [{LED=550 5.7.64 …};{MSG=};…]`, or `Data` does when `Detail` has no status code;
 * the `Receive` row's `Data` names the envelope sender (trace-detail-data.ts). Addresses are often
 * absent: the classifier then takes them from a message trace row with the same trace id or
 * Message-ID, and the envelope sender from another detail row of the same trace id.
 */
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

export const messageTraceDetail: FormatAdapter = {
  id: 'message-trace-detail',
  requiredHeaders: ['date', 'messageid', 'messagetraceid', 'event', 'detail'],
  createRowAdapter: (headers, context) => new TraceExportRows(headers, NAMES, context),
};
