/**
 * Cross-upload correlation: a `foreign-sender-domain` finding becomes `forwarding` when the
 * inbound index shows its message arriving for an internal recipient in *another* upload — the
 * evidence the classifier would have used had both files been analysed in one run (the
 * `internal-recipient` evidence of the forwarding rule). Pure: the index lookup happens elsewhere
 * (at the end of every run, store/run-correlation.ts, and in the nightly job's safety net).
 */
import type { Evidence, Finding } from '../model/findings.js';
import { remediationContextOf } from '../remediation/context-of.js';
import { remediationFor } from '../remediation/index.js';
import { relaySoftwareOf } from '../remediation/relay-software.js';
import { type ArrivalEntry, type InboundEntry, provesArrival, tracesOfEntries } from './inbound-entry.js';
import { addressedBySender } from './inbound-trace.js';

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
 */
export function correlatingEntries(finding: Finding, entries: readonly InboundEntry[]): ArrivalEntry[] {
  if (!mayBecomeForwarding(finding)) return [];
  const refused = finding.recipient.toLowerCase();
  if (addressedBySender(tracesOfEntries(entries), refused)) return [];
  const refusedDomain = finding.recipientDomain?.toLowerCase() ?? domainOf(refused);
  const refusedAt = Date.parse(finding.timestamp);
  return entries
    .filter((entry): entry is ArrivalEntry => {
      if (!provesArrival(entry) || entry.sourceId === finding.source.sourceId) return false;
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
  const facts = { ...finding, relay: relaySoftwareOf(finding.source.format) };
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
