/**
 * Format 4: message trace detail (`Get-MessageTraceDetail[V2]`). `Detail` carries the SMTP text,
 * e.g. `Reason: [{LED=550 5.7.64 …};{MSG=};…]`. Addresses are often absent: the classifier then
 * takes them from a message trace row with the same trace id or Message-ID.
 */
import type { FormatAdapter } from './format-adapter.js';
import { type TraceExportNames, TraceExportRows } from './trace-export-rows.js';

const NAMES: TraceExportNames = {
  timestamp: 'Date',
  event: 'Event',
  detail: 'Detail',
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
