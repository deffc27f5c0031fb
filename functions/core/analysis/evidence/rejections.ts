/**
 * Rejection parser: SMTP code, enhanced code, `ATTRnn` and the answering host of a status text.
 *
 * Exchange wraps the remote answer in its own texts, to any depth (docs/domain.md §3, §5):
 * - queue errors: `550 4.4.7 QUEUE.Expired; message expired [{LED=451 4.4.62 … ATTR35 […]};{MSG=};…]`
 *   — the `LED` (last error description) is the real error; the outer 4.4.7 only says the queue gave up;
 * - `451 4.4.0 Primary target IP address responded with: "451 4.4.62 Mail sent to the wrong …"`;
 * - `450 4.7.0 Proxy session setup failed on Frontend with '451 4.4.0 Primary target IP address
 *   responded with: "550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 […]"'`.
 *
 * Each wrapper writes its own code first and the answer it wraps after it, so in text order the
 * innermost answer is the last status. The parser finds every enhanced status code with a linear
 * `indexOf` scan (no regular expression runs over the whole cell) and takes the last relay-attribution
 * one, or, when there is none, the last status of any kind — the innermost error. Its ATTR and host
 * are searched from the first line of its reply on: the `550-` lines before a multi-line reply's
 * last line are part of it, not a wrapper.
 *
 * Only the first {@link STATUS_SCAN_LIMIT} characters of a status are searched: real statuses, wrapped
 * twice, stay under 2 KB, and a pathological cell (a runaway quote, a 1 MB field) then costs no more
 * than a real one.
 */
import type { Rejection } from '../model/findings.js';
import { isMicrosoftHost } from './on-premises-host.js';

/**
 * How much of a status text is searched: 16 KiB (16,384 characters). A refusal written further into
 * a cell is not found; no real Exchange status comes near this length.
 */
export const STATUS_SCAN_LIMIT = 16 * 1024;

/** Enhanced codes of relay-attribution refusals (docs/domain.md §2). Only these become findings. */
export const RELAY_ATTRIBUTION_CODES: ReadonlySet<string> = new Set(['5.7.64', '4.4.62']);

/** `ATTRnn`, searched only within the chosen reply (at most {@link STATUS_SCAN_LIMIT} characters). */
const ATTR = /\bATTR(\d{1,3})\b/i;

/**
 * Words only a relay refusal holds, which tell one also in a text cut before its status code:
 * Exchange Online's reason, and its ATTR reasons of relay refusals (`ATTR35` wrong region, `ATTR36`
 * no accepted domain). Not the others of the family: `ATTR34` is a mail loop, `ATTR38` recipients
 * in several regions.
 */
const REFUSAL_REASON = 'TenantAttribution';
const ATTR_REASONS = ['ATTR35', 'ATTR36'];
/** What {@link ATTR_REASONS} begin with: a cheap test of them, for the pre-check. */
const ATTR_PREFIX = 'ATTR3';

/**
 * Words of Exchange Online's own reply to a relay refusal (`550 5.7.64 TenantAttribution; Relay
 * Access Denied [ATTR36] [host]`): a status that holds none of them is the code alone, or the
 * sending MTA's own words for it (sendmail's `dsn=5.7.64, stat=Service unavailable`), and tells
 * nothing of an ATTR marker.
 */
const REPLY_WORDS = new RegExp(`${REFUSAL_REASON}|Relay Access Denied|${ATTR.source}`, 'i');

/**
 * Whether a rejection's text is Exchange Online's reply, so that a missing ATTR36 means something:
 * without it, "no ATTR36" is not known, only that the log kept no reply text.
 */
export function replyTextSeen(rejection: Pick<Rejection, 'attr' | 'text'>): boolean {
  return rejection.attr !== undefined || REPLY_WORDS.test(rejection.text);
}

/** Full-width forms of ASCII `!`–`~` (U+FF01–FF5E), each U+FEE0 above its character. */
const FULL_WIDTH = '\\uFF01-\\uFF5E';
const FULL_WIDTH_FIRST = 0xff01;
const FULL_WIDTH_LAST = 0xff5e;
const FULL_WIDTH_OFFSET = 0xfee0;
/** Spaces other than ASCII's: no-break, figure, thin, ideographic, and the rest of their kind. */
const OTHER_SPACES = '\\u00A0\\u2000-\\u200A\\u202F\\u205F\\u3000';
const OTHER_SPACE = new RegExp(`^[${OTHER_SPACES}]$`);

/** Text with nothing for {@link plainStatus} to undo, for certain: printable ASCII and tabs. */
const PLAIN = /^[\t\x20-\x7e]*$/;

/**
 * What real text does to a status on its way into a log or export, hiding its code from the parser:
 * characters drawn as nothing (zero-width spaces and joiners, the word joiner, the BOM, the soft
 * hyphen: every default-ignorable character, as Word or Teams paste them), spaces of other widths
 * (no-break, ideographic), full-width ASCII (`５５０ ５.７.６４` from an East Asian IME or Excel's
 * full-width conversion), and a quoted-printable soft line break (`5.7.=\r\n64`, from a mail client
 * or SIEM that kept the NDR's encoding).
 */
const DISGUISES = new RegExp(
  `\\p{Default_Ignorable_Code_Point}|[${FULL_WIDTH}]|[${OTHER_SPACES}]|=\\r?\\n`,
  'gu',
);

/** What one of {@link DISGUISES} stands for: its ASCII character, a space, or nothing. */
function undisguised(found: string): string {
  const code = found.charCodeAt(0);
  if (code >= FULL_WIDTH_FIRST && code <= FULL_WIDTH_LAST)
    return String.fromCharCode(code - FULL_WIDTH_OFFSET);
  return OTHER_SPACE.test(found) ? ' ' : ''; // a character drawn as nothing, or the soft line break
}

/**
 * `status` as the server wrote it, for the parser and the refusal matcher: what {@link DISGUISES}
 * names undone (ASCII text, almost every status, is given back as it is, after one quick test).
 * One rule for every reader: a code in such a form is read as the refusal it is.
 */
export function plainStatus(status: string): string {
  return PLAIN.test(status) ? status : status.replace(DISGUISES, undisguised);
}

/**
 * Cheap test for the hot path (the row filter): can this status text hold a relay-attribution
 * refusal, or its words? False negatives are impossible: every such text names its enhanced code
 * (once {@link plainStatus} undid what hid it). A text with the words but no code readable is kept
 * too, so that a failure that holds one is told as a refusal not read, never dropped unseen.
 */
export function mayBeRelayRejection(status: string): boolean {
  if (holdsRefusalText(status)) return true;
  // Most statuses are ASCII: undone only when there is something to undo.
  const plain = plainStatus(status);
  return plain !== status && holdsRefusalText(plain);
}

/** A relay-attribution code or the refusal's words, as plain substrings (the pre-check's test). */
function holdsRefusalText(text: string): boolean {
  return (
    text.includes('5.7.64') ||
    text.includes('4.4.62') ||
    text.includes(REFUSAL_REASON) ||
    text.includes(ATTR_PREFIX)
  );
}

/** Every marker of a relay refusal, as {@link refusalMarkerIn} names it. */
const REFUSAL_MARKERS: readonly string[] = [...RELAY_ATTRIBUTION_CODES, REFUSAL_REASON, ...ATTR_REASONS];

/**
 * A relay-attribution code as a code: not part of a longer dotted number (`15.7.649`, an IP address
 * `10.5.7.64`, `5.7.64.1`) or of a version (a kernel's `4.4.62-1`), as the parser takes it; a full
 * stop may end it (`refused with 5.7.64.`).
 */
const codeMarker = (code: string): string => `(?<![\\d.])${code.replaceAll('.', '\\.')}(?!\\d|\\.\\d|-\\d)`;
/** The characters after a code that {@link codeMarker} looks at: `.1` of `5.7.64.1`, `-1` of `4.4.62-1`. */
const CODE_END_CHARS = 2;

/**
 * Relay-refusal text: a relay-attribution code, `TenantAttribution` (also run into other text:
 * `%20TenantAttribution`) or an ATTR reason as a word. Case as Exchange writes them.
 */
export const REFUSAL_MARKER = new RegExp(
  [
    ...[...RELAY_ATTRIBUTION_CODES].map(codeMarker),
    REFUSAL_REASON,
    `\\b(?:${ATTR_REASONS.join('|')})\\b`,
  ].join('|'),
);

/**
 * How many characters from a marker's start decide whether it is one: the longest marker and what
 * may follow a code. A search of text that comes in chunks judges a match closer than this to a
 * chunk's end again with the next chunk (`5.7.64` may be the start of `5.7.64.1`).
 */
export const REFUSAL_MARKER_REACH =
  Math.max(...REFUSAL_MARKERS.map((marker) => marker.length)) + CODE_END_CHARS;

/**
 * The first relay-refusal marker in `text` (`5.7.64`, `4.4.62`, `TenantAttribution`, `ATTR36`), or
 * `undefined`: does the text hold a relay refusal, whatever its form? Unlike {@link relayRejectionIn},
 * it needs no status code, so a line cut before it, or text in a form not read, still tells.
 */
export function refusalMarkerIn(text: string): string | undefined {
  return REFUSAL_MARKER.exec(plainStatus(text))?.[0];
}

/**
 * The first relay-refusal marker of text read in pieces, once it is settled: `undefined` when there
 * is none, or while the first starts within {@link REFUSAL_MARKER_REACH} of the end and the text has
 * not `ended` (what follows may undo it: `5.7.64` of `5.7.641`). The one rule of every chunked search.
 */
export function settledMarkerIn(text: string, ended: boolean): RegExpExecArray | undefined {
  const match = REFUSAL_MARKER.exec(text);
  if (match === null) return undefined;
  return ended || match.index <= text.length - REFUSAL_MARKER_REACH ? match : undefined;
}

const DOT = 46;
const SPACE = 32;
const DASH = 45;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `2`, `4` or `5`: the classes of SMTP and enhanced status codes. */
function isClassDigit(code: number): boolean {
  return code === 50 || code === 52 || code === 53;
}

/** A run of 1–3 digits starting at `from`; returns the index after it, or -1. */
function digitRun(text: string, from: number): number {
  let index = from;
  while (index - from < 4 && isDigit(text.charCodeAt(index))) index++;
  const length = index - from;
  return length >= 1 && length <= 3 ? index : -1;
}

/** One status found in a text: where it starts (reply code, if any) and its codes. */
export interface StatusAt {
  /** Index of the SMTP reply code, or of the enhanced code when there is none. */
  start: number;
  smtpCode: string | undefined;
  enhancedCode: string;
}

/**
 * The enhanced status code (`[245].d{1,3}.d{1,3}`, not part of a longer dotted number such as an IP
 * address or a version) whose first dot is at `dot`, with the SMTP reply code written before it
 * (`550 5.7.64`, `550-5.7.64`). O(1): looks at most a few characters either side.
 */
function statusAtDot(text: string, dot: number): StatusAt | undefined {
  const classAt = dot - 1;
  if (classAt < 0 || !isClassDigit(text.charCodeAt(classAt))) return undefined;
  if (classAt > 0) {
    const before = text.charCodeAt(classAt - 1);
    if (isDigit(before) || before === DOT) return undefined;
  }
  const second = digitRun(text, dot + 1);
  if (second === -1 || text.charCodeAt(second) !== DOT) return undefined;
  const third = digitRun(text, second + 1);
  if (third === -1) return undefined;
  const after = text.charCodeAt(third); // NaN past the end
  if (isDigit(after) || after === DOT) return undefined;
  const enhancedCode = text.slice(classAt, third);
  // The reply code: three digits, then one to four spaces or dashes, right before the enhanced code.
  let gap = classAt;
  while (gap > 0 && classAt - gap < 4) {
    const code = text.charCodeAt(gap - 1);
    if (code !== SPACE && code !== DASH) break;
    gap--;
  }
  const replyAt = gap - 3;
  if (gap < classAt && replyAt >= 0) {
    const reply = text.slice(replyAt, gap);
    const boundary = replyAt === 0 ? -1 : text.charCodeAt(replyAt - 1);
    if (
      isClassDigit(reply.charCodeAt(0)) &&
      isDigit(reply.charCodeAt(1)) &&
      isDigit(reply.charCodeAt(2)) &&
      !isDigit(boundary) &&
      boundary !== DOT
    ) {
      return { start: replyAt, smtpCode: reply, enhancedCode };
    }
  }
  return { start: classAt, smtpCode: undefined, enhancedCode };
}

/** The part of a status text that is searched: its first {@link STATUS_SCAN_LIMIT} characters. */
function searched(text: string, limit = STATUS_SCAN_LIMIT): string {
  return text.length > limit ? text.slice(0, limit) : text;
}

/**
 * Every status (enhanced code, with its reply code when written) in the first `limit` characters of
 * `text`, in text order. Linear: each dot is looked at once, in O(1). A list of statuses, one per
 * recipient, is split with `limit` = Infinity (see recipient-lists.ts): still linear.
 */
export function statusesIn(text: string, limit = STATUS_SCAN_LIMIT): StatusAt[] {
  const region = searched(text, limit);
  const found: StatusAt[] = [];
  let dot = region.indexOf('.');
  while (dot !== -1) {
    const status = statusAtDot(region, dot);
    if (status) found.push(status);
    dot = region.indexOf('.', dot + 1);
  }
  return found;
}

/** The character that closes a wrapped answer opened by `opener` (the character before it), if any. */
function closerOf(text: string, start: number): string | undefined {
  let index = start - 1;
  while (index >= 0 && text.charCodeAt(index) === SPACE) index--;
  if (index < 0) return undefined;
  const opener = text[index];
  if (opener === '"' || opener === "'") return opener;
  if (opener === '=' && index >= 4 && text.slice(index - 4, index).toUpperCase() === '{LED') return '}';
  return undefined;
}

/**
 * The text of one status: to the character that closes the wrapper it sits in (`"`, `'`, `}` of
 * `{LED=…}`), or to the end of the searched part for an answer that is not wrapped. An outermost
 * answer that is not wrapped keeps the whole text, as Exchange wrote it.
 */
function textOf(region: string, status: StatusAt, outermost: boolean): string {
  const closer = closerOf(region, status.start);
  if (closer === undefined) return (outermost ? region : region.slice(status.start)).trim();
  const close = region.indexOf(closer, status.start);
  return region.slice(status.start, close === -1 ? region.length : close).trim();
}

/**
 * What Exchange Online writes after the answering host in the trailer of its replies since 2023:
 * `[DM6NAM11FT074.eop-nam11.prod.protection.outlook.com 2023-10-28T12:19:33.163Z 08DBD79CFB305B7E]`,
 * a space, the UTC time, a space, the 16-hex-digit session id and the closing `]`. Sticky: tried
 * only right after a host name, so it costs a bounded look, never a scan.
 */
const HOST_TRAILER = / \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z [0-9A-F]{16}\]/iy;

/** Does the bracket of a host name that ends at `end` close there (`[host]`) or after its trailer? */
function closesHost(text: string, end: number): boolean {
  if (text.charCodeAt(end) === 93 /* ] */) return true;
  HOST_TRAILER.lastIndex = end;
  return HOST_TRAILER.test(text);
}

/**
 * The first `[host.name]` in `text` — the front end that answered — also in the trailer Exchange
 * Online writes now, `[host time session-id]`. A bracket of other words (`[ValidationStatus of ''
 * is EmptyCertificate]`) names no host. A linear scan: after a `[` that does not open a host name,
 * the search goes on from where that candidate stopped.
 */
function remoteHostIn(text: string): string | undefined {
  let open = text.indexOf('[');
  while (open !== -1) {
    let index = open + 1;
    let dots = 0;
    let previous = DOT; // a name cannot start with a dot
    let valid = true;
    for (; index < text.length; index++) {
      const code = text.charCodeAt(index);
      const isLabel =
        (code >= 48 && code <= 57) ||
        (code >= 65 && code <= 90) ||
        (code >= 97 && code <= 122) ||
        code === DASH;
      if (isLabel) {
        previous = code;
        continue;
      }
      if (code === DOT) {
        if (previous === DOT) valid = false;
        dots++;
        previous = code;
        continue;
      }
      break;
    }
    if (valid && dots > 0 && previous !== DOT && closesHost(text, index)) {
      return text.slice(open + 1, index);
    }
    open = text.indexOf('[', index);
  }
  return undefined;
}

/** Does `line` continue the reply of `previous`: `550-…`, then `550 …` or `550-…` (same reply code)? */
function continuesReply(region: string, previous: StatusAt, line: StatusAt): boolean {
  return (
    previous.smtpCode !== undefined &&
    previous.smtpCode === line.smtpCode &&
    region.charCodeAt(previous.start + 3) === DASH
  );
}

/**
 * The first line of the reply that `statuses[index]` is a line of. A multi-line SMTP reply writes
 * its code with a dash on every line but the last (`550-5.7.64 … ATTR36`, then `550 5.7.64 [host]`;
 * Postfix joins the lines with a space, Exim with `\n`), and its ATTR may be on any line. A line
 * opened by a wrapper (`"`, `'`, `{LED=`) is the first: what comes before it is the wrapper's.
 */
function replyStart(region: string, statuses: readonly StatusAt[], index: number): StatusAt {
  let line = statuses[index] as StatusAt;
  for (let before = index - 1; before >= 0; before--) {
    const previous = statuses[before] as StatusAt;
    if (!continuesReply(region, previous, line) || closerOf(region, line.start) !== undefined) break;
    line = previous;
  }
  return line;
}

/** Parses a status/detail text. Returns `undefined` when it holds no enhanced status code. */
export function parseRejection(status: string): Rejection | undefined {
  const region = searched(status);
  const statuses = statusesIn(region);
  let chosen = statuses.length - 1; // the innermost error, unless there is a relay refusal
  for (let index = statuses.length - 1; index >= 0; index--) {
    if (RELAY_ATTRIBUTION_CODES.has((statuses[index] as StatusAt).enhancedCode)) {
      chosen = index;
      break;
    }
  }
  if (chosen === -1) return undefined;
  const { smtpCode, enhancedCode } = statuses[chosen] as StatusAt;
  const reply = replyStart(region, statuses, chosen);
  const outermost = reply === statuses[0];
  const text = textOf(region, reply, outermost);
  const rejection: Rejection = { enhancedCode, text };
  if (smtpCode !== undefined) rejection.smtpCode = smtpCode;
  // ATTR and the answering host belong to the chosen reply (all its lines), not to a wrapper around it.
  const own = outermost ? textOf(region, reply, false) : text;
  const attr = ATTR.exec(own);
  if (attr) rejection.attr = `ATTR${attr[1]}`;
  const host = remoteHostIn(own);
  if (host !== undefined) rejection.remoteHost = host;
  const address = lastErrorAddress(region);
  if (address !== undefined) rejection.remoteAddress = address;
  return rejection;
}

/**
 * The address an Exchange queue's last error names (`…;{FQDN=host};{IP=address};…`), when its host
 * is Exchange Online's (or unnamed): a smart host of the organisation's own is not what Exchange
 * Online saw.
 */
function lastErrorAddress(text: string): string | undefined {
  if (!text.includes('{IP=')) return undefined;
  const address = /\{IP=([^};]+)\}/.exec(text)?.[1];
  const name = /\{FQDN=([^};]+)\}/.exec(text)?.[1];
  return name === undefined || isMicrosoftHost(name) ? address : undefined;
}

/** True for the refusals relay-audit classifies: 5.7.64 TenantAttribution and 4.4.62/ATTR35. */
export function isRelayAttribution(rejection: Rejection): boolean {
  return RELAY_ATTRIBUTION_CODES.has(rejection.enhancedCode);
}

/**
 * The relay-attribution refusal a status text holds, or `undefined` (cheap pre-check first): read
 * from its {@link plainStatus}, so its text is the plain one.
 */
export function relayRejectionIn(status: string | undefined): Rejection | undefined {
  if (status === undefined) return undefined;
  const text = plainStatus(status);
  if (!text.includes('5.7.64') && !text.includes('4.4.62')) return undefined;
  const rejection = parseRejection(text);
  return rejection && isRelayAttribution(rejection) ? rejection : undefined;
}
