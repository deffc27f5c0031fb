/**
 * Format 3: Exchange Online message trace (`Get-MessageTrace[V2]`, EAC export). It has no error
 * text: a `Failed` row is only a candidate. Its value is context — which messages reached internal
 * recipients (forwarding evidence) and who sent a trace id (for detail rows without addresses).
 */
import type { FormatAdapter } from './format-adapter.js';
import { type TraceExportNames, TraceExportRows } from './trace-export-rows.js';

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

export const messageTrace: FormatAdapter = {
  id: 'message-trace',
  requiredHeaders: ['received', 'senderaddress', 'recipientaddress', 'status', 'messageid'],
  createRowAdapter: (headers, context) => new TraceExportRows(headers, NAMES, context),
};
