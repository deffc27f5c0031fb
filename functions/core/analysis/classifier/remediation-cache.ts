/**
 * The remediation cache: a finding's remediation depends on a few of its facts only (see
 * `remediation/context-of.ts`), so findings with the same facts share one text, built once — and
 * the inbound connector that text names, which the finding's evidence compares the certificate with.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import { type InboundTrace, tracesMaking } from '../evidence/inbound-trace.js';
import { onPremisesHost } from '../evidence/on-premises-host.js';
import { certificateFacts } from '../evidence/presented-certificate.js';
import { domainOf } from '../model/events.js';
import type { Finding, ScenarioId } from '../model/findings.js';
import type { ForwardingRouting } from '../remediation/context.js';
import { type RefusalFacts, remediationContextOf, remediationKey } from '../remediation/context-of.js';
import { connectorPlan, remediationFor } from '../remediation/index.js';
import type { RelaySoftware } from '../remediation/relay-software.js';
import type { RuleInput } from '../scenarios/index.js';

/** How many distinct remediation texts are kept. */
const REMEDIATION_CACHE = 5_000;
/** The longest address SMTP allows: a longer value from a log is no object to name in advice. */
const MAX_ADDRESS_CHARS = 254;

/** A refusal's remediation and the inbound connector it names (`undefined`: none known). */
export interface CachedRemediation {
  remediation: Finding['remediation'];
  connector: InboundConnectorInfo | undefined;
}

export class RemediationCache {
  private readonly texts = new BoundedMap<string, CachedRemediation>(REMEDIATION_CACHE);

  public constructor(
    private readonly domains: DomainOracle,
    private readonly inboundConnectors: readonly InboundConnectorInfo[] | undefined,
  ) {}

  /**
   * The remediation of a refusal classified as `scenario`, from the cache when one has the same
   * facts. The same object is handed to every finding with those facts (the store keeps it once).
   */
  public remediation(
    scenario: ScenarioId,
    input: RuleInput,
    relay: RelaySoftware | undefined,
  ): CachedRemediation {
    const facts = this.factsOf(scenario, input, relay);
    const key = remediationKey(scenario, facts);
    const known = this.texts.get(key);
    if (known) return known;
    const accepted = this.domains.domains();
    const context = remediationContextOf(scenario, facts, {
      acceptedDomains: accepted,
      acceptedDomainsSource:
        this.domains.basis === 'given' ? 'given' : accepted.length > 0 ? 'inferred' : 'none',
      inboundConnectors: this.inboundConnectors,
    });
    // Round-trip through JSON: the cached text must not keep the log chunks its domains came from.
    const remediation = JSON.parse(
      JSON.stringify(remediationFor(scenario, context)),
    ) as Finding['remediation'];
    const cached = { remediation, connector: connectorPlan(context, scenario)?.connector };
    this.texts.set(key, cached);
    return cached;
  }

  /** What of the refusal its remediation may name. */
  private factsOf(scenario: ScenarioId, input: RuleInput, relay: RelaySoftware | undefined): RefusalFacts {
    const { event, rejection } = input;
    const session = event.session;
    const certificate =
      session?.certificate === undefined
        ? undefined
        : certificateFacts(session.certificate, this.domains, event.timestamp);
    return {
      code: rejection.enhancedCode,
      attr: rejection.attr,
      senderDomain: input.senderDomain,
      recipientDomain: input.recipientDomain,
      serverHostname: onPremisesHost(event),
      connectorId: event.connectorId,
      remoteHost: rejection.remoteHost,
      relay,
      // A session joined late without a certificate tells nothing about TLS: advise as without a protocol log.
      session:
        session === undefined || (certificate === undefined && session.partial === true)
          ? undefined
          : certificate === undefined
            ? { tls: session.tls }
            : { tls: session.tls, certificate },
      // Only forwarding advice names it (`namedFacts`): spare the other scenarios the search.
      routing: scenario === 'forwarding' ? provenRouting(input) : undefined,
    };
  }
}

/**
 * The one group or mailbox that sent the message to the refused recipient, read from the traces
 * the forwarding rule cites (`tracesMaking`, of an internal recipient). Of a chain (a mailbox
 * redirected to one that redirects) it is the last step, the one that sent the message outside.
 * `undefined` when no row proves one, or when several objects did (the advice then searches the
 * whole organisation).
 */
function provenRouting(input: RuleInput): ForwardingRouting | undefined {
  const refused = input.event.recipient;
  const internal = (address: string | undefined): address is string =>
    address !== undefined && input.domains.covers(domainOf(address)) === true;
  const named = new Map<string, ForwardingRouting>();
  for (const trace of tracesMaking(input.inbound, refused)) {
    const { kind } = trace;
    // tracesMaking returns no receipts: this only narrows the type.
    if (kind === 'received-for' || kind === 'delivered-to') continue;
    // An earlier step of a chain made an internal recipient, not the refused one.
    if (refused !== undefined && trace.target !== undefined && trace.target !== refused) continue;
    const address = kind === 'mailbox-rule' ? ruleMailbox(input.inbound, internal) : trace.recipient;
    if (!internal(address) || address.length > MAX_ADDRESS_CHARS) return undefined;
    named.set(`${kind} ${address.toLowerCase()}`, { kind, address });
  }
  return named.size === 1 ? [...named.values()][0] : undefined;
}

/**
 * The mailbox an Inbox rule ran in, which its row does not name: the rule runs on delivery, so it
 * is the internal mailbox the message was delivered to — when it was delivered to exactly one.
 */
function ruleMailbox(
  inbound: readonly InboundTrace[],
  internal: (address: string | undefined) => address is string,
): string | undefined {
  const mailboxes = new Map<string, string>();
  for (const trace of inbound) {
    if (trace.kind === 'delivered-to' && internal(trace.recipient))
      mailboxes.set(trace.recipient.toLowerCase(), trace.recipient);
  }
  return mailboxes.size === 1 ? [...mailboxes.values()][0] : undefined;
}
