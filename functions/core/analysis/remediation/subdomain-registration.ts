/**
 * KB 4019940 in remediation: Exchange Online attributes a certificate's host name through the
 * domain just above it, so `hostname.sub.contoso.com` counts only once `sub.contoso.com` is an
 * accepted domain, even when `contoso.com` is. Registering that subdomain is Microsoft's preferred
 * fix, before changing the certificate. Which subdomain, and the words and command for it, are here
 * once for every template that offers it.
 */
import { psArg } from '../../kernel/powershell.js';
import { attributeName, normaliseName, parentOf, stripWildcard } from '../../organisation/host-names.js';

/** A name that would count once `domain`, a subdomain of the accepted `acceptedParent`, is registered. */
export interface SubdomainRegistration {
  /** The certificate (or server) name, normalised, e.g. `hostname.sub.contoso.com`. */
  name: string;
  /** The domain to register, e.g. `sub.contoso.com`. */
  domain: string;
  /** The closest accepted domain above it, e.g. `contoso.com`. */
  acceptedParent: string;
}

/**
 * The first of `names` that lies below an accepted domain, deeper than that domain lets it count
 * (KB 4019940's `hostname.subdomain.contoso.com` with only `contoso.com` accepted), or `undefined`.
 * A name that counts already, or one outside every accepted domain, gives nothing.
 */
export function subdomainRegistration(
  names: readonly string[],
  acceptedDomains: readonly string[],
): SubdomainRegistration | undefined {
  const accepted = new Set(acceptedDomains.map((domain) => stripWildcard(normaliseName(domain))));
  const covers = (domain: string | undefined): boolean => domain !== undefined && accepted.has(domain);
  for (const candidate of names) {
    const attribution = attributeName(candidate, { covers });
    if (attribution.accepted) continue;
    const domain = attribution.requiredDomain;
    for (let parent = parentOf(domain); parent?.includes('.'); parent = parentOf(parent)) {
      if (accepted.has(parent)) return { name: attribution.name, domain, acceptedParent: parent };
    }
  }
  return undefined;
}

/**
 * The registration as a clause (`register sub.contoso.com as a domain …`). It is done where the
 * tenant's domains are added: Exchange Online has no cmdlet that adds an accepted domain.
 */
export function registerSubdomainText({ name, domain }: SubdomainRegistration): string {
  return (
    `register ${domain} as a domain of the tenant (Microsoft 365 admin center > Settings > Domains > Add ` +
    `domain), so that ${name} counts as it is (KB 4019940)`
  );
}

/** Shows the registered subdomain among the accepted domains (an error while it is not one). */
export function registeredSubdomainCommand({ domain }: SubdomainRegistration): string {
  return `Get-AcceptedDomain -Identity ${psArg(domain)} | Format-List DomainName,DomainType`;
}
