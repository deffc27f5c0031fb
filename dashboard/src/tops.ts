/**
 * Where refusals come from: top sender domains and servers (from the API's summary of the
 * period) and connectors (counted over the loaded findings: the summary has no connector
 * breakdown). Each row is a filter.
 */
import { isPseudoDomain, NULL_SENDER_DOMAIN } from '../../functions/core/analysis/model/pseudo-domains.js';
import { terminalSafe } from '../../functions/core/kernel/strings.js';
import { formatCount, h, logValue } from './dom.js';
import type { Finding, Summary } from './types.js';

const NO_SUMMARY = 'Not available: the overview did not load.';

export interface TopHandlers {
  /** Filter the findings by sender domain (a query of the store). */
  filterSenderDomain(domain: string): void;
  /** Show the NDR findings: those of the null sender `<>`, which no sender-domain filter takes. */
  showNullSender(): void;
  /** Search the loaded findings for a server or connector name. */
  search(text: string): void;
}

interface Row {
  label: string;
  count: number;
  extra?: string | undefined;
  /** What a click on the row does; none for a row that cannot be a filter (`(unknown)`). */
  action?: (() => void) | undefined;
  actionLabel: string;
}

function table(caption: string, columns: [string, string, string?], rows: Row[], empty: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'compact top-table' },
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns
            .filter((column): column is string => column !== undefined)
            .map((column, i) => h('th', { attrs: { scope: 'col' }, class: i === 1 ? 'num' : '' }, column)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            {},
            h(
              'td',
              {},
              row.action === undefined
                ? logValue(row.label)
                : h(
                    'button',
                    {
                      class: 'link',
                      attrs: { type: 'button', 'aria-label': terminalSafe(row.actionLabel) },
                      on: { click: row.action },
                    },
                    logValue(row.label),
                  ),
            ),
            h('td', { class: 'num' }, formatCount(row.count)),
            columns[2] === undefined ? null : h('td', { class: 'small' }, logValue(row.extra ?? '—')),
          ),
        ),
      ),
    ),
  );
}

function tally(
  findings: readonly Finding[],
  key: (finding: Finding) => string | undefined,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const finding of findings) {
    const value = key(finding);
    if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

function ranked(counts: Map<string, number>, limit = 10): [string, number][] {
  return [...counts.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).slice(0, limit);
}

/** Fills the three "where from" tables. `findings` are the loaded findings (for IPs and connectors). */
export function renderTops(
  container: HTMLElement,
  summary: Summary | undefined,
  findings: readonly Finding[],
  handlers: TopHandlers,
): void {
  const ips = new Map<string, Set<string>>();
  for (const finding of findings) {
    const server = finding.serverHostname ?? finding.connectorId ?? finding.clientIp;
    if (!server || !finding.clientIp || finding.clientIp === server) continue;
    const set = ips.get(server) ?? new Set<string>();
    set.add(finding.clientIp);
    ips.set(server, set);
  }
  const senderRows: Row[] = (summary?.topSenderDomains ?? []).map(({ senderDomain, count }) => ({
    label: senderDomain,
    count,
    ...senderAction(senderDomain, handlers),
  }));
  const serverRows: Row[] = (summary?.topServers ?? []).map(({ server, count }) => ({
    label: server,
    count,
    extra: [...(ips.get(server) ?? [])].join(', ') || undefined,
    action: () => handlers.search(server),
    actionLabel: `Search the loaded findings for server ${server}`,
  }));
  const connectorRows: Row[] = ranked(tally(findings, (f) => f.connectorId)).map(([connector, count]) => ({
    label: connector,
    count,
    action: () => handlers.search(connector),
    actionLabel: `Search the loaded findings for connector ${connector}`,
  }));
  container.replaceChildren(
    h(
      'div',
      { class: 'top' },
      h('h3', {}, 'Sender domains'),
      h('p', { class: 'muted small' }, 'Whole period. Choose one to filter the findings.'),
      summary === undefined
        ? h('p', { class: 'muted' }, NO_SUMMARY)
        : table(
            'Top sender domains',
            ['Sender domain', 'Refusals'],
            senderRows,
            'No sender domains in this period (NDRs have none).',
          ),
    ),
    h(
      'div',
      { class: 'top' },
      h('h3', {}, 'Servers and IPs'),
      h(
        'p',
        { class: 'muted small' },
        'Whole period; IPs as seen in the loaded findings. Choose one to search them.',
      ),
      summary === undefined
        ? h('p', { class: 'muted' }, NO_SUMMARY)
        : table(
            'Top on-premises servers',
            ['Server', 'Refusals', 'IPs'],
            serverRows,
            'No server names in this period.',
          ),
    ),
    h(
      'div',
      { class: 'top' },
      h('h3', {}, 'Connectors'),
      h(
        'p',
        { class: 'muted small' },
        `Counted over the ${formatCount(findings.length)} loaded findings (the summary has no connector breakdown). Choose one to search them.`,
      ),
      table(
        'Connectors in the loaded findings',
        ['Connector', 'Refusals'],
        connectorRows,
        'No connectors in the loaded findings.',
      ),
    ),
  );
}

/** What a sender-domain row does: a filter by its domain, the NDRs for the null sender, nothing for `(unknown)`. */
function senderAction(domain: string, handlers: TopHandlers): Pick<Row, 'action' | 'actionLabel'> {
  if (domain === NULL_SENDER_DOMAIN)
    return { action: handlers.showNullSender, actionLabel: 'Show the NDR findings (null sender <>)' };
  if (isPseudoDomain(domain)) return { actionLabel: 'The logs did not say the sender' };
  return {
    action: () => handlers.filterSenderDomain(domain),
    actionLabel: `Show findings from sender domain ${domain}`,
  };
}
