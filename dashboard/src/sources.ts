/**
 * The sources view: every analysed file with its status and row counts, and under it what its
 * record says besides them (failures without a reason, notes on how it was read: source-notes.ts);
 * the skipped rows (line, column, reason) load on demand from `GET /sources/{id}`.
 */

import { formatLabel } from '../../functions/core/analysis/formats/labels.js';
import { plural } from '../../functions/core/kernel/counts-in-words.js';
import type { ApiClient } from './api.js';
import { shortTime } from './dates.js';
import { formatCount, h } from './dom.js';
import { interruptedText } from './interrupted-text.js';
import { SCENARIOS, SHORT_NAMES } from './scenarios.js';
import { hasSourceNotes, sourceNotes, sourceNotesMarker } from './source-notes.js';
import { errorPanel, loadingNote } from './status.js';
import type { SkippedRow, SourceSummary } from './types.js';

/**
 * A source's findings by scenario in short words, and its refusals that no finding of its own
 * stands for (as the CLI report says them): those already counted from an earlier file, those no
 * scenario matched. `none` only for a file without relay refusals.
 */
export function findingsText(source: SourceSummary): string {
  const findings = SCENARIOS.filter((s) => (source.findingsByScenario[s] ?? 0) > 0)
    .map((s) => `${SHORT_NAMES[s]} ${source.findingsByScenario[s]}`)
    .join(', ');
  const repeated = source.duplicateRefusals ?? 0;
  const from = `already counted from ${(source.duplicateOf ?? []).join(', ') || 'an earlier file'}`;
  if (findings !== '')
    return repeated > 0 ? `${findings}; ${plural(repeated, 'more refusal')} ${from}` : findings;
  const refusals = plural(source.rejections, 'relay refusal');
  if (repeated > 0 && repeated >= source.rejections) return `none: ${refusals}, all ${from}`;
  if (repeated > 0) return `none: ${refusals}, ${formatCount(repeated)} ${from}`;
  if (source.rejections > 0) return `none: ${refusals}, none matched a scenario`;
  return 'none';
}

function skippedTable(rows: SkippedRow[], truncated: number): HTMLElement {
  return h(
    'div',
    { class: 'skipped' },
    h(
      'table',
      { class: 'compact' },
      h('caption', {}, 'Skipped rows'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Line', 'Column', 'Reason', 'What to do'].map((c) => h('th', { attrs: { scope: 'col' } }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            {},
            h('td', { class: 'num' }, formatCount(row.line)),
            h('td', {}, row.column ?? '—'),
            h('td', {}, h('code', {}, row.reason)),
            h('td', { class: 'wrap' }, row.message),
          ),
        ),
      ),
    ),
    truncated > 0
      ? h('p', { class: 'muted small' }, `… and ${formatCount(truncated)} more skipped rows not listed.`)
      : null,
  );
}

function statusCell(source: SourceSummary): HTMLElement {
  if (source.supersededBy !== undefined) {
    // History, not a failure to act on: a later run analysed the file (again, or as it grew) in full.
    return h(
      'td',
      {},
      h('span', { class: 'status status-done' }, 'Superseded'),
      h(
        'div',
        { class: 'small' },
        `This run did not finish (${source.status === 'failed' ? (source.errorCode ?? 'failed') : 'interrupted'}); the file was analysed in full later, again or as it changed since (record ${source.supersededBy}).`,
      ),
    );
  }
  if (source.interrupted) {
    return h(
      'td',
      {},
      h('span', { class: 'status status-failed' }, 'Interrupted'),
      h('div', { class: 'small' }, interruptedText(source)),
    );
  }
  const label = { done: 'Done', processing: 'Processing', failed: 'Failed' }[source.status];
  const marker = sourceNotesMarker(source);
  return h(
    'td',
    {},
    h('span', { class: `status status-${source.status}` }, label),
    source.status === 'failed'
      ? h(
          'div',
          { class: 'small' },
          h('code', {}, source.errorCode ?? 'ERROR'),
          ' ',
          source.errorMessage ?? '',
        )
      : null,
    // "Done" alone would read as an all-clear: the notes themselves are in the row below.
    marker === undefined ? null : h('div', { class: 'small source-notes-marker' }, marker),
  );
}

/** The row under a source that lists its notes (always shown: they qualify its counts), or none. */
function notesRow(source: SourceSummary, columns: number): HTMLElement | null {
  const notes = sourceNotes(source);
  if (notes === null) return null;
  return h(
    'tr',
    { class: 'notes', attrs: { 'data-notes-of': source.id } },
    h('td', { class: 'wrap small', attrs: { colspan: columns } }, notes),
  );
}

function sourceRows(source: SourceSummary, api: ApiClient, columns: number): (HTMLElement | null)[] {
  const detailId = `skipped-${source.id}`;
  const detailCell = h('td', { attrs: { colspan: columns } });
  const detail = h('tr', { class: 'detail', attrs: { id: detailId, hidden: true } }, detailCell);
  let loaded = false;
  const load = async () => {
    detailCell.replaceChildren(loadingNote('the skipped rows'));
    try {
      const record = await api.source(source.id);
      detailCell.replaceChildren(skippedTable(record.skipped, record.skippedTruncated));
      loaded = true;
    } catch (error) {
      detailCell.replaceChildren(errorPanel(error, 'the skipped rows', () => void load()));
    }
  };
  const skippedCell =
    source.rowsSkipped > 0
      ? h(
          'button',
          {
            class: 'link',
            attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': detailId },
            on: {
              click: (event) => {
                const button = event.currentTarget as HTMLButtonElement;
                const open = button.getAttribute('aria-expanded') !== 'true';
                button.setAttribute('aria-expanded', String(open));
                detail.hidden = !open;
                if (open && !loaded) void load();
              },
            },
          },
          `${formatCount(source.rowsSkipped)} — show why`,
        )
      : '0';
  return [
    h(
      'tr',
      // A row with notes and its row of notes read as one.
      { class: hasSourceNotes(source) ? 'has-notes' : '', attrs: { 'data-source': source.id } },
      h('th', { class: 'wrap', attrs: { scope: 'row' } }, source.file),
      h('td', {}, source.format ? formatLabel(source.format, 'name') : 'unknown'),
      statusCell(source),
      h('td', { class: 'num' }, formatCount(source.rowsRead)),
      h('td', { class: 'num' }, formatCount(source.rowsAnalysed)),
      h('td', { class: 'num' }, skippedCell),
      h('td', { class: 'small' }, findingsText(source)),
      h('td', { class: 'nowrap small' }, shortTime(source.finishedAt ?? source.startedAt)),
    ),
    notesRow(source, columns),
    detail,
  ];
}

const HEADERS = [
  'File',
  'Format',
  'Status',
  'Rows read',
  'Analysed',
  'Skipped',
  'Findings',
  'Finished (UTC)',
];

/** A table of sources; `more` appends the next page when the API has one. */
export function sourcesTable(sources: SourceSummary[], api: ApiClient): HTMLElement {
  return h(
    'div',
    {
      class: 'table-scroll',
      attrs: { role: 'region', 'aria-label': 'Analysed files (scrolls sideways)', tabindex: '0' },
    },
    h(
      'table',
      { class: 'sources' },
      h('caption', { class: 'visually-hidden' }, 'Analysed files, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          HEADERS.map((c, i) =>
            h('th', { attrs: { scope: 'col' }, class: i >= 3 && i <= 5 ? 'num' : '' }, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        sources.flatMap((source) => sourceRows(source, api, HEADERS.length)),
      ),
    ),
  );
}
