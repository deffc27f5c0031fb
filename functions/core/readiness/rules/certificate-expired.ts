/** `certificate-expired`: a certificate in a file (leaf or chain) expired before `--at`. */
import type { CertificateInFile, ReadinessRule } from './rule.js';
import { validityOccurrences } from './validity.js';

export const certificateExpired: ReadinessRule<'certificate-expired', CertificateInFile> = {
  id: 'certificate-expired',
  severity: 'error',
  needs: ['certificates'],
  evaluate: (input) =>
    validityOccurrences(input, ({ certificate }, at) => at > certificate.notAfter.getTime()),
};
