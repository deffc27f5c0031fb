import { describe, expect, it } from 'vitest';
import { parseRejection } from '../../functions/core/analysis/evidence/rejections.js';
import { PRECEDENCE, type RuleInput } from '../../functions/core/analysis/scenarios/index.js';
import {
  AcceptedDomainList,
  InferredDomains,
  parseAcceptedDomains,
} from '../../functions/core/organisation/accepted-domains.js';
import { ATTR35, ATTR36, event, NO_ATTR } from '../support/events.js';

const accepted: AcceptedDomainList = parseAcceptedDomains('contoso.com', 'test');

function input(overrides: Partial<RuleInput> & { status?: string }): RuleInput {
  const status = overrides.status ?? ATTR36;
  const rejection = parseRejection(status);
  if (!rejection) throw new Error('bad status in test');
  const attributedSender = 'attributedSender' in overrides ? overrides.attributedSender : 'app@fabrikam.com';
  return {
    event: event({ eventId: 'FAIL', recipientStatus: status }),
    rejection,
    attributedSender,
    senderBasis: 'return-path',
    senderDomain: attributedSender?.split('@')[1],
    recipientDomain: 'tailspintoys.com',
    domains: accepted,
    inbound: [],
    ...overrides,
  };
}

/** The scenario the precedence list picks. */
function decide(ruleInput: RuleInput): string | undefined {
  for (const rule of PRECEDENCE) if (rule.evaluate(ruleInput).outcome === 'match') return rule.id;
  return undefined;
}

describe('scenario precedence', () => {
  it('lists the rules in the documented order', () => {
    expect(PRECEDENCE.map((rule) => rule.id)).toEqual([
      'wrong-region',
      'ndr',
      'connector-mismatch',
      'forwarding',
      'foreign-sender-domain',
    ]);
  });

  it('wrong-region wins over a null sender', () => {
    expect(decide(input({ status: ATTR35, attributedSender: '' }))).toBe('wrong-region');
  });

  it('ndr wins over everything sender-based', () => {
    expect(decide(input({ attributedSender: '' }))).toBe('ndr');
    expect(decide(input({ attributedSender: '', status: NO_ATTR }))).toBe('ndr');
  });

  it('an accepted P1 domain means the connector failed, ATTR36 or not', () => {
    expect(decide(input({ attributedSender: 'finance@contoso.com', status: NO_ATTR }))).toBe(
      'connector-mismatch',
    );
    expect(decide(input({ attributedSender: 'finance@contoso.com', status: ATTR36 }))).toBe(
      'connector-mismatch',
    );
  });

  it('forwarding needs inbound evidence; without it the message is foreign-sender-domain', () => {
    const inbound = [
      {
        kind: 'redirect' as const,
        recipient: 'kate@contoso.com',
        target: 'kate@tailspintoys.com',
        eventId: 'REDIRECT',
        line: 3,
      },
    ];
    expect(decide(input({ inbound }))).toBe('forwarding');
    expect(decide(input({}))).toBe('foreign-sender-domain');
  });

  it('evidence for an outside recipient is not forwarding evidence', () => {
    const inbound = [
      { kind: 'received-for' as const, recipient: 'someone@gmail.com', eventId: 'RECEIVE', line: 3 },
    ];
    expect(decide(input({ inbound }))).toBe('foreign-sender-domain');
  });

  describe('a refused recipient the message was received for', () => {
    /** The refusal of kate@tailspintoys.com, with these traces of its message. */
    const refusal = (inbound: RuleInput['inbound']) =>
      input({
        inbound,
        event: event({ eventId: 'FAIL', recipient: 'kate@tailspintoys.com', recipientStatus: ATTR36 }),
      });
    const received = (recipient: string | undefined, line = 3) =>
      recipient === undefined
        ? { kind: 'received-for' as const, eventId: 'RECEIVE', line }
        : { kind: 'received-for' as const, recipient, eventId: 'RECEIVE', line };
    const internal = [
      received('lee@contoso.com'),
      { kind: 'delivered-to' as const, recipient: 'lee@contoso.com', eventId: 'DELIVER', line: 4 },
    ];

    it('was addressed by the sender: an internal recipient of the same message is no forwarding', () => {
      expect(decide(refusal(internal))).toBe('forwarding');
      expect(decide(refusal([...internal, received('kate@tailspintoys.com')]))).toBe('foreign-sender-domain');
      // A receipt that stands for outside recipients not kept may be the refused one's.
      expect(decide(refusal([...internal, received(undefined)]))).toBe('foreign-sender-domain');
      // Another outside recipient received does not make this one addressed.
      expect(decide(refusal([...internal, received('ap@litware.com')]))).toBe('forwarding');
    });

    it('was made by a redirect when one sent the message there: the next server received it for it too', () => {
      const redirect = (target: string | undefined) => ({
        kind: 'redirect' as const,
        recipient: 'lee@contoso.com',
        ...(target === undefined ? {} : { target }),
        eventId: 'REDIRECT',
        line: 5,
      });
      const hop = received('kate@tailspintoys.com', 9);
      expect(decide(refusal([...internal, redirect('kate@tailspintoys.com'), hop]))).toBe('forwarding');
      expect(decide(refusal([...internal, redirect(undefined), hop]))).toBe('forwarding');
      // A redirect elsewhere does not explain it.
      expect(decide(refusal([...internal, redirect('lee@gmail.com'), hop]))).toBe('foreign-sender-domain');
      const rule = (target: string) => ({
        kind: 'mailbox-rule' as const,
        target,
        eventId: 'RECEIVE',
        line: 6,
      });
      expect(decide(refusal([...internal, rule('kate@tailspintoys.com'), hop]))).toBe('forwarding');
      expect(decide(refusal([...internal, rule('lee@gmail.com'), hop]))).toBe('foreign-sender-domain');
    });

    it('was not addressed when it was only delivered to: a forward is delivered too', () => {
      const delivered = {
        kind: 'delivered-to' as const,
        recipient: 'kate@tailspintoys.com',
        eventId: 'DELIVERED',
        line: 7,
      };
      expect(decide(refusal([...internal, delivered]))).toBe('forwarding');
    });
  });

  it('forwarding to an internal recipient is not forwarding', () => {
    const inbound = [
      { kind: 'redirect' as const, recipient: 'kate@contoso.com', eventId: 'REDIRECT', line: 3 },
    ];
    expect(decide(input({ inbound, recipientDomain: 'contoso.com' }))).toBe('foreign-sender-domain');
  });
});

describe('rules', () => {
  it('ndr is strong on a null P1 and weak on a subject alone', () => {
    const [, ndr] = PRECEDENCE;
    const strong = ndr?.evaluate(input({ attributedSender: '' }));
    expect(strong).toMatchObject({ outcome: 'match', confidence: 'high' });
    const weak = ndr?.evaluate(
      input({
        senderBasis: 'header-sender',
        attributedSender: 'kate@contoso.com',
        event: event({ eventId: 'FAILED', subject: 'Undeliverable: report' }),
      }),
    );
    expect(weak).toMatchObject({ outcome: 'match', confidence: 'low' });
  });

  it('the P1 is used, not the header From', () => {
    // Header From is contoso.com (accepted) but P1 is fabrikam.com: not a connector problem.
    const result = decide(
      input({
        attributedSender: 'bounce@fabrikam.com',
        event: event({ eventId: 'FAIL', sender: 'news@contoso.com' }),
      }),
    );
    expect(result).toBe('foreign-sender-domain');
  });

  it('a subdomain is not covered without MatchSubDomains, and is with it', () => {
    expect(accepted.covers('alerts.contoso.com')).toBe(false);
    expect(decide(input({ attributedSender: 'scanner@alerts.contoso.com' }))).toBe('foreign-sender-domain');
    const withSub = new AcceptedDomainList([
      { domain: 'contoso.com', matchSubDomains: true, type: 'InternalRelay' },
    ]);
    expect(decide(input({ attributedSender: 'scanner@alerts.contoso.com', domains: withSub }))).toBe(
      'connector-mismatch',
    );
  });

  it('explains an unaccepted subdomain', () => {
    const rule = PRECEDENCE.find((r) => r.id === 'foreign-sender-domain');
    const result = rule?.evaluate(
      input({ attributedSender: 'scanner@alerts.contoso.com', senderDomain: 'alerts.contoso.com' }),
    );
    expect(result?.outcome === 'match' && result.evidence.map((e) => e.detail).join(' ')).toMatch(
      /subdomain of the accepted domain contoso\.com/,
    );
  });

  it('without a list, ATTR36 reads as foreign sender and a missing ATTR as connector mismatch', () => {
    const inferred = new InferredDomains();
    expect(decide(input({ domains: inferred, status: ATTR36 }))).toBe('foreign-sender-domain');
    expect(decide(input({ domains: inferred, status: NO_ATTR }))).toBe('connector-mismatch');
  });
});

describe('parseAcceptedDomains', () => {
  it('reads a Get-AcceptedDomain export with MatchSubDomains', () => {
    const list = parseAcceptedDomains(
      '"Name","DomainName","DomainType","Default","MatchSubDomains"\r\n"contoso.com","contoso.com","Authoritative","True","False"\r\n"Fabrikam","fabrikam-group.com","InternalRelay","False","True"\r\n',
      'domains.csv',
    );
    expect(list.domains()).toEqual(['contoso.com', 'fabrikam-group.com']);
    expect(list.covers('EU.Fabrikam-Group.com')).toBe(true);
    expect(list.covers('sub.contoso.com')).toBe(false);
  });

  it('reads a comma list and a one-per-line file, case-insensitively', () => {
    expect(parseAcceptedDomains('Contoso.com, fabrikam.com', 'cli').domains()).toEqual([
      'contoso.com',
      'fabrikam.com',
    ]);
    expect(parseAcceptedDomains('contoso.com\nfabrikam.com\n', 'f').covers('FABRIKAM.COM')).toBe(true);
  });

  it('names the bad entry', () => {
    expect(() => parseAcceptedDomains('contoso.com,not a domain!', 'cli')).toThrow(
      /"not" is not a domain name|not a domain/,
    );
    expect(() => parseAcceptedDomains('', 'empty.txt')).toThrow(/empty\.txt: no accepted domains/);
  });
});
