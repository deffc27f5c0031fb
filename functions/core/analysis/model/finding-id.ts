/**
 * Finding identity. A finding is one refusal of one message to one recipient, so its id comes from
 * the Message-ID, the recipient and the rejection code — never from the file it was read from —
 * and re-analysing a file or overlapping exports can never count it twice.
 */
import { hash } from 'node:crypto';

/** Deterministic 32-hex-character id; the recipient compares case-insensitively. */
export function findingId(messageId: string, recipient: string, code: string): string {
  // NUL cannot occur in a Message-ID, an address or a status code, so joining on it is unambiguous.
  // One-shot `hash` (Node ≥ 20.12): no Hash object per finding (measured about half the time).
  const text = `${messageId.trim()}\u0000${recipient.trim().toLowerCase()}\u0000${code.trim()}`;
  return hash('sha256', text, 'hex').slice(0, 32);
}
