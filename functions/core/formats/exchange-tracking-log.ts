/**
 * Format 1: raw Exchange Server message tracking logs (`MSGTRK*.LOG`, Exchange 2010–2019).
 * The header is the `#Fields:` directive; 2013 lacks the last three fields, 2010 also lacks
 * network-message-id — names, not positions, keep all of them working.
 */
import type { FormatAdapter } from './format-adapter.js';
import { type TrackingColumnNames, TrackingRowAdapter } from './tracking-row.js';

const NAMES: TrackingColumnNames = {
  timestamp: 'date-time',
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

export const exchangeTrackingLog: FormatAdapter = {
  id: 'exchange-tracking-log',
  label: 'Exchange Server message tracking log (MSGTRK*.LOG)',
  requiredHeaders: [
    'date-time',
    'event-id',
    'message-id',
    'recipient-address',
    'recipient-status',
    'sender-address',
  ],
  fieldsDirective: true,
  createRowAdapter: (headers, context) => new TrackingRowAdapter(headers, NAMES, context),
};
