/**
 * `certificate-expired`, `certificate-not-yet-valid`, `certificate-expiring`: the validity of every
 * certificate given (leaf and chain) at `--at`. "Expiring" means within {@link EXPIRY_WARNING_DAYS}.
 */
import { certificateLabel } from '../certificates.js';
import type { CertificateInFile, Occurrence, ReadinessRule, RuleInput } from './rule.js';
import { allCertificates } from './select.js';

/** How long before expiry `certificate-expiring` warns. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

function occurrences<K extends 'certificate-expired' | 'certificate-not-yet-valid' | 'certificate-expiring'>(
  input: RuleInput,
  applies: (entry: CertificateInFile, at: number) => boolean,
): Occurrence<K>[] {
  return allCertificates(input)
    .filter((entry) => applies(entry, input.at.getTime()))
    .map((entry) => ({
      objects: [`${certificateLabel(entry.certificate)} (${entry.file.file})`],
      details: entry,
    }));
}

export const certificateExpired: ReadinessRule<'certificate-expired'> = {
  id: 'certificate-expired',
  severity: 'error',
  needs: ['certificates'],
  evaluate: (input) => occurrences(input, ({ certificate }, at) => at > certificate.notAfter.getTime()),
};

export const certificateNotYetValid: ReadinessRule<'certificate-not-yet-valid'> = {
  id: 'certificate-not-yet-valid',
  severity: 'error',
  needs: ['certificates'],
  evaluate: (input) => occurrences(input, ({ certificate }, at) => at < certificate.notBefore.getTime()),
};

export const certificateExpiring: ReadinessRule<'certificate-expiring'> = {
  id: 'certificate-expiring',
  severity: 'warning',
  needs: ['certificates'],
  evaluate: (input) =>
    occurrences(input, ({ certificate }, at) => {
      const left = certificate.notAfter.getTime() - at;
      return left >= 0 && left <= EXPIRY_WARNING_DAYS * DAY_MS && at >= certificate.notBefore.getTime();
    }),
};
