/**
 * What the sources view says of an interrupted record (its analysis stopped without an outcome):
 * what happens next depends on where it was analysed. Without the DOM, so that tests read it.
 */
import { LOCAL_RUN_OWNER_PREFIX } from '../../functions/core/analysis/model/lease-owner.js';
import { DASHBOARD_UPLOAD_PREFIX } from '../../functions/runtime/bucket-layout.js';
import type { SourceSummary } from './types.js';

/**
 * In the cloud the upload is delivered again; a local run's lease says nothing will, so the user
 * acts: a dashboard upload on `relay-audit serve` is uploaded again, a file given to
 * `relay-audit analyze` analysed again.
 */
export function interruptedText(source: Pick<SourceSummary, 'file' | 'lease'>): string {
  const stopped = 'The analysis stopped without an outcome (killed, or its store failed).';
  if (source.lease?.owner.startsWith(LOCAL_RUN_OWNER_PREFIX) !== true)
    return `${stopped} The next delivery or run analyses it again.`;
  if (source.file.startsWith(DASHBOARD_UPLOAD_PREFIX))
    return `${stopped} Nothing analyses it again by itself: upload the file again (or run relay-audit analyze on it).`;
  return `${stopped} Nothing analyses it again by itself: run relay-audit analyze on the file again.`;
}
