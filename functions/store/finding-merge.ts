/**
 * What the store keeps when a refusal it already holds is written again. One refusal is one finding,
 * and runs see it through different inputs: a trace detail without the trace page that names the
 * sender, a tracking log without the send protocol log that shows the certificate. Re-processing
 * (overlapping exports, re-uploads, re-analysis) must leave the store as one run over everything
 * would, never worse, so between two findings of one classifier version the store keeps the
 * stronger reading with what the other adds (`mergeFindings`). What a reading concludes from the
 * organisation's accepted domains is another matter: a newer reading that judged the same sender
 * domain otherwise was made with other domains, and its judgement replaces the stored one, which
 * gives it only what it read that holds whatever the domains (the send protocol log's session).
 * A finding of another classifier version replaces the stored one outright: that is a re-analysis.
 *
 * `putFindings` puts every finding as it comes (one PutItem that hands back what it replaced, as
 * before) and only when it replaced a different finding of the same version and the merge differs
 * from what it put, re-puts the merge, conditional on the item still being the one it put (its
 * `rv`, unique per put). A fresh store or the same file again costs nothing more.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { UNVERSIONED } from '../core/analysis/classifier-version.js';
import {
  type Confidence,
  DATE_ORDER_ASSUMED_EVIDENCE,
  type Evidence,
  type Finding,
  TIME_ZONE_ASSUMED_EVIDENCE,
} from '../core/analysis/model/findings.js';
import { givesTime } from '../core/analysis/model/time-certainty.js';
import { MAX_EVIDENCE } from './item-bounds.js';
import { REVISION_ATTRIBUTE } from './table-design.js';

/**
 * Fields that say what a reading knew of the message (absent: its input did not say). Compared by
 * presence (see {@link says}): two readings of one refusal that both name a field name the same
 * thing, or near enough.
 */
export const FACT_FIELDS = [
  'sender',
  'returnPath',
  'senderDomain',
  'recipientDomain',
  'subject',
  'smtpCode',
  'attr',
  'remoteHost',
  'serverHostname',
  'clientIp',
  'connectorId',
  'queueId',
] as const satisfies readonly (keyof Finding)[];

/**
 * Evidence kinds that say which sender a reading judged by (`senderEvidence` of the scenario rules):
 * `no-sender` or `header-sender` only say what that reading's input lacked. The kept reading gives
 * its own; the other's is never added to it.
 */
const SENDER_BASIS_KINDS: ReadonlySet<string> = new Set(['return-path', 'header-sender', 'no-sender']);

/**
 * The marker evidence of the cross-upload correlation's reclassification (`CORRELATION_EVIDENCE_KIND`
 * of core/analysis/evidence/correlation.ts, not imported: that module brings the remediation texts
 * into every bundle of the store). Such a finding is the stored one plus its proof.
 */
export const RECLASSIFICATION_KIND = 'cross-upload-correlation';

const RANK: Record<Confidence, number> = { low: 0, medium: 1, high: 2 };

function versionOf(finding: Finding): string {
  return finding.classifierVersion ?? UNVERSIONED;
}

/** True when `a` and `b` were written by the same classifier version (absent: `unversioned`). */
export function sameVersion(a: Finding, b: Finding): boolean {
  return versionOf(a) === versionOf(b);
}

function evidenceKey(item: Evidence): string {
  return `${item.kind}\u0000${item.detail}`;
}

/** What the send protocol log showed of the refusal's session, and the other files that show it. */
const SESSION_AND_REPEAT_KINDS = [
  'protocol-log',
  'presented-certificate',
  'no-tls',
  'certificate-not-logged',
  'also-in',
] as const;

/**
 * Evidence kinds that come from what a run read beside the refusal's row (the send protocol log's
 * session, the inbound traces of the message, the other files that show it), as opposed to what a
 * reading concludes from its rules and the organisation's configuration (accepted domains,
 * connectors): a run without that input lacks them.
 */
const INPUT_EVIDENCE_KINDS: ReadonlySet<string> = new Set([
  ...SESSION_AND_REPEAT_KINDS,
  // The routing rows that made the recipient (scenarios/forwarding.ts: `${trace.kind}-event`).
  'redirect-event',
  'resolve-event',
  'expand-event',
  'mailbox-rule',
  'dsn-source',
]);

/**
 * Evidence kinds of the send protocol log's session and of the other files that show the refusal:
 * facts that hold whatever the accepted domains, which a reading made with other domains keeps
 * (`certificate-accepted-domain` and `certificate-no-accepted-domain` judge the certificate by the
 * domains, and go with them).
 */
const DOMAIN_FREE_INPUT_KINDS: ReadonlySet<string> = new Set([
  ...SESSION_AND_REPEAT_KINDS,
  'session-start-missing',
  'certificate-expired',
  'certificate-expiry-unclear',
  'certificate-vs-connector',
]);

/** What a reading concluded of its sender's domain against the organisation's accepted domains. */
type DomainVerdict = 'accepted' | 'outside' | 'unknown';

/**
 * The evidence of the scenario rules that gives the verdict: `domain-unknown` and `attr36` are
 * those of a reading that could not tell (no list given, and the traffic did not show the domain).
 */
const VERDICT_OF_KIND: ReadonlyMap<string, DomainVerdict> = new Map([
  ['accepted-domain', 'accepted'],
  ['not-accepted', 'outside'],
  ['domain-unknown', 'unknown'],
  ['attr36', 'unknown'],
]);

/**
 * The reading's verdict on its sender's domain; `undefined` when its scenario did not judge it
 * (`ndr`, `wrong-region`). Any sign that it could not tell decides. Forwarding needs a sender
 * outside the organisation and has no evidence of its own for it (a reclassified one keeps that of
 * the finding it was).
 */
function domainVerdict(finding: Finding): DomainVerdict | undefined {
  let verdict: DomainVerdict | undefined;
  for (const item of finding.evidence) {
    const said = VERDICT_OF_KIND.get(item.kind);
    if (said === 'unknown') return said;
    verdict ??= said;
  }
  return verdict ?? (finding.scenario === 'forwarding' ? 'outside' : undefined);
}

function toldDomains(finding: Finding): boolean {
  return domainVerdict(finding) !== 'unknown';
}

/**
 * True when `a` read at least what `b` read: every fact field `b` names and every kind of input
 * evidence `b` holds. Between two such readings the newer one stands, with its own conclusions: a
 * run under new accepted domains or connectors must change the finding.
 */
function knowsAllOf(a: Finding, b: Finding): boolean {
  for (const field of FACT_FIELDS) if (says(b, field) && !says(a, field)) return false;
  // A run that could not tell the domains (too little traffic to infer them from) knew less.
  if (!toldDomains(a) && toldDomains(b)) return false;
  const kinds = new Set(a.evidence.map((item) => item.kind));
  return b.evidence.every((item) => !INPUT_EVIDENCE_KINDS.has(item.kind) || kinds.has(item.kind));
}

/**
 * True when `incoming` judged the sender domain `stored` judged, could tell whether it is the
 * organisation's, and concluded otherwise: the accepted domains changed between the two runs (a
 * different sender, as a header sender where the other read the envelope sender, is no sign of it).
 */
function judgedAnew(stored: Finding, incoming: Finding): boolean {
  if (stored.senderDomain === undefined || stored.senderDomain !== incoming.senderDomain) return false;
  const before = domainVerdict(stored);
  const now = domainVerdict(incoming);
  return before !== undefined && now !== undefined && now !== 'unknown' && now !== before;
}

/** True when `a` names every fact `b` names, and more. */
function namesMore(a: Finding, b: Finding): boolean {
  let more = false;
  for (const field of FACT_FIELDS) {
    if (says(b, field) && !says(a, field)) return false;
    if (says(a, field) && !says(b, field)) more = true;
  }
  return more;
}

function isReclassification(finding: Finding): boolean {
  return finding.evidence.some((item) => item.kind === RECLASSIFICATION_KIND);
}

/** At equal confidence: `a` could tell the domains and `b` could not, or, both alike, `a` names more. */
function strongerAtEqualConfidence(a: Finding, b: Finding): boolean {
  if (toldDomains(a) !== toldDomains(b)) return toldDomains(a);
  return namesMore(a, b);
}

/**
 * Evidence kinds that say the finding's time was read under an assumption: a day/month order
 * nothing in the file had settled, a time without a zone taken as UTC (see
 * core/analysis/input/timestamps.ts). They go with the timestamp, see {@link timedBy}.
 */
const TIME_ASSUMPTION_KINDS: ReadonlySet<string> = new Set([
  DATE_ORDER_ASSUMED_EVIDENCE.kind,
  TIME_ZONE_ASSUMED_EVIDENCE.kind,
]);

/**
 * Evidence of the other reading never added to the kept one: its account of its sender and of the
 * domains it could not tell, and what its time was read under (that goes with the timestamp).
 */
function addable(item: Evidence): boolean {
  return (
    !SENDER_BASIS_KINDS.has(item.kind) &&
    VERDICT_OF_KIND.get(item.kind) !== 'unknown' &&
    !TIME_ASSUMPTION_KINDS.has(item.kind)
  );
}

/** The kinds of assumption the reading's time was read under. */
function timeAssumptionKinds(finding: Finding): Set<string> {
  return new Set(finding.evidence.map((item) => item.kind).filter((kind) => TIME_ASSUMPTION_KINDS.has(kind)));
}

/** The assumptions the reading's time was read under, as one key (`''`: none). */
function timeAssumptions(finding: Finding): string {
  return [...timeAssumptionKinds(finding)].sort().join(' ');
}

function assumptionCount(finding: Finding): number {
  return timeAssumptionKinds(finding).size;
}

/**
 * True when `incoming` read the very row `stored` was read from (same source, same line) and dated
 * it in another year, the same to the millisecond otherwise. Only the year a syslog date lacks does
 * that: the source is the same file (the CLI's source id holds its size and modification time), so
 * `--year` was given or changed, and the newer reading follows what the admin said last. A time
 * the stored finding took from another row (an earlier retry) is never a whole number of years off.
 */
function yearReadAnew(stored: Finding, incoming: Finding): boolean {
  if (stored.source.sourceId !== incoming.source.sourceId || stored.source.line !== incoming.source.line)
    return false;
  const before = new Date(Date.parse(stored.timestamp)).toISOString();
  const now = new Date(Date.parse(incoming.timestamp)).toISOString();
  return before.slice(0, 4) !== now.slice(0, 4) && before.slice(4) === now.slice(4);
}

/**
 * The reading whose time the finding keeps: the one that first saw the refusal — but a time read
 * under an assumption (a date of assumed day/month order may be 9 March for 3 September, a time
 * without a zone is hours off when the export was in local time) never wins over one read with
 * fewer, earlier or not (`givesTime`, which one run follows too), and the same row dated in
 * another year by a newer run takes that year.
 */
function timedBy(stored: Finding, incoming: Finding): Finding {
  const kept = { timestamp: stored.timestamp, assumptions: assumptionCount(stored) };
  const read = { timestamp: incoming.timestamp, assumptions: assumptionCount(incoming) };
  if (kept.assumptions === read.assumptions && yearReadAnew(stored, incoming)) return incoming;
  return givesTime(read, kept) ? incoming : stored;
}

/**
 * `kept` with the time of `timed`, marked with the assumptions that time was read under and no
 * others; `kept` itself when that changes nothing.
 */
function withTimeOf(kept: Finding, timed: Finding): Finding {
  const sameAssumptions = timeAssumptions(kept) === timeAssumptions(timed);
  if (sameAssumptions && Date.parse(kept.timestamp) === Date.parse(timed.timestamp)) return kept;
  if (sameAssumptions) return { ...kept, timestamp: timed.timestamp };
  const evidence = [
    ...kept.evidence.filter((item) => !TIME_ASSUMPTION_KINDS.has(item.kind)),
    ...timed.evidence.filter((item) => TIME_ASSUMPTION_KINDS.has(item.kind)),
  ];
  return { ...kept, timestamp: timed.timestamp, evidence };
}

/**
 * The finding the store keeps when `incoming` is written over `stored` (same id). Returns
 * `incoming` itself when it replaces the stored one as it is, `stored` itself when that stays as it
 * is, else a new finding. In order:
 * 1. Another classifier version: `incoming` (a re-analysis replaces).
 * 2. `incoming` read all `stored` read (`knowsAllOf`): `incoming`, whatever it concludes — the
 *    accepted domains or connectors may have changed since.
 * 3. `incoming` judged the same sender domain otherwise, and could tell (`judgedAnew`): the
 *    accepted domains changed since `stored` was read, so `incoming` — its scenario, confidence,
 *    remediation and evidence — with the fields it lacks taken from `stored` and the evidence of
 *    `stored` that holds whatever the domains (the send protocol log's session, the other files
 *    that show the refusal). A reading that could not tell the domains judges nothing anew.
 * 4. `stored` read all `incoming` read and more: `stored` — unless `incoming` is the cross-upload
 *    correlation's reclassification (the stored finding plus its proof), which is kept below
 *    whatever its confidence.
 * 5. Otherwise each read something the other did not, and the stronger reading is kept: the
 *    higher confidence; at equal confidence the one that could tell the domains, then the one that
 *    names every field the other names and more, else `incoming`. The fields it lacks are taken
 *    from the other (the sender domain only with the envelope sender, see {@link filledFrom}), and
 *    at equal confidence (or for a reclassification) the other's evidence is added after its own,
 *    up to `MAX_EVIDENCE` items, but for the other's account of its sender and of the domains it
 *    could not tell. Its scenario, confidence, remediation and source stay its
 *    own: a weaker reading never replaces a stronger one.
 * Whichever is kept, its timestamp is the earlier of the two (when the refusal was first seen), but
 * that a time read under more assumptions (`date-order-assumed`, `time-zone-assumed`) never wins
 * over one read under fewer, and a newer run that dated the same row in another year wins (see
 * {@link timedBy}): the finding is marked with the assumptions of its timestamp only.
 */
export function mergeFindings(stored: Finding, incoming: Finding): Finding {
  if (!sameVersion(stored, incoming)) return incoming;
  // The refusal happened when either reading first saw it: an export that overlaps an earlier one
  // sees only the later retries of a deferral, and one run over both would keep the first.
  return withTimeOf(weighed(stored, incoming), timedBy(stored, incoming));
}

/**
 * True when `finding` says what `field` is. The sender domain is the envelope sender's when the
 * reading knows it, else the header sender's (`senderDomain` of the model): a reading that knows
 * the envelope sender says its domain also when it has none (the null sender of an NDR), so another
 * reading's domain of the header sender adds nothing to it.
 */
function says(finding: Finding, field: (typeof FACT_FIELDS)[number]): boolean {
  return finding[field] !== undefined || (field === 'senderDomain' && finding.returnPath !== undefined);
}

/**
 * Fills the fact fields `merged` lacks from `other`; true when it filled one. The sender domain goes
 * with the envelope sender: taken from `other` with the envelope sender `merged` lacks, even when
 * `other` has none (the null sender), never beside one `merged` knows, whatever the order of the
 * readings.
 */
function filledFrom(merged: Finding, other: Finding): boolean {
  let filled = false;
  const envelopeFromOther = merged.returnPath === undefined && other.returnPath !== undefined;
  for (const field of FACT_FIELDS) {
    const value = other[field];
    if (field === 'senderDomain' && envelopeFromOther) {
      if (merged.senderDomain === value) continue;
      if (value === undefined) delete merged.senderDomain;
      else merged.senderDomain = value;
      filled = true;
    } else if (!says(merged, field) && value !== undefined) {
      merged[field] = value;
      filled = true;
    }
  }
  return filled;
}

/**
 * `kept`, with the fact fields it lacks filled from `other` and, when `takes` is given, the items of
 * `other`'s evidence that `takes` accepts and `kept` does not hold yet, up to {@link MAX_EVIDENCE};
 * `kept` itself when nothing was added.
 */
function joined(
  kept: Finding,
  other: Finding,
  takes?: (item: Finding['evidence'][number]) => boolean,
): Finding {
  const merged: Finding = { ...kept };
  let changed = filledFrom(merged, other);
  if (takes !== undefined) {
    const held = new Set(kept.evidence.map(evidenceKey));
    const evidence = [...kept.evidence];
    for (const item of other.evidence) {
      if (evidence.length >= MAX_EVIDENCE) break;
      const key = evidenceKey(item);
      if (!takes(item) || held.has(key)) continue;
      held.add(key);
      evidence.push(item);
    }
    if (evidence.length > kept.evidence.length) {
      merged.evidence = evidence;
      changed = true;
    }
  }
  return changed ? merged : kept;
}

/**
 * Step 3 of {@link mergeFindings}: `incoming`, with the fields it lacks and the evidence that holds
 * whatever the domains (of kinds it has none of) from `stored`.
 */
function judgedWith(incoming: Finding, stored: Finding): Finding {
  const kinds = new Set(incoming.evidence.map((item) => item.kind));
  return joined(incoming, stored, (item) => DOMAIN_FREE_INPUT_KINDS.has(item.kind) && !kinds.has(item.kind));
}

/** Steps 2–5 of {@link mergeFindings}: the reading kept, with what it takes from the other. */
function weighed(stored: Finding, incoming: Finding): Finding {
  if (knowsAllOf(incoming, stored)) return incoming;
  if (judgedAnew(stored, incoming)) return judgedWith(incoming, stored);
  const reclassification = isReclassification(incoming);
  if (knowsAllOf(stored, incoming) && !reclassification) return stored;
  const rank = RANK[incoming.confidence] - RANK[stored.confidence];
  const storedWins =
    !reclassification && (rank < 0 || (rank === 0 && strongerAtEqualConfidence(stored, incoming)));
  const [kept, other] = storedWins ? [stored, incoming] : [incoming, stored];
  // Evidence is joined only between readings of equal weight (or into a reclassification).
  return joined(kept, other, rank === 0 || reclassification ? addable : undefined);
}

/** True when two stored items hold the same finding: every attribute equal but their revision. */
export function sameItem(a: Record<string, AttributeValue>, b: Record<string, AttributeValue>): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  names.delete(REVISION_ATTRIBUTE);
  for (const name of names) if (!sameValue(a[name], b[name])) return false;
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((element, i) => sameValue(element, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  // Absent and undefined are the same: the SDK leaves unset members of an AttributeValue undefined.
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (!sameValue(left[key], right[key])) return false;
  return true;
}
