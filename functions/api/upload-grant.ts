/**
 * Uploads from the dashboard: where an upload goes and how large it may be. The API hands out a
 * grant for exactly one key under `incoming/dashboard/<user>/`, so the key records who uploaded;
 * in the cloud the grant is an S3 presigned POST, locally (`relay-audit serve`) a one-time URL of
 * the local server. Both answer with the same {@link UploadGrant}.
 */
import { randomBytes } from 'node:crypto';
import { DASHBOARD_UPLOAD_PREFIX } from '../runtime/bucket-layout.js';
import type { UploadGrant } from './contract.js';

export type { UploadGrant };

/** Largest file the dashboard may upload (a day of tracking logs of a large server, uncompressed). */
export const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
/** How long a grant can be used. */
export const UPLOAD_GRANT_SECONDS = 15 * 60;
/** Metadata naming the signed-in user who uploaded (`x-amz-meta-uploaded-by`). */
export const UPLOADED_BY_FIELD = 'x-amz-meta-uploaded-by';

/** What a grant is asked for: the file's name and size, and who asks. */
export interface UploadRequest {
  fileName: string;
  size: number;
  /** The signed-in user (`local` without sign-in). */
  caller: string;
}

/** Hands out upload grants (`POST /uploads`). */
export interface UploadSigner {
  grant(request: UploadRequest, now?: Date): Promise<UploadGrant>;
}

/** Longest rendering of a name in a key, in characters (code points): at most 400 bytes of UTF-8. */
const MAX_KEY_PART = 100;

/**
 * A key-safe rendering of a name: one path segment of letters and digits of any script (with
 * their combining marks), normalised to NFC as S3 keys are UTF-8, and `.@+=_-`. Every run of
 * anything else — `/` and `\`, spaces, control characters, symbols, the characters S3 advises
 * against (`{}^%[]"<>~#|&$;:,?`, the backtick) — becomes `_`, and so do leading dots (`..`,
 * `.hidden`): a name is never a path of its own. At most {@link MAX_KEY_PART} characters, never
 * half of one.
 */
export function keyPart(name: string): string {
  const safe = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\p{N}_.@+=-]+/gu, '_')
    .replace(/^\.+/, '_');
  return Array.from(safe).slice(0, MAX_KEY_PART).join('') || '_';
}

/**
 * `incoming/dashboard/<user>/<time>-<random>/<file>`: one fresh key per upload (the same file
 * uploaded twice is two uploads, and re-analysis never double counts), the user in the path.
 */
export function dashboardUploadKey(request: UploadRequest, now: Date = new Date()): string {
  const time = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const unique = randomBytes(4).toString('hex');
  return `${DASHBOARD_UPLOAD_PREFIX}${keyPart(request.caller)}/${time}-${unique}/${keyPart(request.fileName)}`;
}

/** `incoming/dashboard/<user>/<YYYYMMDDTHHMMSSZ>-<8 hex>/<file>`, as {@link dashboardUploadKey} makes it. */
const DASHBOARD_KEY =
  /^incoming\/dashboard\/[^/]+\/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{8}\/[^/]+$/;

/**
 * When the API granted the dashboard upload `key` (the time in it, to the second), or `undefined`
 * for a key it did not make. Its analysis cannot have started before: the lookup of the upload's
 * source record reads no further back than that.
 */
export function dashboardUploadTime(key: string): Date | undefined {
  const parts = DASHBOARD_KEY.exec(key);
  if (parts === null) return undefined;
  const [, year, month, day, hour, minute, second] = parts;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}`;
  const time = new Date(`${iso}Z`);
  // A day the month does not have (02-31) rolls over into the next: not a time the API wrote.
  return Number.isNaN(time.getTime()) || !time.toISOString().startsWith(iso) ? undefined : time;
}
