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
 * One of {@link INVISIBLE_OR_CONTROL_CLASS}'s characters as an escape: a control character (C0, DEL,
 * C1) as `\0`, `\t`, `\x1b`, `\x85`; any other as `\u202e` or `\u00ad` (a lone surrogate too:
 * `\ud83d`), and one beyond the Basic Multilingual Plane as `\u{e0041}`.
 */
function escapeCharacter(character: string): string {
  const code = character.codePointAt(0) ?? 0;
  if (code <= 0x9f) return CONTROL_ESCAPES[code] ?? `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\u{${code.toString(16)}}`;
}

/**
 * Characters that must not reach a terminal or a reader's eye raw from a log, as a regular-expression
 * class (for the `u` flag, so it matches by code point). Controls (C0, DEL, C1): escape sequences
 * recolour, hide or clear. Bidirectional controls — marks (U+061C, U+200E), embeddings, overrides and
 * isolates: `pay\u202emoc.evil` shows reversed (Trojan Source). Every default-ignorable character,
 * which a font draws as nothing: zero-width spaces and joiners (`bo\u200bss@` shows as `boss@`), the
 * soft hyphen, Hangul fillers (U+3164), variation selectors, invisible operators, the BOM, and the
 * tag characters U+E0000–E007F that spell hidden ASCII. Line and paragraph separators, which break a
 * line. Lone surrogates (half a character, from a cut), which no encoding can write. For every
 * writer of log text: this module (terminal, messages, the dashboard) and the nightly report's text.
 */
export const INVISIBLE_OR_CONTROL_CLASS =
  '\\p{Cc}\\p{Bidi_Control}\\p{Default_Ignorable_Code_Point}\\u2028\\u2029\\p{Cs}';

/** Every {@link INVISIBLE_OR_CONTROL_CLASS} character of a text, one code point each. */
const UNSAFE_CHARACTERS = new RegExp(`[${INVISIBLE_OR_CONTROL_CLASS}]`, 'gu');

/** A text that is one {@link INVISIBLE_OR_CONTROL_CLASS} character. */
const UNSAFE_CHARACTER = new RegExp(`^[${INVISIBLE_OR_CONTROL_CLASS}]$`, 'u');

/**
 * Text that holds none of them for certain: printable ASCII only, as most lines and values are. A
 * quick test first, because the class's Unicode properties make a scan of other text several times
 * slower (about 2 µs for 100 characters).
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * `line` as a terminal or a page may show it: every {@link INVISIBLE_OR_CONTROL_CLASS} character
 * as its escape. For one line of a report made of values read from logs (a table row, a remediation
 * step naming a server), and for each such value the dashboard shows.
 */
export function terminalSafe(line: string): string {
  return PRINTABLE_ASCII.test(line) ? line : line.replace(UNSAFE_CHARACTERS, escapeCharacter);
}

/**
 * `text` as a message quotes it: at most about `max` characters (then `…`), the characters
 * {@link terminalSafe} escapes shown as escapes and a run of one repeated as `[512 × \0]`. A line of
 * a damaged log (the NUL bytes a file holds after a power loss) would otherwise print raw,
 * unreadable or clearing the terminal. For messages only: it walks the text one character at a time.
 */
export function quoteText(text: string, max: number): string {
  const head = text.slice(0, max);
  if (PRINTABLE_ASCII.test(head)) return head.length < text.length ? `${head}…` : head;
  let out = '';
  let index = 0;
  while (index < text.length && out.length < max) {
    const code = text.codePointAt(index) ?? 0;
    if (code >= 0x20 && code < 0x7f) {
      out += text.charAt(index++);
      continue;
    }
    // By code point, so a character beyond the BMP is matched, and kept or cut, whole.
    const character = String.fromCodePoint(code);
    if (!UNSAFE_CHARACTER.test(character)) {
      out += character;
      index += character.length;
      continue;
    }
    let end = index + character.length;
    while (text.startsWith(character, end)) end += character.length;
    const run = (end - index) / character.length;
    const shown = escapeCharacter(character);
    out += run >= 4 ? `[${run} × ${shown}]` : shown.repeat(run);
    index = end;
  }
  return index < text.length ? `${out}…` : out;
}
