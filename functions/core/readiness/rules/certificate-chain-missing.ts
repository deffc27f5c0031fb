/**
 * `certificate-chain-missing`: the file gives the server certificate without the CA certificate
 * that issued it. The server must send its intermediates or Exchange Online cannot validate the
 * certificate (KB 3212877). A self-signed certificate has no chain to send: `certificate-self-signed`
 * reports it, as an error, and this check says it was not checked for it (never passed).
 */
import { type CertificateFile, certificateFileLabel } from '../../organisation/certificates.js';
import type { Occurrence, ReadinessRule } from './rule.js';

/** What one `certificate-chain-missing` occurrence names, for the text pack. */
export type CertificateChainMissingDetails = {
  certificate: CertificateFile;
  /** `self-signed`: it has no chain, so none is missing (not checked; `certificate-self-signed` reports it). */
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
    return input.certificates.flatMap((certificate): Occurrence<CertificateChainMissingDetails>[] => {
      const objects = [certificateFileLabel(certificate)];
      if (certificate.leaf.selfSigned)
        return [
          { objects, details: { certificate, reason: 'self-signed' as const }, notChecked: true as const },
        ];
      if (certificate.issuerGiven) return [];
      const reason = certificate.chain.length === 0 ? ('leaf-only' as const) : ('issuer-absent' as const);
      return [{ objects, details: { certificate, reason } }];
    });
  },
};
