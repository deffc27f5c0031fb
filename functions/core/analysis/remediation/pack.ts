/**
 * The remediation pack: one template per scenario (cdk-nag style), looked up by scenario id.
 *
 * The lookup is a `Record<ScenarioId, …>` rather than a switch so that adding a scenario id to
 * `findings.ts` without writing its template is a compile error, not a silent gap in reports.
 */
import type { Remediation, ScenarioId } from '../model/findings.js';
import { connectorMismatch } from './connector-mismatch.js';
import type { RemediationContext, RemediationTemplate } from './context.js';
import { foreignSenderDomain } from './foreign-sender-domain.js';
import { forwarding } from './forwarding.js';
import { ndr } from './ndr.js';
import { wrongRegion } from './wrong-region.js';

/** Every scenario's template, keyed by its stable id. */
export const REMEDIATION_TEMPLATES: Readonly<Record<ScenarioId, RemediationTemplate>> = {
  ndr,
  forwarding,
  'foreign-sender-domain': foreignSenderDomain,
  'connector-mismatch': connectorMismatch,
  'wrong-region': wrongRegion,
};

/**
 * Tailored remediation for one finding: title, explanation, steps, PowerShell commands filled
 * with the finding's real domains and connectors, and documentation links.
 */
export function remediationFor(scenario: ScenarioId, ctx: RemediationContext): Remediation {
  return REMEDIATION_TEMPLATES[scenario](ctx);
}

/**
 * One-line human description of each scenario, independent of any finding: used by the CLI report
 * headings and the README so both describe scenarios in the same words.
 */
export const SCENARIO_DESCRIPTIONS: Readonly<
  Record<ScenarioId, { title: string; short: string; summary: string }>
> = {
  ndr: {
    title: 'NDRs and automatic replies (null sender)',
    short: 'NDR / auto-reply',
    summary:
      'NDRs, delivery notifications and automatic replies have an empty envelope sender, so Exchange Online relays them only through a certificate-based inbound connector.',
  },
  forwarding: {
    title: 'On-premises forwarding to outside addresses',
    short: 'Forwarding',
    summary:
      'An on-premises rule re-sends outside mail to an outside address; neither domain is yours, so forward in Exchange Online (SRS) or relay by certificate.',
  },
  'foreign-sender-domain': {
    title: 'Sender domain not accepted',
    short: 'Foreign sender domain',
    summary:
      'The envelope sender domain is not an accepted domain (a subdomain is not covered by its parent): add the domain, change the sender, or relay by certificate.',
  },
  'connector-mismatch': {
    title: 'Inbound connector does not match the server',
    short: 'Connector mismatch',
    summary:
      'The sender domain is accepted but no OnPremises inbound connector matched the server: its certificate or public IP changed, or the certificate chain is incomplete.',
  },
  'wrong-region': {
    title: 'Wrong endpoint or region (ATTR35)',
    short: 'Wrong region',
    summary:
      "451 4.4.62: the smart host is not the tenant's own MX endpoint, or no OnPremises inbound connector matches the sending server.",
  },
};
