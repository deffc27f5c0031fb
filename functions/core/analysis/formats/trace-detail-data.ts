/**
 * What a message trace detail's `Data` adds to its row, read the same way from the CSV export
 * (message-trace-detail.ts) and from JSON (message-trace-json.ts). `Data` is Exchange Online's
 * XML of the event's properties, `<root><MEP Name="…" String="…"/>…</root>`: some writers leave the
 * SMTP error there only (`<MEP Name="ErrorCode" String="550 5.7.64 …"/>`), and a `Receive` row names
 * the message's envelope sender (P1) there (`<MEP Name="ReturnPath" String="…"/>`).
 */
import { normaliseAddress } from '../model/events.js';

/** An enhanced status code (`5.7.64`): a `Detail` that has one carries the SMTP error itself. */
const STATUS_CODE = /\d\.\d{1,3}\.\d{1,3}/;

/**
 * The status text of a detail row: its `Detail`, with `Data` added when `Detail` holds no status
 * code (`The message couldn't be delivered.` with the error in `Data`), or `Data` alone.
 */
export function detailStatus(detail: string | undefined, data: string | undefined): string | undefined {
  if (data === undefined) return detail;
  if (detail === undefined) return data;
  return holdsStatusCode(detail) ? detail : `${detail} ${data}`;
}

/** True when `text` holds an enhanced status code (`5.7.64`): it carries an SMTP reply itself. */
export function holdsStatusCode(text: string): boolean {
  return STATUS_CODE.test(text);
}

/** `Name="ReturnPath"` (or with single quotes) in an element's text. */
const RETURN_PATH_NAME = /\bName\s*=\s*(["'])ReturnPath\1/;
const STRING_ATTRIBUTE = /\bString\s*=\s*(?:"([^"]*)"|'([^']*)')/;
/** How far around a `ReturnPath` its element is looked for: a `<MEP …/>` is well under this. */
const MAX_ELEMENT_CHARS = 2048;
/** How many `ReturnPath` texts are tried (a value elsewhere may hold the word; Data has one MEP). */
const MAX_TRIES = 4;

/**
 * The envelope sender (P1) `Data` names, normalised as every format's (`''` for the null sender
 * `<>`, written `&lt;&gt;`); `undefined` when `Data` names none, or a value that is no address.
 * Only the text around each `ReturnPath` is looked at, so a huge or hostile cell costs no more.
 */
export function returnPathIn(data: string | undefined): string | undefined {
  if (data === undefined) return undefined;
  let at = data.indexOf('ReturnPath');
  for (let tries = 0; at >= 0 && tries < MAX_TRIES; tries++) {
    const element = elementAround(data, at);
    if (element !== undefined && RETURN_PATH_NAME.test(element)) return addressOf(element);
    at = data.indexOf('ReturnPath', at + 1);
  }
  return undefined;
}

/** An element's start tag, its attributes quoted (a `>` may stand in a quoted value). */
const START_TAG = /^<[\w:.-]+(?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*\/?>/;

/** The start tag whose text holds position `at`, when it is short enough to be a MEP. */
function elementAround(data: string, at: number): string | undefined {
  const from = Math.max(0, at - MAX_ELEMENT_CHARS);
  const window = data.slice(from, at + MAX_ELEMENT_CHARS);
  const start = window.lastIndexOf('<', at - from);
  return start < 0 ? undefined : START_TAG.exec(window.slice(start))?.[0];
}

/** The address in a ReturnPath element's `String`. */
function addressOf(element: string): string | undefined {
  const attribute = STRING_ATTRIBUTE.exec(element);
  if (attribute === null) return undefined;
  const value = decodeXmlEntities(attribute[1] ?? attribute[2] ?? '').trim();
  // An empty value says nothing (the null sender is written `<>`); anything else must be an address.
  if (value === '<>' || (value.includes('@') && !/\s/.test(value))) return normaliseAddress(value);
  return undefined;
}

const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(lt|gt|amp|quot|apos));/gi;
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/** XML's predefined and numeric entities decoded; a code point out of range is left as written. */
export function decodeXmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (entity, decimal?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? entity;
    const code = decimal !== undefined ? Number(decimal) : Number.parseInt(hex ?? '', 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}
