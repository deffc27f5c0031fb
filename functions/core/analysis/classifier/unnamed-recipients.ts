/**
 * Refusals that name no recipient — a message trace detail exported without RecipientAddress, a
 * Graph `getDetailsByRecipient` page saved without its recipient — and the recipient the run gives
 * them. Such a refusal is another file's refusal of a recipient only when nothing else is possible:
 * the run names exactly one refused recipient of the message for that code (in refusals with a
 * recipient and in failed message trace rows) and holds exactly one refusal of it without one. It
 * then folds into that refusal like a repeat. Otherwise it stays its own finding with its stand-in
 * (see `recipientOrStandIn`) and its recipient unknown: a guess could merge two recipients' refusals.
 *
 * Decided when the refusal leaves the window, or when the named refusal does if it leaves first, so
 * that either file may come first. Nothing is kept until the run's first unnamed refusal: the run's
 * named refusals still waiting are noted then, the later ones as they come (one released before it
 * came was a window away, as far as in the other file order, where it would come too late).
 */
import { BoundedMap } from '../../kernel/bounded-map.js';
import { detach } from '../../kernel/strings.js';
import type { TraceEvent } from '../model/events.js';
import type { Pending, PendingWindow } from './pending-window.js';
import { knownMessageId } from './repeats.js';

/**
 * The refusals of one message and code without a recipient: how many different ones, which wait (a
 * set: each leaves it in one step, however many wait).
 */
interface Unnamed {
  count: number;
  waiting: Set<Pending>;
}

/** The message and code a refusal is grouped by; `undefined` when its rows name no message id. */
function groupOf(event: TraceEvent, code: string): string | undefined {
  const id = knownMessageId(event);
  return id === undefined ? undefined : `${id}\u0000${code}`;
}

export class UnnamedRecipients {
  /** False until the run's first refusal without a recipient (the common case: nothing to keep). */
  private active = false;
  /** Message and code → the recipient its named refusals name, `null` once they name several. */
  private readonly named: BoundedMap<string, string | null>;
  private readonly unnamed: BoundedMap<string, Unnamed>;

  public constructor(tracked: number) {
    this.named = new BoundedMap(tracked);
    this.unnamed = new BoundedMap(tracked);
  }

  /**
   * Notes a refusal joining the window (`item`) or released by an earlier invocation (no `item`).
   * A named refusal costs one test until the first unnamed one.
   */
  public observe(event: TraceEvent, code: string, item: Pending | undefined, window: PendingWindow): void {
    if (event.recipient !== undefined) {
      if (this.active) this.noteNamed(event, code);
      return;
    }
    const group = groupOf(event, code);
    if (group === undefined) return;
    if (!this.active) {
      this.active = true;
      window.each((waiting) => {
        if (waiting !== item) this.noteNamed(waiting.event, waiting.rejection.enhancedCode);
      });
    }
    let entry = this.unnamed.get(group);
    if (entry === undefined) {
      entry = { count: 0, waiting: new Set() };
      this.unnamed.set(detach(group), entry);
    }
    entry.count++;
    if (item !== undefined) entry.waiting.add(item);
  }

  /** Notes the recipient of a named refusal (also one re-keyed when it leaves the window). */
  public noteNamed(event: TraceEvent, code: string): void {
    const { recipient } = event;
    if (!this.active || recipient === undefined) return;
    const group = groupOf(event, code);
    if (group === undefined) return;
    const known = this.named.get(group);
    if (known === undefined) this.named.set(detach(group), detach(recipient));
    else if (known !== null && known !== recipient) this.named.set(group, null);
  }

  /** The unnamed refusal `item` leaves the window (released, or folded into a named one). */
  public leave(item: Pending): void {
    const group = groupOf(item.event, item.rejection.enhancedCode);
    if (group !== undefined) this.unnamed.get(group)?.waiting.delete(item);
  }

  /**
   * The unnamed refusals of the named refusal `event`'s message and code still waiting that the run
   * may yet give a recipient: none once the group holds two of them or its named refusals name
   * several recipients (see `resolve`). So a message with many such refusals costs one look-up per
   * named refusal, not one per refusal waiting.
   */
  public waitingFor(event: TraceEvent, code: string): ReadonlySet<Pending> | undefined {
    if (this.unnamed.size === 0) return undefined;
    const group = groupOf(event, code);
    if (group === undefined || this.named.get(group) === null) return undefined;
    const entry = this.unnamed.get(group);
    if (entry === undefined || entry.count > 1 || entry.waiting.size === 0) return undefined;
    return entry.waiting;
  }

  /**
   * The recipient the run gives an unnamed refusal, if it gives one beyond doubt. `traced` is what
   * the message trace rows say (see `EvidenceIndex.tracedRecipient`): their one failed recipient,
   * or `null` for several.
   */
  public resolve(event: TraceEvent, code: string, traced: string | null | undefined): string | undefined {
    const group = groupOf(event, code);
    const named = group === undefined ? undefined : this.named.get(group);
    if (named === null || traced === null) return undefined;
    if (named !== undefined && traced !== undefined && named !== traced) return undefined;
    // Two refusals without a recipient and one recipient named: which is theirs, nothing says.
    if (group !== undefined && (this.unnamed.get(group)?.count ?? 0) > 1) return undefined;
    return named ?? traced;
  }
}
