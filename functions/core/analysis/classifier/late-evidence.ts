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
 * of such files pays nothing here. Evidence counts once its row is whole (a row of several
 * recipients is read as one event each): a receipt that also named the refused recipient says the
 * sender addressed it, and then nothing was forwarded (`addressed`).
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';

/** What a file's refusals showed late: how many, and the largest distance in events. */
export interface LateCount {
  count: number;
  /** Events between a refusal and the evidence read after it was classified, at most. */
  gap: number;
}

/** A refusal classified while older rows were still to come. */
interface Released {
  seq: number;
  sourceId: string;
  recipient: string;
}

export class LateEvidence {
  /** Message-ID → the released refusal. */
  private readonly released: BoundedMap<string, Released>;
  /** Evidence of a released refusal's message read in the row still being read. */
  private seen: { messageId: string; refusal: Released; seq: number; row: string } | undefined;
  private readonly counts = new Map<string, LateCount>();

  /**
   * @param limit refusals remembered at most
   * @param addressed true when the message's receipts named `recipient` itself (nothing forwarded it)
   */
  public constructor(
    limit: number,
    private readonly addressed: (messageId: string, recipient: string) => boolean,
  ) {
    this.released = new BoundedMap(limit);
  }

  /** A `foreign-sender-domain` refusal of `messageId` was classified while later rows may still show its arrival. */
  public release(messageId: string, seq: number, sourceId: string, recipient: string): void {
    this.released.set(detach(messageId), { seq, sourceId, recipient: detach(recipient) });
  }

  /** Evidence of `messageId` that may prove forwarding was read as event `seq`, of row `line` of `sourceId`. */
  public observe(messageId: string, seq: number, sourceId: string, line: number): void {
    if (this.released.size === 0) return;
    const refusal = this.released.get(messageId);
    if (refusal === undefined || this.seen?.messageId === messageId) return;
    this.settleBefore(undefined, 0);
    this.seen = { messageId, refusal, seq, row: `${sourceId}:${line}` };
  }

  /** Decides on the evidence of the row before the one of `line` of `sourceId` (none: whatever was seen). */
  public settleBefore(sourceId: string | undefined, line: number): void {
    const seen = this.seen;
    if (seen === undefined || (sourceId !== undefined && seen.row === `${sourceId}:${line}`)) return;
    this.seen = undefined;
    this.released.delete(seen.messageId); // decided once per message
    if (this.addressed(seen.messageId, seen.refusal.recipient)) return;
    const { sourceId: file, seq } = seen.refusal;
    const known = this.counts.get(file) ?? { count: 0, gap: 0 };
    this.counts.set(file, { count: known.count + 1, gap: Math.max(known.gap, seen.seq - seq) });
  }

  /** Per file (source id): its refusals classified before evidence read later. */
  public bySource(): ReadonlyMap<string, LateCount> {
    return this.counts;
  }
}
