/**
 * What the store keeps when a refusal it already holds is written again. One refusal is one finding,
 * and runs see it through different inputs: a trace detail without the trace page that names the
 * sender, a tracking log without the send protocol log that shows the certificate. Re-processing
 * (overlapping exports, re-uploads, re-analysis) must leave the store as one run over everything
 * would, never worse, so between two findings of one classifier version the store keeps the
 * stronger reading with what the other adds (`mergeFindings`). A finding of another classifier
 * version replaces the stored one outright: that is a re-analysis.
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
} from '../core/analysis/model/findings.js';
import { MAX_EVIDENCE } from './item-bounds.js';
import { REVISION_ATTRIBUTE } from './table-design.js';

/**
 * Fields that say what a reading knew of the message (absent: its input did not say). Compared by
 * presence: two readings of one refusal that both name a field name the same thing, or near enough.
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

/**
 * Evidence kinds that come from what a run read beside the refusal's row (the send protocol log's
 * session, the inbound traces of the message, the other files that show it), as opposed to what a
 * reading concludes from its rules and the organisation's configuration (accepted domains,
 * connectors): a run without that input lacks them.
 */
const INPUT_EVIDENCE_KINDS: ReadonlySet<string> = new Set([
  'protocol-log',
  'presented-certificate',
  'no-tls',
  'certificate-not-logged',
  'redirect',
  'mailbox-rule',
  'dsn-source',
  'also-in',
]);

/** The evidence of a reading that could not tell whether the sender's domain is the organisation's. */
const DOMAIN_UNKNOWN_KIND = 'domain-unknown';

/**
 * True when `a` read at least what `b` read: every fact field `b` names and every kind of input
 * evidence `b` holds. Between two such readings the newer one stands, with its own conclusions: a
 * run under new accepted domains or connectors must change the finding.
 */
function knowsAllOf(a: Finding, b: Finding): boolean {
  for (const field of FACT_FIELDS) if (b[field] !== undefined && a[field] === undefined) return false;
  const kinds = new Set(a.evidence.map((item) => item.kind));
  // A run that could not tell the domains (too little traffic to infer them from) knew less.
  if (kinds.has(DOMAIN_UNKNOWN_KIND) && !b.evidence.some((item) => item.kind === DOMAIN_UNKNOWN_KIND))
    return false;
  return b.evidence.every((item) => !INPUT_EVIDENCE_KINDS.has(item.kind) || kinds.has(item.kind));
}

/** True when `a` names every fact `b` names, and more. */
function namesMore(a: Finding, b: Finding): boolean {
  let more = false;
  for (const field of FACT_FIELDS) {
    if (b[field] !== undefined && a[field] === undefined) return false;
    if (a[field] !== undefined && b[field] === undefined) more = true;
  }
  return more;
}

function isReclassification(finding: Finding): boolean {
  return finding.evidence.some((item) => item.kind === RECLASSIFICATION_KIND);
}

function toldDomains(finding: Finding): boolean {
  return !finding.evidence.some((item) => item.kind === DOMAIN_UNKNOWN_KIND);
}

/** At equal confidence: `a` could tell the domains and `b` could not, or, both alike, `a` names more. */
function strongerAtEqualConfidence(a: Finding, b: Finding): boolean {
  if (toldDomains(a) !== toldDomains(b)) return toldDomains(a);
  return namesMore(a, b);
}

/**
 * Evidence of the other reading never added to the kept one: its account of its sender and its
 * ignorance, and whether its date was assumed (that goes with the timestamp, see {@link timedBy}).
 */
function addable(item: Evidence): boolean {
  return (
    !SENDER_BASIS_KINDS.has(item.kind) &&
    item.kind !== DOMAIN_UNKNOWN_KIND &&
    item.kind !== DATE_ORDER_ASSUMED_EVIDENCE.kind
  );
}

/** True when the reading's date was read with an assumed day/month order (see core/analysis/input/timestamps.ts). */
function dateAssumed(finding: Finding): boolean {
  return finding.evidence.some((item) => item.kind === DATE_ORDER_ASSUMED_EVIDENCE.kind);
}

/**
 * The reading whose time the finding keeps: the one that first saw the refusal — but a date read
 * with an assumed day/month order may be 9 March for 3 September, so it never wins over a date
 * read for sure, earlier or not.
 */
function timedBy(stored: Finding, incoming: Finding): Finding {
  const storedAssumed = dateAssumed(stored);
  if (storedAssumed !== dateAssumed(incoming)) return storedAssumed ? incoming : stored;
  return Date.parse(stored.timestamp) < Date.parse(incoming.timestamp) ? stored : incoming;
}

/**
 * The finding the store keeps when `incoming` is written over `stored` (same id). Returns
 * `incoming` itself when it replaces the stored one as it is, `stored` itself when that stays as it
 * is, else a new finding. In order:
 * 1. Another classifier version: `incoming` (a re-analysis replaces).
 * 2. `incoming` read all `stored` read (`knowsAllOf`): `incoming`, whatever it concludes — the
 *    accepted domains or connectors may have changed since.
 * 3. `stored` read all `incoming` read and more: `stored` — unless `incoming` is the cross-upload
 *    correlation's reclassification (the stored finding plus its proof), which is kept below
 *    whatever its confidence.
 * 4. Otherwise each read something the other did not, and the stronger reading is kept: the
 *    higher confidence; at equal confidence the one that could tell the domains, then the one that
 *    names every field the other names and more, else `incoming`. The fields it lacks are taken
 *    from the other, and at equal confidence (or for a reclassification) the other's evidence is
 *    added after its own, up to `MAX_EVIDENCE` items, but for the other's account of its sender
 *    and its `domain-unknown`. Its scenario, confidence, remediation and source stay its own: a
 *    weaker reading never replaces a stronger one.
 * Whichever is kept, its timestamp is the earlier of the two (when the refusal was first seen), but
 * that a date read with an assumed day/month order never wins over one read for sure: the finding
 * is marked `date-order-assumed` only when its timestamp is such a date.
 */
export function mergeFindings(stored: Finding, incoming: Finding): Finding {
  if (!sameVersion(stored, incoming)) return incoming;
  const kept = weighed(stored, incoming);
  // The refusal happened when either reading first saw it: an export that overlaps an earlier one
  // sees only the later retries of a deferral, and one run over both would keep the first.
  const first = timedBy(stored, incoming);
  if (dateAssumed(first) !== dateAssumed(kept)) {
    // The kept reading's date was assumed and the other's is sure (the reverse cannot be).
    const evidence = kept.evidence.filter((item) => item.kind !== DATE_ORDER_ASSUMED_EVIDENCE.kind);
    return { ...kept, timestamp: first.timestamp, evidence };
  }
  return Date.parse(first.timestamp) < Date.parse(kept.timestamp)
    ? { ...kept, timestamp: first.timestamp }
    : kept;
}

/** Steps 2–4 of {@link mergeFindings}: the reading kept, with what it takes from the other. */
function weighed(stored: Finding, incoming: Finding): Finding {
  if (knowsAllOf(incoming, stored)) return incoming;
  const reclassification = isReclassification(incoming);
  if (knowsAllOf(stored, incoming) && !reclassification) return stored;
  const rank = RANK[incoming.confidence] - RANK[stored.confidence];
  const storedWins =
    !reclassification && (rank < 0 || (rank === 0 && strongerAtEqualConfidence(stored, incoming)));
  const [kept, other] = storedWins ? [stored, incoming] : [incoming, stored];
  const merged: Finding = { ...kept };
  let changed = false;
  for (const field of FACT_FIELDS) {
    const value = other[field];
    if (merged[field] === undefined && value !== undefined) {
      merged[field] = value;
      changed = true;
    }
  }
  if (rank === 0 || reclassification) {
    const held = new Set(kept.evidence.map(evidenceKey));
    const evidence = [...kept.evidence];
    for (const item of other.evidence) {
      if (evidence.length >= MAX_EVIDENCE) break;
      const key = evidenceKey(item);
      if (!addable(item) || held.has(key)) continue;
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
