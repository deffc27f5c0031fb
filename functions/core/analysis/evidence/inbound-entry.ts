/**
 * One entry of the inbound Message-ID index: "message M arrived for internal recipient R, in
 * upload U, at time T". Pure (no AWS imports), so the analysis core can produce entries while it
 * reads a file, and the nightly job can consume them without re-reading that file.
 */
import { z } from 'zod';
import { detach } from '../../kernel/strings.js';
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import { domainOf, type TraceEvent } from '../model/events.js';
import { inboundRecipientOf } from './inbound-trace.js';

/** Longest Message-ID kept (RFC 5322 sets no limit; real ones are under 250 characters). */
export const MAX_MESSAGE_ID_LENGTH = 998;
/** Longest address (RFC 5321: 64 + 1 + 255). */
export const MAX_ADDRESS_LENGTH = 320;

export const InboundEntry = z.object({
  /** Message-ID as the log writes it (angle brackets are stripped when keyed). */
  messageId: z.string().trim().min(1).max(MAX_MESSAGE_ID_LENGTH),
  /** The internal recipient the message arrived for, lower-cased. */
  recipient: z.string().trim().toLowerCase().min(3).max(MAX_ADDRESS_LENGTH).includes('@'),
  /** When it arrived (UTC ISO 8601). */
  receivedAt: z.iso.datetime(),
  /** The upload (source record id) the evidence was read from. */
  sourceId: z.string().min(1).max(128),
  /** The upload's file name or S3 key, for the evidence text. */
  file: z.string().max(1024).optional(),
  /** The trace event that proved it, e.g. `RECEIVE`, `DELIVER`, `REDIRECT`. */
  eventId: z.string().max(32).optional(),
});
export type InboundEntry = z.infer<typeof InboundEntry>;

/**
 * The index entry a trace event contributes, if any: the recipient its inbound evidence names
 * (`inboundRecipientOf`, what the classifier's `inboundTraceOf` names), when the accepted domains
 * say it is internal (`covers() === true`): the nightly job has no domain list to double-check
 * with, so an entry must already be evidence on its own.
 */
export function inboundEntryOf(
  event: TraceEvent,
  origin: { sourceId: string; file?: string },
  domains: DomainOracle,
): InboundEntry | undefined {
  if (event.messageId === undefined || event.messageId.trim() === '') return undefined;
  const recipient = inboundRecipientOf(event);
  if (recipient === undefined || domains.covers(domainOf(recipient)) !== true) return undefined;
  // Only mail from outside can be forwarded into a refusal the index is looked up for (a refusal
  // whose sender is not the organisation's, and the message keeps its sender): a receipt of the
  // organisation's own mail is never asked for. Most receipts are internal mail; each is a write.
  const sender = event.returnPath ?? event.sender;
  if (sender !== undefined && domains.covers(domainOf(sender)) === true) return undefined;
  // Hot path (one call per receipt row): plain checks here; the index validates with the schema
  // when it writes. An over-long id or address is not worth failing a file for: it is not indexed.
  if (event.messageId.length > MAX_MESSAGE_ID_LENGTH || recipient.length > MAX_ADDRESS_LENGTH)
    return undefined;
  const entry: InboundEntry = {
    messageId: detach(event.messageId),
    recipient: detach(recipient),
    receivedAt: event.timestamp,
    sourceId: origin.sourceId,
    eventId: event.eventId,
  };
  if (origin.file !== undefined) entry.file = origin.file.slice(0, 1024);
  return entry;
}
