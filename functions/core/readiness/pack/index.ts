/**
 * The readiness text pack: for every check id, the message and tailored remediation (steps,
 * PowerShell with the real names, links), plus the text for a check that could not run.
 */
import type { ReadinessRemediation } from '../result.js';
import type { NotCheckedReason, OptionalInput } from '../rules/rule.js';
import {
  certificateChainMissingText,
  certificateExpiredText,
  certificateExpiringText,
  certificateNameMismatchText,
  certificateNoAcceptedDomainText,
  certificateNotYetValidText,
} from './certificate-texts.js';
import {
  connectorCertNameIsHostText,
  connectorCertNameNotAcceptedText,
  connectorDisabledText,
  connectorIpOnlyText,
  connectorTlsNotRequiredText,
  noOnPremConnectorText,
} from './connector-texts.js';
import type { ReadinessText, TextPack } from './template.js';
import { GET_SMTP_CERTIFICATES, getInboundConnector } from './wording.js';

export type { ReadinessTemplate, ReadinessText, TextPack } from './template.js';

export const TEXTS: TextPack = {
  'no-onprem-connector': noOnPremConnectorText,
  'connector-disabled': connectorDisabledText,
  'connector-ip-only': connectorIpOnlyText,
  'connector-cert-name-is-host': connectorCertNameIsHostText,
  'connector-cert-name-not-accepted': connectorCertNameNotAcceptedText,
  'certificate-name-mismatch': certificateNameMismatchText,
  'certificate-no-accepted-domain': certificateNoAcceptedDomainText,
  'certificate-expired': certificateExpiredText,
  'certificate-not-yet-valid': certificateNotYetValidText,
  'certificate-expiring': certificateExpiringText,
  'certificate-chain-missing': certificateChainMissingText,
  'connector-tls-not-required': connectorTlsNotRequiredText,
};

/** How to supply an input a check needs, for the "not checked" results. */
const HOW_TO_SUPPLY: Readonly<Record<OptionalInput, ReadinessRemediation>> = {
  connectors: {
    steps: [
      'Export the inbound connectors in Exchange Online PowerShell (Connect-ExchangeOnline) and pass the file ' +
        'with --connectors.',
    ],
    commands: [
      'Get-InboundConnector | ConvertTo-Json -Depth 5 | Set-Content -Encoding UTF8 inbound-connectors.json',
    ],
    links: [],
  },
  certificates: {
    steps: [
      'Export the certificate your on-premises server presents to Exchange Online as PEM, followed by its ' +
        'intermediate CA certificates, and pass the file with --certificate.',
    ],
    commands: [
      GET_SMTP_CERTIFICATES,
      "Get-ExchangeCertificate -Thumbprint '<thumbprint>' | ForEach-Object { \"-----BEGIN CERTIFICATE-----`n$([Convert]::ToBase64String($_.RawData, 'InsertLineBreaks'))`n-----END CERTIFICATE-----\" } | Set-Content -Encoding ASCII server-certificate.pem",
    ],
    links: [],
  },
};

/** The remediation of a "not checked" result: how to give the missing input. */
export function notCheckedRemediation(missing: readonly OptionalInput[]): ReadinessRemediation {
  const parts = missing.map((input) => HOW_TO_SUPPLY[input]);
  return {
    steps: parts.flatMap((part) => part.steps),
    commands: parts.flatMap((part) => part.commands),
    links: [],
  };
}

/** A rule that had its inputs but nothing to compare, in words. */
export const NOT_CHECKED_TEXTS: Readonly<Record<NotCheckedReason, ReadinessText>> = {
  'no-certificate-connector': {
    message: 'not checked: no enabled OnPremises connector identifies servers by certificate',
    remediation: {
      steps: [
        'Compare the certificate with a certificate-based OnPremises connector once one exists (see ' +
          'connector-ip-only and no-onprem-connector).',
      ],
      commands: [getInboundConnector()],
      links: [],
    },
  },
};
