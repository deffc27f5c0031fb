/**
 * Format 2: `Get-MessageTrackingLog | Export-Csv` — PowerShell property names, any culture
 * (delimiter and date format come from the exporting PC).
 */
import type { FormatAdapter } from './format-adapter.js';
import { type TrackingColumnNames, TrackingRowAdapter } from './tracking-row.js';

const NAMES: TrackingColumnNames = {
  timestamp: 'Timestamp',
  sourceContext: 'SourceContext',
  clientIp: 'ClientIp',
  clientHostname: 'ClientHostname',
  serverIp: 'ServerIp',
  serverHostname: 'ServerHostname',
  connectorId: 'ConnectorId',
  source: 'Source',
  eventId: 'EventId',
  internalMessageId: 'InternalMessageId',
  messageId: 'MessageId',
  networkMessageId: 'NetworkMessageId',
  recipients: 'Recipients',
  recipientStatus: 'RecipientStatus',
  relatedRecipient: 'RelatedRecipientAddress',
  subject: 'MessageSubject',
  sender: 'Sender',
  returnPath: 'ReturnPath',
  directionality: 'Directionality',
};

export const trackingLogExport: FormatAdapter = {
  id: 'tracking-log-export',
  requiredHeaders: ['timestamp', 'eventid', 'messageid', 'recipients', 'recipientstatus', 'sender'],
  createRowAdapter: (headers, context) => new TrackingRowAdapter(headers, NAMES, context),
};
