/**
 * What one run wrote that a *later* or *earlier* run may complete: its forwarding candidates (refusals
 * that a receipt in another upload would prove to be forwarding) and its receipts for internal
 * recipients. The end-of-run correlation (store/run-correlation.ts) checks both against the store,
 * so rolled-over logs analysed one run at a time are right when the command returns.
 *
 * Bounded: past `limit` Message-IDs of either kind the rest is left to the nightly job, and
 * `complete` says so.
 */

import { detach } from '../../kernel/strings.js';
import type { AnalysisResult, FindingSink } from '../analyze.js';
import { normaliseMessageId } from '../model/events.js';
import type { Finding, ScenarioId } from '../model/findings.js';
import { mayBecomeForwarding } from './correlation.js';
import type { InboundEntry } from './inbound-entry.js';

/** Message-IDs of each kind a run remembers (a few MB at most). */
export const DEFAULT_RUN_EVIDENCE_LIMIT = 200_000;

export class RunEvidence {
  /** Correlation Message-ID → ids of this run's candidate findings with it. */
  public readonly candidates = new Map<string, string[]>();
  /** Correlation Message-IDs of this run's receipts (the receipts are in the inbound index). */
  public readonly receipts = new ReceiptKeys();
  /** Earliest and latest receipt time (ISO), when there was one. */
  public firstReceipt: string | undefined;
  public lastReceipt: string | undefined;
  /** False once something was left out for the limit. */
  public complete = true;

  public constructor(private readonly limit = DEFAULT_RUN_EVIDENCE_LIMIT) {}

  /** Notes the findings a run writes (call with every batch, in order). */
  public observeFindings(findings: readonly Finding[]): void {
    for (const finding of findings) {
      const key = normaliseMessageId(finding.messageId);
      if (key === '') continue;
      const ids = this.candidates.get(key);
      if (!mayBecomeForwarding(finding)) {
        // A later batch may re-emit the same finding with another judgement; only the last counts.
        if (ids)
          this.candidates.set(
            key,
            ids.filter((id) => id !== finding.id),
          );
        continue;
      }
      if (ids) {
        if (!ids.includes(finding.id)) ids.push(detach(finding.id));
      } else if (this.candidates.size < this.limit) {
        this.candidates.set(detach(key), [detach(finding.id)]);
      } else {
        this.complete = false;
      }
    }
  }

  /** Notes the inbound index entries a run records. */
  public observeReceipts(entries: readonly InboundEntry[]): void {
    for (const entry of entries) {
      const key = normaliseMessageId(entry.messageId);
      if (!this.receipts.has(key) && this.receipts.size >= this.limit) {
        this.complete = false;
        continue;
      }
      this.receipts.add(key);
      // Copies: a timestamp cut from a text chunk would keep the whole chunk in memory.
      if (this.firstReceipt === undefined || entry.receivedAt < this.firstReceipt)
        this.firstReceipt = detach(entry.receivedAt);
      if (this.lastReceipt === undefined || entry.receivedAt > this.lastReceipt)
        this.lastReceipt = detach(entry.receivedAt);
    }
  }
}

/**
 * The Message-IDs of a run's receipts, each kept as a 31-bit hash. The receipts themselves are in
 * the store's inbound index, written as the run goes, and the end-of-run correlation reads them
 * back for the few Message-IDs that match (measured: kept in memory, even packed one string each,
 * they were the largest thing a 750 MB run held, some 45 MB). A collision of two hashes costs one
 * lookup that finds no receipt of this run, never a wrong answer.
 */
export class ReceiptKeys {
  private readonly hashes = new Set<number>();

  public get size(): number {
    return this.hashes.size;
  }

  public has(key: string): boolean {
    return this.hashes.has(hash31(key));
  }

  public add(key: string): void {
    this.hashes.add(hash31(key));
  }
}

/** FNV-1a over the UTF-16 code units, folded to 31 bits (a small integer: no boxed number per key). */
function hash31(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 1;
}

/** `sink` with `evidence` noting every finding and receipt that goes through it. */
export function observedBy(sink: FindingSink, evidence: RunEvidence): FindingSink {
  const { putInboundMessages } = sink;
  return {
    putFindings: (findings) => {
      evidence.observeFindings(findings);
      return sink.putFindings(findings);
    },
    putSource: (record) => sink.putSource(record),
    ...(putInboundMessages === undefined
      ? {}
      : {
          putInboundMessages: (entries: InboundEntry[]) => {
            evidence.observeReceipts(entries);
            return putInboundMessages.call(sink, entries);
          },
        }),
  };
}

/**
 * Moves this run's findings that the end-of-run correlation turned into `forwarding` in the run's
 * counts (totals, per source, per sender domain), so the report and source records say what the
 * store now holds.
 */
export function countAsForwarding(result: AnalysisResult, reclassified: readonly Finding[]): void {
  const sources = new Map(result.sources.map((source) => [source.id, source]));
  const domains = new Map(result.senderDomains.map((entry) => [entry.domain, entry]));
  for (const finding of reclassified) {
    result.findingsByScenario['foreign-sender-domain'] -= 1;
    result.findingsByScenario.forwarding += 1;
    const source = sources.get(finding.source.sourceId);
    if (source) move(source.findingsByScenario);
    const domain = domains.get(finding.senderDomain ?? '(unknown)');
    if (domain) move(domain.scenarios);
  }
}

function move(counts: Partial<Record<ScenarioId, number>>): void {
  const from = counts['foreign-sender-domain'] ?? 0;
  if (from <= 0) return;
  if (from === 1) delete counts['foreign-sender-domain'];
  else counts['foreign-sender-domain'] = from - 1;
  counts.forwarding = (counts.forwarding ?? 0) + 1;
}
