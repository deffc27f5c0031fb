/**
 * Remediation for `wrong-region`: `451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35`.
 * The smart host must be the tenant's own MX endpoint, and an OnPremises inbound connector must
 * match the sending server. The smart host is set, and the result checked, where the message was
 * sent from: an Exchange send connector or a relay's own settings (`ctx.relay`).
 */

import { LINK_DEVICE_RELAY, LINK_NDR_REFERENCE, LINK_UPDATED_REQUIREMENTS } from '../../kernel/links.js';
import type { ConnectorChoice } from './connector-plan.js';
import type { RemediationTemplate } from './context.js';
import { ipv4Commands, ipv6Sentence } from './ipv6-connection.js';
import {
  capitalise,
  enableConnectorCommand,
  mxLookup,
  namesFor,
  smartHostCommands,
  smartHostSetting,
  smartHostStep,
  tenantEndpoint,
  verifyStep,
} from './shared.js';

/** Point the smart host at the tenant's MX endpoint and make sure a connector matches. */
export const wrongRegion: RemediationTemplate = (ctx) => {
  const names = namesFor(ctx, 'wrong-region');
  // The host that answered is, by definition of this scenario, possibly the wrong one: never reuse it.
  const endpoint = tenantEndpoint(ctx, names.orgDomain, { trustRemoteHost: false });
  const choice = names.connectors;
  const answered = ctx.remoteHost === undefined ? '' : ` from ${ctx.remoteHost}`;

  const lookup =
    endpoint.origin === 'pattern'
      ? `For ${names.domain} it normally has the form ${endpoint.host}, but domains added since 2024 can have an ` +
        'endpoint under mx.microsoft: use exactly the name DNS returns.'
      : `It has the form <domain>-com.mail.protection.outlook.com (or a name under mx.microsoft); replace ${endpoint.host} in the commands below with it.`;
  const ipv6 = ipv6Sentence(ctx, names.server);
  const connectorStep =
    wrongRegionConnectorStep(choice, names.server, names.wildcard) + (ipv6 === undefined ? '' : ` ${ipv6}`);
  const enable = choice?.role === 'enable' ? [enableConnectorCommand(choice.connector.name)] : [];
  const lookUp = mxLookup(ctx, names.domain);

  return {
    title: "Send to your tenant's own MX endpoint",
    explanation:
      `${capitalise(names.server)} was told "Mail sent to the wrong Office 365 region" (${names.codeText})${answered} ` +
      `when relaying to ${names.recipient}: Exchange Online could not tie the message to your tenant at the ` +
      'endpoint it reached. ' +
      `This happens when ${smartHostSetting(ctx)} is not your tenant's own MX endpoint (an IP address, ` +
      "another tenant's host, or an old regional name), or when no OnPremises inbound connector matches the " +
      'sending server.',
    steps: [
      `Look up your tenant's MX endpoint with ${lookUp.inProse}. ${lookup}`,
      smartHostStep(ctx, names, endpoint.host),
      connectorStep,
      verifyStep(ctx, names, 'message to an outside address', 'a 4.4.62 deferral or failure'),
    ],
    commands: [
      lookUp.command,
      ...smartHostCommands(ctx, names, endpoint.host),
      // Deliberately unfiltered: the connector to fix may not be the one the finding knows about.
      'Get-InboundConnector | Format-List Name,Enabled,ConnectorType,SenderIPAddresses,TlsSenderCertificateName',
      ...enable,
      ...ipv4Commands(ctx),
    ],
    links: [LINK_NDR_REFERENCE, LINK_DEVICE_RELAY, LINK_UPDATED_REQUIREMENTS],
  };
};

/** Which connector must match the server, by what the organisation's connectors are. */
function wrongRegionConnectorStep(
  choice: ConnectorChoice | undefined,
  server: string,
  wildcard: string,
): string {
  if (choice === undefined) {
    return (
      `Make sure an enabled OnPremises inbound connector matches ${server}: by certificate ` +
      `(TlsSenderCertificateName ${wildcard}) or by its public IPv4 address in SenderIPAddresses.`
    );
  }
  const name = `"${choice.connector.name}"`;
  const byIp = (connector: string): string =>
    `make sure the public IPv4 address ${server} sends from is in the SenderIPAddresses of ${connector}`;
  switch (choice.role) {
    case 'ip-only':
      return (
        `Your inbound connector ${name} identifies servers by IP address: make sure it is enabled, of type ` +
        `OnPremises, and that the public IPv4 address ${server} sends from is in its SenderIPAddresses.`
      );
    case 'enable':
      return (
        `Your inbound connector ${name} expects the certificate name ${choice.connector.tlsSenderCertificateName ?? ''} ` +
        `but is disabled, and a disabled connector matches no server: enable it (command below).` +
        (choice.ipOnly === undefined
          ? ''
          : ` If ${server} relays by IP address instead, ${byIp(`"${choice.ipOnly.name}"`)}.`)
      );
    case 'use':
    case 'rename':
      return (
        `Your inbound connector ${name} identifies servers by certificate: make sure it is enabled, ` +
        `of type OnPremises, and that its TlsSenderCertificateName matches the certificate ${server} presents.` +
        (choice.ipOnly === undefined
          ? ''
          : ` If ${server} relays by IP address instead, ${byIp(`"${choice.ipOnly.name}"`)}.`)
      );
  }
}
