/**
 * Finding identity. A finding is one refusal of one message to one recipient, so its id comes from
 * the Message-ID, the recipient and the rejection code — never from the file it was read from —
 * and re-analysing a file or overlapping exports can never count it twice.
 */
import { createHash } from 'node:crypto';

/** Deterministic 32-hex-character id; the recipient compares case-insensitively. */
export function findingId(messageId: string, recipient: string, code: string): string {
  return createHash('sha256')
    .update(`${messageId.trim()}\u0000${recipient.trim().toLowerCase()}\u0000${code}`)
    .digest('hex')
    .slice(0, 32);
}
