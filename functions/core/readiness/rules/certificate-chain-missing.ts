/**
 * `certificate-chain-missing`: the file gives the server certificate without the CA certificate
 * that issued it. The server must send its intermediates or Exchange Online cannot validate the
 * certificate (KB 3212877). A self-signed certificate has no chain to send: `certificate-self-signed`
 * reports it, as an error.
 */
import { type CertificateFile, certificateFileLabel } from '../../organisation/certificates.js';
import type { ReadinessRule } from './rule.js';

/** What one `certificate-chain-missing` occurrence names, for the text pack. */
export type CertificateChainMissingDetails = {
  certificate: CertificateFile;
  reason: 'leaf-only' | 'issuer-absent';
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
      if (certificate.issuerGiven || certificate.leaf.selfSigned) return [];
      const reason = certificate.chain.length === 0 ? ('leaf-only' as const) : ('issuer-absent' as const);
      return [{ objects: [certificateFileLabel(certificate)], details: { certificate, reason } }];
    });
  },
};
