/**
 * Text without lone surrogates. A JSON input may escape half of a UTF-16 pair (`"\ud83d"`: an emoji
 * cut by a truncated export or a tool that splits strings by code unit); `JSON.parse` keeps it, and
 * every output then disagrees: NDJSON writes the escape back, which strict parsers (Rust's serde,
 * some SIEM ingesters) refuse, while CSV, the table and the finding id's hash see U+FFFD, as a
 * decoder gives for the same bytes. Replacing it where the input is read makes them one value.
 */

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with each lone surrogate replaced by U+FFFD (`String.prototype.toWellFormed`, on ES2023). */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** An escaped surrogate in JSON text (`\uD83D`), paired or not: only then can a parsed string hold a lone one. */
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;

function wellFormedValue(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? wellFormed(value) : value;
}

/**
 * `JSON.parse` whose strings hold no lone surrogate. Text decoded from bytes has none (the decoder
 * replaced them), so only an escape can bring one: the reviver, which costs a call per value, runs
 * only for text with such an escape.
 */
export function parseWellFormedJson(text: string): unknown {
  return ESCAPED_SURROGATE.test(text) ? JSON.parse(text, wellFormedValue) : JSON.parse(text);
}
