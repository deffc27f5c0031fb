/**
 * What one run wrote that a *later* or *earlier* run may complete: its forwarding candidates (refusals
 * that a receipt in another upload would prove to be forwarding), its forwarding findings concluded
 * from receipts (that a receipt in another upload naming the refused recipient would undo) and its
 * receipts for internal recipients. The end-of-run correlation (store/run-correlation.ts) checks them
 * against the store, so rolled-over logs analysed one run at a time are right when the command returns.
 *
 * Bounded: past `limit` Message-IDs of either kind the rest is left to the nightly job, and
 * `complete` says so.
 */

import { detach, detachPacked } from '../../kernel/strings.js';
import type { AnalysisResult, FindingSink } from '../analyze.js';
import { FindingTally } from '../finding-tally.js';
import { normaliseMessageId } from '../model/events.js';
import {
  type Finding,
  type ForwardingOrigin,
  reportedSenderDomain,
  type ScenarioId,
} from '../model/findings.js';
import { forwardedOnReceipts, mayBecomeForwarding } from './correlation.js';
import { HashedMessageIds } from './hashed-message-ids.js';
import type { InboundEntry } from './inbound-entry.js';

/** Message-IDs of each kind a run remembers (a few MB at most: see `CandidateLog`, `HashedMessageIds`). */
export const DEFAULT_RUN_EVIDENCE_LIMIT = 200_000;

export class RunEvidence {
  /** This run's candidate findings, as a log of judgements (see `CandidateLog`). */
  private readonly log = new CandidateLog();
  /** This run's `forwarding` findings concluded from receipts alone (`forwardedOnReceipts`), alike. */
  private readonly onReceipts = new CandidateLog();
  /** Correlation Message-IDs of this run's receipts (the receipts are in the inbound index). */
  public readonly receipts = new HashedMessageIds();
  /** Earliest and latest receipt time (ISO), when there was one. */
  public firstReceipt: string | undefined;
  public lastReceipt: string | undefined;
  /** False once something was left out for the limit. */
  public complete = true;
  /** The run's sources (ids) its noted findings came from; a log record names one by its index. */
  private readonly sources: string[] = [];
  private readonly sourceIndex = new Map<string, number>();

  public constructor(private readonly limit = DEFAULT_RUN_EVIDENCE_LIMIT) {}

  /** Notes the findings a run writes (call with every batch, in order). */
  public observeFindings(findings: readonly Finding[]): void {
    for (const finding of findings) {
      const key = normaliseMessageId(finding.messageId);
      if (key === '') continue;
      const source = this.indexOf(finding.source.sourceId);
      this.note(this.log, key, finding.id, source, mayBecomeForwarding(finding));
      this.note(this.onReceipts, key, finding.id, source, forwardedOnReceipts(finding));
    }
  }

  /** Notes in `log` whether finding `id` of Message-ID `key` is of its kind, within the limit. */
  private note(log: CandidateLog, key: string, id: string, source: number, isOfKind: boolean): void {
    if (!isOfKind) {
      // A later batch may re-emit the same finding with another judgement; only the last counts.
      log.forget(key, id);
    } else if (log.has(key) || log.size < this.limit) {
      log.add(key, id, source);
    } else {
      this.complete = false;
    }
  }

  private indexOf(sourceId: string): number {
    let index = this.sourceIndex.get(sourceId);
    if (index === undefined) {
      index = this.sources.length;
      this.sources.push(detach(sourceId));
      this.sourceIndex.set(this.sources[index] as string, index);
    }
    return index;
  }

  /**
   * The run's own source (its id) of each of `ids` it noted as a candidate or as forwarded on
   * receipts: the file of the run that found it. The store lists a finding under the upload that
   * wrote it last, which by the end of the run may be another run's (the same file uploaded twice and
   * analysed side by side); this run's records count it under this one. Replays the logs: asked only
   * for the few findings whose stored upload is not the run's.
   */
  public sourcesOf(ids: ReadonlySet<string>): Map<string, string> {
    const found = new Map<string, string>();
    if (ids.size === 0) return found;
    for (const log of [this.log, this.onReceipts])
      for (const [id, index] of log.sourcesOf(ids)) {
        const source = this.sources[index];
        if (source !== undefined) found.set(id, source);
      }
    return found;
  }

  /**
   * Correlation Message-ID → ids of this run's candidate findings with it (a Message-ID whose
   * findings were all judged otherwise later maps to none). Built from the log on each call: the
   * end-of-run correlation asks once.
   */
  public candidates(): Map<string, string[]> {
    return this.log.replay();
  }

  /**
   * Correlation Message-ID → ids of this run's `forwarding` findings concluded from receipts alone
   * (`forwardedOnReceipts`), as {@link candidates}: those an earlier run's receipt naming the
   * refused recipient may undo.
   */
  public forwardedOnReceipts(): Map<string, string[]> {
    return this.onReceipts.replay();
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

/** Records per text chunk of a `CandidateLog` (a chunk is then some 4 KB). */
const RECORDS_PER_CHUNK = 50;
/** Between a candidate's id and the index of its source in a `+` record (in neither). */
const SOURCE_MARK = '\u0001';

/**
 * The judgements of a run's findings on being forwarding candidates, packed into a few long strings
 * until the end of the run replays them. Why not a map: a map of Message-IDs to arrays of finding
 * ids is three small objects per candidate that live for the whole run, scattered among the
 * analysis's short-lived garbage; measured on a 750 MB log, it held the main heap some 30 MB larger
 * (about 20 MB of peak RSS) than the same run without it. Here a record is text in a chunk of
 * `RECORDS_PER_CHUNK`, and a set of small integers (31-bit hashes, no object per entry) answers
 * what the run asks while it goes: does this Message-ID have a candidate.
 *
 * A record is `+` (a candidate), the finding id, U+0001 and the index of its source in the run, NUL,
 * the Message-ID, NUL; or `-` (judged otherwise), the finding id, NUL, the Message-ID, NUL (NUL and
 * U+0001 occur in neither). A `-` is written only for a Message-ID with a candidate, as the map did
 * (a hash collision writes one that the replay finds nothing to remove for).
 */
class CandidateLog {
  private readonly chunks: string[] = [];
  private current = '';
  private records = 0;
  /** The Message-IDs with a candidate. */
  private readonly keys = new HashedMessageIds();

  /** Distinct Message-IDs with a candidate (by hash: a collision counts two as one). */
  public get size(): number {
    return this.keys.size;
  }

  public has(key: string): boolean {
    return this.keys.has(key);
  }

  public add(key: string, id: string, source: number): void {
    this.keys.add(key);
    this.append(`+${id}${SOURCE_MARK}${source}\u0000${key}\u0000`);
  }

  public forget(key: string, id: string): void {
    if (this.has(key)) this.append(`-${id}\u0000${key}\u0000`);
  }

  public replay(): Map<string, string[]> {
    const candidates = new Map<string, string[]>();
    this.forEachRecord((candidate, id, key) => {
      const ids = candidates.get(key);
      if (!candidate) {
        if (ids)
          candidates.set(
            key,
            ids.filter((other) => other !== id),
          );
      } else if (!ids) candidates.set(key, [id]);
      else if (!ids.includes(id)) ids.push(id);
    });
    return candidates;
  }

  /** The source index the last `+` record of each of `ids` names. */
  public sourcesOf(ids: ReadonlySet<string>): Map<string, number> {
    const found = new Map<string, number>();
    this.forEachRecord((candidate, id, _key, source) => {
      if (candidate && ids.has(id)) found.set(id, source);
    });
    return found;
  }

  /** Calls `visit` with each record in order: a candidate or not, its finding id, Message-ID and source index. */
  private forEachRecord(visit: (candidate: boolean, id: string, key: string, source: number) => void): void {
    for (const chunk of [...this.chunks, this.current]) {
      const fields = chunk.split('\u0000');
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const mark = fields[i] ?? '';
        const key = fields[i + 1] ?? '';
        const candidate = mark.startsWith('+');
        const sourceAt = candidate ? mark.indexOf(SOURCE_MARK) : -1;
        const id = sourceAt < 0 ? mark.slice(1) : mark.slice(1, sourceAt);
        visit(candidate, id, key, sourceAt < 0 ? -1 : Number(mark.slice(sourceAt + 1)));
      }
    }
  }

  private append(record: string): void {
    this.current += record;
    this.records += 1;
    if (this.records % RECORDS_PER_CHUNK === 0) {
      this.chunks.push(detachPacked(this.current));
      this.current = '';
    }
  }
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
 * counts (totals, per source, per sender domain, and the mailbox each was received for), so the report and source records say what the
 * store now holds.
 */
export function countAsForwarding(result: AnalysisResult, reclassified: readonly Finding[]): void {
  const recount = recounter(result);
  const origins = FindingTally.of(result.forwardedFrom);
  for (const finding of reclassified) {
    recount(finding, 'foreign-sender-domain', 'forwarding');
    if (finding.forwardedFrom !== undefined) origins.addOrigin(finding.forwardedFrom);
  }
  if (reclassified.some((finding) => finding.forwardedFrom !== undefined))
    result.forwardedFrom = origins.forwardedFrom();
}

/** A finding of the run taken back from `forwarding`: what it is now, and where it was said to be passed on. */
export interface Unforwarded {
  finding: Finding;
  /** The `forwardedFrom` of the `forwarding` reading, which the run counted. */
  forwardedFrom?: ForwardingOrigin | undefined;
}

/**
 * Moves this run's findings that the end-of-run correlation took back from `forwarding` (an earlier
 * run's receipt says their sender addressed the refused recipient) to the scenario each is now, in
 * the same counts as {@link countAsForwarding}; their forwarding origins leave the list.
 */
export function countAsUnforwarded(result: AnalysisResult, unforwarded: readonly Unforwarded[]): void {
  const recount = recounter(result);
  let origins = result.forwardedFrom;
  for (const { finding } of unforwarded) recount(finding, 'forwarding', finding.scenario);
  for (const { forwardedFrom } of unforwarded) {
    if (forwardedFrom === undefined) continue;
    origins = origins.flatMap((origin) =>
      origin.kind !== forwardedFrom.kind || origin.address !== forwardedFrom.address
        ? [origin]
        : origin.count > 1
          ? [{ ...origin, count: origin.count - 1 }]
          : [],
    );
  }
  if (origins !== result.forwardedFrom) result.forwardedFrom = FindingTally.of(origins).forwardedFrom();
}

/**
 * Moves one finding of the run from scenario `from` to `to` in the result's counts: the run's, its
 * file's and its sender domain's (as the report lists domains, `reportedSenderDomain`).
 */
function recounter(result: AnalysisResult): (finding: Finding, from: ScenarioId, to: ScenarioId) => void {
  const sources = new Map(result.sources.map((source) => [source.id, source]));
  const domains = new Map(result.senderDomains.map((entry) => [entry.domain, entry]));
  return (finding, from, to) => {
    result.findingsByScenario[from] -= 1;
    result.findingsByScenario[to] += 1;
    const source = sources.get(finding.source.sourceId);
    if (source) move(source.findingsByScenario, from, to);
    const domain = domains.get(reportedSenderDomain(finding));
    if (domain) move(domain.scenarios, from, to);
  };
}

function move(
  counts: Partial<Record<ScenarioId, number>>,
  fromScenario: ScenarioId,
  toScenario: ScenarioId,
): void {
  const from = counts[fromScenario] ?? 0;
  if (from <= 0) return;
  if (from === 1) delete counts[fromScenario];
  else counts[fromScenario] = from - 1;
  counts[toScenario] = (counts[toScenario] ?? 0) + 1;
}
