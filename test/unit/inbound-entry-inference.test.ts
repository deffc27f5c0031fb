/**
 * The inbound index's entries, written while an upload's accepted domains are still being inferred,
 * say what one run over every file says (test/integration/inferred-domains-across-runs.test.ts
 * drives it end to end):
 * - an entry whose receipt named its recipient says the sender addressed it, whatever the domains
 *   took the recipient for (an application's receipts for litware.com addresses make inference take
 *   litware.com for the organisation's half-way through a file);
 * - an arrival read before the inference knew its recipient's domain is written once it does, and
 *   not at all for a domain it never takes for the organisation's.
 */
import { describe, expect, it } from 'vitest';
import { correlatingEntries } from '../../functions/core/analysis/evidence/correlation.js';
import {
  addressedOnly,
  InboundEntries,
  type InboundEntry,
  tracesOfEntries,
} from '../../functions/core/analysis/evidence/inbound-entry.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import { event } from '../support/events.js';
import { makeFinding } from '../support/make-finding.js';

const APP_MESSAGE = 'APP.20261128.110500.0002@app01.contoso.local';
const FORWARDED = 'CAJx9pQ4vR2sT6uW8yZ0aB3c@mail.fabrikam.com';
const UPLOAD = { sourceId: 'upload-1', file: 'MSGTRK2026112810-1.LOG' };

function entry(recipient: string, eventId: string, fields: Partial<InboundEntry> = {}): InboundEntry {
  return {
    messageId: APP_MESSAGE,
    recipient,
    receivedAt: '2026-11-28T10:59:57.131Z',
    sourceId: UPLOAD.sourceId,
    eventId,
    ...fields,
  };
}

/** The application's refusal of ar@litware.com, read alone in another upload. */
const refusal = makeFinding({
  scenario: 'foreign-sender-domain',
  messageId: APP_MESSAGE,
  recipient: 'ar@litware.com',
  sender: 'noreply@vendorapp.com',
  returnPath: 'noreply@vendorapp.com',
  senderDomain: 'vendorapp.com',
  timestamp: '2026-11-28T11:00:00.377Z',
  evidence: [{ kind: 'attr36', detail: 'ATTR36' }],
  source: { sourceId: 'upload-2' },
});

describe('an entry whose receipt named its recipient', () => {
  // What an upload wrote once inference took litware.com for the organisation's: two arrivals.
  const entries = [
    entry('ar@litware.com', 'RECEIVE'),
    entry('finance@contoso.com', 'DELIVER', { receivedAt: '2026-11-28T10:59:57.702Z' }),
  ];

  it('says the sender addressed it, so its refusal is no forwarding from the other recipient', () => {
    expect(tracesOfEntries(entries)).toContainEqual(
      expect.objectContaining({ kind: 'received-for', recipient: 'ar@litware.com' }),
    );
    expect(correlatingEntries(refusal, entries)).toEqual([]);
  });

  it('still proves forwarding for a recipient no receipt named', () => {
    const forwarded = { ...refusal, recipient: 'ar@tailspintoys.com', recipientDomain: 'tailspintoys.com' };
    expect(correlatingEntries(forwarded, entries).map((found) => found.recipient)).toEqual([
      'ar@litware.com',
      'finance@contoso.com',
    ]);
  });

  it('keeps saying so as evidence only of whom the sender addressed', () => {
    expect(addressedOnly(entries[0] as InboundEntry)).toEqual({
      messageId: APP_MESSAGE,
      receivedAt: '2026-11-28T10:59:57.131Z',
      sourceId: UPLOAD.sourceId,
      eventId: 'RECEIVE',
      outside: ['ar@litware.com'],
    });
    // A delivery names no one the sender addressed (it may be a forward's).
    expect(addressedOnly(entries[1] as InboundEntry)).toBeUndefined();
  });
});

describe('entries of an upload whose domains are inferred while it is read', () => {
  /** Feeds `events` as the classifier learns from them first (evidence-index.ts), then to the entries. */
  function read(events: TraceEvent[]): InboundEntry[] {
    const inferred = new InferredDomains();
    const entries = new InboundEntries(inferred);
    for (const read of events) {
      const domain = read.recipient?.split('@')[1];
      if (read.eventId === 'DELIVER') inferred.observeDelivered(domain);
      else if (read.eventId === 'RECEIVE') inferred.observeReceivedFromOutside(domain);
      entries.add(read, UPLOAD);
    }
    return entries.take();
  }
  const received = (messageId: string, recipient: string, line: number) =>
    event({
      eventId: 'RECEIVE',
      source: 'SMTP',
      directionality: 'incoming',
      messageId,
      recipient,
      sender: 'john@fabrikam.com',
      returnPath: 'john@fabrikam.com',
      line,
    });

  it('writes the arrival read before its domain was known once an event makes it the organisation’s', () => {
    const entries = read([
      // The upload's first receipt: contoso.com is not known yet. Her mailbox only redirects.
      received(FORWARDED, 'kate@contoso.com', 6),
      event({
        eventId: 'REDIRECT',
        source: 'ROUTING',
        messageId: FORWARDED,
        recipient: 'kate@tailspintoys.com',
        relatedRecipient: 'kate@contoso.com',
        line: 7,
      }),
      // Another receipt from outside for contoso.com: now the organisation's.
      received('other@mail.fabrikam.com', 'lee@contoso.com', 8),
      // One receipt for litware.com: never the organisation's in this upload.
      received('third@mail.fabrikam.com', 'ap@litware.com', 9),
    ]);
    expect(entries.map(({ messageId, recipient, eventId }) => [messageId, recipient, eventId])).toEqual([
      // The addressed-only entry of the first row, as before; kate's redirect, waiting until row 8.
      [FORWARDED, undefined, 'RECEIVE'],
      [FORWARDED, 'kate@contoso.com', 'REDIRECT'],
      ['other@mail.fabrikam.com', 'lee@contoso.com', 'RECEIVE'],
      ['third@mail.fabrikam.com', undefined, 'RECEIVE'],
    ]);
  });
});
