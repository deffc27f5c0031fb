/**
 * `certificate-self-signed`: the server certificate is self-signed. Exchange Online trusts only
 * certificates a public CA issued (KB 3212877), so a certificate-based connector never matches a
 * server that presents it: relay by certificate cannot work, whatever its names.
 */
import { type CertificateFile, certificateFileLabel } from '../../organisation/certificates.js';
import type { ReadinessRule } from './rule.js';

/** What one `certificate-self-signed` occurrence names, for the text pack. */
export type CertificateSelfSignedDetails = { certificate: CertificateFile };

export const certificateSelfSigned: ReadinessRule<'certificate-self-signed', CertificateSelfSignedDetails> = {
  id: 'certificate-self-signed',
  severity: 'error',
  needs: ['certificates'],
  evaluate(input) {
    return input.certificates
      .filter((certificate) => certificate.leaf.selfSigned)
      .map((certificate) => ({ objects: [certificateFileLabel(certificate)], details: { certificate } }));
  },
};
