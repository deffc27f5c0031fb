/** `certificate-not-yet-valid`: a certificate in a file only becomes valid after `--at`. */
import type { CertificateInFile, ReadinessRule } from './rule.js';
import { validityOccurrences } from './validity.js';

export const certificateNotYetValid: ReadinessRule<'certificate-not-yet-valid', CertificateInFile> = {
  id: 'certificate-not-yet-valid',
  severity: 'error',
  needs: ['certificates'],
  evaluate: (input) =>
    validityOccurrences(input, ({ certificate }, at) => at < certificate.notBefore.getTime()),
};
