/**
 * Finding identity. A finding is one refusal of one message to one recipient, so its id comes from
 * the Message-ID, the recipient and the rejection code — never from the file it was read from —
 * and re-analysing a file or overlapping exports can never count it twice.
 */
import { createHash } from 'node:crypto';

/** Deterministic 32-hex-character id; the recipient compares case-insensitively. */
export function findingId(messageId: string, recipient: string, code: string): string {
  return (
    createHash('sha256')
      // NUL cannot occur in a Message-ID, an address or a status code, so joining on it is unambiguous.
      .update(`${messageId.trim()}\u0000${recipient.trim().toLowerCase()}\u0000${code.trim()}`)
      .digest('hex')
      .slice(0, 32)
  );
}
