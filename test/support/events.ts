/** Builders for canonical events in tests. */
import type { EventOrigin } from '../../functions/core/analysis/classifier.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';

let line = 0;

export function event(fields: Partial<TraceEvent> & Pick<TraceEvent, 'eventId'>): TraceEvent {
  line++;
  return { timestamp: '2026-11-28T10:00:00.000Z', line, ...fields };
}

export const ATTR36 =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
export const NO_ATTR =
  '550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
export const ATTR35 =
  '451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';

export function origin(file = 'a.LOG'): EventOrigin {
  return { file, format: 'exchange-tracking-log', sourceId: `src-${file}` };
}

/** A FAIL row for one recipient. */
export function fail(
  messageId: string,
  recipient: string,
  returnPath: string,
  status = ATTR36,
  extra: Partial<TraceEvent> = {},
): TraceEvent {
  return event({
    eventId: 'FAIL',
    source: 'SMTP',
    messageId,
    recipient,
    returnPath,
    sender: returnPath || 'postmaster@contoso.com',
    recipientStatus: status,
    ...extra,
  });
}
