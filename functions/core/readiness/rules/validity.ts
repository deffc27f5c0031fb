/**
 * What the three validity rules share: every certificate given (leaf and chain) judged at `--at`,
 * and the expiry warning window.
 */
import { certificateLabel } from '../../organisation/certificates.js';
import type { CertificateInFile, Occurrence, RuleInput } from './rule.js';
import { allCertificates } from './select.js';

/** How long before expiry `certificate-expiring` warns. */
export const EXPIRY_WARNING_DAYS = 30;
export const DAY_MS = 86_400_000;

/** The ids whose details are one certificate in a file. */
export type ValidityCheckId = 'certificate-expired' | 'certificate-not-yet-valid' | 'certificate-expiring';

/** One occurrence per certificate (leaf or chain) for which `applies(entry, at)` holds. */
export function validityOccurrences(
  input: RuleInput,
  applies: (entry: CertificateInFile, at: number) => boolean,
): Occurrence<CertificateInFile>[] {
  return allCertificates(input)
    .filter((entry) => applies(entry, input.at.getTime()))
    .map((entry) => ({
      objects: [`${certificateLabel(entry.certificate)} (${entry.file.file})`],
      details: entry,
    }));
}
