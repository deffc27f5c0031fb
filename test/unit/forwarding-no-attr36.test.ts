/**
 * A forwarded message refused without ATTR36 (`550 5.7.64 … Relay Access Denied`, no ATTR): its
 * sender is outside the organisation, and Exchange Online matched the server to no connector either.
 * `forwarding` keeps the `no-attr36` evidence and says a connector must match the server too, as
 * `foreign-sender-domain` does for the same refusal of an unaccepted sender, in the same words.
 */
import { describe, expect, it } from 'vitest';
import { type EmittedFinding, StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import {
  ReadingWithoutInbound,
  readingAddressedBySender,
} from '../../functions/core/analysis/evidence/correlation.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import { NO_ATTR36_EVIDENCE } from '../../functions/core/analysis/scenarios/rule.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { ATTR36, event, fail, NO_ATTR, origin } from '../support/events.js';
import { makeFinding } from '../support/make-finding.js';

const domains = parseAcceptedDomains('contoso.com', 'test');

/**
 * The findings of a message from john@fabrikam.com received for kate@contoso.com and redirected to
 * kate@tailspintoys.com (without `redirected`: sent there directly), refused with `status`.
 */
function forwarded(messageId: string, status: string, redirected = true): Finding[] {
  const classifier = new StreamingClassifier({ domains });
  const out: EmittedFinding[] = [];
  const rows = [
    ...(redirected
      ? [
          event({
            eventId: 'RECEIVE',
            source: 'SMTP',
            messageId,
            recipient: 'kate@contoso.com',
            returnPath: 'john@fabrikam.com',
          }),
          event({
            eventId: 'REDIRECT',
            source: 'ROUTING',
            messageId,
            recipient: 'kate@tailspintoys.com',
            relatedRecipient: 'kate@contoso.com',
            returnPath: 'john@fabrikam.com',
          }),
        ]
      : []),
    fail(messageId, 'kate@tailspintoys.com', 'john@fabrikam.com', status, { serverHostname: 'EX01' }),
  ];
  for (const row of rows) {
    classifier.push(row, origin('MSGTRK20261128-1.LOG'));
    out.push(...classifier.drain());
  }
  classifier.flush();
  return [...out, ...classifier.drain()].map((emitted) => emitted.finding);
}

describe('forwarding refused without ATTR36', () => {
  it('keeps the no-attr36 evidence, as foreign-sender-domain does', () => {
    const [finding] = forwarded('<fwd-1@fabrikam.com>', NO_ATTR);
    expect(finding?.scenario).toBe('forwarding');
    expect(finding?.evidence).toContainEqual(NO_ATTR36_EVIDENCE);
    expect(finding?.evidence.map((item) => item.kind).slice(0, 4)).toEqual([
      'return-path',
      'foreign-recipient',
      'no-attr36',
      'redirect-event',
    ]);
    // The same refusal without the redirect is foreign-sender-domain, with the same evidence line.
    const [unforwarded] = forwarded('<fwd-2@fabrikam.com>', NO_ATTR, false);
    expect(unforwarded?.scenario).toBe('foreign-sender-domain');
    expect(unforwarded?.evidence).toContainEqual(NO_ATTR36_EVIDENCE);
  });

  it('has no such evidence with ATTR36', () => {
    const [finding] = forwarded('<fwd-3@fabrikam.com>', ATTR36);
    expect(finding?.scenario).toBe('forwarding');
    expect(finding?.evidence.map((item) => item.kind)).not.toContain('no-attr36');
  });

  it('says in its remediation that a connector must match the server too', () => {
    const [finding] = forwarded('<fwd-4@fabrikam.com>', NO_ATTR);
    const explanation = finding?.remediation.explanation ?? '';
    const steps: string[] = finding?.remediation.steps ?? [];
    expect(explanation).toMatch(
      / The reply has no ATTR36, so no OnPremises inbound connector matched EX01 either\.$/,
    );
    const step = steps.find((text) => text.includes('no ATTR36'));
    expect(step).toBe(
      'Whatever you change of the forwarding, a connector must match EX01 too: the refusal has no ATTR36, so ' +
        'Exchange Online matched it to none of your OnPremises inbound connectors (neither by certificate nor by ' +
        'IP address). Forwarded mail can match one only by certificate, with the certificate steps above: its ' +
        "domains are not yours, so the server's IP address is not enough for it.",
    );
    // After the certificate steps it refers to, before the check.
    expect(steps.indexOf(step as string)).toBe(steps.length - 2);
  });
});

describe('the no-ATTR36 sentence is the same in both scenarios', () => {
  const context: RemediationContext = {
    senderDomain: 'fabrikam.com',
    recipientDomain: 'tailspintoys.com',
    returnPath: 'john@fabrikam.com',
    recipient: 'kate@tailspintoys.com',
    acceptedDomains: ['contoso.com'],
    acceptedDomainsSource: 'given',
    serverHostname: 'EX01',
    code: '5.7.64',
  };
  const head =
    'a connector must match EX01 too: the refusal has no ATTR36, so Exchange Online matched it to none of your ' +
    'OnPremises inbound connectors (neither by certificate nor by IP address).';

  it.each(['forwarding', 'foreign-sender-domain'] as const)('%s', (scenario) => {
    const result = remediationFor(scenario, context);
    expect(result.explanation).toContain(
      'The reply has no ATTR36, so no OnPremises inbound connector matched EX01 either.',
    );
    expect(result.steps.filter((step) => step.includes(head))).toHaveLength(1);
    const withAttr = remediationFor(scenario, { ...context, attr: 'ATTR36' });
    expect([withAttr.explanation, ...withAttr.steps].join('\n')).not.toContain('no ATTR36');
  });
});

describe('such a forwarding finding read again without its receipts (cross-upload correlation)', () => {
  it('is foreign-sender-domain with one no-attr36 line, not the stored one and its own', () => {
    const refused = 'kate@tailspintoys.com';
    const messageId = 'CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com';
    const finding = makeFinding({
      scenario: 'forwarding',
      messageId,
      recipient: refused,
      sender: 'john@fabrikam.com',
      returnPath: 'john@fabrikam.com',
      senderDomain: 'fabrikam.com',
      rejectionText: NO_ATTR,
      confidence: 'medium',
      evidence: [
        { kind: 'return-path', detail: 'envelope sender (P1) is john@fabrikam.com' },
        {
          kind: 'foreign-recipient',
          detail: 'recipient domain tailspintoys.com is outside the organisation',
        },
        { ...NO_ATTR36_EVIDENCE },
        {
          kind: 'internal-recipient',
          detail: 'the same Message-ID was received for kate@contoso.com (RECEIVE, line 6 of EX01/x.LOG)',
        },
      ],
      source: { sourceId: 'run-2' },
    });
    delete finding.attr;
    const updated = readingAddressedBySender(
      finding,
      [
        {
          messageId,
          receivedAt: '2026-11-28T22:14:57.806Z',
          sourceId: 'run-1',
          eventId: 'RECEIVE',
          outside: [refused],
        },
      ],
      new ReadingWithoutInbound({ domains }),
    );
    expect(updated?.scenario).toBe('foreign-sender-domain');
    expect(updated?.evidence.map((item) => item.kind)).toEqual(['return-path', 'not-accepted', 'no-attr36']);
  });
});
