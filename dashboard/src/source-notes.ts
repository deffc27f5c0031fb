/**
 * What a source record says besides its counts, for the sources table and the upload panel: the
 * messages its message trace says failed without a reason (`unexplainedFailures`: relay refusals,
 * maybe, that no finding stands for) and its notes on how the file was read. A file with either is
 * never shown as a plain all-clear. The words of the failures are the CLI report's (trace-failure-advice.ts).
 *
 * Notes come from the record, so they reach the page as text nodes only (see dom.ts).
 */

import {
  TRACE_DETAIL_EXPORT,
  unexplainedFailuresSentence,
} from '../../functions/core/analysis/trace-failure-advice.js';
import { plural } from '../../functions/core/kernel/counts-in-words.js';
import { h } from './dom.js';
import type { SourceSummary } from './types.js';

/** The export whose rows say why each message failed, as the CLI report gives it. */
const TRACE_DETAIL_COMMAND = TRACE_DETAIL_EXPORT.join(' ');

/** True when the record has something to say besides its counts (see {@link sourceNotes}). */
export function hasSourceNotes(source: SourceSummary): boolean {
  return (source.unexplainedFailures ?? 0) > 0 || (source.notes?.length ?? 0) > 0;
}

/**
 * A short marker of what {@link sourceNotes} lists, for a status: the failures without a reason
 * first (they may be refusals); else how many notes. Undefined when there is nothing to say.
 */
export function sourceNotesMarker(source: SourceSummary): string | undefined {
  const failures = source.unexplainedFailures ?? 0;
  if (failures > 0) return `⚠ ${plural(failures, 'message')} failed without a reason`;
  const notes = source.notes?.length ?? 0;
  return notes > 0 ? `${plural(notes, 'note')} on how it was read` : undefined;
}

/** The failures without a reason, then each note with its code; null when there is nothing to say. */
export function sourceNotes(source: SourceSummary): HTMLElement | null {
  if (!hasSourceNotes(source)) return null;
  const failures = source.unexplainedFailures ?? 0;
  return h(
    'ul',
    { class: 'source-notes' },
    failures > 0
      ? h(
          'li',
          { class: 'unexplained', attrs: { 'data-note': 'UNEXPLAINED_FAILURES' } },
          h('strong', {}, `⚠ ${unexplainedFailuresSentence(failures, [source.format])}`),
          ' Export their details, which say why, and upload them (Exchange Online PowerShell): ',
          h('code', {}, TRACE_DETAIL_COMMAND),
        )
      : null,
    (source.notes ?? []).map((note) =>
      h(
        'li',
        { attrs: { 'data-note': note.code } },
        'Note (',
        h('code', {}, note.code),
        `): ${note.message}`,
      ),
    ),
  );
}
