/**
 * Remediation for `connector-mismatch`: the sender domain is accepted, but no OnPremises inbound
 * connector matched the server (5.7.64 without ATTR36): the certificate was renewed or renamed, the
 * public IP changed, or the intermediate chain is not sent (KB 3212877).
 */

import {
  LINK_OFFICE_365_NOTICE,
  LINK_RELAY_ACCESS_DENIED,
  LINK_UPDATED_REQUIREMENTS,
} from '../../shared/links.js';
import { psQuote } from '../../shared/powershell.js';
import type { RemediationContext, RemediationTemplate } from './context.js';
import {
  capitalise,
  certificateConnectorCommand,
  getInboundConnectorCommand,
  namesFor,
  verifyStep,
} from './shared.js';

/** Compare certificate and IP with the connector, re-run HCW, send the full chain. */
export const connectorMismatch: RemediationTemplate = (ctx) => {
  const names = namesFor(ctx);
  const connector = ctx.inboundConnector;
  const connectorText = connector === undefined ? 'your OnPremises inbound connector' : `"${connector.name}"`;
  const current = connector?.tlsSenderCertificateName?.trim();
  const currentText = current === undefined || current === '' ? '' : ` (now ${current})`;
  const senderDomain = ctx.senderDomain ?? 'your domain';

  const ipCommand =
    `Set-InboundConnector -Identity ${psQuote(names.inboundConnector)} ` +
    `-SenderIPAddresses @{Add=${psQuote(`<public IPv4 address of ${names.server}>`)}}`;

  return {
    title: 'Make the inbound connector match the server again',
    explanation:
      `${capitalise(names.server)} sent mail from ${senderDomain}, which ${acceptedPhrase(ctx)}, and Exchange ` +
      `Online still refused it (${names.codeText}${ctx.attr === undefined ? ', without ATTR36' : ''}). ` +
      'That means Exchange Online could not match the server to any of your OnPremises inbound connectors. ' +
      "Usually the connector's certificate name or IP address no longer fits the server: the certificate was " +
      'renewed or renamed, the public IP address changed, or the server does not send the intermediate certificate chain.',
    steps: [
      `Find the certificate ${names.server} presents to Exchange Online: set protocol logging to Verbose on send ` +
        `connector "${names.sendConnector}" and read the send protocol log (Exchange: ` +
        'TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend) for the certificate sent after STARTTLS: its subject, ' +
        'subject alternative names and expiry date.',
      connector?.identifiesBy === 'ip'
        ? `${connectorText} identifies the server by IP address, not by certificate: the certificate only counts ` +
          `once an OnPremises connector has a TlsSenderCertificateName matching its CN or a SAN, such as ` +
          `${names.wildcard} (an accepted domain or a wildcard over one).`
        : `Compare it with TlsSenderCertificateName of ${connectorText}${currentText}. The name must match the ` +
          `certificate's CN or a SAN and be an accepted domain or a wildcard over one: ${names.wildcard} keeps ` +
          `matching when the certificate is renewed with another host name in ${names.domain}, unlike a host name ` +
          `such as mail.${names.domain}.`,
      'In a hybrid deployment, re-run the Hybrid Configuration Wizard after renewing or replacing the certificate: ' +
        'it updates the certificate on the on-premises send connector and on the inbound connector together.',
      `If ${connectorText} identifies the server by IP address, check SenderIPAddresses: it must contain the ` +
        `public IPv4 address ${names.server} reaches Exchange Online from now (single addresses or ranges from ` +
        '/24 to /32; IPv6 addresses are not accepted there).',
      `Install the intermediate CA certificates on ${names.server} so that it sends the full chain: Exchange ` +
        'Online cannot validate a certificate whose chain is incomplete (KB 3212877).',
      verifyStep(names, `message from ${senderDomain}`),
    ],
    commands: [
      getInboundConnectorCommand(ctx),
      "Get-ExchangeCertificate | Where-Object { $_.Services -match 'SMTP' } | Format-List Subject,CertificateDomains,NotAfter,Thumbprint,Status",
      `Set-SendConnector -Identity ${psQuote(names.sendConnector)} -ProtocolLoggingLevel Verbose`,
      connector?.identifiesBy === 'ip' ? ipCommand : certificateConnectorCommand(ctx, names),
    ],
    links: [LINK_RELAY_ACCESS_DENIED, LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS],
  };
};

/** How sure we are that the sender domain is accepted, for the explanation. */
function acceptedPhrase(ctx: RemediationContext): string {
  switch (ctx.acceptedDomainsSource) {
    case 'given':
      return 'is an accepted domain of your tenant';
    case 'inferred':
      return 'the logs show as one of your domains';
    case 'none':
      return 'looks like one of your own domains';
  }
}
