/**
 * Forwarding evidence read after its refusal was classified. A refusal waits `windowEvents` events
 * for evidence; a file read newest first (`Sort-Object Timestamp -Descending`, per server or as a
 * whole) shows a message's refusal before the rows that show how it arrived, and when more than a
 * window of events lies between them (another server's day, read between the two), the refusal was
 * already `foreign-sender-domain` when its REDIRECT, EXPAND or receipt came. It cannot be taken
 * back (findings are written as they go), so the file's record says how many, and the window that
 * would have held them.
 *
 * Only refusals released while the run reads backwards in time (rows older than the refusal) are
 * remembered: in a file read oldest first a message's evidence comes before its refusal, and a run
 * of such files pays nothing here.
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';

/** What a file's refusals showed late: how many, and the largest distance in events. */
export interface LateCount {
  count: number;
  /** Events between a refusal and the evidence read after it was classified, at most. */
  gap: number;
}

export class LateEvidence {
  /** Message-ID → the released refusal's arrival number and file. */
  private readonly released: BoundedMap<string, { seq: number; sourceId: string }>;
  private readonly counts = new Map<string, LateCount>();

  public constructor(limit: number) {
    this.released = new BoundedMap(limit);
  }

  /** A `foreign-sender-domain` refusal of `messageId` was classified while later rows may still show its arrival. */
  public release(messageId: string, seq: number, sourceId: string): void {
    this.released.set(detach(messageId), { seq, sourceId });
  }

  /** Evidence of `messageId` that may prove forwarding was read as event `seq`. */
  public observe(messageId: string, seq: number): void {
    if (this.released.size === 0) return;
    const refusal = this.released.get(messageId);
    if (refusal === undefined) return;
    this.released.delete(messageId); // counted once per message
    const known = this.counts.get(refusal.sourceId) ?? { count: 0, gap: 0 };
    this.counts.set(refusal.sourceId, {
      count: known.count + 1,
      gap: Math.max(known.gap, seq - refusal.seq),
    });
  }

  /** Per file (source id): its refusals classified before evidence read later. */
  public bySource(): ReadonlyMap<string, LateCount> {
    return this.counts;
  }
}
