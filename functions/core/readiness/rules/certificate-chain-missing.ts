/**
 * `certificate-chain-missing`: the file gives the server certificate without the CA certificate
 * that issued it. The server must send its intermediates or Exchange Online cannot validate the
 * certificate (KB 3212877). A self-signed certificate has no chain a public CA vouches for, which
 * Exchange Online does not trust either.
 */
import { type CertificateFile, certificateFileLabel } from '../../organisation/certificates.js';
import type { ReadinessRule } from './rule.js';

/** What one `certificate-chain-missing` occurrence names, for the text pack. */
export type CertificateChainMissingDetails = {
  certificate: CertificateFile;
  reason: 'leaf-only' | 'issuer-absent' | 'self-signed';
};

export const certificateChainMissing: ReadinessRule<
  'certificate-chain-missing',
  CertificateChainMissingDetails
> = {
  id: 'certificate-chain-missing',
  severity: 'warning',
  needs: ['certificates'],
  evaluate(input) {
    return input.certificates.flatMap((certificate) => {
      if (certificate.issuerGiven) return [];
      const reason = certificate.leaf.selfSigned
        ? ('self-signed' as const)
        : certificate.chain.length === 0
          ? ('leaf-only' as const)
          : ('issuer-absent' as const);
      return [{ objects: [certificateFileLabel(certificate)], details: { certificate, reason } }];
    });
  },
};
