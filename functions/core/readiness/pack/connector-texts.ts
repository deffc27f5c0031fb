/**
 * Words and commands for the connector checks. Each template says what is wrong in the admin's
 * terms (their connector, their domains), why it makes Exchange Online refuse relay, and what to
 * run — KB 3169958's step 1 (docs/domain.md §1) applied to the real connector.
 */

import {
  LINK_ADD_DOMAIN,
  LINK_NEW_INBOUND_CONNECTOR,
  LINK_OFFICE_365_NOTICE,
  LINK_SET_INBOUND_CONNECTOR,
  LINK_UPDATED_REQUIREMENTS,
} from '../../kernel/links.js';
import { psQuote } from '../../kernel/powershell.js';
import { identifiesBy } from '../../organisation/connectors.js';
import { isWildcard } from '../../organisation/host-names.js';
import type { ReadinessTemplate } from './template.js';
import {
  GET_ACCEPTED_DOMAINS,
  getInboundConnector,
  identification,
  list,
  newCertificateConnector,
  quoted,
  recommendedCertificateDomain,
  setCertificateName,
  switchToCertificate,
} from './wording.js';

/** The KB's rule for the certificate domain, in one sentence. */
function certificateDomainRule(wildcard: string): string {
  return (
    `The certificate domain must match the CN or a SAN of the certificate your server presents and be an ` +
    `accepted domain or a wildcard over one (${wildcard}) — KB 3169958.`
  );
}

/** KB step 3, on the on-premises side. */
const ON_PREMISES_TLS_STEP =
  'On the on-premises server, send to Exchange Online over TLS with that certificate. Exchange: the send ' +
  'connector to Office 365 needs -RequireTLS $true, -TlsAuthLevel CertificateValidation and -Fqdn set to a ' +
  'name on the certificate; install the certificate with its intermediate chain. Other MTAs (Postfix): ' +
  'present the same certificate with STARTTLS.';

export const noOnPremConnectorText: ReadinessTemplate<'no-onprem-connector'> = (
  { disabled, others },
  input,
) => {
  const wildcard = recommendedCertificateDomain(input);
  const situation =
    disabled.length > 0
      ? `Your OnPremises inbound connector${disabled.length === 1 ? '' : 's'} ${list(disabled.map(quoted))} ` +
        `${disabled.length === 1 ? 'is' : 'are'} disabled, and no other enabled connector is of type OnPremises.`
      : others.length > 0
        ? `None of your ${others.length} inbound connector${others.length === 1 ? '' : 's'} ` +
          `(${list(others.map(quoted))}) is of type OnPremises; Partner connectors do not attribute relayed mail.`
        : 'The connectors file lists no inbound connector at all.';
  const steps = [
    ...(disabled.length > 0
      ? [
          `If ${list(disabled.map(quoted))} is the connector your servers should relay through, enable it ` +
            '(command below) and run relay-audit check again.',
        ]
      : []),
    `Otherwise create an inbound connector from "Your organization's email server" to Office 365 (Exchange ` +
      `admin center > Mail flow > Connectors) that identifies your servers by TLS certificate, with ` +
      `${wildcard} as the certificate domain. ${certificateDomainRule(wildcard)}`,
    ON_PREMISES_TLS_STEP,
    'Export the connectors again (Get-InboundConnector | ConvertTo-Json -Depth 5) and run relay-audit check.',
  ];
  return {
    message:
      `${situation} Exchange Online attributes mail your on-premises servers relay only through an enabled ` +
      'OnPremises inbound connector that matches the sending server, so every message they relay to the ' +
      'internet is refused (550 5.7.64 TenantAttribution; Relay Access Denied).',
    remediation: {
      steps,
      commands: [
        ...disabled.map(
          (connector) => `Set-InboundConnector -Identity ${psQuote(connector.name)} -Enabled $true`,
        ),
        newCertificateConnector('From on-premises servers (certificate)', wildcard),
        getInboundConnector(),
      ],
      links: [LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS, LINK_NEW_INBOUND_CONNECTOR],
    },
  };
};

export const connectorDisabledText: ReadinessTemplate<'connector-disabled'> = ({
  connector,
  anotherEnabled,
}) => ({
  message:
    `OnPremises inbound connector ${quoted(connector)} (identifies servers ${identification(connector)}) is ` +
    'disabled, so Exchange Online ignores it: mail from the servers it describes is attributed only if ' +
    `another enabled OnPremises connector matches them${anotherEnabled ? '' : ', and none is enabled'}.`,
  remediation: {
    steps: [
      `If your on-premises servers should relay through ${quoted(connector)}, enable it (command below).`,
      `If it is no longer used, remove it, so that nobody enables it later by mistake.`,
      'The other connector checks only look at enabled connectors: run relay-audit check again after enabling it.',
    ],
    commands: [
      `Set-InboundConnector -Identity ${psQuote(connector.name)} -Enabled $true`,
      getInboundConnector(connector),
    ],
    links: [LINK_SET_INBOUND_CONNECTOR, LINK_OFFICE_365_NOTICE],
  },
});

export const connectorIpOnlyText: ReadinessTemplate<'connector-ip-only'> = (
  { connector, certificateConnectors },
  input,
) => {
  const wildcard = recommendedCertificateDomain(input);
  const how =
    identifiesBy(connector) === 'nothing'
      ? `OnPremises inbound connector ${quoted(connector)} identifies servers neither by certificate nor by IP ` +
        'address, so it matches no server at all'
      : `OnPremises inbound connector ${quoted(connector)} identifies your servers only by IP address ` +
        `(${list(connector.senderIPAddresses)})`;
  const other =
    certificateConnectors.length > 0
      ? ` Connector ${list(certificateConnectors.map(quoted))} identifies servers by certificate: make sure ` +
        'the servers that send such mail present its certificate.'
      : '';
  return {
    message:
      `${how}. Through an IP-only connector Exchange Online relays only mail whose envelope sender (P1) domain ` +
      'is accepted: NDRs and automatic replies (null sender <>), messages forwarded by on-premises rules and ' +
      `mail sent as domains you have not added are refused with 550 5.7.64 ATTR36.${other}`,
    remediation: {
      steps: [
        `Switch ${quoted(connector)} to identify the server by TLS certificate ${wildcard} with ` +
          `RestrictDomainsToCertificate (first command). If scanners or applications still relay through ` +
          `${quoted(connector)} by IP address, keep it as it is and create a second, certificate-based ` +
          'OnPremises connector instead (second command).',
        certificateDomainRule(wildcard),
        ON_PREMISES_TLS_STEP,
      ],
      commands: [
        switchToCertificate(connector, wildcard),
        newCertificateConnector(`${connector.name} (certificate)`, wildcard),
      ],
      links: [LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS, LINK_SET_INBOUND_CONNECTOR],
    },
  };
};

export const connectorCertNameIsHostText: ReadinessTemplate<'connector-cert-name-is-host'> = (
  { connector, name, domain },
  input,
) => {
  const wildcard = recommendedCertificateDomain(input, name);
  const hybrid =
    connector.connectorSource === 'HybridWizard' ? ' (the Hybrid Configuration Wizard wrote it)' : '';
  return {
    message:
      `OnPremises inbound connector ${quoted(connector)} expects the certificate name ${name}${hybrid}: a host ` +
      `name in ${domain}, rather than ${wildcard} or the accepted domain ${domain} itself. It stops matching ` +
      'as soon as the server presents a certificate for another host (a renewal, a second server), and a host ' +
      'name is usually not a registered domain.',
    remediation: {
      steps: [
        `Change the certificate domain of ${quoted(connector)} to ${wildcard} (command below): it matches ` +
          `${wildcard.slice(2)} and every name below it that the certificate carries, such as ${name}.`,
        `Make sure the certificate your server presents still has a name in ${wildcard.slice(2)} as CN or SAN ` +
          '(relay-audit check --certificate <pem> verifies it).',
        'In a hybrid deployment, check the connector again after each run of the Hybrid Configuration Wizard, ' +
          'which may set the host name again.',
      ],
      commands: [setCertificateName(connector, wildcard), getInboundConnector(connector)],
      links: [LINK_OFFICE_365_NOTICE, LINK_SET_INBOUND_CONNECTOR],
    },
  };
};

export const connectorCertNameNotAcceptedText: ReadinessTemplate<'connector-cert-name-not-accepted'> = (
  { connector, name, domain, acceptedParent },
  input,
) => {
  const entry = acceptedParent === undefined ? undefined : input.acceptedDomains.uncoveredParentOf(domain);
  const why =
    entry !== undefined
      ? ` (${entry.domain} is, but without MatchSubDomains its subdomains are not covered)`
      : acceptedParent === undefined
        ? ` (nor does it lie in any accepted domain: ${list(input.acceptedDomains.domains())})`
        : '';
  const wildcard = recommendedCertificateDomain(input, acceptedParent === undefined ? undefined : domain);
  const fix =
    acceptedParent !== undefined
      ? [
          `Change the certificate domain of ${quoted(connector)} to ${wildcard}, a wildcard over the accepted ` +
            `domain ${wildcard.slice(2)} (command below), provided a name on the certificate counts for it: ` +
            `${wildcard.slice(2)} itself or a host directly in it, such as mail.${wildcard.slice(2)} (a deeper ` +
            `name such as host.sub.${wildcard.slice(2)} needs sub.${wildcard.slice(2)} accepted too, KB 4019940).`,
          isWildcard(name)
            ? `Or register ${domain} as a domain of the tenant (Microsoft 365 admin center > Settings > Domains): ` +
              `a certificate on host.${domain} is attributed through ${domain} (KB 4019940).`
            : `Or register ${domain} as a domain of the tenant (Microsoft 365 admin center > Settings > Domains); ` +
              'a host name is rarely worth registering, so the wildcard is the usual fix.',
        ]
      : [
          `If your organisation owns ${domain}, register it in the tenant (Microsoft 365 admin center > Settings > ` +
            'Domains).',
          `Otherwise give the server a certificate with a name in one of your accepted domains and set the ` +
            `certificate domain of ${quoted(connector)} to ${wildcard} (command below).`,
        ];
  return {
    message:
      `The certificate domain of OnPremises inbound connector ${quoted(connector)} is ${name}, but ${domain} is ` +
      `not an accepted domain${why}. Exchange Online counts the certificate only when its domain is accepted, ` +
      'so NDRs, forwarded mail and mail from domains you have not added are refused with 550 5.7.64 ATTR36.',
    remediation: {
      steps: [...fix, certificateDomainRule(wildcard)],
      commands: [setCertificateName(connector, wildcard), GET_ACCEPTED_DOMAINS],
      links: [LINK_OFFICE_365_NOTICE, LINK_ADD_DOMAIN, LINK_SET_INBOUND_CONNECTOR],
    },
  };
};

export const connectorTlsNotRequiredText: ReadinessTemplate<'connector-tls-not-required'> = ({
  connector,
}) => {
  const byCertificate = identifiesBy(connector) === 'certificate';
  return {
    message:
      `OnPremises inbound connector ${quoted(connector)} has RequireTls $false. ` +
      (byCertificate
        ? `Exchange Online can compare the server's certificate with ${connector.tlsSenderCertificateName} only ` +
          'in a TLS session; a session without TLS is not attributed by certificate.'
        : 'Mail is accepted from its IP addresses without TLS; once the connector identifies servers by ' +
          'certificate (the fix for IP-only connectors), TLS is required anyway.'),
    remediation: {
      steps: [
        `Require TLS on ${quoted(connector)} (command below).`,
        'Make sure every on-premises server and device relaying through it uses STARTTLS first (Exchange: send ' +
          'connector -RequireTLS $true), or its mail will be refused once TLS is required.',
      ],
      commands: [`Set-InboundConnector -Identity ${psQuote(connector.name)} -RequireTls $true`],
      links: [LINK_SET_INBOUND_CONNECTOR, LINK_OFFICE_365_NOTICE],
    },
  };
};
