/**
 * Opaque pagination cursors: base64url JSON of exactly what a query needs to resume. Cursors come
 * back from untrusted callers (API query strings, CLI flags), so decoding validates the shape and
 * that the cursor belongs to the same query; anything else is an `ArgumentError`, never a 500.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidValueError } from '../core/kernel/errors.js';
import { firstIssue } from '../core/kernel/issues.js';

/** Where one partition stands: not started (`null`), resume after a key, or exhausted (`'done'`). */
export const PartitionPosition = z.union([
  z.null(),
  z.literal('done'),
  z.record(z.string().regex(/^(pk|sk|gsi\d+pk|gsisk)$/), z.string().min(1).max(2048)),
]);
export type PartitionPosition = z.infer<typeof PartitionPosition>;

export const CursorPayload = z.object({
  v: z.literal(1),
  /** Fingerprint of the query the cursor was issued for. */
  q: z.string(),
  /** One position per partition of the query plan, in plan order. */
  p: z.array(PartitionPosition).min(1).max(16),
});
export type CursorPayload = z.infer<typeof CursorPayload>;

/** Short stable hash of a query description, so a cursor cannot be replayed against another query. */
export function queryFingerprint(query: unknown): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 16);
}

/** Encodes a cursor payload as an opaque URL-safe string. */
export function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/**
 * Decodes and validates a cursor issued for the query with `fingerprint` and `partitions`
 * partitions; throws `ArgumentError` for anything malformed, tampered with or foreign.
 */
export function decodeCursor(cursor: string, fingerprint: string, partitions: number): CursorPayload {
  if (cursor.length === 0 || cursor.length > 16_384 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidValueError('cursor', 'not a cursor returned by a previous page');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidValueError('cursor', 'not a cursor returned by a previous page');
  }
  const parsed = CursorPayload.safeParse(json);
  if (!parsed.success) {
    throw new InvalidValueError('cursor', firstIssue(parsed.error).message);
  }
  if (parsed.data.q !== fingerprint || parsed.data.p.length !== partitions) {
    throw new InvalidValueError(
      'cursor',
      'it was issued for a different query (filters or time range changed)',
    );
  }
  return parsed.data;
}
