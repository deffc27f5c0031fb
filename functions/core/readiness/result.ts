/**
 * What a readiness check reports: the stable ids, severities and the result shape (a zod schema,
 * so stored and served results can be validated like findings are).
 */
import { z } from 'zod';

/** Every check, by stable id. Stored and shown to users: never rename one. */
export const CHECK_IDS = [
  'no-onprem-connector',
  'connector-disabled',
  'connector-ip-only',
  'connector-cert-name-is-host',
  'connector-cert-name-not-accepted',
  'certificate-name-mismatch',
  'certificate-no-accepted-domain',
  'certificate-expired',
  'certificate-not-yet-valid',
  'certificate-expiring',
  'certificate-chain-missing',
  'connector-tls-not-required',
  'certificate-self-signed',
  'certificate-not-public-ca',
] as const;
export const CheckId = z.enum(CHECK_IDS);
export type CheckId = z.infer<typeof CheckId>;

/** `error`: relay will be refused; `warning`: fragile or refused for some mail; `info`: not checked. */
export const SEVERITIES = ['error', 'warning', 'info'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** Results in report order: errors first, then warnings, then "not checked"; by check id within each. */
export function orderBySeverity<T extends { severity: Severity; id: string }>(results: readonly T[]): T[] {
  return results
    .map((result, index) => ({ result, index }))
    .sort(
      (a, b) =>
        SEVERITIES.indexOf(a.result.severity) - SEVERITIES.indexOf(b.result.severity) ||
        a.result.id.localeCompare(b.result.id) ||
        a.index - b.index,
    )
    .map(({ result }) => result);
}

export const ReadinessRemediation = z.object({
  /** What to do, in order, with the organisation's real names. */
  steps: z.array(z.string()),
  /** Exchange Online / Exchange PowerShell, names quoted with `psQuote`/`psArg`. */
  commands: z.array(z.string()),
  links: z.array(z.object({ title: z.string(), url: z.url() })),
});
export type ReadinessRemediation = z.infer<typeof ReadinessRemediation>;

export const ReadinessResult = z.object({
  id: CheckId,
  severity: Severity,
  /** One or two sentences: what is wrong and why it matters for relay. */
  message: z.string(),
  /** Names of the connectors, certificates and domains involved. */
  objects: z.array(z.string()),
  remediation: ReadinessRemediation,
});
export type ReadinessResult = z.infer<typeof ReadinessResult>;
