/**
 * Line ends: LF or CRLF, or CR alone (Excel for Mac "CSV (Macintosh)", classic Mac tools). Every
 * reader downstream splits lines on LF, so a CR-only text is told once from its head and handed on
 * with LF line ends; an LF or CRLF text passes through untouched, chunk for chunk: the splitters'
 * hot path is theirs.
 */

export type LineEnds = 'lf' | 'cr';

/**
 * The head a text's line ends are told from. A first line longer than this is no header or log
 * line; such a text keeps its line ends as they are.
 */
export const LINE_ENDS_HEAD_CHARS = 64 * 1024;

/** Where the first line of `text` ends (a CR or an LF), from `from` on; -1 when none does. */
function firstLineEnd(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  if (cr === -1) return lf;
  return lf === -1 ? cr : Math.min(cr, lf);
}

/**
 * The line ends of a text from its head: `cr` when its first line ends in a CR without an LF and,
 * in its first {@link LINE_ENDS_HEAD_CHARS} characters, CRs without an LF outnumber LFs; else `lf`.
 * Both, so that one stray CR (a first line cut short, a CR in a subject) does not turn an LF file's
 * CRs into line ends. `undefined` while `head` cannot tell (`complete`: `head` is the whole text).
 */
export function lineEndsOf(head: string, complete: boolean): LineEnds | undefined {
  const end = firstLineEnd(head, 0);
  if (end === -1) return complete || head.length >= LINE_ENDS_HEAD_CHARS ? 'lf' : undefined;
  if (head.charCodeAt(end) === 10) return 'lf';
  if (end + 1 >= head.length) return complete ? 'cr' : undefined; // the CR's LF may come next
  if (head.charCodeAt(end + 1) === 10) return 'lf';
  if (!complete && head.length < LINE_ENDS_HEAD_CHARS + 1) return undefined;
  let loneCr = 0;
  let lf = 0;
  const length = Math.min(head.length, LINE_ENDS_HEAD_CHARS);
  for (let at = end; at < length; at++) {
    const code = head.charCodeAt(at);
    if (code === 10) lf++;
    else if (code === 13 && head.charCodeAt(at + 1) !== 10) loneCr++;
  }
  return loneCr > lf ? 'cr' : 'lf';
}

/** Turns the CRs of a CR-only text into LFs, chunk after chunk; a CRLF stays one line end, even when cut. */
export class CrToLf {
  /** The last chunk ended in a CR: an LF starting this one is that CR's. */
  private afterCr = false;

  public convert(text: string): string {
    if (text.length === 0) return text;
    const rest = this.afterCr && text.charCodeAt(0) === 10 ? text.slice(1) : text;
    this.afterCr = text.charCodeAt(text.length - 1) === 13;
    return rest.replace(/\r\n?/g, '\n');
  }
}

/**
 * The text chunks of `source`, CR-only line ends turned into LFs. Until the head tells the line ends
 * its chunks are held (at most about {@link LINE_ENDS_HEAD_CHARS} characters); then an LF or CRLF
 * text's chunks are `source`'s own, passed on without a copy. `onTold` is told the line ends once
 * known, so a decoder can number lines by them.
 */
export class LineEndText implements AsyncIterableIterator<string> {
  private ends: LineEnds | undefined;
  private held: string[] = [];
  private ended = false;
  private readonly toLf = new CrToLf();

  public constructor(
    private readonly source: AsyncIterator<string>,
    private readonly onTold?: (ends: LineEnds) => void,
  ) {}

  /** The line ends once told (after the first `next()`); `cr` means the chunks were given LFs. */
  public get lineEnds(): LineEnds | undefined {
    return this.ends;
  }

  public [Symbol.asyncIterator](): AsyncIterableIterator<string> {
    return this;
  }

  public async next(): Promise<IteratorResult<string>> {
    if (this.ends === undefined) await this.tell();
    if (this.held.length > 0) return { done: false, value: this.held.shift() as string };
    if (this.ended) return { done: true, value: undefined };
    if (this.ends === 'lf') return await this.source.next();
    const next = await this.source.next();
    if (next.done) return next;
    return { done: false, value: this.toLf.convert(next.value) };
  }

  public async return(): Promise<IteratorResult<string>> {
    this.held = [];
    this.ended = true;
    return (await this.source.return?.()) ?? { done: true, value: undefined };
  }

  /**
   * Reads and holds chunks until the head tells the line ends. The first line end is looked for in
   * each new chunk alone (a long first line in small chunks stays linear); the head is joined and
   * counted once, and only for a text whose first line ends in a CR alone.
   */
  private async tell(): Promise<void> {
    let length = 0;
    /** Where the first line end is in the head, and its character and the next (-1: not read yet). */
    let end = -1;
    let endCode = -1;
    let afterCode = -1;
    while (!this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = next.value;
      this.held.push(chunk);
      if (end === -1) {
        const at = firstLineEnd(chunk, 0);
        if (at !== -1) {
          end = length + at;
          endCode = chunk.charCodeAt(at);
          if (at + 1 < chunk.length) afterCode = chunk.charCodeAt(at + 1);
        }
      } else if (afterCode === -1 && chunk.length > 0) afterCode = chunk.charCodeAt(0);
      length += chunk.length;
      // An LF or a CRLF ends the first line: the text is read as it is, without looking further.
      if (endCode === 10 || (endCode === 13 && afterCode === 10)) break;
      if (end === -1 && length >= LINE_ENDS_HEAD_CHARS) break;
      if (afterCode !== -1 && length > LINE_ENDS_HEAD_CHARS) break;
    }
    const head = endCode === 13 && afterCode !== 10 ? this.held.join('') : undefined;
    this.ends = head !== undefined ? (lineEndsOf(head, this.ended) ?? 'lf') : 'lf';
    this.onTold?.(this.ends);
    if (this.ends === 'cr') this.held = this.held.map((chunk) => this.toLf.convert(chunk));
  }
}
