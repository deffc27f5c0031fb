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
  /**
   * The lines of a UTF-8 text that are not valid UTF-8, read as Latin-1 instead, once one was met
   * (see {@link NotUtf8}); `undefined` while there is none.
   */
  readonly notUtf8: NotUtf8 | undefined;
  /**
   * The error of 8-bit text appended to a UTF-16 text (PowerShell's `>` then `Add-Content`): the
   * chunks end before it, and the reader throws it once it has read them.
   */
  readonly appended: DecodeError | undefined;
}

/**
 * Lines of a UTF-8 text with bytes that are not UTF-8. A syslog file holds every program's lines as
 * they were sent — a NAS's or a Windows forwarder's Latin-1, a mail's raw 8-bit Subject that Postfix
 * logs — and cannot be exported again, so a log reader reads such a line as Latin-1 (its ASCII, which
 * is what a mail line's fields are, unchanged) and notes it. An export can be made again: its reader
 * throws `error`, what a strict decoder would have thrown at the first such line.
 */
export interface NotUtf8 {
  lines: number;
  firstLine: number;
  error: DecodeError;
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

/**
 * A UTF-32 byte order mark (what `Export-Csv -Encoding UTF32` writes first): read as UTF-16 the text
 * would have a NUL between every two characters.
 */
function isUtf32(head: Uint8Array): boolean {
  if (head[0] === 0xff && head[1] === 0xfe && head[2] === 0 && head[3] === 0) return true;
  if (head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff) return true;
  return false;
}

const NO_BYTES = new Uint8Array(0);

/** An 8-bit CR LF read as one UTF-16LE character (see `refuseEightBitAppended`). */
const ANSI_LINE_END_IN_UTF16LE = '\u0A0D';

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
 * encoding, the byte offset and the line, rather than silently turning into U+FFFD — except the
 * lines of a UTF-8 text, which are read as Latin-1 and told in `notUtf8` (the caller decides).
 */
export async function decodeBytes(source: AsyncIterable<Uint8Array>, file?: string): Promise<DecodedText> {
  const iterator = source[Symbol.asyncIterator]();
  // Collect enough bytes to sniff; files shorter than that are fine.
  const { head, done } = await readHead(iterator, ENCODING_SNIFF_BYTES);
  if (isUtf32(head)) {
    await closeEarly(iterator);
    throw new DecodeError(
      `${file ?? 'input'} is UTF-32 (Export-Csv -Encoding UTF32), which relay-audit does not read. ` +
        'Re-export the file as UTF-8 (Export-Csv -Encoding UTF8) or UTF-16 (-Encoding Unicode).',
      { location: { file } },
    );
  }
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
    get notUtf8() {
      return decoder.notUtf8;
    },
    get appended() {
      return decoder.appended;
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
      // Nothing after 8-bit text appended to UTF-16 is read: the file fails once its text is.
      while (decoder.appended === undefined) {
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
  /** Replaced after a line that is not UTF-8: a fatal decoder's state is undefined once it threw. */
  private decoder: InstanceType<typeof TextDecoder>;
  /** The bytes of a character cut by the last chunk's end, held inside `decoder` (UTF-8 only). */
  private held: Uint8Array = NO_BYTES;
  public notUtf8: NotUtf8 | undefined;
  /** 8-bit text appended to UTF-16LE: the text ends before it (see `beforeEightBitAppended`). */
  public appended: DecodeError | undefined;
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
    if (this.appended !== undefined) return '';
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
      if (this.encoding !== 'utf-8') return this.fail(bytes, cause);
      text = this.lineByLine(bytes, stream, cause);
      lines = undefined;
    }
    if (this.encoding === 'utf-8') this.held = stream ? cutCharacterAtEnd(this.held, bytes) : NO_BYTES;
    else if (this.encoding === 'utf-16le') text = this.beforeEightBitAppended(text, bytes);
    this.line += lines ?? countLines(text, this.lineEnd === 13 ? '\r' : '\n');
    if (this.lineEnd === 0) this.crLine += countLines(text, '\r');
    this.offset += bytes.length;
    return text;
  }

  /**
   * `text` up to 8-bit text appended to UTF-16LE, whose error {@link pieces} then throws: Windows
   * PowerShell 5.1 writes `>` in UTF-16 and `Add-Content`, `Set-Content` and cmd's `>>` in ANSI, so a
   * file made with both is UTF-16 up to where the other was appended. Every pair of 8-bit bytes is a
   * UTF-16 character, so no decoder error tells; an ANSI line end (CR LF) on an even byte reads as
   * U+0A0D, which Unicode leaves unassigned. Read on, its lines would be one line of garbage, their
   * refusals lost: the text ends before them, and the reader fails the file with `appended` once it
   * has read the UTF-16 lines.
   */
  private beforeEightBitAppended(text: string, bytes: Uint8Array): string {
    const at = text.indexOf(ANSI_LINE_END_IN_UTF16LE);
    if (at === -1) return text;
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const line = this.lineAfter(text.slice(0, lineStart));
    const { file, offset } = this;
    this.appended = new DecodeError(
      `${file ?? 'input'} is UTF-16 up to line ${line - 1}, then 8-bit text (ANSI or UTF-8) appended to it ` +
        `(within bytes ${offset}-${offset + bytes.length}): Windows PowerShell's > writes UTF-16, Add-Content, ` +
        "Set-Content and cmd's >> write ANSI. The lines before it were read; export or join the parts again " +
        'in one encoding (Export-Csv -Append -Encoding UTF8), or analyse them as separate files.',
      { location: { file, line } },
    );
    return text.slice(0, lineStart);
  }

  /**
   * UTF-8 `bytes` (after the bytes `decoder` held) that are not all valid, line by line: each line
   * valid UTF-8 as such, the others as Latin-1, counted in `notUtf8`. A character cut by the end
   * (`stream`) is held in a new decoder for the next chunk, as the old one held it.
   */
  private lineByLine(bytes: Uint8Array, stream: boolean, cause: unknown): string {
    const all = Buffer.concat([this.held, bytes]);
    const cut = stream ? cutCharacterAtEnd(NO_BYTES, all).length : 0;
    const lineEnd = this.lineEnd === 13 ? 13 : 10;
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let text = '';
    for (let start = 0; start < all.length - cut; ) {
      const next = all.indexOf(lineEnd, start);
      const end = next === -1 || next >= all.length - cut ? all.length - cut : next + 1;
      const piece = all.subarray(start, end);
      try {
        text += strict.decode(piece);
      } catch {
        if (this.notUtf8 === undefined) {
          // Numbered where the bad byte is: the head's lines are not split by CR yet.
          const lenient = new TextDecoder('utf-8').decode(piece);
          const line = this.lineAfter(text + lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD'))));
          this.notUtf8 = { lines: 0, firstLine: line, error: this.error(line, bytes, cause) };
        }
        this.notUtf8.lines++;
        text += piece.toString('latin1');
      }
      start = end;
    }
    this.decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    if (cut > 0) this.decoder.decode(all.subarray(all.length - cut), { stream: true });
    return text;
  }

  /** Finds the bad sequence (decoding leniently, counting the lines before the first U+FFFD) and throws. */
  private fail(bytes: Uint8Array, cause: unknown): never {
    const lenient = new TextDecoder(this.encoding).decode(bytes);
    const bad = lenient.indexOf('\uFFFD');
    throw this.error(this.lineAfter(bad >= 0 ? lenient.slice(0, bad) : ''), bytes, cause);
  }

  /** The line a byte is on that follows `before`, the text decoded of this call's bytes before it. */
  private lineAfter(before: string): number {
    const byLineEnd = this.line + countLines(before, this.lineEnd === 13 ? '\r' : '\n');
    // While the line ends are not told (the head), by whichever count is higher: LF or CR.
    return this.lineEnd === 0 ? Math.max(byLineEnd, this.crLine + countLines(before, '\r')) : byLineEnd;
  }

  /** The error of an invalid byte sequence on `line`, within `bytes`. */
  private error(line: number, bytes: Uint8Array, cause: unknown): DecodeError {
    const { encoding, file, offset } = this;
    return new DecodeError(
      `${file ?? 'input'} is not valid ${encoding.toUpperCase()} (invalid byte sequence on line ${line}, within bytes ${offset}-${offset + bytes.length}). ` +
        'Re-export the file as UTF-8 (Export-Csv -Encoding UTF8) or UTF-16.',
      { cause, location: { file, line } },
    );
  }
}

/**
 * The bytes of a UTF-8 character cut by the end of `held` then `bytes` (at most 3), which a streaming
 * decoder holds for the next chunk; none when the text ends between characters.
 */
function cutCharacterAtEnd(held: Uint8Array, bytes: Uint8Array): Uint8Array {
  const text = bytes.length >= 4 || held.length === 0 ? bytes : Buffer.concat([held, bytes]);
  for (let back = 1; back <= Math.min(4, text.length); back++) {
    const byte = text[text.length - back] as number;
    if (byte < 0x80) return NO_BYTES;
    if (byte < 0xc0) continue; // a continuation byte: the character began further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return length > back ? text.slice(text.length - back) : NO_BYTES;
  }
  return NO_BYTES;
}
