/**
 * The overview: which scenario hurts most, a card per scenario with its change against the
 * previous period of equal length, and the daily chart stacked by scenario.
 */
import { chartDescription, drawChart } from './chart.js';
import { daysInRange, shortDay } from './dates.js';
import { formatCount, h, replace } from './dom.js';
import { SCENARIO_COLOURS, SCENARIO_DESCRIPTIONS, SCENARIOS, SHORT_NAMES } from './scenarios.js';
import type { ScenarioId, Summary } from './types.js';

export interface OverviewHandlers {
  /** Show the findings of one scenario. */
  showScenario(scenario: ScenarioId): void;
}

function plural(count: number, word: string): string {
  return `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;
}

/** `▲ 3 more`, `▼ 2 fewer`, `no change`, for a count against the previous period. */
export function changeText(now: number, before: number): { text: string; trend: 'up' | 'down' | 'flat' } {
  const diff = now - before;
  if (diff === 0) return { text: before === 0 ? 'none before either' : 'no change', trend: 'flat' };
  const percent =
    before === 0 ? '' : ` (${diff > 0 ? '+' : '−'}${Math.round((Math.abs(diff) / before) * 100)}%)`;
  return diff > 0
    ? { text: `▲ ${formatCount(diff)} more${percent}`, trend: 'up' }
    : { text: `▼ ${formatCount(-diff)} fewer${percent}`, trend: 'down' };
}

function headline(summary: Summary, handlers: OverviewHandlers): HTMLElement {
  const [worst] = [...SCENARIOS].sort((a, b) => summary.totals[b] - summary.totals[a]);
  if (worst === undefined || summary.totals[worst] === 0) return h('div');
  const count = summary.totals[worst];
  const share = Math.round((count / summary.total) * 100);
  const description = SCENARIO_DESCRIPTIONS[worst];
  return h(
    'div',
    { class: 'panel headline', attrs: { 'data-scenario': worst } },
    h(
      'p',
      { class: 'headline-title' },
      'Most refusals: ',
      h('strong', {}, description.title),
      ` — ${formatCount(count)} of ${formatCount(summary.total)} (${share}%).`,
    ),
    h('p', {}, description.summary),
    h(
      'button',
      { class: 'primary', attrs: { type: 'button' }, on: { click: () => handlers.showScenario(worst) } },
      'Show these findings and what to change',
    ),
  );
}

function card(
  scenario: ScenarioId,
  summary: Summary,
  previous: Summary,
  selected: boolean,
  handlers: OverviewHandlers,
): HTMLElement {
  const count = summary.totals[scenario];
  const change = changeText(count, previous.totals[scenario]);
  const titleId = `card-title-${scenario}`;
  return h(
    'li',
    {
      class: `card${selected ? ' selected' : ''}${count === 0 ? ' zero' : ''}`,
      attrs: { 'data-scenario': scenario, 'aria-labelledby': titleId },
    },
    h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } }),
    h('h3', { attrs: { id: titleId } }, SCENARIO_DESCRIPTIONS[scenario].title),
    h('p', { class: 'count' }, formatCount(count)),
    h(
      'p',
      { class: `change ${change.trend}` },
      change.text,
      h('span', { class: 'visually-hidden' }, ' than the previous period'),
    ),
    h(
      'button',
      {
        attrs: {
          type: 'button',
          'aria-pressed': selected ? 'true' : 'false',
          'aria-label': `Show the ${SHORT_NAMES[scenario]} findings`,
        },
        on: { click: () => handlers.showScenario(scenario) },
      },
      selected ? 'Shown below' : 'Show findings',
    ),
  );
}

function dailyTable(summary: Summary): HTMLElement {
  const days = summary.days.filter((day) => day.total > 0);
  if (days.length === 0) return h('p', { class: 'muted' }, 'No refusals on any day of the period.');
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'compact' },
      h(
        'caption',
        { class: 'visually-hidden' },
        'Refusals per day and scenario (days without refusals left out)',
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { attrs: { scope: 'col' } }, 'Day'),
          SCENARIOS.map((scenario) => h('th', { attrs: { scope: 'col' } }, SHORT_NAMES[scenario])),
          h('th', { attrs: { scope: 'col' } }, 'Total'),
        ),
      ),
      h(
        'tbody',
        {},
        days.map((day) =>
          h(
            'tr',
            {},
            h('th', { attrs: { scope: 'row' } }, shortDay(day.date, true)),
            SCENARIOS.map((scenario) => h('td', { class: 'num' }, formatCount(day.counts[scenario]))),
            h('td', { class: 'num' }, formatCount(day.total)),
          ),
        ),
      ),
    ),
  );
}

/**
 * Renders the overview into `container`. The chart is drawn after the canvas is in the page
 * (Chart.js measures its parent).
 */
export function renderOverview(
  container: HTMLElement,
  summary: Summary,
  previous: Summary,
  selected: ScenarioId | undefined,
  handlers: OverviewHandlers,
): void {
  const length = daysInRange(summary.from, summary.to);
  const canvas = h(
    'canvas',
    { attrs: { role: 'img', 'aria-label': chartDescription(summary) } },
    chartDescription(summary),
  );
  replace(
    container,
    headline(summary, handlers),
    h(
      'ul',
      { class: 'cards', attrs: { 'aria-label': 'Refusals per scenario' } },
      SCENARIOS.map((scenario) => card(scenario, summary, previous, selected === scenario, handlers)),
    ),
    h(
      'p',
      { class: 'muted small' },
      `${plural(summary.total, 'refusal')} from ${shortDay(summary.from, true)} to ${shortDay(summary.to, true)}. ` +
        `Changes compare with the previous ${plural(length, 'day')}, ${shortDay(previous.from, true)} to ${shortDay(previous.to, true)} ` +
        `(${plural(previous.total, 'refusal')}).`,
    ),
    h(
      'figure',
      { class: 'chart' },
      h('figcaption', {}, 'Refusals per day, stacked by scenario (UTC days)'),
      h('div', { class: 'chart-box' }, canvas),
      h('details', {}, h('summary', {}, 'Show the daily numbers as a table'), dailyTable(summary)),
    ),
  );
  drawChart(canvas, summary);
}

/** Card swatch colours come from CSS custom properties set once from the scenario palette. */
export function applyScenarioColours(root: HTMLElement): void {
  for (const scenario of SCENARIOS)
    root.style.setProperty(`--scenario-${scenario}`, SCENARIO_COLOURS[scenario]);
}
