/**
 * Long texts cut to a bound, with a marker that keeps the original length and a hash of the whole
 * original: two different long values stay different, the same value always gives the same cut (so
 * ids derived from it stay the same from run to run), and the cut is never mistaken for the data.
 */
import { createHash } from 'node:crypto';

/**
 * Longest identity string an event keeps (Message-ID, addresses). No unfolded header line is
 * longer (RFC 5322: 998 characters), and a Message-ID cannot be folded; real ones are under ~250.
 * A log writes the header as the sender wrote it, up to Postfix's `header_size_limit` (100 KB), and
 * every correlation map is keyed by these: V8 hashes a string over 16,383 characters by its length
 * alone, so same-length keys all collide (quadratic time), and the maps' memory grows with the length.
 */
export const MAX_ID_CHARS = 998;

/** Room {@link boundedId} leaves for the marker, which {@link bounded} adds past its `max`. */
const MARKER_ROOM = 64;

/**
 * The first `end` UTF-16 units of `value`, one fewer when the cut would split a surrogate pair (an
 * emoji): half a pair is no character, and JSON and UTF-8 readers downstream refuse or replace it.
 */
export function cutWhole(value: string, end: number): string {
  const code = value.charCodeAt(end - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? end - 1 : end);
}

/** `value` cut to `max` characters (never inside a surrogate pair) with a marker, or unchanged when it fits. */
export function bounded(value: string, max: number): string {
  if (value.length <= max) return value;
  const digest = createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
  return `${cutWhole(value, max)}… [cut: ${value.length} characters, sha256 ${digest}]`;
}

/**
 * An identity string (Message-ID, address) of at most {@link MAX_ID_CHARS} characters, marker
 * included: unchanged when it fits, else its start and a hash of the whole (see {@link bounded}).
 * A bounded value fits, so bounding it again changes nothing.
 */
export function boundedId(value: string): string {
  return value.length <= MAX_ID_CHARS ? value : bounded(value, MAX_ID_CHARS - MARKER_ROOM);
}
