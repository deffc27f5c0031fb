/**
 * The one way to build a {@link RemediationContext}: the classifier (while it reads) and the
 * cross-upload correlation (when a finding becomes `forwarding` later) both call it, so the same
 * refusal gets the same advice however it was found.
 */
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import type { ScenarioId } from '../model/findings.js';
import type { RemediationContext } from './context.js';
import type { RelaySoftware } from './relay-software.js';
import { isTenantEndpoint } from './shared.js';

/** What one refusal tells a remediation, whether read from a log row or from a stored finding. */
export interface RefusalFacts {
  code: string;
  attr?: string | undefined;
  senderDomain?: string | undefined;
  recipientDomain?: string | undefined;
  serverHostname?: string | undefined;
  connectorId?: string | undefined;
  remoteHost?: string | undefined;
  /** The relay software, when the log is not Exchange's (Postfix, Exim…). */
  relay?: RelaySoftware | undefined;
  /** What a send protocol log showed of the session the refusal was answered in. */
  session?: RemediationContext['session'] | undefined;
}

/** What the organisation tells it. */
export interface OrganisationFacts {
  acceptedDomains: readonly string[];
  acceptedDomainsSource: RemediationContext['acceptedDomainsSource'];
  inboundConnector?: InboundConnectorInfo | undefined;
}

/**
 * The context a scenario's remediation is built from. Only what the advice should name goes in,
 * so identical refusals share one text: the recipient domain matters for forwarding only ("find
 * what forwards to …"), and the answering host only when it is the tenant's endpoint — front-end
 * names vary per connection and would make every text unique.
 */
export function remediationContextOf(
  scenario: ScenarioId,
  facts: RefusalFacts,
  organisation: OrganisationFacts,
): RemediationContext {
  const context: RemediationContext = {
    acceptedDomains: [...organisation.acceptedDomains],
    acceptedDomainsSource: organisation.acceptedDomainsSource,
    code: facts.code,
  };
  if (facts.senderDomain !== undefined) context.senderDomain = facts.senderDomain;
  if (scenario === 'forwarding' && facts.recipientDomain !== undefined) {
    context.recipientDomain = facts.recipientDomain;
  }
  if (facts.serverHostname !== undefined) context.serverHostname = facts.serverHostname;
  if (facts.connectorId !== undefined) context.connectorId = facts.connectorId;
  if (facts.remoteHost !== undefined && isTenantEndpoint(facts.remoteHost))
    context.remoteHost = facts.remoteHost;
  if (facts.attr !== undefined) context.attr = facts.attr;
  if (facts.relay !== undefined) context.relay = facts.relay;
  if (facts.session !== undefined) context.session = facts.session;
  if (organisation.inboundConnector !== undefined) context.inboundConnector = organisation.inboundConnector;
  return context;
}

/**
 * A cache key for the text of `context` under one organisation: the refusal's part of the
 * context (the organisation's part is the same for every finding of a run).
 */
export function remediationKey(scenario: ScenarioId, context: RemediationContext): string {
  return [
    scenario,
    context.senderDomain,
    context.recipientDomain,
    context.serverHostname,
    context.connectorId,
    context.remoteHost,
    context.attr,
    context.code,
    context.relay,
    context.session === undefined ? '' : JSON.stringify(context.session),
  ].join('\u0000');
}
