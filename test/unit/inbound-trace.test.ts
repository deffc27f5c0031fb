/**
 * Inbound evidence has one definition (`evidence/inbound-trace.ts`); the row filter, the
 * classifier's index and the inbound Message-ID index must agree with it. Checked over every
 * combination of the fields that decide it.
 */
import { describe, expect, it } from 'vitest';
import { inboundEntryOf } from '../../functions/core/analysis/evidence/inbound-entry.js';
import { inboundTraceOf, mayBeEvidence } from '../../functions/core/analysis/evidence/inbound-trace.js';
import { rowMayMatter } from '../../functions/core/analysis/evidence/relevance.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';

const EVENT_IDS = ['RECEIVE', 'DELIVER', 'DELIVERED', 'REDIRECT', 'RESOLVE', 'SEND', 'FAIL', 'DSN', 'SUBMIT'];
const SOURCES = [undefined, 'SMTP', 'STOREDRIVER', 'MAILBOXRULE', 'ROUTING'];
const DIRECTIONS: TraceEvent['directionality'][] = [undefined, 'incoming', 'originating'];

function event(
  eventId: string,
  source: string | undefined,
  directionality: TraceEvent['directionality'],
): TraceEvent {
  return {
    timestamp: '2026-11-28T22:15:03.000Z',
    eventId,
    source,
    directionality,
    messageId: 'abc@contoso.com',
    recipient: 'user@contoso.com',
    relatedRecipient: 'alias@contoso.com',
    line: 7,
  } as TraceEvent;
}

const combinations = EVENT_IDS.flatMap((id) =>
  SOURCES.flatMap((source) => DIRECTIONS.map((direction) => event(id, source, direction))),
);

describe('inbound evidence, defined once', () => {
  it('the row filter never drops a row that is inbound evidence', () => {
    for (const row of combinations) {
      if (inboundTraceOf(row) === undefined) continue;
      expect(mayBeEvidence(row.eventId, row.source, row.directionality), JSON.stringify(row)).toBe(true);
      expect(rowMayMatter(row.eventId, row.source, undefined, row.directionality, false)).toBe(true);
    }
  });

  it('an index entry exists exactly when the trace names an internal recipient', () => {
    const domains = parseAcceptedDomains('contoso.com', 'test');
    for (const row of combinations) {
      const trace = inboundTraceOf(row);
      const entry = inboundEntryOf(row, { sourceId: 's1' }, domains);
      expect(entry?.recipient, JSON.stringify(row)).toBe(trace?.recipient);
    }
  });

  it('indexes no receipt of mail the organisation sent itself: only mail from outside is forwarded into a refusal', () => {
    const domains = parseAcceptedDomains('contoso.com', 'test');
    const receipt = (fields: Partial<TraceEvent>) =>
      inboundEntryOf(
        { ...event('DELIVER', 'STOREDRIVER', 'incoming'), ...fields },
        { sourceId: 's1' },
        domains,
      );
    expect(receipt({ returnPath: 'john@fabrikam.com' })?.recipient).toBe('user@contoso.com');
    expect(receipt({ sender: 'john@fabrikam.com' })?.recipient).toBe('user@contoso.com');
    expect(receipt({ returnPath: 'kate@contoso.com' })).toBeUndefined();
    // Without an envelope sender (message trace), the header sender says whose mail it is.
    expect(receipt({ sender: 'kate@contoso.com' })).toBeUndefined();
    // The envelope sender wins over the header's, as Exchange Online judges by it.
    expect(receipt({ returnPath: 'bounces@fabrikam.com', sender: 'kate@contoso.com' })?.recipient).toBe(
      'user@contoso.com',
    );
  });

  it('a mailbox rule’s trace names where the rule sent the message, to tell it from addresses the sender chose', () => {
    const rule = { ...event('RECEIVE', 'MAILBOXRULE', 'incoming'), recipient: 'kate@tailspintoys.com' };
    expect(inboundTraceOf(rule)).toEqual({
      kind: 'mailbox-rule',
      target: 'kate@tailspintoys.com',
      eventId: 'RECEIVE',
      line: 7,
    });
    const { recipient: _none, ...unnamed } = rule;
    expect(inboundTraceOf(unnamed)).toEqual({ kind: 'mailbox-rule', eventId: 'RECEIVE', line: 7 });
  });

  it('a receipt counts only for mail from outside', () => {
    expect(inboundTraceOf(event('RECEIVE', 'SMTP', 'incoming'))?.kind).toBe('received-for');
    expect(inboundTraceOf(event('RECEIVE', 'SMTP', 'originating'))).toBeUndefined();
    expect(inboundTraceOf(event('REDIRECT', undefined, 'originating'))?.recipient).toBe('alias@contoso.com');
  });
});
