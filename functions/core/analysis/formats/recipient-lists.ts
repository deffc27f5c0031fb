/**
 * Splitting the recipient and status lists of tracking logs and `Get-MessageTrackingLog | Export-Csv`
 * files, however the export joined them (docs/domain.md §3, §5):
 * `;` (tracking logs, `-join ';'`), `-join '; '`, `-join ','`, `-join ' | '`, `[string]$_.Recipients`
 * (space-joined), `Out-String` (one value per line, with a trailing newline) and PowerShell's display
 * form `{a, b}` (rows copied from Out-GridView or Format-Table, see {@link displayedListItems}).
 *
 * An address holds no `;`, `,`, `|` or white space outside a quoted local part, so recipients split on
 * any run of them outside quotes.
 * A status does contain `;`, `,` and spaces (`550 5.7.64 TenantAttribution; Relay Access Denied …`,
 * `550 4.4.7 QUEUE.Expired; message expired [{LED=…};{MSG=};…]`), and often a second reply nested in
 * it, so statuses are split only where a new recipient's status begins *(inferred parsing rule,
 * docs/domain.md §3)*: a separator (white space, and at most one `;`, `,` or `|`) followed by a reply
 * code and an enhanced code, and never inside one reply:
 * - not inside `{…}` or `[…]` (`[{LED=451 4.4.397 … -> 451 4.4.62 …};{MSG=};…]`);
 * - not after a wrapper that introduces a nested reply: `->`, a colon (`Original error:`, `said:`,
 *   `responded with:`), `=`, or a DSN diagnostic type (`Diagnostic-Code: smtp; 550 5.7.64 …`);
 *   an answer wrapped in a quote (`returned '550 …'`) follows no separator at all;
 * - not between the lines of a multi-line reply (`550-5.7.64 …` then `550 5.7.64 …`).
 * A status may also begin with a DSN field (`Diagnostic-Code: smtp; 550 …`, one per recipient): where
 * the list's first status begins with one, the same field after a separator begins the next status.
 * {@link pairRowStatuses} pairs a row's lists: split at the kind of separator the row joins its
 * recipients with (Exchange joins a row's statuses as its recipients), then, when that does not give
 * one status per recipient, at any separator (an export that joined the two lists differently:
 * `-join ';'` recipients, a `[string]` cast of the statuses); a status no separator divides is every
 * recipient's, unless it holds several recipients' refusals of different codes. Both splits are linear.
 */
import { statusesIn } from '../evidence/rejections.js';

/** The literals PowerShell writes for a list exported without joining it, never addresses. */
export const UNJOINED_LIST_LITERALS: ReadonlySet<string> = new Set([
  'System.String[]',
  'System.Object[]',
  // What a remote PowerShell session (deserialised objects) writes for the same lists.
  'System.Collections.ArrayList',
]);

/**
 * The items of a list in PowerShell's display form, `{a, b}`, without its braces: Format-Table,
 * Format-List and Out-GridView show an array so, and a copy of their rows keeps the braces, which
 * would end up in an address (`litware.com}`) or a status. Only braces that wrap the whole cell are
 * the list's: a status's own parts (`{LED=550 5.7.64 …};{MSG=}`) open and close inside it, so a
 * cell whose first brace closes before its end, or whose braces do not pair, is returned as it is.
 */
export function displayedListItems(value: string): string {
  const cell = value.trim();
  if (cell.charCodeAt(0) !== 123 /* { */ || cell.charCodeAt(cell.length - 1) !== 125 /* } */) return value;
  let depth = 0;
  for (let i = 0; i < cell.length; i++) {
    const code = cell.charCodeAt(i);
    if (code === 123) depth++;
    else if (code === 125 && --depth === 0 && i < cell.length - 1) return value;
  }
  return depth === 0 ? cell.slice(1, -1).trim() : value;
}

const RECIPIENT_SEPARATORS = /[\s;,|]+/;

/**
 * Splits a recipient list on `;`, `,`, `|` or white space, dropping empties (`{}`: none). The one
 * address that may hold those is one with a quoted local part (RFC 5321: `"smith, john"@litware.com`),
 * which an outside sender can choose: a list with a quote splits only outside quotes, so such an
 * address stays one recipient (one refusal), not two made-up ones.
 */
export function splitRecipients(value: string): string[] {
  const items = displayedListItems(value);
  if (!RECIPIENT_SEPARATORS.test(items)) return items.length === 0 ? [] : [items];
  if (!items.includes('"')) return items.split(RECIPIENT_SEPARATORS).filter((part) => part.length > 0);
  return splitOutsideQuotes(items);
}

/** {@link splitRecipients} for a list with quotes: separators inside `"…"` (with `\"` escapes) belong to the address. */
function splitOutsideQuotes(items: string): string[] {
  const parts: string[] = [];
  let from = 0;
  let quoted = false;
  for (let i = 0; i < items.length; i++) {
    const code = items.charCodeAt(i);
    if (quoted) {
      if (code === 92 /* \ */) i++;
      else if (code === 34 /* " */) quoted = false;
    } else if (code === 34) {
      quoted = true;
    } else if (isSpace(code) || isListSeparator(code)) {
      if (i > from) parts.push(items.slice(from, i));
      from = i + 1;
    }
  }
  // A quote that never closes is a stray one, not an address's: split as if it were not there.
  if (quoted) return items.split(RECIPIENT_SEPARATORS).filter((part) => part.length > 0);
  if (from < items.length) parts.push(items.slice(from));
  return parts;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function isListSeparator(code: number): boolean {
  return code === 59 /* ; */ || code === 44 /* , */ || code === 124 /* | */;
}

/**
 * The separator between a recipient list's first two recipients (`;`, `; `, ` | `, a space, `\r\n`,
 * `, ` of a displayed list), as {@link splitRecipients} divides it (outside quoted local parts);
 * `undefined` for fewer than two recipients. Passed to {@link splitStatuses} so that statuses split
 * only where the row joined them.
 */
export function listJoin(recipientList: string): string | undefined {
  const [first, second] = splitRecipients(recipientList);
  if (first === undefined || second === undefined) return undefined;
  // The parts are the list's own text, in order, with only separators before the first and between.
  const items = displayedListItems(recipientList);
  const end = items.indexOf(first) + first.length;
  return items.slice(end, items.indexOf(second, end));
}

/** The kind of a join: its `;`, `,` or `|`, or a space for one of white space only (a cast, Out-String). */
function joinKind(separator: string): number {
  for (let i = 0; i < separator.length; i++) {
    const code = separator.charCodeAt(i);
    if (isListSeparator(code)) return code;
  }
  return 32;
}

/**
 * Splits a status list where a new recipient's status starts (see the module comment). With `join`,
 * the row's recipient join, only separators of its kind split; without, any separator does.
 */
export function splitStatuses(list: string, join?: string): string[] {
  const value = displayedListItems(list);
  const kind = join === undefined ? undefined : joinKind(join);
  const depth = bracketDepths(value);
  const parts: string[] = [];
  let from = 0;
  // The reply code (and bracket depth) of the status before, when written as a line that is not its
  // reply's last (`550-`): the next line of that reply, at the same depth, continues it.
  let openReply: string | undefined;
  let openDepth = 0;
  for (const start of statusStarts(value)) {
    const at = depth[start.at] as number;
    if (start.reply !== undefined) {
      const continues = openReply === start.reply && openDepth === at;
      openReply = value.charCodeAt(start.at + 3) === 45 /* - */ ? start.reply : undefined;
      openDepth = at;
      if (continues) continue;
    }
    if (start.at === 0 || at !== 0) continue;
    const end = separatorStart(value, start.at, from);
    if (end === undefined) continue;
    const separator = value.slice(end, start.at);
    if (kind !== undefined && joinKind(separator) !== kind) continue;
    if (introducesReply(value, end, separator)) continue;
    parts.push(value.slice(from, end).trim());
    from = start.at;
  }
  parts.push(value.slice(from).trim());
  return parts;
}

/**
 * Where the separator before `at` begins: white space, at most one `;` `,` `|`, white space, after
 * `from`; `undefined` when nothing separates `at` from the text before it (or that text is empty).
 */
function separatorStart(value: string, at: number, from: number): number | undefined {
  let end = at;
  while (end > from && isSpace(value.charCodeAt(end - 1))) end--;
  if (end > from && isListSeparator(value.charCodeAt(end - 1))) end--;
  while (end > from && isSpace(value.charCodeAt(end - 1))) end--;
  return end === at || end === from ? undefined : end;
}

/** A place a status may begin: an SMTP reply (`reply`, its code) or a DSN field (`reply` undefined). */
interface StatusStart {
  at: number;
  reply: string | undefined;
}

/**
 * The RFC 3464 per-recipient fields a status copied from a DSN begins with, and Exchange's legacy
 * `#5.0.0 smtp;550 …`. Preceded by no letter, digit or `-`, so `X-Status:` is not `Status:`.
 */
const DSN_START =
  /(?<![\w-])(?:(original-recipient|final-recipient|action|status|remote-mta|diagnostic-code|last-attempt-date|will-retry-until)\s*:|#(?=[245]\.\d{1,3}\.\d{1,3}\s*(?:smtp|x-[a-z0-9-]+)\s*;))/giy;

/** {@link DSN_START} anywhere in a text, for `matchAll`. */
const DSN_STARTS = new RegExp(DSN_START.source, 'gi');

/** The DSN field (lower case, `#` for the legacy form) at `at` of `value`, if one begins there. */
function dsnFieldAt(value: string, at: number): string | undefined {
  DSN_START.lastIndex = at;
  const match = DSN_START.exec(value);
  return match === null ? undefined : (match[1]?.toLowerCase() ?? '#');
}

/**
 * Every place a status may begin, in text order: each SMTP reply, and, when the list's first status
 * begins with a DSN field, each later occurrence of that field (a DSN's status copied once per
 * recipient: `Diagnostic-Code: smtp; 550 5.1.10 …;Diagnostic-Code: smtp; 550 5.7.64 …`). Only the
 * field that begins the first status: a single DSN's fields (`Action: failed; Status: 5.7.64;
 * Diagnostic-Code: …`) are one recipient's, not several. Linear.
 */
function statusStarts(value: string): StatusStart[] {
  const replies: StatusStart[] = [];
  for (const status of statusesIn(value, Number.POSITIVE_INFINITY)) {
    if (status.smtpCode !== undefined) replies.push({ at: status.start, reply: status.smtpCode });
  }
  const first = value.length - value.trimStart().length;
  const lead = dsnFieldAt(value, first);
  if (lead === undefined) return replies;
  const fields: StatusStart[] = [];
  for (const match of value.matchAll(DSN_STARTS)) {
    if (match.index > first && (match[1]?.toLowerCase() ?? '#') === lead) {
      fields.push({ at: match.index, reply: undefined });
    }
  }
  return mergeStarts(replies, fields);
}

/** Two lists of starts, each in text order, as one in text order. */
function mergeStarts(a: readonly StatusStart[], b: readonly StatusStart[]): StatusStart[] {
  const merged: StatusStart[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && (a[i] as StatusStart).at <= (b[j] as StatusStart).at);
    merged.push((next ? a[i++] : b[j++]) as StatusStart);
  }
  return merged;
}

/**
 * How many `{…}`/`[…]` pairs enclose each index of `value` (0 outside any). Only brackets that pair
 * count: a stray or cut-off one encloses nothing, so it cannot keep a list from splitting. Linear.
 */
function bracketDepths(value: string): Int32Array {
  const depth = new Int32Array(value.length + 1);
  const open: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 123 /* { */ || code === 91 /* [ */) open.push(i);
    else if (code === 125 /* } */ || code === 93 /* ] */) {
      const at = open.at(-1);
      if (at === undefined || value.charCodeAt(at) !== (code === 125 ? 123 : 91)) continue;
      open.pop();
      depth[at + 1] = (depth[at + 1] as number) + 1;
      depth[i] = (depth[i] as number) - 1;
    }
  }
  for (let i = 1; i < depth.length; i++) depth[i] = (depth[i] as number) + (depth[i - 1] as number);
  return depth;
}

/**
 * A DSN diagnostic type (RFC 3464: `smtp`, `X-Postfix`, …) after `Diagnostic-Code:`, or after the
 * enhanced code of Exchange's legacy NDR text (`#5.0.0 smtp;550 …`): the reply after its `;` is
 * nested. Only there: a status may itself end in the word (`… Relay Access Denied SMTP;550 5.1.10 …`
 * is two recipients' statuses in a tracking log).
 */
const DIAGNOSTIC_TYPE = /(?:diagnostic-code:|#[245]\.\d{1,3}\.\d{1,3})\s*(?:smtp|x-[a-z0-9-]+)$/i;

/**
 * True when the text before a separator (ending at `end`) introduces the reply after it as a nested
 * answer of the same status: `->` (Exchange's `{LED=451 4.4.397 … -> 451 4.4.62 …}`), a colon
 * (`Original error:`, `said:`), `=`, or a diagnostic type before `;` (`Diagnostic-Code: smtp; 550 …`).
 */
function introducesReply(value: string, end: number, separator: string): boolean {
  const last = value.charCodeAt(end - 1);
  if (last === 58 /* : */ || last === 61 /* = */) return true;
  if (last === 62 /* > */ && value.charCodeAt(end - 2) === 45 /* - */) return true;
  if (joinKind(separator) !== 59 /* ; */) return false;
  return DIAGNOSTIC_TYPE.test(value.slice(Math.max(0, end - 64), end));
}

/** A row's statuses, one per recipient, or why they do not pair. */
export type RowStatuses =
  | { paired: true; statuses: string[] }
  | {
      paired: false;
      /** How many statuses the list was read as. */
      count: number;
      /** For one status shared by the row: the different refusal codes it holds. */
      refusals?: readonly string[];
    };

/**
 * Pairs a row's recipients (two or more) with its status list (see the module comment): split at the
 * kind of the recipients' `join`, else at any separator, whichever gives one status per recipient;
 * else one status that no separator divides, given to every recipient, unless it begins several
 * recipients' DSN statuses with refusals of different codes (each would be given another's refusal).
 * Anything else does not pair: the whole list is never handed to every recipient.
 */
export function pairRowStatuses(
  recipients: readonly string[],
  list: string,
  join: string | undefined,
): RowStatuses {
  const own = splitStatuses(list, join);
  if (own.length === recipients.length) return { paired: true, statuses: own };
  const any = join === undefined ? own : splitStatuses(list);
  if (any.length === recipients.length) return { paired: true, statuses: any };
  const [shared] = any;
  if (any.length === 1 && shared !== undefined) {
    const refusals = headRefusals(shared);
    if (refusals.length > 1) return { paired: false, count: 1, refusals };
    return { paired: true, statuses: recipients.map(() => shared) };
  }
  return { paired: false, count: own.length > 1 ? own.length : any.length };
}

/**
 * The different refusal codes (4xx/5xx) that begin a status's heads: its start, and each DSN
 * diagnostic (`Diagnostic-Code:` or a legacy `#5.0.0 smtp;`) outside brackets and after a separator,
 * as a DSN status copied per recipient begins. A reply nested in another (`->`, `Original error:`,
 * `{LED=…}`, `'<#5.0.0 smtp;550 …>'`) is no head: its code is its wrapper's reading, not another
 * recipient's. Linear.
 */
function headRefusals(status: string): string[] {
  const depth = bracketDepths(status);
  const heads = [0];
  for (const match of status.matchAll(DSN_STARTS)) {
    const field = match[1]?.toLowerCase() ?? '#';
    if (field !== 'diagnostic-code' && field !== '#') continue;
    if (match.index === 0 || depth[match.index] !== 0) continue;
    if (separatorStart(status, match.index, 0) !== undefined) heads.push(match.index);
  }
  if (heads.length < 2) return [];
  const codes = new Set<string>();
  let head = 0;
  for (const found of statusesIn(status, Number.POSITIVE_INFINITY)) {
    while (head + 1 < heads.length && found.start >= (heads[head + 1] as number)) head++;
    if (found.smtpCode === undefined || found.start < (heads[head] as number)) continue;
    if (found.smtpCode.charCodeAt(0) !== 50 /* 2 */) codes.add(found.enhancedCode);
    heads[head] = Number.POSITIVE_INFINITY; // only the first reply of each head
  }
  return [...codes];
}
