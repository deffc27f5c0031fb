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
  /** `false`: the log kept only the code, not Exchange Online's reply text (`replyTextSeen`). */
  replyTextSeen?: false | undefined;
  senderDomain?: string | undefined;
  recipientDomain?: string | undefined;
  serverHostname?: string | undefined;
  connectorId?: string | undefined;
  remoteHost?: string | undefined;
  /** The relay software, when the log is not Exchange's (Postfix, Exim…). */
  relay?: RelaySoftware | undefined;
  /** What a send protocol log showed of the session the refusal was answered in. */
  session?: RemediationContext['session'] | undefined;
  /** The server reached Exchange Online over IPv6. */
  overIpv6?: true | undefined;
  /** The envelope sender's address literal (`root@[10.0.2.80]` → `10.0.2.80`). */
  senderLiteral?: string | undefined;
}

/** The scenarios whose advice may tell the server to match a connector by its IP address. */
const ADDRESS_ADVICE: ReadonlySet<ScenarioId> = new Set<ScenarioId>([
  'connector-mismatch',
  'foreign-sender-domain',
  'wrong-region',
]);

/**
 * The scenarios whose advice says what a missing ATTR36 means (no connector matched the server), and
 * so must know whether the log kept the reply at all.
 */
const NO_ATTR36_ADVICE: ReadonlySet<ScenarioId> = new Set<ScenarioId>([
  'connector-mismatch',
  'foreign-sender-domain',
  'forwarding',
]);

/** What the organisation tells it. */
export interface OrganisationFacts {
  acceptedDomains: readonly string[];
  acceptedDomainsSource: RemediationContext['acceptedDomainsSource'];
  /** Of `acceptedDomains`, those with MatchSubDomains. */
  matchSubDomains?: readonly string[] | undefined;
  /** Every OnPremises inbound connector: which one a finding names depends on its facts. */
  inboundConnectors?: readonly InboundConnectorInfo[] | undefined;
}

/**
 * What of a refusal the advice names. Only that goes in, so identical refusals share one text: the
 * recipient domain matters for forwarding only ("find what forwards to …"), and the answering host
 * only when it is the tenant's endpoint — front-end names vary per connection and would make every
 * text unique. The context and the cache key are both made from this one selection.
 */
function namedFacts(scenario: ScenarioId, facts: RefusalFacts): RefusalFacts {
  return {
    code: facts.code,
    attr: facts.attr,
    replyTextSeen: NO_ATTR36_ADVICE.has(scenario) ? facts.replyTextSeen : undefined,
    senderDomain: facts.senderDomain,
    recipientDomain: scenario === 'forwarding' ? facts.recipientDomain : undefined,
    serverHostname: facts.serverHostname,
    connectorId: facts.connectorId,
    remoteHost:
      facts.remoteHost !== undefined && isTenantEndpoint(facts.remoteHost) ? facts.remoteHost : undefined,
    relay: facts.relay,
    session: facts.session,
    overIpv6: ADDRESS_ADVICE.has(scenario) ? facts.overIpv6 : undefined,
    senderLiteral: scenario === 'foreign-sender-domain' ? facts.senderLiteral : undefined,
  };
}

/** The context a scenario's remediation is built from: the named facts and the organisation. */
export function remediationContextOf(
  scenario: ScenarioId,
  facts: RefusalFacts,
  organisation: OrganisationFacts,
): RemediationContext {
  const context: RemediationContext = {
    acceptedDomains: organisation.acceptedDomains,
    acceptedDomainsSource: organisation.acceptedDomainsSource,
    code: facts.code,
  };
  // Only the facts that are there: a template tells "absent" by `undefined`, never by a key set to it.
  for (const [name, value] of Object.entries(namedFacts(scenario, facts))) {
    if (value !== undefined) Object.assign(context, { [name]: value });
  }
  if (organisation.matchSubDomains !== undefined && organisation.matchSubDomains.length > 0) {
    context.matchSubDomains = organisation.matchSubDomains;
  }
  if (organisation.inboundConnectors !== undefined && organisation.inboundConnectors.length > 0) {
    context.inboundConnectors = organisation.inboundConnectors;
  }
  return context;
}

/**
 * A cache key for the text of a refusal under one organisation (the organisation's part is the
 * same for every finding of a run), computed before any context is built.
 */
export function remediationKey(scenario: ScenarioId, facts: RefusalFacts): string {
  const named = namedFacts(scenario, facts);
  return [
    scenario,
    named.senderDomain,
    named.recipientDomain,
    named.serverHostname,
    named.connectorId,
    named.remoteHost,
    named.attr,
    named.replyTextSeen === false ? 'no-reply-text' : '',
    named.code,
    named.relay,
    named.session === undefined ? '' : JSON.stringify(named.session),
    named.overIpv6 ? 'ipv6' : '',
    named.senderLiteral ?? '',
  ].join('\u0000');
}
