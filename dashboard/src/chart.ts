/**
 * The daily chart: bars stacked by scenario. Only the parts of Chart.js a bar chart needs are
 * registered, so the rest is tree-shaken out of the bundle.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { shortDay } from './dates.js';
import { SCENARIO_COLOURS, SCENARIOS, SHORT_NAMES } from './scenarios.js';
import type { Summary } from './types.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

let current: Chart<'bar'> | undefined;

/** Text for screen readers (and the canvas fallback): the period, the total and the busiest day. */
export function chartDescription(summary: Summary): string {
  const busiest = summary.days.reduce<Summary['days'][number] | undefined>(
    (best, day) => (best === undefined || day.total > best.total ? day : best),
    undefined,
  );
  const range = `${shortDay(summary.from, true)} to ${shortDay(summary.to, true)}`;
  if (!busiest || busiest.total === 0) return `Daily refusals by scenario, ${range}: none.`;
  return (
    `Daily refusals by scenario, ${range}: ${summary.total} in all; the busiest day was ` +
    `${shortDay(busiest.date, true)} with ${busiest.total}. The table below the chart lists every day with refusals.`
  );
}

/** Draws `summary` on `canvas`, replacing any earlier chart. */
export function drawChart(canvas: HTMLCanvasElement, summary: Summary): void {
  current?.destroy();
  const reduceMotion = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
  current = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: summary.days.map((day) => shortDay(day.date)),
      datasets: SCENARIOS.map((scenario) => ({
        label: SHORT_NAMES[scenario],
        data: summary.days.map((day) => day.counts[scenario]),
        backgroundColor: SCENARIO_COLOURS[scenario],
        borderWidth: 0,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 250 },
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: { filter: (item) => Number(item.raw) > 0 },
      },
    },
  });
}

export function destroyChart(): void {
  current?.destroy();
  current = undefined;
}
