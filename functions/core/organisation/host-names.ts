/**
 * Host-name reasoning the checks share: whether a connector's certificate name matches a name on a
 * certificate, and which domain a certificate name is attributed through (KB 4019940).
 */
import type { AcceptedDomainList, DomainOracle } from './accepted-domains.js';

/** A DNS name or a wildcard over one, as it may appear on a certificate or a connector. */
const DNS_NAME = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

/** Lower-case, trimmed, without a final dot. */
export function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** True for a DNS name (optionally `*.`-prefixed): CNs such as "Contoso Exchange" are not. */
export function isDnsName(name: string): boolean {
  return DNS_NAME.test(normaliseName(name));
}

/** True for `*.contoso.com`. */
export function isWildcard(name: string): boolean {
  return name.startsWith('*.');
}

/** `*.contoso.com` → `contoso.com`; other names unchanged. */
export function stripWildcard(name: string): string {
  return isWildcard(name) ? name.slice(2) : name;
}

/** The name one label up (`mail.contoso.com` → `contoso.com`), `undefined` for a single label. */
export function parentOf(name: string): string | undefined {
  const dot = name.indexOf('.');
  return dot < 0 ? undefined : name.slice(dot + 1);
}

/**
 * A wildcard as a connector's `TlsSenderCertificateName`: Microsoft documents for
 * Set-InboundConnector that `*.contoso.com` indicates "a domain and all subdomains", so it covers
 * `contoso.com` and every name below it at any depth (`mail.contoso.com`, `smtp.eu.contoso.com`),
 * and a wildcard certificate name within them (`*.eu.contoso.com`). The wildcard cannot be embedded
 * (`domain.*.contoso.com`) and a wildcard over a single label (`*.com`) is no SMTP domain: those
 * cover nothing. Without a wildcard the names must be equal (case-insensitive).
 */
export function connectorWildcardCovers(pattern: string, name: string): boolean {
  const p = normaliseName(pattern);
  const n = normaliseName(name);
  if (!isWildcard(p)) return p === n;
  const base = p.slice(2);
  const target = stripWildcard(n);
  if (!base.includes('.') || base.includes('*') || target.includes('*')) return false;
  return target === base || target.endsWith(`.${base}`);
}

/**
 * A wildcard on a certificate (CN or SAN), as RFC 6125 §6.4.3 has CAs and TLS stacks read it: `*`
 * is the whole left-most label and stands for exactly one label, so `*.contoso.com` is valid for
 * `mail.contoso.com` but not for `contoso.com` nor `a.b.contoso.com`; partial wildcards
 * (`m*.contoso.com`) and wildcards over a single label (`*.com`) are valid for nothing.
 */
export function certificateWildcardCovers(pattern: string, host: string): boolean {
  const p = normaliseName(pattern);
  const n = normaliseName(host);
  if (!isWildcard(p)) return p === n;
  const base = p.slice(2);
  if (!base.includes('.') || base.includes('*')) return false;
  if (!n.endsWith(`.${base}`)) return false;
  const label = n.slice(0, -(base.length + 1));
  return label.length > 0 && !label.includes('.') && label !== '*';
}

/**
 * Whether a connector's `TlsSenderCertificateName` matches a certificate name (CN or SAN): equal; a
 * connector wildcard over the name's domain or one above it ({@link connectorWildcardCovers}); or,
 * for a connector naming one host, a certificate wildcard valid for it ({@link certificateWildcardCovers}).
 */
export function namesMatch(connectorName: string, certificateName: string): boolean {
  const connector = normaliseName(connectorName);
  const certificate = normaliseName(certificateName);
  if (connector === certificate) return true;
  if (isWildcard(connector)) return connectorWildcardCovers(connector, certificate);
  return isWildcard(certificate) && certificateWildcardCovers(certificate, connector);
}

/**
 * Whether a connector's `TlsSenderCertificateName` is the tenant's: its domain, wildcard stripped
 * (`*.contoso.com` → `contoso.com`, `mail.contoso.com` itself), is an accepted domain or lies below
 * one with MatchSubDomains (`AcceptedDomainList.covers`, docs/domain.md §1). `check`
 * (connector-cert-name-not-accepted) and `analyze` (which connector fits) both ask here.
 */
export function isAcceptedConnectorName(name: string, domains: Pick<DomainOracle, 'covers'>): boolean {
  return domains.covers(stripWildcard(normaliseName(name))) === true;
}

/** The most specific accepted domain (exact list entry) that `name` equals or lies below. */
export function closestAcceptedDomain(name: string, domains: AcceptedDomainList): string | undefined {
  const n = stripWildcard(normaliseName(name));
  let best: string | undefined;
  for (const domain of domains.domains()) {
    if ((n === domain || n.endsWith(`.${domain}`)) && (best === undefined || domain.length > best.length)) {
      best = domain;
    }
  }
  return best;
}

/** How a certificate name relates to the accepted domains. */
export interface NameAttribution {
  /** The certificate name, normalised. */
  name: string;
  /** True when Exchange Online can attribute the name to the tenant. */
  accepted: boolean;
  /**
   * The domain that must be accepted for the name to count: the name itself for a bare domain or
   * wildcard base, else its parent (`host.sub.contoso.com` → `sub.contoso.com`, KB 4019940).
   */
  requiredDomain: string;
}

/**
 * KB 4019940: a certificate for `host.sub.contoso.com` counts when `sub.contoso.com` (the domain
 * above the host) is accepted, or the name itself is; `*.sub.contoso.com` stands for hosts in
 * `sub.contoso.com`. `AcceptedDomainList.covers` adds MatchSubDomains on an ancestor.
 */
export function attributeName(name: string, domains: Pick<DomainOracle, 'covers'>): NameAttribution {
  const n = normaliseName(name);
  if (isWildcard(n)) {
    const base = stripWildcard(n);
    return { name: n, accepted: domains.covers(base) === true, requiredDomain: base };
  }
  // A single-label parent (`com`) is a public suffix, never the domain a host is attributed through.
  const parent = parentOf(n);
  const viaParent = parent?.includes('.') ? parent : undefined;
  const accepted =
    domains.covers(n) === true || (viaParent !== undefined && domains.covers(viaParent) === true);
  return { name: n, accepted, requiredDomain: viaParent ?? n };
}
