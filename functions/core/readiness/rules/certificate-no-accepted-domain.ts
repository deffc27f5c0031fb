/**
 * `certificate-no-accepted-domain`: no CN/SAN of a certificate lies in an accepted domain. For a
 * host name the domain above it must be accepted (`host.sub.contoso.com` needs `sub.contoso.com`,
 * KB 4019940) unless an accepted ancestor has MatchSubDomains.
 */
import {
  type CertificateFile,
  certificateFileLabel,
  certificateNames,
} from '../../organisation/certificates.js';
import { attributeName, closestAcceptedDomain } from '../../organisation/host-names.js';
import type { ReadinessRule } from './rule.js';

/** What one `certificate-no-accepted-domain` occurrence names, for the text pack. */
export type CertificateNoAcceptedDomainDetails = {
  certificate: CertificateFile;
  names: string[];
  /** Domains whose registration would make a name count (KB 4019940), with the accepted ancestor. */
  registrable: { domain: string; acceptedAncestor: string }[];
};

export const certificateNoAcceptedDomain: ReadinessRule<
  'certificate-no-accepted-domain',
  CertificateNoAcceptedDomainDetails
> = {
  id: 'certificate-no-accepted-domain',
  severity: 'error',
  needs: ['certificates'],
  evaluate(input) {
    return input.certificates.flatMap((certificate) => {
      const names = certificateNames(certificate.leaf);
      const attributions = names.map((name) => attributeName(name, input.acceptedDomains));
      if (attributions.some((attribution) => attribution.accepted)) return [];
      const registrable = new Map<string, string>();
      for (const { requiredDomain } of attributions) {
        const acceptedAncestor = closestAcceptedDomain(requiredDomain, input.acceptedDomains);
        if (acceptedAncestor !== undefined && acceptedAncestor !== requiredDomain) {
          registrable.set(requiredDomain, acceptedAncestor);
        }
      }
      return [
        {
          objects: [certificateFileLabel(certificate), ...registrable.keys()],
          details: {
            certificate,
            names,
            registrable: [...registrable].map(([domain, acceptedAncestor]) => ({ domain, acceptedAncestor })),
          },
        },
      ];
    });
  },
};
