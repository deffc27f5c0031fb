/**
 * A `Get-MessageTrackingLog` export says the same whatever order its rows are in: newest first
 * (`Sort-Object Timestamp -Descending`, Excel's "Sort Newest to Oldest"), each server's rows newest
 * first, or the rows given as one file per server in either order. The classifier keeps a few inbound
 * traces per message; which ones must not depend on the order they are read in: read newest first,
 * the deliveries to a group's members came before the EXPAND row that proves forwarding and took its
 * place, and the refusal became `foreign-sender-domain`.
 * Fixtures: test/fixtures/real-world/tracking-export-order/ (README.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/tracking-export-order';
/** A group with an outside member, expanded on EX01 and refused on EX02: the export, oldest first. */
const GROUP = 'test/fixtures/real-world/group-expansion/export/track-CAJx7GrpB1.csv';
/** The sample export, with a REDIRECT to an outside address among other refusals. */
const REDIRECT = 'sample-logs/tracking-export-en-US.csv';
const SAMPLE_DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
const DOMAINS = ['--accepted-domains', 'contoso.com'];

/**
 * What a finding says, but where its rows are: lines (and the file a line is in) differ with the
 * order, nothing else may.
 */
function said(finding: Finding) {
  return {
    messageId: finding.messageId,
    recipient: finding.recipient,
    scenario: finding.scenario,
    confidence: finding.confidence,
    forwardedFrom: finding.forwardedFrom,
    evidence: finding.evidence.map(
      (item) => `${item.kind}: ${item.detail.replace(/\bline \d+( of [^:)]+)?/g, 'line N')}`,
    ),
  };
}

/** The findings of a run, as said, in one order (files give them in the order of their rows). */
const allSaid = (findings: readonly Finding[]) =>
  findings
    .map(said)
    .sort((a, b) => a.messageId.localeCompare(b.messageId) || a.recipient.localeCompare(b.recipient));

/** A file's findings, as said, and the rows it skipped, by reason. */
async function analysed(file: string, domains = DOMAINS) {
  const run = await analyzeNoStore(file, ...domains);
  expect(run.status, file).toBe(0);
  return { findings: allSaid(run.findings), skipped: run.source.skippedByReason };
}

/** A CSV export's header and rows (CRLF). */
async function exportOf(file: string) {
  const [header = '', ...rows] = (await readFile(file, 'utf8')).split('\r\n').filter((line) => line !== '');
  return { header, rows };
}

describe('a group expanded on EX01, its outside copy refused on EX02, exported newest first', () => {
  it('is forwarding, proven by the EXPAND row, in every shape the export takes', async () => {
    const oldestFirst = await analysed(GROUP);
    expect(oldestFirst.skipped).toEqual({});
    const { findings } = oldestFirst;
    expect(findings.map((f) => [f.recipient, f.scenario, f.confidence, f.forwardedFrom])).toEqual([
      ['partner@tailspintoys.com', 'forwarding', 'high', { kind: 'expand', address: 'sales@contoso.com' }],
    ]);
    expect(findings[0]?.evidence).toContain(
      'expand-event: EXPAND on line N: the distribution group sales@contoso.com has the member partner@tailspintoys.com',
    );
    for (const shape of [
      'group-reversed.csv',
      'group-excel-newest-first.csv',
      'group-per-server-newest-first.csv',
    ])
      expect(await analysed(`${DIR}/${shape}`), shape).toEqual(oldestFirst);
  });

  it('is the same given as one file per server, each newest first, in either order', async () => {
    const { header, rows } = await exportOf(GROUP);
    // EX02's rows carry its own InternalMessageId.
    const onEx02 = (row: string) => row.includes('"30485710022"');
    const file = (name: string, ofServer: string[]) => ({
      name,
      content: `${[header, ...ofServer.reverse()].join('\r\n')}\r\n`,
    });
    const ex01 = file(
      'EX01.csv',
      rows.filter((row) => !onEx02(row)),
    );
    const ex02 = file('EX02.csv', rows.filter(onEx02));
    const { findings: oldestFirst } = await analysed(GROUP);
    for (const files of [
      [ex01, ex02],
      [ex02, ex01],
    ]) {
      const { findings } = await analyzeFiles(files);
      expect(allSaid(findings), files.map((f) => f.name).join(' then ')).toEqual(oldestFirst);
    }
  });

  it('is the same in every order of its six rows', async () => {
    const { header, rows } = await exportOf(GROUP);
    const { findings: oldestFirst } = await analysed(GROUP);
    const orders: string[][] = [];
    const permute = (done: string[], left: string[]): void => {
      if (left.length === 0) orders.push(done);
      left.forEach((row, index) => {
        permute([...done, row], [...left.slice(0, index), ...left.slice(index + 1)]);
      });
    };
    permute([], rows);
    expect(orders).toHaveLength(720);
    const differing: number[] = [];
    for (const [index, order] of orders.entries()) {
      const { findings } = await analyzeFiles([
        { name: 'track.csv', content: `${[header, ...order].join('\r\n')}\r\n` },
      ]);
      if (JSON.stringify(allSaid(findings)) !== JSON.stringify(oldestFirst)) differing.push(index);
    }
    expect(differing).toEqual([]);
  }, 120_000);
});

describe('a group with five outside members, one more than the EXPAND rows a message keeps', () => {
  it('is forwarding for every member in either order; four by the EXPAND row, the fifth by the group’s receipt', async () => {
    const oldestFirst = await analysed(`${DIR}/group-five-outside.csv`);
    expect(await analysed(`${DIR}/group-five-outside-reversed.csv`)).toEqual(oldestFirst);
    const { findings } = oldestFirst;
    expect(findings.map((f) => [f.recipient, f.scenario, f.confidence])).toEqual([
      ['ana@adatum.com', 'forwarding', 'high'],
      ['bo@litware.com', 'forwarding', 'high'],
      ['cy@proseware.com', 'forwarding', 'high'],
      ['di@tailspintoys.com', 'forwarding', 'high'],
      // Past the bound: the group's receipt still shows the message arrived for the organisation.
      ['ed@woodgrovebank.com', 'forwarding', 'medium'],
    ]);
    expect(findings[4]?.evidence).toContain(
      'internal-recipient: the same Message-ID was received for partners@contoso.com (RECEIVE, line N)',
    );
  });
});

describe('a redirect to an outside address, exported newest first', () => {
  it('gives the findings of the export as written, with the same evidence in the same order', async () => {
    const oldestFirst = await analysed(REDIRECT, SAMPLE_DOMAINS);
    const redirected = oldestFirst.findings.find((f) => f.scenario === 'forwarding');
    expect(redirected?.forwardedFrom).toEqual({ kind: 'redirect', address: 'kate@contoso.com' });
    expect(redirected?.evidence).toContain(
      'redirect-event: REDIRECT on line N: kate@contoso.com was redirected to kate@tailspintoys.com',
    );
    expect(await analysed(`${DIR}/redirect-reversed.csv`, SAMPLE_DOMAINS)).toEqual(oldestFirst);
  });
});

describe('a log joined with itself (overlapping windows, a copy appended)', () => {
  it('keeps each forwarding: a row read twice does not take the place of another row of the message', async () => {
    const log = await readFile('test/fixtures/real-world/mta-logs/exim-all_parents.mainlog', 'utf8');
    const scenarios = async (content: string) =>
      (await analyzeFiles([{ name: 'mainlog', content }], { year: 2026 })).findings.map((finding) => [
        finding.recipient,
        finding.scenario,
      ]);
    const once = await scenarios(log);
    expect(once.filter(([, scenario]) => scenario === 'forwarding').length).toBeGreaterThan(1);
    expect(await scenarios(log + log)).toEqual(once);
  });
});
