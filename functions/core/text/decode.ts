/**
 * Decode: bytes → UTF-8 text chunks, whatever encoding the export tool chose.
 *
 * Exchange writes tracking logs as UTF-8 with a BOM, Windows PowerShell 5.1 writes ASCII or UTF-16,
 * and historical-search reports arrive as UTF-16LE with or without BOM. We sniff: a BOM wins; without
 * one, NUL bytes on odd (LE) or even (BE) positions of the first bytes give UTF-16 away. Line ends
 * are told from the text's head too: a CR-only text is handed on with LF line ends (line-ends.ts).
 */
import { isAscii } from 'node:buffer';
import { DecodeError } from '../kernel/errors.js';
import { closeEarly, readHead } from './byte-source.js';
import { type LineEnds, LineEndText } from './line-ends.js';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface DecodedText {
  encoding: TextEncoding;
  bom: boolean;
  /** Text chunks in order, without the BOM, with LF or CRLF line ends (CR-only ones made LF). */
  chunks: AsyncIterable<string>;
  /**
   * The text's line ends, once the first chunk was read: `cr` for a CR-only text, whose chunks
   * then no longer match its bytes line for line (no resume point can be taken in it).
   */
  readonly lineEnds: LineEnds | undefined;
}

/** How many leading bytes {@link sniffEncoding} looks at when there is no BOM: what a caller reads first. */
export const ENCODING_SNIFF_BYTES = 512;

/** Picks the encoding from the first bytes of a file. Exported for tests. */
export function sniffEncoding(head: Uint8Array): { encoding: TextEncoding; bomLength: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  let evenNul = 0;
  let oddNul = 0;
  const n = Math.min(head.length, ENCODING_SNIFF_BYTES);
  for (let i = 0; i < n; i++) {
    if (head[i] !== 0) continue;
    if (i % 2 === 0) evenNul++;
    else oddNul++;
  }
  // ASCII text in UTF-16 has a NUL in every other byte; demand a clear majority to avoid false positives.
  const pairs = Math.floor(n / 2);
  if (pairs > 0 && oddNul > pairs * 0.6 && evenNul < pairs * 0.1)
    return { encoding: 'utf-16le', bomLength: 0 };
  if (pairs > 0 && evenNul > pairs * 0.6 && oddNul < pairs * 0.1)
    return { encoding: 'utf-16be', bomLength: 0 };
  return { encoding: 'utf-8', bomLength: 0 };
}

/** Counts line ends (`lineEnd`: `\n`, or `\r` in a CR-only text), so a decoding error can say roughly where it happened. */
function countLines(text: string, lineEnd: string): number {
  let count = 0;
  let index = text.indexOf(lineEnd);
  while (index !== -1) {
    count++;
    index = text.indexOf(lineEnd, index + 1);
  }
  return count;
}

/**
 * Decodes a byte stream. Invalid byte sequences fail with a {@link DecodeError} that names the
 * encoding, the byte offset and the line, rather than silently turning into U+FFFD.
 */
export async function decodeBytes(source: AsyncIterable<Uint8Array>, file?: string): Promise<DecodedText> {
  const iterator = source[Symbol.asyncIterator]();
  // Collect enough bytes to sniff; files shorter than that are fine.
  const { head, done } = await readHead(iterator, ENCODING_SNIFF_BYTES);
  const { encoding, bomLength } = sniffEncoding(head);
  const decoder = new StrictDecoder(encoding, file);
  const text = new LineEndText(textChunks(decoder, head.subarray(bomLength), iterator, done), (ends) =>
    decoder.linesEndIn(ends),
  );
  return {
    encoding,
    bom: bomLength > 0,
    chunks: text,
    get lineEnds() {
      return text.lineEnds;
    },
  };
}

/**
 * Bytes as text in the encoding their start tells, leniently: a byte invalid in it (a Windows-1252
 * `é` in UTF-8) becomes U+FFFD. For searching a file relay-audit does not read (is there refusal
 * text in it?), where {@link decodeBytes} would stop at the first such byte. The caller closes `bytes`.
 */
export async function* decodeLeniently(bytes: AsyncIterator<Uint8Array>): AsyncGenerator<string> {
  const { head, done } = await readHead(bytes, ENCODING_SNIFF_BYTES);
  // Not fatal; drops the BOM. `stream` keeps a character cut by a chunk's end for the next chunk.
  const decoder = new TextDecoder(sniffEncoding(head).encoding);
  yield decoder.decode(head, { stream: true });
  if (!done) {
    for (;;) {
      const next = await bytes.next();
      if (next.done) break;
      yield decoder.decode(next.value, { stream: true });
    }
  }
  yield decoder.decode();
}

/** The text of `head` and then of every chunk `iterator` still gives, in order. */
async function* textChunks(
  decoder: StrictDecoder,
  head: Uint8Array,
  iterator: AsyncIterator<Uint8Array>,
  done: boolean,
): AsyncGenerator<string> {
  try {
    yield* decoder.pieces(head, false);
    if (!done) {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        yield* decoder.pieces(next.value, false);
      }
    }
    const rest = decoder.end();
    if (rest) yield rest;
  } finally {
    // A reader that stops early must not leave the file or S3 connection open (a no-op once ended).
    await closeEarly(iterator);
  }
}

/**
 * Bytes of one encoding → text, strictly, chunk after chunk, counting bytes and lines so that an
 * invalid byte sequence is reported where it is.
 */
class StrictDecoder {
  private readonly decoder: InstanceType<typeof TextDecoder>;
  /** Bytes decoded so far. */
  private offset = 0;
  /** The line the next byte is on (counted by LF, or by CR once the text is told CR-only). */
  private line = 1;
  /**
   * The line the next byte is on counted by CR, while the line ends are not told yet (the head):
   * a bad byte there is numbered by whichever count is higher, LF or CR.
   */
  private crLine = 1;
  /** What lines end in: LF, CR (a CR-only text), or not told yet (0). */
  private lineEnd: 0 | 10 | 13 = 0;
  /** True while the decoder may hold the first bytes of a character cut by the chunk boundary. */
  private midCharacter = false;

  public constructor(
    private readonly encoding: TextEncoding,
    private readonly file: string | undefined,
  ) {
    this.decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  }

  /** The text's line ends are told (line-ends.ts): lines are counted by them from now on. */
  public linesEndIn(ends: LineEnds): void {
    this.lineEnd = ends === 'cr' ? 13 : 10;
    if (ends === 'cr') this.line = this.crLine;
  }

  /** The text of one chunk of bytes, in one or more pieces; `last` for the input's last chunk. */
  public pieces(bytes: Uint8Array, last: boolean): Iterable<string> {
    if (this.encoding === 'utf-8') {
      const buffer = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      return this.utf8Pieces(buffer, last);
    }
    const text = this.decode(bytes, !last);
    return text ? [text] : [];
  }

  /**
   * The decoder's last bytes. Every byte before them has met the strict decoder, so all it can
   * still hold is the start of a character the input ends in: a file cut mid-character (an odd
   * last byte of UTF-16, part of a UTF-8 sequence). That is a cut, not a wrong encoding: the
   * character is dropped and the cut row is read like one cut between characters, in any
   * encoding alike (was: a UTF-16 file cut at an odd byte failed whole).
   */
  public end(): string {
    try {
      return this.decoder.decode(new Uint8Array(0), { stream: false });
    } catch {
      return '';
    }
  }

  /**
   * UTF-8 chunks are cut into runs of whole lines: runs of pure ASCII become Latin-1 strings
   * (a byte copy, and V8 keeps them one byte per character), the rest goes through the strict
   * decoder. A single accented subject would otherwise make V8 store the whole 64 KB chunk — and
   * every field cut from it — two bytes per character (measured: decoding, splitting and hashing
   * all slower). ASCII needs no validation; every other byte still meets the fatal decoder.
   */
  private *utf8Pieces(bytes: Buffer, last: boolean): Generator<string> {
    const lineEnd = this.lineEnd === 13 ? 13 : 10;
    let start = 0;
    let runStart = 0;
    let runLines = 0;
    let runAscii = true;
    for (;;) {
      const newline = bytes.indexOf(lineEnd, start);
      const end = newline === -1 ? bytes.length : newline + 1;
      const ascii = isAscii(bytes.subarray(start, end)) && !(start === 0 && this.midCharacter);
      if (ascii !== runAscii && start > runStart) {
        const piece = this.run(bytes.subarray(runStart, start), runAscii, runLines, false);
        runStart = start;
        runLines = 0;
        if (piece) yield piece;
      }
      runAscii = ascii;
      start = end;
      if (newline === -1) break;
      runLines++;
    }
    if (bytes.length > runStart) {
      const piece = this.run(bytes.subarray(runStart), runAscii, runLines, !last);
      if (piece) yield piece;
    }
  }

  /** One run of `lines` whole lines (the last may be cut when `stream`): ASCII as Latin-1, else strictly. */
  private run(bytes: Buffer, ascii: boolean, lines: number, stream: boolean): string {
    if (ascii && !this.midCharacter) {
      this.line += lines;
      this.offset += bytes.length;
      const text = bytes.toString('latin1');
      if (this.lineEnd === 0) this.crLine += countLines(text, '\r');
      return text;
    }
    this.midCharacter = stream;
    return this.decode(bytes, stream, lines);
  }

  /** Decodes strictly; `lines` is the number of line feeds in `bytes` when the caller knows it. */
  private decode(bytes: Uint8Array, stream: boolean, lines?: number): string {
    let text: string;
    try {
      // TextDecoder (simdutf inside) measured faster here than Buffer#toString for non-ASCII UTF-8.
      text = this.decoder.decode(bytes, { stream });
    } catch (cause) {
      return this.fail(bytes, cause);
    }
    this.line += lines ?? countLines(text, this.lineEnd === 13 ? '\r' : '\n');
    if (this.lineEnd === 0) this.crLine += countLines(text, '\r');
    this.offset += bytes.length;
    return text;
  }

  /** Finds the bad sequence (decoding leniently, counting the lines before the first U+FFFD) and throws. */
  private fail(bytes: Uint8Array, cause: unknown): never {
    const lenient = new TextDecoder(this.encoding).decode(bytes);
    const bad = lenient.indexOf('\uFFFD');
    const before = bad >= 0 ? lenient.slice(0, bad) : '';
    const byLineEnd = this.line + countLines(before, this.lineEnd === 13 ? '\r' : '\n');
    const line = this.lineEnd === 0 ? Math.max(byLineEnd, this.crLine + countLines(before, '\r')) : byLineEnd;
    const { encoding, file, offset } = this;
    throw new DecodeError(
      `${file ?? 'input'} is not valid ${encoding.toUpperCase()} (invalid byte sequence on line ${line}, within bytes ${offset}-${offset + bytes.length}). ` +
        'Re-export the file as UTF-8 (Export-Csv -Encoding UTF8) or UTF-16.',
      { cause, location: { file, line } },
    );
  }
}
