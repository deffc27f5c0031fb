/**
 * `relay-audit findings --format table` on the bundled samples, where the analyze report sends the
 * reader ("See the tailored steps and commands: relay-audit findings --scenario … --format table"):
 * every distinct tailored remediation the store holds is printed, each block names the rows it
 * covers, and those rows are the ones whose findings carry it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Finding, SCENARIO_IDS } from '../../functions/core/analysis/model/findings.js';
import { cli } from '../support/capture-output.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

/** The row numbers a block's "Rows 1, 3–5 (…):" line lists (`All N rows`: 1 to N). */
function rowsOf(line: string, rowCount: number): number[] {
  if (/^ {2}All \d+ rows /.test(line)) return Array.from({ length: rowCount }, (_, i) => i + 1);
  const list = /^ {2}Rows? ([\d, –]+) \(/.exec(line)?.[1] ?? '';
  return list.split(', ').flatMap((run) => {
    const [from, to = from] = run.split('–').map(Number) as [number, number?];
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

describe('relay-audit findings --format table on the samples', () => {
  // One store for every test: they only read it.
  let dir = '';
  let db = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-audit-findings-table-'));
    db = join(dir, 'db');
    const analyzed = await cli('analyze', 'sample-logs', ...DOMAINS, '--db', db);
    expect(analyzed.status).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(SCENARIO_IDS)(
    '%s: prints every distinct remediation once, over the rows that carry it',
    async (scenario) => {
      const ndjson = await cli('findings', '--db', db, '--scenario', scenario, '--format', 'ndjson');
      const findings = ndjson.out.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Finding);
      const distinct = new Set(findings.map((finding) => JSON.stringify(finding.remediation)));
      // The samples give each scenario advice tailored to more than one server or domain.
      expect(distinct.size).toBeGreaterThan(1);

      const { status, out } = await cli('findings', '--db', db, '--scenario', scenario, '--format', 'table');
      expect(status).toBe(0);
      const [table = '', ...blocks] = out.stdout.split('\n▶ ');
      // Every block is printed (the samples stay under the limit), and no remediation twice.
      expect(out.stdout).not.toContain('more distinct remediation');
      expect(blocks).toHaveLength(distinct.size);
      // The table's rows are the NDJSON's findings, in the same order, each with its server.
      const rows = table
        .split('\n')
        .slice(2)
        .filter((line) => /^\d+ /.test(line));
      expect(rows).toHaveLength(findings.length);
      rows.forEach((row, i) => {
        expect(row.startsWith(`${i + 1} `)).toBe(true);
        const server = findings[i]?.serverHostname;
        if (server !== undefined) expect(row).toContain(`  ${server}  `);
      });
      // Each block's rows are exactly the findings whose remediation it prints, every row in one block.
      const covered = blocks.flatMap((block) => {
        const listed = rowsOf(block.split('\n')[1] ?? '', findings.length);
        const carried = findings[(listed[0] ?? 0) - 1]?.remediation;
        expect(carried, block.split('\n')[1]).toBeDefined();
        expect(block).toContain(`\n  ${carried?.explanation}\n`);
        const expected = findings.flatMap((finding, i) =>
          JSON.stringify(finding.remediation) === JSON.stringify(carried) ? [i + 1] : [],
        );
        expect(listed).toEqual(expected);
        return listed;
      });
      expect(covered.sort((a, b) => a - b)).toEqual(findings.map((_, i) => i + 1));
    },
  );

  it("shows EX2010's corp.contoso.com advice and the protocol log's certificate advice", async () => {
    const { out } = await cli(
      'findings',
      '--db',
      db,
      '--scenario',
      'connector-mismatch',
      '--format',
      'table',
    );
    const blocks = out.stdout.split('\n▶ ');
    const ex2010 = blocks.find((block) => /^ {2}Rows? [^\n]*\(EX2010\.contoso\.local; /m.test(block)) ?? '';
    expect(ex2010).toMatch(
      /\(EX2010\.contoso\.local; sender domain corp\.contoso\.com\):\n {2}EX2010\.contoso\.local sent mail from corp\.contoso\.com/,
    );
    // sample-logs/README.md: the send protocol log's certificate is usable, so the connector changes.
    expect(out.stdout).toContain('Change the connector, not the certificate: set TlsSenderCertificateName');
  });
});
