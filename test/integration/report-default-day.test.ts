/**
 * `relay-audit report` without --date reports on yesterday (UTC). When the store holds no finding of
 * that day, which says nothing of whether its logs were analysed, the report is no all-clear: it
 * names the last day with findings and the command to report it, and says the day was the default.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReport } from '../../bin/commands/report.js';
import { CapturedOutput, cli } from '../support/capture-output.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-report-day-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('relay-audit report on a day without findings', () => {
  it('names the last day with findings instead of "nothing to fix"', async () => {
    // Findings dated 2026-11-27 and 2026-11-28; the report runs on 2026-12-08, so of 2026-12-07.
    const db = join(dir, 'db');
    expect((await cli('analyze', 'sample-logs', '--db', db)).status).toBe(0);
    const out = new CapturedOutput();
    const status = await runReport(
      ['--db', db, '--out', join(dir, 'reports')],
      out,
      () => new Date('2026-12-08T09:00:00Z'),
    );
    expect(status).toBe(0);
    const markdown = await readFile(join(dir, 'reports', '2026-12-07.md'), 'utf8');
    for (const text of [out.stdout, markdown]) {
      expect(text).not.toMatch(/nothing to fix/i);
      expect(text).toContain('No finding is dated 2026-12-07, but that is no all-clear');
      expect(text).toMatch(
        /The last day with findings is 2026-11-28 \\\(\d+ findings\\\)\\: `relay-audit report --date 2026-11-28 --db /,
      );
    }
    expect(out.stdout).toContain(
      'Reported on 2026-12-07, yesterday (UTC), the default day: another one with --date YYYY-MM-DD.',
    );
  });
});
