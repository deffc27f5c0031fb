/**
 * Progress through an hour with more failed and pending traces than one run can detail (an NDR
 * storm, a relay refusing everything for an hour): which traces already have their details stored,
 * so that no run asks them again and each run details the rest, and where each run's details go.
 *
 * Detail files next to the window's file, not a rewrite of it: the function may write window files
 * but never read them (least privilege, see the construct's grants), so a rewrite could not copy the
 * details an earlier run stored — and the rewritten key's re-analysis would remove their findings.
 * So a re-read for details writes the traces it detailed, each with its details, to a key of its own
 * (`<from>_<to>.details-<n>.json`) that is never rewritten. A finding's id comes from the message,
 * the recipient and the code, never from the file, so a refusal read into two files is one finding.
 *
 * Trace digests in the cursor, not an offset: the order details are asked in (failed first, then by
 * time) is not stable — traces are listed late, pending ones fail — so an offset would skip or repeat
 * traces. Only traces in a final status count as detailed (a pending one's details change until it
 * settles). The digests are bounded: each stands for one detail request of the last 25 hours, and the
 * budget allows at most 100 per 5 minutes (30,000 in 25 hours); past {@link MAX_DIGESTS} the oldest are
 * dropped, whose traces are then asked again at worst — never counted twice.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type TraceWindow, windowKey } from './trace-window.js';

/** Digests kept per list: the budget's most detail requests in the re-read horizon (see above). */
export const MAX_DIGESTS = 30_000;

/** 12 base64url characters (72 bits): no collision among the traces of one hour. */
const DIGEST_LENGTH = 12;

/** Absent when empty, so the cursor of an ordinary hour stays as small as before. */
export const TraceDigests = z
  .array(z.string().regex(new RegExp(`^[\\w-]{${DIGEST_LENGTH}}$`)))
  .max(MAX_DIGESTS)
  .optional();

/** What a re-read window's entry keeps of the details stored so far (see cursor-store.ts). */
export interface DetailProgress {
  readonly detailedInWindowFile?: readonly string[] | undefined;
  readonly detailedInDetailFiles?: readonly string[] | undefined;
  readonly detailFiles?: number | undefined;
}

/** `progress` without its empty parts (they are absent from the cursor). */
export function compactProgress(progress: DetailProgress): {
  detailedInWindowFile?: string[];
  detailedInDetailFiles?: string[];
  detailFiles?: number;
} {
  const {
    detailedInWindowFile: inFile = [],
    detailedInDetailFiles: inFiles = [],
    detailFiles = 0,
  } = progress;
  return {
    ...(inFile.length > 0 ? { detailedInWindowFile: [...inFile] } : {}),
    ...(inFiles.length > 0 ? { detailedInDetailFiles: [...inFiles] } : {}),
    ...(detailFiles > 0 ? { detailFiles } : {}),
  };
}

/** A trace is one recipient's: the id is shared by the recipients of a message. */
export function traceDigest(id: string, recipient: string): string {
  return createHash('sha256')
    .update(`${id}\u0000${recipient.toLowerCase()}`)
    .digest('base64url')
    .slice(0, DIGEST_LENGTH);
}

/** `earlier` then `added`, each once, the newest {@link MAX_DIGESTS} kept. */
export function withDigests(earlier: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...earlier, ...added])].slice(-MAX_DIGESTS);
}

/** The key of a window's `n`th detail file (1-based), next to the window's own file. */
export function detailFileKey(window: TraceWindow, n: number): string {
  return windowKey(window).replace(/\.json$/, `.details-${n}.json`);
}
