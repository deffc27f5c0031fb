/**
 * `connector-cert-name-is-host`: `TlsSenderCertificateName` is a host name below an accepted domain
 * (`mail.contoso.com`, as the Hybrid Configuration Wizard writes it) instead of `*.contoso.com` or
 * the accepted domain itself. It breaks as soon as the certificate names another host.
 */
import type { InboundConnector } from '../../organisation/connectors.js';
import { closestAcceptedDomain, isWildcard } from '../../organisation/host-names.js';
import type { ReadinessRule } from './rule.js';
import { certificateConnectors } from './select.js';

/** What one `connector-cert-name-is-host` occurrence names, for the text pack. */
export type ConnectorCertNameIsHostDetails = { connector: InboundConnector; name: string; domain: string };

export const connectorCertNameIsHost: ReadinessRule<
  'connector-cert-name-is-host',
  ConnectorCertNameIsHostDetails
> = {
  id: 'connector-cert-name-is-host',
  severity: 'warning',
  needs: ['connectors'],
  evaluate(input) {
    return certificateConnectors(input).flatMap((connector) => {
      const name = connector.tlsSenderCertificateName ?? '';
      if (isWildcard(name)) return [];
      const domain = closestAcceptedDomain(name, input.acceptedDomains);
      if (domain === undefined || domain === name) return [];
      return [{ objects: [connector.name, name], details: { connector, name, domain } }];
    });
  },
};
