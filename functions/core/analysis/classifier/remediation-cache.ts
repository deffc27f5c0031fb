/**
 * The remediation cache: a finding's remediation depends on a few of its facts only (see
 * `remediation/context-of.ts`), so findings with the same facts share one text, built once — and
 * the inbound connector that text names, which the finding's evidence compares the certificate with.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import { onPremisesHost } from '../evidence/on-premises-host.js';
import { certificateFacts } from '../evidence/presented-certificate.js';
import { replyTextSeen } from '../evidence/rejections.js';
import type { Finding, ScenarioId } from '../model/findings.js';
import { type RefusalFacts, remediationContextOf, remediationKey } from '../remediation/context-of.js';
import { connectorPlan, remediationFor } from '../remediation/index.js';
import type { RelaySoftware } from '../remediation/relay-software.js';
import type { RuleInput } from '../scenarios/index.js';
import { namesDomain } from './inferred-reliance.js';

/** How many distinct remediation texts are kept. */
const REMEDIATION_CACHE = 5_000;

/** A refusal's remediation and the inbound connector it names (`undefined`: none known). */
export interface CachedRemediation {
  remediation: Finding['remediation'];
  connector: InboundConnectorInfo | undefined;
  /** The domains of an inferred list the text names (none for a given list: it never changes). */
  inferredNamed: readonly string[];
}

/** What of the connection a refusal was answered on its remediation may name, besides the refusal. */
export interface ConnectionFacts {
  /** The relay software, when the log is not Exchange's (Postfix, Exim…). */
  relay: RelaySoftware | undefined;
  /** The server reached Exchange Online over IPv6 (see `evidence/connection-family.ts`). */
  overIpv6: boolean;
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
  public remediation(scenario: ScenarioId, input: RuleInput, connection: ConnectionFacts): CachedRemediation {
    const facts = this.factsOf(input, connection);
    // An inferred list changes as the run reads: a text built from the list before is not reused.
    const key = `${remediationKey(scenario, facts)}\u0000${this.domains.generation ?? ''}`;
    const known = this.texts.get(key);
    if (known) return known;
    const accepted = this.domains.domains();
    const context = remediationContextOf(scenario, facts, {
      acceptedDomains: accepted,
      acceptedDomainsSource:
        this.domains.basis === 'given' ? 'given' : accepted.length > 0 ? 'inferred' : 'none',
      matchSubDomains: this.domains.domainsWithSubdomains?.() ?? [],
      inboundConnectors: this.inboundConnectors,
    });
    // Round-trip through JSON: the cached text must not keep the log chunks its domains came from.
    const text = JSON.stringify(remediationFor(scenario, context));
    const remediation = JSON.parse(text) as Finding['remediation'];
    const inferredNamed =
      this.domains.generation === undefined ? [] : accepted.filter((domain) => namesDomain(text, domain));
    const cached = { remediation, connector: connectorPlan(context, scenario)?.connector, inferredNamed };
    this.texts.set(key, cached);
    return cached;
  }

  /** What of the refusal its remediation may name. */
  private factsOf(input: RuleInput, { relay, overIpv6 }: ConnectionFacts): RefusalFacts {
    const { event, rejection } = input;
    const session = event.session;
    const certificate =
      session?.certificate === undefined
        ? undefined
        : certificateFacts(session.certificate, this.domains, event.timestamp);
    return {
      code: rejection.enhancedCode,
      attr: rejection.attr,
      replyTextSeen: replyTextSeen(rejection) ? undefined : false,
      senderDomain: input.senderDomain,
      recipientDomain: input.recipientDomain,
      serverHostname: onPremisesHost(event),
      connectorId: event.connectorId,
      remoteHost: rejection.remoteHost,
      relay,
      overIpv6: overIpv6 ? true : undefined,
      senderLiteral: addressLiteralOf(input.attributedSender),
      // A session joined late without a certificate tells nothing about TLS: advise as without a protocol log.
      session:
        session === undefined || (certificate === undefined && session.partial === true)
          ? undefined
          : certificate === undefined
            ? { tls: session.tls }
            : { tls: session.tls, certificate },
    };
  }
}

/** The address of an address-literal sender (`root@[10.0.2.80]` → `10.0.2.80`), or `undefined`. */
function addressLiteralOf(address: string | undefined): string | undefined {
  return address === undefined ? undefined : /@\[(?:ipv6:)?([^\]]+)\]$/i.exec(address)?.[1];
}
