/** What the analysis needs to know of an inbound connector; types only, so the browser bundle can import it. */

/**
 * One OnPremises inbound connector in Exchange Online, when the organisation supplied
 * `Get-InboundConnector` output. The analysis is given all of them, so that each finding's advice
 * can name the one that matters to it (see `chooseConnector`) instead of a placeholder.
 */
export interface InboundConnectorInfo {
  /** Connector name as `Get-InboundConnector` shows it, e.g. `Inbound from EX01`. */
  name: string;
  /** `Enabled`: a disabled connector matches no server, whatever it expects. */
  enabled: boolean;
  /** `ip` when only `SenderIPAddresses` identifies the server, `certificate` when `TlsSenderCertificateName` does. */
  identifiesBy: 'ip' | 'certificate';
  /** Current `TlsSenderCertificateName`, e.g. `*.contoso.com` or a Hybrid-wizard host name `mail.contoso.com`. */
  tlsSenderCertificateName?: string;
  /**
   * The issuer DN a `TlsSenderCertificateName` of the X.500 form (`<I>issuer<S>subject`) pins, as
   * written: a certificate from another CA (a renewal elsewhere) does not match the connector.
   */
  tlsSenderCertificateIssuer?: string;
  /** The subject DN of that X.500 form, as written. */
  tlsSenderCertificateSubject?: string;
}
