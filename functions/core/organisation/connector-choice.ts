/**
 * Which of the organisation's OnPremises inbound connectors a finding's remediation names, and
 * what it must do with it. An organisation often has an IP-only connector for scanners and apps
 * beside a certificate one for its Exchange servers: naming the IP-only one in every finding told
 * admins to rebuild a connector when the certificate one already fitted, or was only disabled.
 * Browser-safe (the dashboard bundles the remediation pack): connectors are `InboundConnectorInfo`
 * here, never the export's parser.
 *
 * Preference, for one refusal:
 * 1. an enabled certificate connector whose name fits → nothing to change on it (`use`);
 * 2. a disabled one whose name fits → enable it (`enable`);
 * 3. an enabled certificate connector whose name does not fit → change its name (`rename`);
 * 4. only IP-based connectors → change one, or add a certificate one (`ip-only`).
 * A name fits when it matches the certificate the server presented (when a protocol log showed a
 * usable one) and, where the certificate's domain must attribute the message (null or unaccepted
 * sender), is an accepted domain or a wildcard over one; without a presented certificate, when it
 * is such a name. Among equals the export's order decides.
 */

import type { DomainOracle } from './accepted-domains.js';
import type { InboundConnectorInfo } from './connector-info.js';
import {
  isAcceptedConnectorName,
  isWildcard,
  namesMatch,
  normaliseName,
  stripWildcard,
} from './host-names.js';

/** What one refusal needs of a connector. */
export interface ConnectorNeeds {
  /**
   * Names (CN, SANs) of the certificate the server presented, when a protocol log showed one that
   * can attribute mail (not self-signed, not expired); `undefined` when that is not known.
   */
  presentedNames?: readonly string[] | undefined;
  /** True for a `TlsSenderCertificateName` that is an accepted domain or a wildcard over one. */
  isAcceptedName: (name: string) => boolean;
  /**
   * True when the certificate's domain itself must attribute the message (a null or unaccepted
   * sender): then a name that is not accepted does not fit even when it matches the certificate.
   */
  byCertificateDomain: boolean;
}

/** What the remediation does with the connector it names. */
export type ConnectorRole = 'use' | 'enable' | 'rename' | 'ip-only';

/** The connector one refusal's remediation names. */
export interface ConnectorChoice {
  role: ConnectorRole;
  connector: InboundConnectorInfo;
  /** An enabled IP-only connector beside a certificate one: the text says to leave it as it is. */
  ipOnly?: InboundConnectorInfo;
}

/** The accepted domains as `isAcceptedName` reads them. */
export type AcceptedDomains = Pick<DomainOracle, 'covers' | 'domains'>;

/**
 * `isAcceptedName` over the accepted domains: {@link isAcceptedConnectorName}, the test `check`
 * applies, so a name under an accepted domain with MatchSubDomains fits here as it passes there.
 * Given an `AcceptedDomainList` (or any oracle) MatchSubDomains counts; a bare list of names counts
 * it for the names `matchSubDomains` repeats (the plain form a remediation context carries, which
 * must stay serialisable), and otherwise answers for its names only. With no domain known, only a
 * wildcard counts: it is the shape the advice recommends, and nothing better can be judged.
 */
export function acceptedNameTest(
  acceptedDomains: readonly string[] | AcceptedDomains,
  matchSubDomains: readonly string[] = [],
): (name: string) => boolean {
  const domains = isNameList(acceptedDomains)
    ? listedDomains(acceptedDomains, matchSubDomains)
    : acceptedDomains;
  if (domains.domains().length === 0) return (name) => isWildcard(normaliseName(name));
  return (name) => isAcceptedConnectorName(name, domains);
}

function isNameList(value: readonly string[] | AcceptedDomains): value is readonly string[] {
  return Array.isArray(value);
}

/**
 * A list of domain names as an oracle, as `AcceptedDomainList.covers` answers: a name is covered
 * when it is listed (`*.contoso.com` stands for contoso.com), or lies below a listed one that
 * `matchSubDomains` names.
 */
function listedDomains(names: readonly string[], matchSubDomains: readonly string[]): AcceptedDomains {
  const plain = (domain: string): string => stripWildcard(normaliseName(domain));
  const accepted = new Set(names.map(plain));
  const parents = [...new Set(matchSubDomains.map(plain))].filter((parent) => accepted.has(parent));
  const covers = (domain: string): boolean =>
    accepted.has(domain) || parents.some((parent) => domain.endsWith(`.${parent}`));
  return {
    covers: (domain) => (domain === undefined ? undefined : covers(normaliseName(domain))),
    domains: () => [...accepted],
  };
}

/** The connector to name for one refusal (see the module comment), or `undefined` when none can serve. */
export function chooseConnector(
  connectors: readonly InboundConnectorInfo[],
  needs: ConnectorNeeds,
): ConnectorChoice | undefined {
  const presented = needs.presentedNames;
  const matchesCertificate = (name: string): boolean =>
    presented?.some((candidate) => namesMatch(name, candidate)) === true;
  const fits = (connector: InboundConnectorInfo): boolean => {
    const name = connector.tlsSenderCertificateName;
    if (connector.identifiesBy !== 'certificate' || name === undefined || name.trim() === '') return false;
    if (presented === undefined) return needs.isAcceptedName(name);
    return matchesCertificate(name) && (!needs.byCertificateDomain || needs.isAcceptedName(name));
  };
  const enabled = connectors.filter((connector) => connector.enabled);
  const ipOnly = enabled.find((connector) => connector.identifiesBy === 'ip');
  const named = (role: ConnectorRole, connector: InboundConnectorInfo): ConnectorChoice =>
    ipOnly === undefined ? { role, connector } : { role, connector, ipOnly };

  const usable = enabled.find(fits);
  if (usable !== undefined) return named('use', usable);
  const disabled = connectors.find((connector) => !connector.enabled && fits(connector));
  if (disabled !== undefined) return named('enable', disabled);
  const certificate = enabled.filter((connector) => connector.identifiesBy === 'certificate');
  // The one the presented certificate matches is the one the server relays through.
  const misnamed =
    certificate.find((connector) => matchesCertificate(connector.tlsSenderCertificateName ?? '')) ??
    certificate[0];
  if (misnamed !== undefined) return named('rename', misnamed);
  return ipOnly === undefined ? undefined : { role: 'ip-only', connector: ipOnly };
}
