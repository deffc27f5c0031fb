/**
 * `certificate-name-mismatch`: no CN/SAN of a certificate matches the `TlsSenderCertificateName` of
 * any enabled certificate-based OnPremises connector (`namesMatch`: the connector's `*.contoso.com`
 * covers contoso.com and every name below it). Exchange Online then matches the server to no connector.
 */

import {
  type CertificateFile,
  certificateFileLabel,
  certificateNames,
} from '../../organisation/certificates.js';
import type { InboundConnector } from '../../organisation/connectors.js';
import { namesMatch } from '../../organisation/host-names.js';
import type { ReadinessRule } from './rule.js';
import { certificateConnectors } from './select.js';

/** What one `certificate-name-mismatch` occurrence names, for the text pack. */
export type CertificateNameMismatchDetails = { certificate: CertificateFile; connectors: InboundConnector[] };

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
      const matched = connectors.some((connector) =>
        names.some((name) => namesMatch(connector.tlsSenderCertificateName ?? '', name)),
      );
      if (matched) return [];
      return [
        {
          objects: [certificateFileLabel(certificate), ...connectors.map((connector) => connector.name)],
          details: { certificate, connectors },
        },
      ];
    });
  },
};
