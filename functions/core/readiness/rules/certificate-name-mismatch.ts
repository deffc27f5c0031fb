/**
 * `certificate-name-mismatch`: no CN/SAN of a certificate matches the `TlsSenderCertificateName` of
 * any enabled certificate-based OnPremises connector (`namesMatch`: the connector's `*.contoso.com`
 * covers contoso.com and every name below it). Exchange Online then matches the server to no connector.
 * A name in the X.500 form (`<I>issuer<S>subject`) pins the issuer too: a connector whose name matches
 * but whose pinned issuer is not the certificate's (a certificate renewed from another CA) does not
 * match it either, and is named in `issuerPins` so the text can say so.
 */

import {
  type CertificateFile,
  certificateFileLabel,
  certificateNames,
} from '../../organisation/certificates.js';
import type { InboundConnector } from '../../organisation/connectors.js';
import { namesMatch } from '../../organisation/host-names.js';
import { sameDistinguishedName } from '../../organisation/x509-names.js';
import type { ReadinessRule } from './rule.js';
import { certificateConnectors } from './select.js';

/** What one `certificate-name-mismatch` occurrence names, for the text pack. */
export type CertificateNameMismatchDetails = {
  certificate: CertificateFile;
  connectors: InboundConnector[];
  /** Connectors whose name matches the certificate but which pin another issuer (`<I>…`). */
  issuerPins: InboundConnector[];
};

/** True when the connector pins no issuer, or the one that issued `certificate`. */
function issuerPinFits(connector: InboundConnector, certificate: CertificateFile): boolean {
  const pinned = connector.tlsSenderCertificateIssuer;
  return pinned === undefined || sameDistinguishedName(pinned, certificate.leaf.issuer);
}

export const certificateNameMismatch: ReadinessRule<
  'certificate-name-mismatch',
  CertificateNameMismatchDetails
> = {
  id: 'certificate-name-mismatch',
  severity: 'error',
  needs: ['connectors', 'certificates'],
  evaluate(input) {
    const connectors = certificateConnectors(input);
    if (connectors.length === 0) {
      return { notChecked: 'no-certificate-connector' };
    }
    return input.certificates.flatMap((certificate) => {
      const names = certificateNames(certificate.leaf);
      // Connectors whose name matches: with none left once the issuer they pin is compared, those pin another.
      const issuerPins = connectors.filter((connector) =>
        names.some((name) => namesMatch(connector.tlsSenderCertificateName ?? '', name)),
      );
      if (issuerPins.some((connector) => issuerPinFits(connector, certificate))) return [];
      return [
        {
          objects: [
            certificateFileLabel(certificate),
            ...(issuerPins.length > 0 ? issuerPins : connectors).map((connector) => connector.name),
          ],
          details: { certificate, connectors, issuerPins },
        },
      ];
    });
  },
};
