/**
 * Which rows can matter to the classifier — decided before an event is built, so most
 * SEND/AGENTINFO/… rows cost no allocation. Kept apart from the classifier so the row parser can
 * ask without loading the rules and the remediation pack.
 */
import type { TraceEvent } from '../model/events.js';
import { mayBeFailureReason } from '../trace-failures.js';
import { mayBeEvidence } from './inbound-trace.js';
import { mayBeRelayRejection } from './rejections.js';

/**
 * True for a refusal, for inbound evidence (`mayBeEvidence`, the same test the classifier's
 * index and the inbound Message-ID index rely on), or for a failure with its text, which may be the
 * reason of a trace's failed row (`mayBeFailureReason`). `inferring` is true when the accepted domains
 * are inferred from the logs, which also reads delivery and submission rows, and sends on of mail
 * from outside.
 */
export function rowMayMatter(
  eventId: string,
  source: string | undefined,
  status: string | undefined,
  directionality: TraceEvent['directionality'],
  inferring: boolean,
): boolean {
  if (status !== undefined && mayBeRelayRejection(status)) return true;
  if (mayBeFailureReason(eventId, status)) return true;
  // Inferring, mailbox deliveries and submissions (`RECEIVE` by STOREDRIVER since Exchange 2013)
  // are evidence of the organisation's domains even when Originating.
  if (inferring && (eventId === 'DELIVER' || source === 'STOREDRIVER')) return true;
  // And a message from outside sent on over SMTP: sent to the internet, its receipt was no arrival
  // (classifier/evidence-index.ts `sentOut`; the address is looked at once the event is built).
  if (inferring && eventId === 'SEND' && source === 'SMTP' && directionality === 'incoming') return true;
  return mayBeEvidence(eventId, source, directionality);
}
