/**
 * Cross-upload correlation: a `foreign-sender-domain` finding becomes `forwarding` when the
 * inbound index shows its message arriving for an internal recipient in *another* upload — the
 * evidence the classifier would have used had both files been analysed in one run (the
 * `internal-recipient` evidence of the forwarding rule). And the other way round: a `forwarding`
 * finding the classifier concluded from receipts goes back to its reading without them when a
 * receipt in another upload says the sender addressed the refused recipient itself (the rule that
 * would have kept it from forwarding in one run). Pure: the index lookup happens elsewhere (at the
 * end of every run, store/run-correlation.ts, and in the nightly job's safety net).
 */
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import { ruleInputOf } from '../classifier/finding-builder.js';
import { RemediationCache } from '../classifier/remediation-cache.js';
import type { TraceEvent } from '../model/events.js';
import type { Evidence, Finding, Rejection } from '../model/findings.js';
import { type RefusalFacts, remediationContextOf } from '../remediation/context-of.js';
import { remediationFor } from '../remediation/index.js';
import { relaySoftwareOf } from '../remediation/relay-software.js';
import { PRECEDENCE } from '../scenarios/index.js';
import { connectedOverIpv6 } from './connection-family.js';
import {
  type ArrivalEntry,
  type InboundEntry,
  provesArrival,
  repeatsOf,
  tracesOfEntries,
} from './inbound-entry.js';
import { addressedBySender } from './inbound-trace.js';
import { replyTextSeen } from './rejections.js';

/** Evidence kind that marks a finding reclassified by the nightly correlation (stable string). */
export const CORRELATION_EVIDENCE_KIND = 'cross-upload-correlation';
/** A receipt may be logged this much after the refusal by a server whose clock runs ahead. */
export const CLOCK_SKEW_MS = 10 * 60_000;
/** A receipt older than this before the refusal is not taken as the same forwarding. */
export const MAX_FORWARD_DELAY_MS = 7 * 86_400_000;
/** Internal-recipient evidence items kept per finding (as the forwarding rule keeps five). */
const MAX_INBOUND_EVIDENCE = 5;

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * The index entries that prove `finding` was forwarding: from another upload, for an address
 * other than the refused recipient and outside the refused recipient's domain (the refused
 * recipient is outside the organisation), received before the refusal (allowing clock skew).
 * None when a receipt of the message, in any upload, named the refused recipient itself: its sender
 * addressed it, nothing forwarded it (the classifier's rule within a run, so both agree). An entry
 * without a recipient (a receipt that named only outside recipients) counts for that rule only.
 * Nor does another upload's repeat of a receipt of the finding's own upload (`repeatsOf`): the
 * classifier judged the refusal with that row, and one run over both files reads it as the file alone.
 */
export function correlatingEntries(finding: Finding, entries: readonly InboundEntry[]): ArrivalEntry[] {
  if (!mayBecomeForwarding(finding)) return [];
  const refused = finding.recipient.toLowerCase();
  if (addressedBySender(tracesOfEntries(entries), refused)) return [];
  const refusedDomain = finding.recipientDomain?.toLowerCase() ?? domainOf(refused);
  const refusedAt = Date.parse(finding.timestamp);
  const judged = judgedWith(finding, entries);
  return entries
    .filter((entry): entry is ArrivalEntry => {
      if (!provesArrival(entry) || judged(entry)) return false;
      if (entry.recipient === refused || domainOf(entry.recipient) === refusedDomain) return false;
      const receivedAt = Date.parse(entry.receivedAt);
      return receivedAt <= refusedAt + CLOCK_SKEW_MS && receivedAt >= refusedAt - MAX_FORWARD_DELAY_MS;
    })
    .sort(
      (a, b) =>
        a.receivedAt.localeCompare(b.receivedAt) ||
        a.recipient.localeCompare(b.recipient) ||
        a.sourceId.localeCompare(b.sourceId),
    );
}

/**
 * Whether an entry is one the classifier judged `finding` with: its own upload's, or another
 * upload's repeat of one of those (the same row: a copy of the file, an overlapping export).
 */
function judgedWith(finding: Finding, entries: readonly InboundEntry[]): (entry: InboundEntry) => boolean {
  const own = entries.filter((entry) => entry.sourceId === finding.source.sourceId);
  const repeat = repeatsOf(own);
  return (entry) => entry.sourceId === finding.source.sourceId || repeat(entry);
}

/**
 * A finding that a receipt in another upload could turn into `forwarding`: `foreign-sender-domain`
 * on 5.7.64 with a non-null envelope sender (a null sender is `ndr`) and a recipient.
 */
export function mayBecomeForwarding(
  finding: Pick<Finding, 'scenario' | 'code' | 'returnPath' | 'recipient'>,
): boolean {
  return (
    finding.scenario === 'foreign-sender-domain' &&
    finding.code === '5.7.64' &&
    finding.returnPath !== '' &&
    finding.recipient !== ''
  );
}

function inboundEvidence(entry: ArrivalEntry): Evidence {
  const where = entry.file ?? `upload ${entry.sourceId}`;
  const how = entry.eventId === 'DELIVER' || entry.eventId === 'DELIVERED' ? 'delivered' : 'received';
  return {
    kind: 'internal-recipient',
    detail: `the same Message-ID was ${how} for ${entry.recipient} in another upload (${where}, ${entry.eventId ?? 'receipt'} at ${entry.receivedAt})`,
  };
}

/**
 * The finding as `forwarding`, or `undefined` when the entries do not prove it. Keeps the
 * original evidence, adds the outside-recipient and internal-recipient evidence and a marker, and
 * rebuilds the remediation for forwarding. Confidence is `medium` at most — a receipt is weaker
 * evidence than a REDIRECT row — and `low` when the original judgement was.
 */
export function reclassifyAsForwarding(
  finding: Finding,
  entries: readonly InboundEntry[],
): Finding | undefined {
  const proof = correlatingEntries(finding, entries);
  if (proof.length === 0) return undefined;
  const internalDomains = [...new Set(proof.map((entry) => domainOf(entry.recipient)))].sort();
  const facts: RefusalFacts = {
    ...finding,
    relay: relaySoftwareOf(finding.source.format),
    // The stored text is the rejection's: a log that kept only the code says nothing of ATTR36.
    replyTextSeen: replyTextSeen({ attr: finding.attr, text: finding.rejectionText }) ? undefined : false,
  };
  const context = remediationContextOf('forwarding', facts, {
    // The domains the internal recipients are in are the organisation's: the best list available here.
    acceptedDomains: internalDomains,
    acceptedDomainsSource: 'inferred',
  });

  const evidence: Evidence[] = [
    ...finding.evidence.filter((item) => item.kind !== CORRELATION_EVIDENCE_KIND),
    {
      kind: 'foreign-recipient',
      detail: `recipient domain ${finding.recipientDomain ?? domainOf(finding.recipient)} is outside the organisation`,
    },
    ...proof.slice(0, MAX_INBOUND_EVIDENCE).map(inboundEvidence),
    {
      kind: CORRELATION_EVIDENCE_KIND,
      detail: 'reclassified from foreign-sender-domain by the cross-upload correlation',
    },
  ];
  // One internal recipient is where to look; of several, the receipts cannot say which forwarded.
  const received = [...new Set(proof.map((entry) => entry.recipient))];
  const forwardedFrom =
    received.length === 1
      ? { forwardedFrom: { kind: 'received-for' as const, address: received[0] as string } }
      : {};
  return {
    ...finding,
    ...forwardedFrom,
    scenario: 'forwarding',
    confidence: finding.returnPath === undefined || finding.confidence === 'low' ? 'low' : 'medium',
    evidence,
    remediation: remediationFor('forwarding', context),
  };
}

/** True for a finding the nightly correlation reclassified (it carries the marker evidence). */
export function isReclassified(finding: Finding): boolean {
  return finding.evidence.some((item) => item.kind === CORRELATION_EVIDENCE_KIND);
}

/**
 * True for a stored `forwarding` finding that `entries` prove forwarding too: what a run that read
 * it `foreign-sender-domain` concludes when the store holds it `forwarding` already. Another run's
 * correlation re-put it first (two runs of the same file side by side, each counting it on its own
 * record), or a run over the files of `entries` too read the redirect or receipt itself (the file
 * analysed again on its own after one run over both): either way the reading one run over every
 * file gives, and the store's.
 */
export function isForwardingBy(finding: Finding, entries: readonly InboundEntry[]): boolean {
  if (finding.scenario !== 'forwarding') return false;
  return correlatingEntries({ ...finding, scenario: 'foreign-sender-domain' }, entries).length > 0;
}

/**
 * Evidence kinds of a row that made a recipient of the message (scenarios/forwarding.ts cites such
 * rows as `${kind}-event`, an inbox rule as `mailbox-rule`, before any receipt). A sender that
 * addressed the refused recipient does not undo them: one run would still read forwarding (an inbox
 * rule's row may not name what it sent to, so it counts as making any recipient).
 */
const MAKING_EVIDENCE_KINDS: ReadonlySet<string> = new Set([
  'redirect-event',
  'resolve-event',
  'expand-event',
  'mailbox-rule',
]);

/**
 * The evidence the forwarding rule gives (scenarios/forwarding.ts): its account of the sender
 * (`senderEvidence`), the outside recipient, and the receipts. What follows it in a finding (the
 * send protocol log's session, the other files that show the refusal, what its time was read under)
 * the classifier adds whatever the scenario, so a reading without forwarding keeps that.
 */
const FORWARDING_RULE_KINDS: ReadonlySet<string> = new Set([
  'return-path',
  'header-sender',
  'no-sender',
  'foreign-recipient',
  // Without ATTR36, for a sender outside the organisation (the reading without receipts gives its own),
  // or without the reply text to tell.
  'no-attr36',
  'reply-text-unknown',
  'internal-recipient',
]);

/**
 * A finding the classifier made `forwarding` from receipts alone (for an internal recipient, no row
 * that made the refused one): a receipt in another upload that named the refused recipient itself
 * would have kept it from forwarding in one run. Not one the correlation made forwarding (its
 * receipts were judged with every upload's, `correlatingEntries`).
 */
export function forwardedOnReceipts(
  finding: Pick<Finding, 'scenario' | 'code' | 'recipient' | 'evidence'>,
): boolean {
  return (
    finding.scenario === 'forwarding' &&
    finding.code === '5.7.64' &&
    finding.recipient !== '' &&
    !finding.evidence.some(
      (item) => item.kind === CORRELATION_EVIDENCE_KIND || MAKING_EVIDENCE_KINDS.has(item.kind),
    )
  );
}

/** What the classifier judged a run's refusals with (`ClassifierOptions`). */
export interface ClassifierOrganisation {
  domains: DomainOracle;
  inboundConnectors?: readonly InboundConnectorInfo[] | undefined;
}

/**
 * The classifier's reading of stored findings' refusals without inbound evidence: the refusal rebuilt
 * from the finding's fields and judged by the scenario rules in their precedence, its remediation
 * from the classifier's own cache, under the organisation the run was analysed with. What a stored
 * finding does not keep (the send protocol log's session) is left out of the remediation, as the
 * correlation's `forwarding` remediation leaves it out.
 */
export class ReadingWithoutInbound {
  private readonly remediations: RemediationCache;

  public constructor(private readonly organisation: ClassifierOrganisation) {
    this.remediations = new RemediationCache(organisation.domains, organisation.inboundConnectors);
  }

  /**
   * `finding` as the classifier reads its refusal with no inbound trace, with the evidence the
   * classifier adds beside its rule's; `undefined` when no rule matches (or one throws: the stored
   * finding stays, as the classifier leaves such a refusal unclassified).
   */
  public read(finding: Finding): Finding | undefined {
    const input = ruleInputOf(
      eventOf(finding),
      rejectionOf(finding),
      this.organisation.domains,
      [],
      finding.source.file,
    );
    for (const rule of PRECEDENCE) {
      let result: ReturnType<typeof rule.evaluate>;
      try {
        result = rule.evaluate(input);
      } catch {
        return undefined;
      }
      if (result.outcome !== 'match') continue;
      const relay = relaySoftwareOf(finding.source.format);
      const { remediation } = this.remediations.remediation(rule.id, input, {
        relay,
        overIpv6: connectedOverIpv6(finding.evidence),
      });
      const { forwardedFrom: _forwardedFrom, ...rest } = finding;
      return {
        ...rest,
        scenario: rule.id,
        confidence: result.confidence,
        evidence: [
          ...result.evidence,
          ...finding.evidence.filter(
            (item) => !FORWARDING_RULE_KINDS.has(item.kind) && item.kind !== CORRELATION_EVIDENCE_KIND,
          ),
        ],
        remediation,
      };
    }
    return undefined;
  }
}

/** The refused event as the finding keeps it (the fields the rules and the remediation read). */
function eventOf(finding: Finding): TraceEvent {
  const event: TraceEvent = { timestamp: finding.timestamp, eventId: 'FAIL', line: finding.source.line };
  const fields = [
    'messageId',
    'sender',
    'returnPath',
    'subject',
    'serverHostname',
    'clientIp',
    'connectorId',
  ] as const;
  for (const field of fields) if (finding[field] !== undefined) event[field] = finding[field];
  if (finding.recipient !== '') event.recipient = finding.recipient;
  return event;
}

/** The refusal as the finding keeps it. */
function rejectionOf(finding: Finding): Rejection {
  const rejection: Rejection = { enhancedCode: finding.code, text: finding.rejectionText };
  if (finding.smtpCode !== undefined) rejection.smtpCode = finding.smtpCode;
  if (finding.attr !== undefined) rejection.attr = finding.attr;
  if (finding.remoteHost !== undefined) rejection.remoteHost = finding.remoteHost;
  return rejection;
}

/**
 * `finding` (a `forwarding` finding of the classifier's) as one run over every upload would read
 * it, when `entries` of other uploads than its own (not repeats of its own receipts) say its sender
 * addressed the refused recipient itself (`addressedBySender`, as the classifier asks within a run):
 * the classifier's reading without the receipts (`foreign-sender-domain` for a sender domain the
 * tenant does not own).
 * `undefined` when they do not, or it was not concluded from receipts alone.
 */
export function readingAddressedBySender(
  finding: Finding,
  entries: readonly InboundEntry[],
  reading: ReadingWithoutInbound,
): Finding | undefined {
  if (!forwardedOnReceipts(finding) || !addressedElsewhere(finding, entries)) return undefined;
  const read = reading.read(finding);
  return read === undefined || read.scenario === 'forwarding' ? undefined : read;
}

/**
 * True for a stored finding that is already what {@link readingAddressedBySender} makes of the
 * `forwarding` reading a run wrote of it, by `entries` too: another run's correlation took it back
 * first (two runs of the same file side by side, each counting it on its own record).
 */
export function isTakenBackBy(
  finding: Finding,
  entries: readonly InboundEntry[],
  reading: ReadingWithoutInbound,
): boolean {
  if (finding.scenario === 'forwarding' || finding.code !== '5.7.64' || finding.recipient === '')
    return false;
  return addressedElsewhere(finding, entries) && reading.read(finding)?.scenario === finding.scenario;
}

/**
 * Whether receipts of other uploads than the finding's (not repeats of its own) say its sender
 * addressed the refused recipient itself: what both readings above ask first.
 */
function addressedElsewhere(finding: Finding, entries: readonly InboundEntry[]): boolean {
  const judged = judgedWith(finding, entries);
  const others = entries.filter((entry) => !judged(entry));
  return addressedBySender(tracesOfEntries(others), finding.recipient.toLowerCase());
}
