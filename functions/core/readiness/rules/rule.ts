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

/** What each rule found, per occurrence. */
export interface CheckDetails {
  'no-onprem-connector': { disabled: InboundConnector[]; others: InboundConnector[] };
  'connector-disabled': { connector: InboundConnector; anotherEnabled: boolean };
  'connector-ip-only': { connector: InboundConnector; certificateConnectors: InboundConnector[] };
  'connector-cert-name-is-host': { connector: InboundConnector; name: string; domain: string };
  'connector-cert-name-not-accepted': {
    connector: InboundConnector;
    name: string;
    /** The name with the wildcard stripped: what must be accepted. */
    domain: string;
    /** The closest accepted domain above `domain`, when there is one. */
    acceptedParent: string | undefined;
  };
  'certificate-name-mismatch': { certificate: CertificateFile; connectors: InboundConnector[] };
  'certificate-no-accepted-domain': {
    certificate: CertificateFile;
    names: string[];
    /** Domains whose registration would make a name count (KB 4019940), with the accepted ancestor. */
    registrable: { domain: string; acceptedAncestor: string }[];
  };
  'certificate-expired': CertificateInFile;
  'certificate-not-yet-valid': CertificateInFile;
  'certificate-expiring': CertificateInFile;
  'certificate-chain-missing': {
    certificate: CertificateFile;
    reason: 'leaf-only' | 'issuer-absent' | 'self-signed';
  };
  'connector-tls-not-required': { connector: InboundConnector };
}

/** One thing a rule found: the names involved and the details for the text. */
export interface Occurrence<K extends CheckId> {
  objects: string[];
  details: CheckDetails[K];
}

/** Why a rule that had its inputs still had nothing to compare (the pack words it). */
export type NotCheckedReason = 'no-certificate-connector';

/** A rule that could not run on the inputs it was given, and why (reported as `info`). */
export interface NotChecked {
  notChecked: NotCheckedReason;
}

/** Inputs beyond the accepted domains that a rule needs. */
export type OptionalInput = 'connectors' | 'certificates';

export interface ReadinessRule<K extends CheckId> {
  id: K;
  severity: Exclude<Severity, 'info'>;
  /** When one of these inputs is absent the rule is reported as "not checked". */
  needs: readonly OptionalInput[];
  evaluate(input: RuleInput): Occurrence<K>[] | NotChecked;
}

/** Every rule, keyed by id, so a new id without a rule does not compile. */
export type RuleSet = { readonly [K in CheckId]: ReadinessRule<K> };
