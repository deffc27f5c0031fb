/**
 * `relay-audit report` end to end through `main()` on the real embedded engine (persisted in a temp
 * dir): the same nightly analysis as the Lambda, with the report files written locally.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NightlyReport } from '../../functions/nightly/report.js';
import { cli } from '../support/capture-output.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('relay-audit report', () => {
  it('reports on the analysed samples into <db>/reports, identically when run twice', async () => {
    // Prepare
    const db = join(dir, 'db');
    expect((await cli('analyze', 'sample-logs', ...DOMAINS, '--db', db)).status).toBe(0);
    // Act
    const first = await cli('report', '--date', '2026-11-28', '--db', db);
    const files = await readdir(join(db, 'reports'));
    const markdown = await readFile(join(db, 'reports', '2026-11-28.md'), 'utf8');
    const json = await readFile(join(db, 'reports', '2026-11-28.json'), 'utf8');
    const second = await cli('report', '--date', '2026-11-28', '--db', db);
    // Assess
    expect(first.status).toBe(0);
    expect(first.out.stderr).toBe('');
    expect(files.sort()).toEqual(['2026-11-28.json', '2026-11-28.md']);
    expect(first.out.stdout.startsWith(markdown)).toBe(true);
    expect(first.out.stdout).toMatch(
      /Report written to .*2026-11-28\.json and .*2026-11-28\.md \(embedded store in /,
    );
    const report = NightlyReport.parse(JSON.parse(json));
    expect(report.date).toBe('2026-11-28');
    expect(report.window).toEqual({ from: '2026-11-26', to: '2026-11-28' });
    expect(report.totals.findings).toBeGreaterThan(0);
    expect(report.scenarios.map((line) => line.scenario)).toEqual([
      'ndr',
      'forwarding',
      'foreign-sender-domain',
      'connector-mismatch',
      'wrong-region',
    ]);
    expect(report.topSenderDomains.map((line) => line.domain)).toContain('fabrikam.com');
    expect(markdown).toMatch(/^# relay-audit nightly report — 2026-11-28\n/);
    expect(markdown).toMatch(/## What to do next\n\n1\. /);
    expect(second.status).toBe(0);
    expect(await readFile(join(db, 'reports', '2026-11-28.json'), 'utf8')).toBe(json);
    expect(await readFile(join(db, 'reports', '2026-11-28.md'), 'utf8')).toBe(markdown);
  });

  it('prints the JSON report and what the run did with --json, writing to --out', async () => {
    // Prepare
    const db = join(dir, 'db');
    const outDir = join(dir, 'out');
    await cli('analyze', 'sample-logs/MSGTRK2026112800-2.LOG', ...DOMAINS, '--db', db);
    // Act
    const { status, out } = await cli(
      'report',
      '--date',
      '2026-11-28',
      '--look-back',
      '0',
      '--db',
      db,
      '--out',
      outDir,
      '--json',
    );
    // Assess
    expect(status).toBe(0);
    const printed = JSON.parse(out.stdout) as {
      report: unknown;
      files: string[];
      run: Record<string, unknown>;
    };
    expect(NightlyReport.parse(printed.report).window).toEqual({ from: '2026-11-28', to: '2026-11-28' });
    expect(printed.files).toEqual([join(outDir, '2026-11-28.json'), join(outDir, '2026-11-28.md')]);
    expect(printed.run).toMatchObject({
      window: ['2026-11-28'],
      reclassified: 0,
      newFindings: expect.any(Number),
    });
    expect(JSON.parse(await readFile(join(outDir, '2026-11-28.json'), 'utf8'))).toEqual(printed.report);
  });

  it('exits 2 with a clear message for an invalid date or look-back, and shows its usage', async () => {
    const db = join(dir, 'db');
    const badDate = await cli('report', '--date', '2026-13-01', '--db', db);
    expect(badDate.status).toBe(2);
    expect(badDate.out.stderr).toMatch(/relay-audit report: --date: /);
    const badLookBack = await cli('report', '--date', '2026-11-28', '--look-back', '99', '--db', db);
    expect(badLookBack.status).toBe(2);
    expect(badLookBack.out.stderr).toContain('--look-back: expected a whole number from 0 to 14, got "99"');
    const unknown = await cli('report', '--bogus');
    expect(unknown.status).toBe(2);
    const help = await cli('help', 'report');
    expect(help.status).toBe(0);
    expect(help.out.stdout).toMatch(/^relay-audit report \[options\]/);
    expect((await cli('help')).out.stdout).toMatch(/relay-audit report \[--date YYYY-MM-DD\]/);
  });
});
