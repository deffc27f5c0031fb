/**
 * The readiness text pack: for every check id, the message and tailored remediation (steps,
 * PowerShell with the real names, links), plus the text for a check that could not run.
 */
import { type ConfigFileKind, HOW_TO_EXPORT, UPLOAD_NAME } from '../../organisation/configuration.js';
import type { ReadinessRemediation } from '../result.js';
import type { NotCheckedReason, OptionalInput } from '../rules/rule.js';
import {
  certificateChainMissingText,
  certificateExpiredText,
  certificateExpiringText,
  certificateNameMismatchText,
  certificateNoAcceptedDomainText,
  certificateNotPublicCaText,
  certificateNotYetValidText,
  certificateSelfSignedText,
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
  'certificate-self-signed': certificateSelfSignedText,
  'certificate-not-public-ca': certificateNotPublicCaText,
  'certificate-chain-missing': certificateChainMissingText,
  'connector-tls-not-required': connectorTlsNotRequiredText,
};

/** Who reads a "not checked" result: the CLI user passes files as options, the cloud user uploads them. */
export type Audience = 'cli' | 'upload';

/** The configuration file that supplies each optional input. */
const FILE_OF: Readonly<Record<OptionalInput, ConfigFileKind>> = {
  connectors: 'connectors',
  certificates: 'certificate',
};

/** The CLI option that takes each optional input, and extra commands that help find it. */
const CLI_SUPPLY: Readonly<Record<OptionalInput, { option: string; before: readonly string[] }>> = {
  connectors: { option: '--connectors', before: [] },
  certificates: { option: '--certificate', before: [GET_SMTP_CERTIFICATES] },
};

/** The remediation of a "not checked" result: how to give the missing input. */
export function notCheckedRemediation(
  missing: readonly OptionalInput[],
  audience: Audience = 'cli',
): ReadinessRemediation {
  return {
    steps: missing.map((input) => {
      const kind = FILE_OF[input];
      return audience === 'cli'
        ? `Export ${HOW_TO_EXPORT[kind].what} and pass the file with ${CLI_SUPPLY[input].option}.`
        : `Export ${HOW_TO_EXPORT[kind].what} and upload it as ${UPLOAD_NAME[kind]} (or pass it to relay-audit check).`;
    }),
    commands: missing.flatMap((input) => [
      ...(audience === 'cli' ? CLI_SUPPLY[input].before : []),
      HOW_TO_EXPORT[FILE_OF[input]].command,
    ]),
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
