/**
 * Finding identity. A finding is one refusal of one message to one recipient, so its id comes from
 * the Message-ID, the recipient and the rejection code — never from the file it was read from —
 * and re-analysing a file or overlapping exports can never count it twice.
 */
import { hash } from 'node:crypto';

/** Deterministic 32-hex-character id; the recipient compares case-insensitively. */
export function findingId(messageId: string, recipient: string, code: string): string {
  return sha256Hex32([messageId.trim(), recipient.trim().toLowerCase(), code.trim()]);
}

/**
 * The first 32 hex characters of the SHA-256 of `parts` joined on NUL: finding ids, and the store's
 * other keys derived from content (sources, shared parts, inbound partitions). NUL cannot occur in a
 * Message-ID, an address or a status code, so joining on it is unambiguous. One-shot `hash`
 * (Node ≥ 20.12): no Hash object per call (measured about half the time).
 */
export function sha256Hex32(parts: readonly string[]): string {
  return hash('sha256', parts.join('\u0000'), 'hex').slice(0, 32);
}
