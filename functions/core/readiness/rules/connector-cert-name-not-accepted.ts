/**
 * `connector-cert-name-not-accepted`: the connector's certificate domain, wildcard stripped, is not
 * an accepted domain. A subdomain counts only through MatchSubDomains on an accepted parent, as in
 * `AcceptedDomainList.covers` — so `mail.contoso.com` is not accepted when only `contoso.com` is.
 * `isAcceptedConnectorName` is the test, shared with the analysis's choice of connector.
 */
import type { InboundConnector } from '../../organisation/connectors.js';
import {
  closestAcceptedDomain,
  isAcceptedConnectorName,
  stripWildcard,
} from '../../organisation/host-names.js';
import type { ReadinessRule } from './rule.js';
import { certificateConnectors } from './select.js';

/** What one `connector-cert-name-not-accepted` occurrence names, for the text pack. */
export type ConnectorCertNameNotAcceptedDetails = {
  connector: InboundConnector;
  name: string;
  /** The name with the wildcard stripped: what must be accepted. */
  domain: string;
  /** The closest accepted domain above `domain`, when there is one. */
  acceptedParent: string | undefined;
};

export const connectorCertNameNotAccepted: ReadinessRule<
  'connector-cert-name-not-accepted',
  ConnectorCertNameNotAcceptedDetails
> = {
  id: 'connector-cert-name-not-accepted',
  severity: 'error',
  needs: ['connectors'],
  evaluate(input) {
    return certificateConnectors(input).flatMap((connector) => {
      const name = connector.tlsSenderCertificateName ?? '';
      if (isAcceptedConnectorName(name, input.acceptedDomains)) return [];
      const domain = stripWildcard(name);
      const acceptedParent = closestAcceptedDomain(domain, input.acceptedDomains);
      return [
        {
          objects: [connector.name, domain],
          details: { connector, name, domain, acceptedParent },
        },
      ];
    });
  },
};
