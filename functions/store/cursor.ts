/**
 * Opaque pagination cursors: base64url JSON of exactly what a query needs to resume. Cursors come
 * back from untrusted callers (API query strings, CLI flags), so decoding validates the shape and
 * that the cursor belongs to the same query; anything else is an `ArgumentError`, never a 500.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidValueError } from '../core/kernel/errors.js';
import { firstIssue } from '../core/kernel/issues.js';

/**
 * A page's cursor is the sort key (`<time>#<id>`) of the last item it returned: sort keys are
 * unique, and a query reads every shard of its partition in one newest-first order, so "older
 * than this key" resumes every shard at once, exactly, whatever their number.
 */
export const CursorPayload = z.strictObject({
  v: z.literal(2),
  /** Fingerprint of the query the cursor was issued for. */
  q: z.string(),
  /**
   * Sort key of the last item returned (`<time>#<id>`, the time as `toISOString` writes it); the next
   * page starts below it. Checked for that shape, so an edited cursor is refused, not read from
   * wherever its text happens to sort.
   */
  a: z
    .string()
    .max(2048)
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[^#\s]{1,1024}$/, {
      error: 'not a cursor returned by a previous page',
    }),
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
 * Decodes and validates a cursor issued for the query with `fingerprint`; throws `ArgumentError`
 * for anything malformed, tampered with or foreign.
 */
export function decodeCursor(cursor: string, fingerprint: string): CursorPayload {
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
  if (parsed.data.q !== fingerprint) {
    throw new InvalidValueError(
      'cursor',
      'it was issued for a different query (filters or time range changed)',
    );
  }
  return parsed.data;
}
