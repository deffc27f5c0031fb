/**
 * Readiness: does the organisation's configuration meet what Exchange Online requires to relay its
 * on-premises mail (docs/domain.md §1 and §4)? Pure — no AWS, no file system: inputs come in as text or
 * bytes, results go out as data. The CLI (`relay-audit check`) and, later, the pipeline call it.
 *
 * Layout, cdk-nag style: `rules/` holds one rule per check (it decides whether and about what),
 * `pack/` says it in words (message, steps, PowerShell filled with the real names, links).
 *
 * | id | severity | reported when |
 * |---|---|---|
 * | `no-onprem-connector` | error | connectors given, but none is enabled and of type OnPremises: nothing attributes relayed mail |
 * | `connector-disabled` | warning | an OnPremises connector is disabled (Exchange Online ignores it) |
 * | `connector-ip-only` | warning | an enabled OnPremises connector has no TlsSenderCertificateName: NDRs, forwarded mail and foreign sender domains are refused; mail from accepted domains still relays, hence not an error |
 * | `connector-cert-name-is-host` | warning | TlsSenderCertificateName is a host below an accepted domain (`mail.contoso.com`), not `*.contoso.com` or the domain itself |
 * | `connector-cert-name-not-accepted` | error | TlsSenderCertificateName, wildcard stripped, is not an accepted domain (subdomains only via MatchSubDomains) |
 * | `certificate-name-mismatch` | error | no CN/SAN of a certificate matches any enabled certificate-based OnPremises connector (`*.contoso.com` covers contoso.com and every name below it, as Set-InboundConnector documents) |
 * | `certificate-no-accepted-domain` | error | no CN/SAN lies in an accepted domain (for `host.sub.contoso.com`, `sub.contoso.com` must be accepted — KB 4019940) |
 * | `certificate-expired` | error | a certificate in a file (leaf or chain) expired before `--at` |
 * | `certificate-not-yet-valid` | error | a certificate in a file becomes valid after `--at` |
 * | `certificate-expiring` | warning | a certificate in a file expires within 30 days of `--at` |
 * | `certificate-self-signed` | error | a file's server certificate is self-signed: Exchange Online trusts only public CAs (KB 3212877) |
 * | `certificate-chain-missing` | warning | a file gives the leaf without the CA certificate that issued it (KB 3212877) |
 * | `connector-tls-not-required` | warning | an enabled OnPremises connector has RequireTls false |
 *
 * Any check whose input was not given (no `--connectors`, no `--certificate`) is reported as `info`
 * "not checked: no connectors given", and `certificate-name-mismatch` as `info` when no enabled
 * certificate-based connector exists to compare with. Results are ordered by severity, then id.
 */

export {
  type CertificateFile,
  type CertificateInfo,
  certificateNames,
  describeCertificateFile,
  parseCertificateFile,
} from '../organisation/certificates.js';
export {
  type InboundConnector,
  identifiesBy,
  isOnPremises,
  parseInboundConnectors,
  toInboundConnectorInfo,
} from '../organisation/connectors.js';
export { ConfigFileError } from '../organisation/errors.js';
export {
  certificateWildcardCovers,
  connectorWildcardCovers,
  namesMatch,
} from '../organisation/host-names.js';
export { onPremisesConnectors, relayConnector } from '../organisation/relay-connector.js';
export {
  CHECK_IDS,
  CheckId,
  ReadinessRemediation,
  ReadinessResult,
  SEVERITIES,
  Severity,
} from './result.js';
export { EXPIRY_WARNING_DAYS, RULES } from './rules/index.js';
export { passedChecks, type ReadinessInput, runReadinessChecks } from './run.js';
