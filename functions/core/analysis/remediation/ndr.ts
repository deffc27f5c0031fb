/**
 * Remediation for `ndr`: NDRs, delivery notifications and automatic replies from on-premises to the
 * internet. They have a null envelope sender (`<>`), so no sender domain can be accepted and only a
 * certificate-based inbound connector can attribute them (KB 3169958).
 */

import { LINK_NDR_REFERENCE, LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS } from '../../kernel/links.js';
import type { RemediationTemplate } from './context.js';
import {
  acceptedDomainStep,
  type CertificateNeed,
  capitalise,
  certificateConnectorStep,
  inboundConnectorCommands,
  namesFor,
  presentCertificateCommands,
  presentCertificateStep,
  registrationCommands,
  verifyStep,
} from './shared.js';

/** Certificate-based connector advice for null-sender messages. */
export const ndr: RemediationTemplate = (ctx) => {
  const names = namesFor(ctx, 'ndr');
  const need: CertificateNeed = {
    messages: 'NDRs and automatic replies',
    whyIpFails:
      'NDRs and automatic replies have a null sender, so such a connector can never attribute them to your tenant',
  };
  return {
    title: 'Relay NDRs and automatic replies through a certificate-based connector',
    explanation:
      `${capitalise(names.server)} sent a non-delivery report, delivery notification or automatic reply to ` +
      `${names.recipient}, and Exchange Online refused to relay it (${names.codeText}). ` +
      'Such messages have an empty envelope sender (<>), so there is no sender domain Exchange Online could ' +
      'match against your accepted domains. ' +
      'The only way to relay them is an inbound connector that recognises your server by its TLS certificate, ' +
      `with a certificate name in ${names.domain} (${names.wildcard}).`,
    steps: [
      certificateConnectorStep(ctx, names, need),
      acceptedDomainStep(ctx, names),
      presentCertificateStep(ctx, names),
      verifyStep(ctx, names, 'NDR or automatic reply to an outside address'),
    ],
    commands: [
      ...inboundConnectorCommands(names),
      'Get-AcceptedDomain | Format-Table DomainName,DomainType,Default,MatchSubDomains',
      ...registrationCommands(names),
      ...presentCertificateCommands(ctx, names),
    ],
    links: [LINK_OFFICE_365_NOTICE, LINK_UPDATED_REQUIREMENTS, LINK_NDR_REFERENCE],
  };
};
