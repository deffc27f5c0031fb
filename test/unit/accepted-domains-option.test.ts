/**
 * `--accepted-domains`: which missing values are mistyped file names rather than domains, and how
 * the reports show the domains that cover their subdomains.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { acceptedDomainNames, FILE_EXTENSIONS } from '../../bin/support/accepted-domains-option.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';

const TOP_LEVEL_DOMAINS = new Set(
  readFileSync('test/fixtures/real-world/iana-tlds/tlds-alpha-by-domain.txt', 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.trim().toLowerCase()),
);

describe('the file extensions a missing --accepted-domains value may end in', () => {
  it('holds no top-level domain, so no real domain is ever taken for a file', () => {
    expect(TOP_LEVEL_DOMAINS.size).toBeGreaterThan(1000);
    for (const tld of ['com', 'md', 'zip']) expect(TOP_LEVEL_DOMAINS.has(tld)).toBe(true);
    expect(FILE_EXTENSIONS.filter((extension) => TOP_LEVEL_DOMAINS.has(extension))).toEqual([]);
  });

  it('covers the spreadsheets, configuration files and copies a domain list is kept in', () => {
    for (const extension of ['csv', 'txt', 'xlsx', 'xls', 'ods', 'dat', 'cfg', 'conf', 'ini', 'bak', 'out']) {
      expect(FILE_EXTENSIONS).toContain(extension);
    }
  });
});

describe('acceptedDomainNames', () => {
  it('marks the domains that cover their subdomains, once each', () => {
    const list = parseAcceptedDomains(
      'DomainName,MatchSubDomains\ncontoso.com,False\nfabrikam-group.com,True\ncontoso.com,False\n',
      'test',
    );
    expect(acceptedDomainNames(list)).toEqual(['contoso.com', 'fabrikam-group.com (+subdomains)']);
    expect(acceptedDomainNames(parseAcceptedDomains('*.contoso.com\nlitware.com', 'test'))).toEqual([
      '*.contoso.com',
      'litware.com',
    ]);
  });
});

describe('an internationalised accepted domain', () => {
  it('is refused with its ASCII form, which the logs write and relay-audit compares in', () => {
    const csv = [
      '"DomainName","DomainType","Default","MatchSubDomains"',
      '"contoso.com","Authoritative","True","False"',
      '"müller-gmbh.de","Authoritative","False","False"',
    ].join('\r\n');
    expect(() => parseAcceptedDomains(csv, 'accepted-domains.csv')).toThrow(
      'line 3: "müller-gmbh.de" not a domain name (write an internationalised domain in its ASCII form: xn--mller-gmbh-9db.de)',
    );
    expect(() => parseAcceptedDomains('contoso.com,müller-gmbh.de', 'list')).toThrow(
      '"müller-gmbh.de" is not a domain name (write an internationalised domain in its ASCII form: xn--mller-gmbh-9db.de)',
    );
    expect(parseAcceptedDomains('xn--mller-gmbh-9db.de', 'list').covers('xn--mller-gmbh-9db.de')).toBe(true);
  });

  it('adds no hint to a name that is wrong in ASCII', () => {
    expect(() => parseAcceptedDomains('contoso..com', 'list')).toThrow(
      /"contoso\.\.com" is not a domain name$/,
    );
  });
});
