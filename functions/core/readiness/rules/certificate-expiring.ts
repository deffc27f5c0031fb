/**
 * `certificate-expiring`: a certificate in a file, valid at `--at`, expires within
 * {@link EXPIRY_WARNING_DAYS} days of it — time to renew before relay stops.
 */
import type { CertificateInFile, ReadinessRule } from './rule.js';
import { DAY_MS, EXPIRY_WARNING_DAYS, validityOccurrences } from './validity.js';

export const certificateExpiring: ReadinessRule<'certificate-expiring', CertificateInFile> = {
  id: 'certificate-expiring',
  severity: 'warning',
  needs: ['certificates'],
  evaluate: (input) =>
    validityOccurrences(input, ({ certificate }, at) => {
      const left = certificate.notAfter.getTime() - at;
      return left >= 0 && left <= EXPIRY_WARNING_DAYS * DAY_MS && at >= certificate.notBefore.getTime();
    }),
};
