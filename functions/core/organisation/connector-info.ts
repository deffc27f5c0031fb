/** What the analysis needs to know of an inbound connector; types only, so the browser bundle can import it. */

/**
 * The inbound connector in Exchange Online that the on-premises server relays through, when the
 * organisation supplied `Get-InboundConnector` output. It lets the advice name the real connector
 * instead of a placeholder, and say why an IP-only connector cannot carry the message.
 */
export interface InboundConnectorInfo {
  /** Connector name as `Get-InboundConnector` shows it, e.g. `Inbound from EX01`. */
  name: string;
  /** `ip` when only `SenderIPAddresses` identifies the server, `certificate` when `TlsSenderCertificateName` does. */
  identifiesBy: 'ip' | 'certificate';
  /** Current `TlsSenderCertificateName`, e.g. `*.contoso.com` or a Hybrid-wizard host name `mail.contoso.com`. */
  tlsSenderCertificateName?: string;
}
