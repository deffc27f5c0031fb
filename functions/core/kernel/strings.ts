/**
 * String helpers for long-lived state.
 *
 * V8 represents `slice`/`split` results as views into the string they came from, so a Message-ID
 * kept in a correlation index would keep its whole 1 MB text chunk alive. Strings that outlive
 * their chunk are copied first; this is what keeps the classifier's memory flat.
 */

/** A copy of `value` that does not share storage with the string it was cut from. */
export function detach(value: string): string {
  // Concatenation + slice forces V8 to flatten into a new sequential string.
  return ` ${value}`.slice(1);
}

/**
 * {@link detach}, one byte a character when every character fits in one: text cut from a log chunk
 * that holds a single character beyond Latin-1 (a subject, a display name) is two bytes a character,
 * and so is everything joined with it. For text kept by the megabyte.
 */
export function detachPacked(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole one-byte range is the point
  if (/[^\u0000-\u00ff]/.test(value)) return detach(value);
  // Rebuilt from its character codes, which V8 stores one byte each when all fit (no Buffer: this
  // module also runs in the dashboard). In pieces, as a call takes a bounded number of arguments.
  let packed = '';
  for (let start = 0; start < value.length; start += PACK_PIECE) {
    const codes: number[] = [];
    const end = Math.min(value.length, start + PACK_PIECE);
    for (let i = start; i < end; i++) codes.push(value.charCodeAt(i));
    packed += String.fromCharCode(...codes);
  }
  // Built anew from codes: it shares nothing with `value`, so it needs no detaching.
  return packed;
}

/** Characters per `String.fromCharCode` call in `detachPacked`. */
const PACK_PIECE = 8192;

/**
 * Detached copies of values that repeat (host names, connector names, sender addresses), one copy
 * per distinct value. Long-lived records that intern them share one string instead of holding a
 * copy each — less to copy when the garbage collector moves them. Bounded: when `limit` distinct
 * values have been seen, the pool starts over (strings already handed out stay valid).
 */
export class StringPool {
  private values = new Map<string, string>();

  public constructor(private readonly limit = 10_000) {}

  public intern(value: string): string {
    let kept = this.values.get(value);
    if (kept === undefined) {
      kept = detach(value);
      if (this.values.size >= this.limit) this.values = new Map();
      this.values.set(kept, kept);
    }
    return kept;
  }

  /**
   * A shallow copy of `record` whose string properties are interned when named in `repeating`
   * and {@link detach}ed otherwise; properties named in `drop` are left undefined.
   */
  public keep<T extends object>(record: T, repeating: ReadonlySet<string>, drop?: ReadonlySet<string>): T {
    const copy = { ...record };
    for (const key of Object.keys(copy) as (keyof T & string)[]) {
      const value = copy[key];
      if (typeof value !== 'string') continue;
      if (drop?.has(key)) copy[key] = undefined as T[keyof T & string];
      else copy[key] = (repeating.has(key) ? this.intern(value) : detach(value)) as T[keyof T & string];
    }
    return copy;
  }
}

/** Escapes of the control characters that have a short one. */
const CONTROL_ESCAPES: Readonly<Record<number, string>> = { 0: '\\0', 9: '\\t', 10: '\\n', 13: '\\r' };

/**
 * A control character (C0, DEL, C1) as an escape: `\0`, `\t`, `\x1b`, `\x85`; an invisible one
 * (see {@link isControl}) as `\u202e`.
 */
function escapeControl(code: number): string {
  if (code > 0xff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return CONTROL_ESCAPES[code] ?? `\\x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Characters that must not reach a terminal or a reader's eye raw from a log: controls (C0, DEL,
 * C1: escape sequences recolour, hide or clear), and the invisible ones that change what text seems
 * to say — zero-width spaces and joiners (`bo\u200bss@` shows as `boss@`), line and paragraph
 * separators, bidirectional marks, embeddings, overrides and isolates (`pay\u202emoc.evil` shows
 * reversed: Trojan Source), invisible operators, the BOM. As a regular-expression class, for every
 * writer of log text (this module, the nightly report's plain text).
 */
export const INVISIBLE_OR_CONTROL_CLASS = '\\p{Cc}\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff';

/** One of {@link INVISIBLE_OR_CONTROL_CLASS}'s characters (code by code, for walking a text). */
function isControl(code: number): boolean {
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  if (code < 0x200b) return false;
  return (
    code <= 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2069) ||
    code === 0xfeff
  );
}

/** One of {@link isControl}'s characters, for a quick test before walking a text. */
const UNSAFE_CHARACTER = new RegExp(`[${INVISIBLE_OR_CONTROL_CLASS}]`, 'u');

/**
 * `line` as a terminal may show it: every {@link isControl} character as its escape. For one line
 * of a report made of values read from logs (a table row, a remediation step naming a server).
 */
export function terminalSafe(line: string): string {
  if (!UNSAFE_CHARACTER.test(line)) return line;
  let out = '';
  for (let index = 0; index < line.length; index++) {
    const code = line.charCodeAt(index);
    out += isControl(code) ? escapeControl(code) : line.charAt(index);
  }
  return out;
}

/**
 * `text` as a message quotes it: at most about `max` characters (then `…`), control characters shown
 * as escapes and a run of one repeated as `[512 × \0]`. A line of a damaged log (the NUL bytes a file
 * holds after a power loss) would otherwise print raw, unreadable or clearing the terminal. For
 * messages only: it walks the text one character at a time.
 */
export function quoteText(text: string, max: number): string {
  let out = '';
  let index = 0;
  while (index < text.length && out.length < max) {
    const code = text.charCodeAt(index);
    if (!isControl(code)) {
      out += text.charAt(index++);
      continue;
    }
    let end = index + 1;
    while (end < text.length && text.charCodeAt(end) === code) end++;
    const run = end - index;
    out += run >= 4 ? `[${run} × ${escapeControl(code)}]` : escapeControl(code).repeat(run);
    index = end;
  }
  return index < text.length ? `${out}…` : out;
}
