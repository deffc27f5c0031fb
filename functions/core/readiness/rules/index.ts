/** Every readiness rule, keyed by its stable id (a missing rule is a compile error). */
import { certificateChainMissing } from './certificate-chain-missing.js';
import { certificateExpired } from './certificate-expired.js';
import { certificateExpiring } from './certificate-expiring.js';
import { certificateNameMismatch } from './certificate-name-mismatch.js';
import { certificateNoAcceptedDomain } from './certificate-no-accepted-domain.js';
import { certificateNotPublicCa } from './certificate-not-public-ca.js';
import { certificateNotYetValid } from './certificate-not-yet-valid.js';
import { certificateSelfSigned } from './certificate-self-signed.js';
import { connectorCertNameIsHost } from './connector-cert-name-is-host.js';
import { connectorCertNameNotAccepted } from './connector-cert-name-not-accepted.js';
import { connectorDisabled } from './connector-disabled.js';
import { connectorIpOnly } from './connector-ip-only.js';
import { connectorTlsNotRequired } from './connector-tls-not-required.js';
import { noOnPremConnector } from './no-onprem-connector.js';
import type { DetailsOf, RuleSet } from './rule.js';

export const RULES = {
  'no-onprem-connector': noOnPremConnector,
  'connector-disabled': connectorDisabled,
  'connector-ip-only': connectorIpOnly,
  'connector-cert-name-is-host': connectorCertNameIsHost,
  'connector-cert-name-not-accepted': connectorCertNameNotAccepted,
  'certificate-name-mismatch': certificateNameMismatch,
  'certificate-no-accepted-domain': certificateNoAcceptedDomain,
  'certificate-expired': certificateExpired,
  'certificate-not-yet-valid': certificateNotYetValid,
  'certificate-expiring': certificateExpiring,
  'certificate-self-signed': certificateSelfSigned,
  'certificate-not-public-ca': certificateNotPublicCa,
  'certificate-chain-missing': certificateChainMissing,
  'connector-tls-not-required': connectorTlsNotRequired,
} as const satisfies RuleSet;

/** What each rule's occurrences carry, derived from the rules themselves (one declaration per rule). */
export type CheckDetails = { [K in keyof typeof RULES]: DetailsOf<(typeof RULES)[K]> };

export type { NotChecked, Occurrence, ReadinessRule, RuleInput } from './rule.js';
export { EXPIRY_WARNING_DAYS } from './validity.js';
