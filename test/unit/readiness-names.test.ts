/**
 * Host-name reasoning of the readiness checks: how a connector's TlsSenderCertificateName matches a
 * certificate name (Set-InboundConnector: `*.contoso.com` is "a domain and all subdomains"; a
 * certificate's own wildcard is RFC 6125's one label) and KB 4019940 attribution.
 */
import { describe, expect, it } from 'vitest';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { attributeName, closestAcceptedDomain } from '../../functions/core/organisation/host-names.js';
import {
  certificateWildcardCovers,
  connectorWildcardCovers,
  namesMatch,
} from '../../functions/core/readiness/index.js';

describe('connectorWildcardCovers (Set-InboundConnector: *.contoso.com is the domain and all subdomains)', () => {
  it.each([
    ['*.contoso.com', 'mail.contoso.com', true],
    ['*.contoso.com', 'MAIL.Contoso.COM.', true],
    ['*.contoso.com', 'contoso.com', true],
    ['*.contoso.com', 'smtp.eu.contoso.com', true],
    ['*.contoso.com', 'a.b.c.contoso.com', true],
    ['*.contoso.com', '*.eu.contoso.com', true],
    ['*.eu.contoso.com', 'contoso.com', false],
    ['*.eu.contoso.com', 'mail.contoso.com', false],
    ['*.contoso.com', 'mail.fabrikam.com', false],
    ['*.contoso.com', 'mailcontoso.com', false],
    ['*.contoso.com', 'contoso.com.fabrikam.com', false],
    // No embedded wildcard, and no wildcard over a single label.
    ['domain.*.contoso.com', 'domain.mail.contoso.com', false],
    ['*.*.contoso.com', 'a.b.contoso.com', false],
    ['*.com', 'contoso.com', false],
    ['mail.contoso.com', 'mail.contoso.com', true],
    ['mail.contoso.com', 'smtp.mail.contoso.com', false],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(connectorWildcardCovers(pattern, name)).toBe(expected);
  });
});

describe('certificateWildcardCovers (RFC 6125: a certificate wildcard is exactly one left-most label)', () => {
  it.each([
    ['*.contoso.com', 'mail.contoso.com', true],
    ['*.contoso.com', 'a.b.contoso.com', false],
    ['*.contoso.com', 'contoso.com', false],
    ['*.com', 'contoso.com', false],
    ['m*.contoso.com', 'mail.contoso.com', false],
    ['mail.contoso.com', 'mail.contoso.com', true],
  ])('%s vs %s → %s', (pattern, host, expected) => {
    expect(certificateWildcardCovers(pattern, host)).toBe(expected);
  });
});

describe('namesMatch (connector name vs certificate name)', () => {
  it.each([
    // The connector's wildcard: the domain and every name below it, at any depth.
    ['*.contoso.com', 'mail.contoso.com', true],
    ['*.contoso.com', 'contoso.com', true],
    ['*.contoso.com', 'smtp.eu.contoso.com', true],
    ['*.contoso.com', '*.contoso.com', true],
    ['*.contoso.com', '*.sub.contoso.com', true],
    ['*.sub.contoso.com', '*.contoso.com', false],
    ['*.contoso.com', 'contoso.org', false],
    // A connector naming one host: that name, or a certificate wildcard valid for it (one label).
    ['mail.contoso.com', 'mail.contoso.com', true],
    ['mail.contoso.com', '*.contoso.com', true],
    ['smtp.eu.contoso.com', '*.contoso.com', false],
    ['mail.contoso.com', 'contoso.com', false],
    ['contoso.com', '*.contoso.com', false],
    ['contoso.com', 'mail.contoso.com', false],
    ['contoso.com', 'contoso.com', true],
  ])('%s vs %s → %s', (connector, certificate, expected) => {
    expect(namesMatch(connector, certificate)).toBe(expected);
  });
});

describe('attributeName (KB 4019940: the domain above a host must be accepted)', () => {
  const domains = parseAcceptedDomains('contoso.com', 'test');

  it('accepts a host directly below an accepted domain, and a wildcard over one', () => {
    expect(attributeName('mail.contoso.com', domains)).toEqual({
      name: 'mail.contoso.com',
      accepted: true,
      requiredDomain: 'contoso.com',
    });
    expect(attributeName('*.contoso.com', domains).accepted).toBe(true);
    expect(attributeName('contoso.com', domains).accepted).toBe(true);
  });

  it('needs sub.contoso.com for host.sub.contoso.com', () => {
    expect(attributeName('host.sub.contoso.com', domains)).toEqual({
      name: 'host.sub.contoso.com',
      accepted: false,
      requiredDomain: 'sub.contoso.com',
    });
    expect(attributeName('*.sub.contoso.com', domains).accepted).toBe(false);
    const withSub = parseAcceptedDomains('contoso.com,sub.contoso.com', 'test');
    expect(attributeName('host.sub.contoso.com', withSub).accepted).toBe(true);
  });

  it('lets MatchSubDomains on an ancestor cover deeper names', () => {
    const csv =
      '"Name","DomainName","DomainType","Default","MatchSubDomains"\n"contoso.com","contoso.com","InternalRelay","True","True"\n';
    const matching = parseAcceptedDomains(csv, 'test.csv');
    expect(attributeName('host.sub.contoso.com', matching).accepted).toBe(true);
  });

  it('does not accept internal names or a bare public suffix', () => {
    expect(attributeName('ex01.contoso.local', domains).accepted).toBe(false);
    expect(attributeName('com', domains).accepted).toBe(false);
  });

  it('finds the most specific accepted domain above a name', () => {
    const both = parseAcceptedDomains('contoso.com,corp.contoso.com', 'test');
    expect(closestAcceptedDomain('ex01.corp.contoso.com', both)).toBe('corp.contoso.com');
    expect(closestAcceptedDomain('*.contoso.com', both)).toBe('contoso.com');
    expect(closestAcceptedDomain('mail.fabrikam.com', both)).toBeUndefined();
  });
});
