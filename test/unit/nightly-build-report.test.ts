/**
 * buildReport() on rollups alone: spike ratios judged on the exact baseline average (rounded only
 * for display), and the step of a day without findings, which is no all-clear when the store does
 * not show that logs of the day were analysed.
 */
import { describe, expect, it } from 'vitest';
import { buildReport, type ReportInput } from '../../functions/nightly/build-report.js';
import type { RollupItem } from '../../functions/store/index.js';

const DAY = '2026-11-28';

function row(date: string, scenario: RollupItem['scenario'], count: number): RollupItem {
  return { date, scenario, senderDomain: 'contoso.com', server: 'ex01', count };
}

function input(overrides: Partial<ReportInput>): ReportInput {
  return {
    date: DAY,
    window: { from: DAY, to: DAY },
    today: [],
    history: [],
    days: [],
    reclassified: { count: 0, findings: [] },
    ...overrides,
  };
}

describe('spikes', () => {
  it('divides by the exact baseline average, not the rounded one', () => {
    // 2 ndr findings in the 7 days before: an average of 2/7, shown as 0.29; 18 is 63 times it.
    const report = buildReport(
      input({
        today: [row(DAY, 'ndr', 18), row(DAY, 'wrong-region', 8)],
        history: [row('2026-11-27', 'ndr', 2), row('2026-11-27', 'wrong-region', 1)],
      }),
    );
    const ndr = report.spikes.find((spike) => spike.scenario === 'ndr');
    expect(ndr).toEqual({ scenario: 'ndr', count: 18, baselineAverage: 0.29, ratio: 63 });
    expect(report.spikes.find((spike) => spike.scenario === 'wrong-region')?.ratio).toBe(56);
    expect(report.nextSteps[0]).toContain('63× the 7-day average of 0.29');
    expect(report.scenarios.find((line) => line.scenario === 'ndr')?.baselineAverage).toBe(0.29);
  });
});

describe('a day without findings', () => {
  it('is no all-clear: it names the last day with findings and the command to report it', () => {
    const report = buildReport(
      input({
        date: '2026-12-07',
        history: [
          row('2026-11-27', 'ndr', 5),
          row('2026-11-28', 'ndr', 40),
          row('2026-11-28', 'forwarding', 17),
        ],
        storeOptions: ' --db ./store',
      }),
    );
    expect(report.nextSteps).toHaveLength(1);
    const step = report.nextSteps[0] ?? '';
    expect(step).not.toMatch(/nothing to fix/i);
    expect(step).toContain('No finding is dated 2026-12-07, but that is no all-clear');
    expect(step).toContain('does not show that logs covering 2026-12-07 were analysed');
    expect(step).toMatch(
      /The last day with findings is 2026-11-28 \(57 findings\): relay-audit report --date 2026-11-28 --db \.\/store$/,
    );
  });

  it('says so of a store without findings in the weeks before too', () => {
    const step = buildReport(input({})).nextSteps[0] ?? '';
    expect(step).not.toMatch(/nothing to fix/i);
    expect(step).toContain(`No finding is dated ${DAY}, but that is no all-clear`);
    expect(step).toContain('No day of the 30 before it has findings either.');
  });
});
