/** Host-name reasoning of the readiness checks: RFC 6125 wildcards and KB 4019940 attribution. */
import { describe, expect, it } from 'vitest';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { attributeName, closestAcceptedDomain } from '../../functions/core/organisation/host-names.js';
import { namesMatch, wildcardMatches } from '../../functions/core/readiness/index.js';

describe('wildcardMatches (RFC 6125: * is exactly one left-most label)', () => {
  it.each([
    ['*.contoso.com', 'mail.contoso.com', true],
    ['*.contoso.com', 'MAIL.Contoso.COM.', true],
    ['*.contoso.com', 'a.b.contoso.com', false],
    ['*.contoso.com', 'contoso.com', false],
    ['*.contoso.com', 'mail.fabrikam.com', false],
    ['*.contoso.com', 'mailcontoso.com', false],
    ['*.com', 'contoso.com', false],
    ['m*.contoso.com', 'mail.contoso.com', false],
    ['*.*.contoso.com', 'a.b.contoso.com', false],
    ['mail.contoso.com', 'mail.contoso.com', true],
    ['mail.contoso.com', 'smtp.contoso.com', false],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(wildcardMatches(pattern, name)).toBe(expected);
  });
});

describe('namesMatch (connector name vs certificate name, either side may be the wildcard)', () => {
  it.each([
    ['*.contoso.com', 'mail.contoso.com', true],
    ['mail.contoso.com', '*.contoso.com', true],
    ['*.contoso.com', '*.contoso.com', true],
    ['*.contoso.com', 'a.b.contoso.com', false],
    ['*.contoso.com', 'contoso.com', false],
    ['contoso.com', '*.contoso.com', false],
    ['*.contoso.com', '*.sub.contoso.com', false],
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
