/**
 * The findings table. The API pages newest first through its cursor ("Load more"); free-text
 * search and the oldest-first order work on the loaded rows in the browser, and the page says so.
 */
import { terminalSafe } from '../../functions/core/kernel/strings.js';
import { shortTime } from './dates.js';
import { formatCount, h, logValue } from './dom.js';
import { SHORT_NAMES } from './scenarios.js';
import type { SortOrder } from './state.js';
import type { Finding } from './types.js';

export const PAGE_SIZE = 50;

/** The envelope sender as people write it: `<>` for the null sender. */
export function envelopeSender(finding: Finding): string {
  if (finding.returnPath === '') return '<>';
  return finding.returnPath ?? finding.sender ?? '—';
}

function searchableText(finding: Finding): string {
  return [
    finding.id,
    finding.scenario,
    SHORT_NAMES[finding.scenario],
    finding.timestamp,
    envelopeSender(finding),
    finding.sender,
    finding.recipient,
    finding.subject,
    finding.messageId,
    finding.code,
    finding.attr,
    finding.serverHostname,
    finding.clientIp,
    finding.connectorId,
    finding.remoteHost,
    finding.source.file,
  ]
    .filter(Boolean)
    .join('\n')
    .toLowerCase();
}

/** The loaded findings that contain every word of `q`, in `sort` order. */
export function visibleFindings(findings: readonly Finding[], q: string, sort: SortOrder): Finding[] {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const matching =
    words.length === 0
      ? [...findings]
      : findings.filter((f) => words.every((w) => searchableText(f).includes(w)));
  return matching.sort((a, b) =>
    sort === 'asc' ? a.timestamp.localeCompare(b.timestamp) : b.timestamp.localeCompare(a.timestamp),
  );
}

export function findingRow(
  finding: Finding,
  open: (finding: Finding, opener: HTMLElement) => void,
): HTMLElement {
  const time = shortTime(finding.timestamp);
  const button = h(
    'button',
    {
      class: 'details',
      attrs: {
        type: 'button',
        'aria-label': `Details and fix: ${SHORT_NAMES[finding.scenario]}, ${time}, to ${terminalSafe(finding.recipient)}`,
        'aria-haspopup': 'dialog',
      },
    },
    'Details',
  );
  button.addEventListener('click', () => open(finding, button));
  return h(
    'tr',
    { attrs: { 'data-id': finding.id, 'data-scenario': finding.scenario } },
    h('td', {}, button),
    h('td', { class: 'nowrap' }, h('time', { attrs: { datetime: finding.timestamp } }, time)),
    h(
      'td',
      {},
      h('span', { class: `chip chip-${finding.scenario}` }, SHORT_NAMES[finding.scenario]),
      finding.confidence === 'high'
        ? null
        : h('div', { class: 'small muted' }, `${finding.confidence} confidence`),
    ),
    h('td', { class: 'wrap' }, logValue(envelopeSender(finding))),
    h('td', { class: 'wrap' }, logValue(finding.recipient)),
    h('td', { class: 'wrap' }, logValue(finding.serverHostname ?? finding.clientIp ?? '—')),
    h('td', { class: 'nowrap' }, [finding.code, finding.attr].filter(Boolean).join(' ')),
  );
}

/** The line above the table: how many rows are loaded and shown, and what the search covers. */
export function findingsStatus(loaded: number, shown: number, more: boolean, q: string): string {
  const loadedText = `${formatCount(loaded)} finding${loaded === 1 ? '' : 's'} loaded`;
  const rest = more
    ? '; more match: use “Load more” below'
    : loaded === 0
      ? ''
      : ' — all that match the filters';
  if (q.trim() === '') return `${loadedText}${rest}.`;
  return `${formatCount(shown)} of the ${loadedText} contain “${q.trim()}” (the search covers loaded findings only${more ? '; load more to search further' : ''}).`;
}
