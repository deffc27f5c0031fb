/**
 * Entering a file mid-way, for ingest's continuations: the uncompressed bytes are counted in
 * physical lines as they stream, so that a stopped read can say at which byte a line starts, and
 * a resumed read can be given the header again followed by the bytes from that line on.
 *
 * Lines are counted by their `\n` bytes, which is exact for UTF-8 (the only encoding a resume point
 * is taken in: in UTF-16 a `0x0A` byte may be half of another character).
 */

/** Where a resumed read starts, in uncompressed bytes. */
export interface ReadFrom {
  /** The preamble and header: passed as they are, so the format is detected again. */
  headBytes: number;
  /** The byte where line `fromLine` starts; bytes between the head and it are never analysed. */
  fromByte: number;
  fromLine: number;
  /** True when the source already starts at `fromByte` after the head (a ranged read of a plain object). */
  sliced: boolean;
}

/** A line start: its number and uncompressed byte offset. */
export interface LineStart {
  line: number;
  byte: number;
}

/** Lines of the head whose start is kept exactly (real preambles and headers are a handful). */
const HEAD_LINES = 64;

/** The line starts seen in one read: exact for the head, one per chunk after it. */
export class LineMap {
  private line = 1;
  private byte = 0;
  private readonly head: number[] = [0];
  private readonly checkpoints: LineStart[] = [];

  /** The byte offset where `line` starts, when it is one of the head's lines. */
  public startOfHeadLine(line: number): number | undefined {
    return this.head[line - 1];
  }

  /** The latest recorded line start at or before `line` (at least `floor`). */
  public startAtOrBefore(line: number, floor: LineStart): LineStart {
    let low = 0;
    let high = this.checkpoints.length - 1;
    let best = floor;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const candidate = this.checkpoints[middle] as LineStart;
      if (candidate.line <= line) {
        if (candidate.line > best.line) best = candidate;
        low = middle + 1;
      } else high = middle - 1;
    }
    return best;
  }

  /** Continues counting at `start` (after a resumed read skipped to it). */
  public jump(start: LineStart): void {
    this.line = start.line;
    this.byte = start.byte;
  }

  /** Counts the lines of the next chunk of bytes. */
  public count(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let first = true;
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) {
      this.line++;
      const start = this.byte + at + 1;
      if (this.line <= HEAD_LINES) this.head.push(start);
      else if (first) this.checkpoints.push({ line: this.line, byte: start });
      first = false;
    }
    this.byte += bytes.length;
  }
}

/**
 * Passes uncompressed bytes through `map`. With `from`, the first `headBytes` bytes pass, then
 * (unless the source is already sliced) the bytes up to `fromByte` are dropped, and the rest pass
 * with their line numbers counted from `fromLine`.
 */
export async function* trackLines(
  source: AsyncIterable<Uint8Array>,
  map: LineMap,
  from?: ReadFrom,
): AsyncGenerator<Uint8Array> {
  if (from === undefined) {
    for await (const chunk of source) {
      map.count(chunk);
      yield chunk;
    }
    return;
  }
  if (from.headBytes === 0) map.jump({ line: from.fromLine, byte: from.fromByte });
  let position = 0; // in the source's own bytes
  const dropUntil = from.sliced ? from.headBytes : from.fromByte;
  for await (const chunk of source) {
    let piece = chunk;
    if (position < from.headBytes) {
      const head = piece.subarray(0, from.headBytes - position);
      map.count(head);
      yield head;
      position += head.length;
      piece = piece.subarray(head.length);
      if (position === from.headBytes) map.jump({ line: from.fromLine, byte: from.fromByte });
    }
    if (position < dropUntil && piece.length > 0) {
      const dropped = Math.min(piece.length, dropUntil - position);
      position += dropped;
      piece = piece.subarray(dropped);
    }
    if (piece.length === 0) continue;
    position += piece.length;
    map.count(piece);
    yield piece;
  }
}
