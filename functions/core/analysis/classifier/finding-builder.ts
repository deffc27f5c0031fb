/**
 * Finding building: a released refusal, once a scenario rule has matched it, becomes the stored
 * {@link Finding} — its id, the rule's evidence and what other files corroborate, the fields the
 * rows named, and its remediation.
 */
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import { CLASSIFIER_VERSION } from '../classifier-version.js';
import { ipv6ConnectionEvidence } from '../evidence/connection-family.js';
import { forwardingOrigin, type InboundTrace } from '../evidence/inbound-trace.js';
import { onPremisesHost } from '../evidence/on-premises-host.js';
import { sessionEvidence } from '../evidence/presented-certificate.js';
import { formatLabel } from '../formats/labels.js';
import { validDomain } from '../model/domain-name.js';
import { domainOf, MAIL_LOG_FORMATS, type TraceEvent } from '../model/events.js';
import { findingId } from '../model/finding-id.js';
import {
  DATE_ORDER_ASSUMED_EVIDENCE,
  type Finding,
  type Rejection,
  type ScenarioId,
  TIME_ZONE_ASSUMED_EVIDENCE,
} from '../model/findings.js';
import { relaySoftwareOf } from '../remediation/relay-software.js';
import type { RuleInput } from '../scenarios/index.js';
import type { InferredReliance } from './inferred-reliance.js';
import type { Pending } from './pending-window.js';
import type { RemediationCache } from './remediation-cache.js';
import { messageIdentity, recipientOrStandIn } from './repeats.js';

/**
 * A refusal's recipient the run could not give (see unnamed-recipients.ts). One text whatever the
 * reason: the reason depends on the other files of a run, and the store joins runs' evidence.
 */
const UNKNOWN_RECIPIENT = {
  kind: 'recipient-unknown',
  detail:
    'the refusal names no recipient, and the files analysed do not tell which of the message’s recipients it is',
} as const;

/** What the scenario rules are asked about a refusal: the (enriched) event and who sent it. */
export function ruleInputOf(
  event: TraceEvent,
  rejection: Rejection,
  domains: DomainOracle,
  inbound: readonly InboundTrace[],
  file?: string,
): RuleInput {
  let attributedSender: string | undefined;
  let senderBasis: RuleInput['senderBasis'];
  if (event.returnPath !== undefined) {
    attributedSender = event.returnPath;
    senderBasis = 'return-path';
  } else if (event.sender === '') {
    // A null sender (`<>`, or a message trace's empty address: see `traceSender`) is an envelope's:
    // a header From is never null, and a trace's sender is the P1. So it is the null P1, as sure as
    // a detail's ReturnPath `<>` (without one, only the subject told an NDR, at low confidence).
    attributedSender = '';
    senderBasis = 'return-path';
  } else if (event.sender !== undefined) {
    attributedSender = event.sender;
    senderBasis = 'header-sender';
  } else {
    senderBasis = 'none';
  }
  return {
    event,
    rejection,
    attributedSender,
    senderBasis,
    // Validated where it enters: it is named in findings, reports, alerts and PowerShell.
    senderDomain: validDomain(domainOf(attributedSender)),
    recipientDomain: domainOf(event.recipient),
    domains,
    inbound,
    ...(file === undefined ? {} : { file }),
  };
}

export class FindingBuilder {
  public constructor(
    private readonly domains: DomainOracle,
    private readonly remediations: RemediationCache,
    private readonly reliance: InferredReliance,
  ) {}

  /** The finding of refusal `item`, which the rule of `scenario` matched with `evidence` and `confidence`. */
  public build(
    scenario: ScenarioId,
    input: RuleInput,
    evidence: Finding['evidence'],
    confidence: Finding['confidence'],
    item: Pending,
  ): Finding {
    const { event, rejection } = input;
    const { origin } = item;
    const messageId = messageIdentity(event, origin);
    const recipient = event.recipient ?? '';
    const ipv6 = ipv6ConnectionEvidence(event, rejection, origin.format);
    const { remediation, connector, inferredNamed } = this.remediations.remediation(scenario, input, {
      relay: relaySoftwareOf(origin.format),
      overIpv6: ipv6 !== undefined,
    });
    const finding: Finding = {
      id: findingId(messageId, recipientOrStandIn(event, rejection), rejection.enhancedCode),
      scenario,
      messageId,
      recipient,
      code: rejection.enhancedCode,
      rejectionText: rejection.text,
      timestamp: event.timestamp,
      // The certificate is compared with the connector the remediation names.
      evidence: [
        ...evidence,
        ...this.corroboration(item, event, connector),
        ...(ipv6 === undefined ? [] : [ipv6]),
      ],
      confidence,
      remediation,
      source: { file: origin.file, line: event.line, format: origin.format, sourceId: origin.sourceId },
      classifierVersion: CLASSIFIER_VERSION,
    };
    if (scenario === 'forwarding') {
      const origin = forwardingOrigin(
        input.inbound,
        event.recipient,
        (address) => this.domains.covers(address.split('@')[1]) === true,
      );
      if (origin !== undefined) finding.forwardedFrom = origin;
    }
    if (event.sender !== undefined) finding.sender = event.sender;
    if (event.returnPath !== undefined) finding.returnPath = event.returnPath;
    if (input.senderDomain !== undefined) finding.senderDomain = input.senderDomain;
    if (input.recipientDomain !== undefined) finding.recipientDomain = input.recipientDomain;
    if (event.subject !== undefined) finding.subject = event.subject;
    if (rejection.smtpCode !== undefined) finding.smtpCode = rejection.smtpCode;
    if (rejection.attr !== undefined) finding.attr = rejection.attr;
    if (rejection.remoteHost !== undefined) finding.remoteHost = rejection.remoteHost;
    const server = onPremisesHost(event);
    if (server !== undefined) finding.serverHostname = server;
    if (event.clientIp !== undefined) finding.clientIp = event.clientIp;
    if (event.connectorId !== undefined) finding.connectorId = event.connectorId;
    if (MAIL_LOG_FORMATS.has(origin.format) && event.internalMessageId !== undefined)
      finding.queueId = event.internalMessageId;
    this.reliance.record(origin.sourceId, finding, inferredNamed);
    return finding;
  }

  /**
   * Evidence from the protocol-log session and the other files that show the same refusal, and what
   * the row could not say for sure (its recipient, its date's day/month order, its time zone).
   */
  private corroboration(
    item: Pending,
    event: TraceEvent,
    connector: InboundConnectorInfo | undefined,
  ): Finding['evidence'] {
    const evidence: Finding['evidence'] = [];
    if (event.recipient === undefined) evidence.push({ ...UNKNOWN_RECIPIENT });
    if (event.dateOrderAssumed) evidence.push({ ...DATE_ORDER_ASSUMED_EVIDENCE });
    if (event.timeZoneAssumed) evidence.push({ ...TIME_ZONE_ASSUMED_EVIDENCE });
    if (event.session !== undefined && item.sessionPlace !== undefined) {
      evidence.push(
        ...sessionEvidence(event.session, item.sessionPlace, {
          server: onPremisesHost(event) ?? 'the on-premises server',
          domains: this.domains,
          domainsKnown: this.domains.basis === 'given' || this.domains.domains().length > 0,
          connector,
          at: event.timestamp,
        }),
      );
    }
    const session = item.sessionPlace;
    for (const other of item.also ?? []) {
      if (session !== undefined && other.file === session.file && other.line === session.line) continue;
      evidence.push({
        kind: 'also-in',
        detail: `the same refusal is in ${other.file} line ${other.line} (${formatLabel(other.format, 'short')})`,
      });
    }
    return evidence;
  }
}
