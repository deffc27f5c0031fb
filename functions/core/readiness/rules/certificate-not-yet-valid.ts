/** `certificate-not-yet-valid`: a certificate in a file only becomes valid after `--at`. */
import type { ReadinessRule } from './rule.js';
import { validityOccurrences } from './validity.js';

export const certificateNotYetValid: ReadinessRule<'certificate-not-yet-valid'> = {
  id: 'certificate-not-yet-valid',
  severity: 'error',
  needs: ['certificates'],
  evaluate: (input) =>
    validityOccurrences(input, ({ certificate }, at) => at < certificate.notBefore.getTime()),
};
