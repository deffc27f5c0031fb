/**
 * Format 5b: historical search Extended report — tracking-log fields in snake_case with
 * `date_time_utc`. Commonly UTF-16LE, with or without BOM (handled by decode).
 */
import type { FormatAdapter } from './format-adapter.js';
import { type TrackingColumnNames, TrackingRowAdapter } from './tracking-row.js';

const NAMES: TrackingColumnNames = {
  timestamp: 'date_time_utc',
  sourceContext: 'source_context',
  clientIp: 'client_ip',
  clientHostname: 'client_hostname',
  serverIp: 'server_ip',
  serverHostname: 'server_hostname',
  connectorId: 'connector_id',
  source: 'source',
  eventId: 'event_id',
  internalMessageId: 'internal_message_id',
  messageId: 'message_id',
  networkMessageId: 'network_message_id',
  recipients: 'recipient_address',
  recipientStatus: 'recipient_status',
  relatedRecipient: 'related_recipient_address',
  subject: 'message_subject',
  sender: 'sender_address',
  returnPath: 'return_path',
  directionality: 'directionality',
};

export const historicalSearchExtended: FormatAdapter = {
  id: 'historical-search-extended',
  requiredHeaders: ['date_time_utc', 'event_id', 'message_id', 'recipient_address', 'recipient_status'],
  createRowAdapter: (headers, context) => new TrackingRowAdapter(headers, NAMES, context),
};
