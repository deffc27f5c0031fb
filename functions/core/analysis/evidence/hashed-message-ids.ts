/**
 * A set of Message-IDs, each kept as a 31-bit hash: the run's receipts (the receipts themselves
 * are in the store's inbound index, written as the run goes, and the end-of-run correlation reads
 * them back for the few Message-IDs that match; measured: kept in memory, even packed one string
 * each, they were the largest thing a 750 MB run held, some 45 MB), and the Message-IDs of its
 * candidates. A collision of two hashes costs one lookup that finds no receipt of this run, or a
 * `-` record with nothing to remove, never a wrong answer. Also the messages whose inbound traces the
 * classifier forgot (classifier/evidence-index.ts): a collision there adds a note that says "may".
 */
export class HashedMessageIds {
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
