/**
 * The shape of a readiness rule (cdk-nag style: one rule per module decides *whether* and *about
 * what*; the pack in `../pack/` says it in words). Each rule returns typed details, so the pack's
 * text can use the real names without parsing anything back.
 */
import type { AcceptedDomainList } from '../../organisation/accepted-domains.js';
import type { CertificateFile, CertificateInfo } from '../../organisation/certificates.js';
import type { InboundConnector } from '../../organisation/connectors.js';
import type { CheckId, Severity } from '../result.js';

/** The inputs a rule reads. Absent inputs are empty arrays here: the runner checks `needs` first. */
export interface RuleInput {
  acceptedDomains: AcceptedDomainList;
  connectors: readonly InboundConnector[];
  certificates: readonly CertificateFile[];
  /** The moment validity is judged at (`--at`, default now). */
  at: Date;
}

/** A certificate in a file: the leaf or one of its chain. */
export interface CertificateInFile {
  file: CertificateFile;
  certificate: CertificateInfo;
  role: 'leaf' | 'chain';
}

/** One thing a rule found: the names involved and the details for the text. */
export interface Occurrence<D> {
  objects: string[];
  details: D;
  /**
   * The inputs could not decide this one, or it does not apply because another rule reports the
   * deeper problem (a self-signed certificate has no chain or CA to judge): the pack words it "not
   * checked: …" with why, reported as `info`, not at the rule's severity — and never as passed.
   */
  notChecked?: true;
}

/** Why a rule that had its inputs still had nothing to compare (the pack words it). */
export type NotCheckedReason = 'no-certificate-connector';

/** A rule that could not run on the inputs it was given, and why (reported as `info`). */
export interface NotChecked {
  notChecked: NotCheckedReason;
}

/** Inputs beyond the accepted domains that a rule needs. */
export type OptionalInput = 'connectors' | 'certificates';

export interface ReadinessRule<K extends CheckId, D> {
  id: K;
  severity: Exclude<Severity, 'info'>;
  /** When one of these inputs is absent the rule is reported as "not checked". */
  needs: readonly OptionalInput[];
  evaluate(input: RuleInput): Occurrence<D>[] | NotChecked;
}

/** Every rule, keyed by id, so a new id without a rule does not compile. */
export type RuleSet = { readonly [K in CheckId]: ReadinessRule<K, unknown> };

/** The details type a rule declares for its occurrences. */
export type DetailsOf<R> = R extends ReadinessRule<CheckId, infer D> ? D : never;
