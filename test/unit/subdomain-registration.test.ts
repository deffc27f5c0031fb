/**
 * KB 4019940 for remediation: which subdomain to register so that a certificate name one level below
 * what an accepted domain covers counts (`hostname.sub.contoso.com` with only `contoso.com` accepted).
 */
import { describe, expect, it } from 'vitest';
import { subdomainRegistration } from '../../functions/core/analysis/remediation/subdomain-registration.js';

describe('subdomainRegistration', () => {
  it('names the domain just above the host and the accepted domain above that', () => {
    expect(subdomainRegistration(['HostName.SubDomain.Contoso.com.'], ['contoso.com'])).toEqual({
      name: 'hostname.subdomain.contoso.com',
      domain: 'subdomain.contoso.com',
      acceptedParent: 'contoso.com',
    });
    // Deeper still: the closest accepted ancestor, and a wildcard stands for the hosts of its base.
    expect(subdomainRegistration(['smtp.eu.west.contoso.com'], ['contoso.com', 'west.contoso.com'])).toEqual({
      name: 'smtp.eu.west.contoso.com',
      domain: 'eu.west.contoso.com',
      acceptedParent: 'west.contoso.com',
    });
    expect(subdomainRegistration(['*.eu.contoso.com'], ['*.contoso.com'])?.domain).toBe('eu.contoso.com');
  });

  it('gives nothing for a name that counts already or lies outside every accepted domain', () => {
    expect(subdomainRegistration(['mail.contoso.com'], ['contoso.com'])).toBeUndefined();
    expect(subdomainRegistration(['host.sub.contoso.com'], ['sub.contoso.com'])).toBeUndefined();
    expect(subdomainRegistration(['ex01.contoso.local', 'EX01'], ['contoso.com'])).toBeUndefined();
    expect(subdomainRegistration(['host.sub.contoso.com'], [])).toBeUndefined();
  });

  it('takes the first name on the certificate that a registration would make count', () => {
    expect(
      subdomainRegistration(['ex01.contoso.local', 'relay.branch.contoso.com'], ['contoso.com'])?.name,
    ).toBe('relay.branch.contoso.com');
  });
});
