/**
 * The remediation cache: a finding's remediation depends on a few of its facts only (see
 * `remediation/context-of.ts`), so findings with the same facts share one text, built once.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import { onPremisesHost } from '../evidence/on-premises-host.js';
import { certificateFacts } from '../evidence/presented-certificate.js';
import type { Finding, ScenarioId } from '../model/findings.js';
import { type RefusalFacts, remediationContextOf, remediationKey } from '../remediation/context-of.js';
import { remediationFor } from '../remediation/index.js';
import type { RelaySoftware } from '../remediation/relay-software.js';
import type { RuleInput } from '../scenarios/index.js';

/** How many distinct remediation texts are kept. */
const REMEDIATION_CACHE = 5_000;

export class RemediationCache {
  private readonly texts = new BoundedMap<string, Finding['remediation']>(REMEDIATION_CACHE);

  public constructor(
    private readonly domains: DomainOracle,
    private readonly inboundConnector: InboundConnectorInfo | undefined,
  ) {}

  /** The remediation of a refusal classified as `scenario`, from the cache when one has the same facts. */
  public remediation(
    scenario: ScenarioId,
    input: RuleInput,
    relay: RelaySoftware | undefined,
  ): Finding['remediation'] {
    const facts = this.factsOf(input, relay);
    const key = remediationKey(scenario, facts);
    const cached = this.texts.get(key);
    if (cached) return cached;
    const accepted = this.domains.domains();
    const context = remediationContextOf(scenario, facts, {
      acceptedDomains: accepted,
      acceptedDomainsSource:
        this.domains.basis === 'given' ? 'given' : accepted.length > 0 ? 'inferred' : 'none',
      inboundConnector: this.inboundConnector,
    });
    // Round-trip through JSON: the cached text must not keep the log chunks its domains came from.
    const remediation = JSON.parse(
      JSON.stringify(remediationFor(scenario, context)),
    ) as Finding['remediation'];
    this.texts.set(key, remediation);
    return remediation;
  }

  /** What of the refusal its remediation may name. */
  private factsOf(input: RuleInput, relay: RelaySoftware | undefined): RefusalFacts {
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
    };
  }
}
