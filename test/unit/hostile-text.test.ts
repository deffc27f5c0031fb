/**
 * A sender "domain" is whatever a log line says it is. One with line breaks and Markdown must not
 * reach the report's next steps or the SNS alert as live text: it is validated where it enters
 * (the classifier), rolled up as "(unknown)" when a stored finding predates that, and everything
 * interpolated into Markdown or the plain-text alert is escaped or put on one line.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { validDomain } from '../../functions/core/analysis/model/domain-name.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { wellFormed } from '../../functions/core/text/well-formed.js';
import { buildReport } from '../../functions/nightly/build-report.js';
import { renderMarkdown } from '../../functions/nightly/markdown.js';
import { singleLine } from '../../functions/nightly/plain-text.js';
import type { NightlyReport } from '../../functions/nightly/report.js';
import { buildSummary } from '../../functions/nightly/summary.js';
import { rollupDomainOf } from '../../functions/store/rollups.js';
import { chunked } from '../support/streams.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'ingest');
/** Line breaks, a heading, a link, HTML and a right-to-left override, in one "domain". */
const HOSTILE = 'evil.com\n\n# Urgent: [reset your connector](https://phish.example)<img src=x>\u202e';
const HOSTILE_ADDRESS = `finance@${HOSTILE}`;

describe('a sender domain is validated where it enters', () => {
  it('accepts letters, digits, hyphens and dots, and IDNs (as punycode)', () => {
    expect(validDomain('Contoso.COM')).toBe('contoso.com');
    expect(validDomain('mail-1.fabrikam.co.uk.')).toBe('mail-1.fabrikam.co.uk');
    expect(validDomain('xn--bcher-kva.de')).toBe('xn--bcher-kva.de');
    expect(validDomain('bücher.de')).toBe('xn--bcher-kva.de');
  });

  it('refuses anything else', () => {
    for (const bad of [
      HOSTILE,
      'a b.com',
      'evil.com\n',
      '-evil.com',
      'evil..com',
      'e_vil.com',
      '[10.0.0.1]',
      '',
    ]) {
      expect(validDomain(bad), JSON.stringify(bad)).toBeUndefined();
    }
    expect(validDomain(`${'a'.repeat(64)}.com`)).toBeUndefined();
  });

  it('leaves the sender domain of a finding from a hostile log line unset', async () => {
    const log = (await readFile(join(FIXTURES, 'MSGTRK-fixture.LOG'), 'latin1')).replaceAll(
      'Finance@Contoso.COM,Finance@Contoso.COM',
      `"${HOSTILE_ADDRESS}","${HOSTILE_ADDRESS}"`,
    );
    const findings: Finding[] = [];
    await analyze(
      [
        {
          name: 'MSGTRK-hostile.LOG',
          sourceId: 'hostile',
          open: () => chunked(Buffer.from(log, 'latin1'), 65_536),
        },
      ],
      {
        domains: parseAcceptedDomains(
          await readFile(join(FIXTURES, 'accepted-domains.csv'), 'utf8'),
          'd.csv',
        ),
        sink: { putFindings: async (batch) => findings.push(...batch), putSource: async () => undefined },
      },
    );
    const hostile = findings.filter((finding) => finding.returnPath?.includes('phish.example'));
    expect(hostile.length).toBeGreaterThan(0);
    for (const finding of hostile) expect(finding.senderDomain).toBeUndefined();
  });

  it('rolls up a stored finding with such a domain (from before the check) as (unknown)', () => {
    expect(rollupDomainOf({ senderDomain: HOSTILE, returnPath: HOSTILE_ADDRESS } as Finding)).toBe(
      '(unknown)',
    );
    expect(rollupDomainOf({ senderDomain: 'Fabrikam.com' } as Finding)).toBe('fabrikam.com');
  });
});

/** A report that names the hostile domain as new: what a report built before the checks held. */
function hostileReport(): NightlyReport {
  const report = buildReport({
    date: '2026-12-01',
    window: { from: '2026-11-29', to: '2026-12-01' },
    today: [
      {
        date: '2026-12-01',
        scenario: 'foreign-sender-domain',
        senderDomain: 'fabrikam.com',
        server: 'ex01',
        count: 3,
      },
    ],
    history: [],
    days: [],
    reclassified: { count: 0, findings: [] },
  });
  const swap = (text: string) => text.replaceAll('fabrikam.com', HOSTILE);
  return {
    ...report,
    newSenderDomains: report.newSenderDomains.map((line) => ({ ...line, domain: swap(line.domain) })),
    topSenderDomains: report.topSenderDomains.map((line) => ({ ...line, domain: swap(line.domain) })),
    nextSteps: report.nextSteps.map(swap),
  };
}

describe('everything interpolated into the report and the alert is inert', () => {
  it('escapes the Markdown report, next steps included', () => {
    const report = hostileReport();
    expect(report.nextSteps.join('\n')).toContain('# Urgent');
    const markdown = renderMarkdown(report);
    const lines = markdown.split('\n');
    // No heading, link, image or HTML of the data's own making.
    expect(lines.filter((line) => /^#+ Urgent/.test(line))).toEqual([]);
    expect(markdown).not.toMatch(/(?<!\\)\[reset your connector(?<!\\)\]\(/);
    expect(markdown).not.toMatch(/(?<!\\)<img/);
    expect(markdown).not.toContain('\u202e');
    expect(markdown).not.toContain('https://phish');
    const step = lines.find((line) => line.startsWith('1. ') && line.includes('Urgent'));
    expect(step).toContain(
      '\\# Urgent\\: \\[reset your connector\\]\\(https\\://phish.example\\)\\<img src=x\\>',
    );
  });

  it('prints the command a next step ends with as a code span, as it is, so it runs as printed', () => {
    const command =
      "relay-audit findings --scenario ndr --since 2026-11-28 --until 2026-11-28 --db '/tmp/my db_x (1)'";
    const report = {
      ...hostileReport(),
      nextSteps: [`NDRs (ndr, 2 findings): see ${command}`, 'a `tick` relay-audit x `y`'],
    };
    const lines = renderMarkdown(report).split('\n');
    expect(lines).toContain(`1. NDRs \\(ndr, 2 findings\\)\\: see \`${command}\``);
    // A backtick inside cannot end the span early: the fence is longer than any run in it.
    expect(lines).toContain('2. a \\`tick\\` `` relay-audit x `y` ``');
  });

  it('cuts a long value between characters, never inside an emoji (half a pair is no character)', () => {
    for (const max of [10, 11]) {
      const cut = singleLine(`${'a'.repeat(8)}${'\u{1F600}'.repeat(5)}`, max);
      expect(cut.endsWith('…')).toBe(true);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(wellFormed(cut)).toBe(cut);
    }
  });

  it('keeps each value of the plain-text alert on its own line, without control characters', () => {
    const { body } = buildSummary(hostileReport(), 3);
    const lines = body.split('\n');
    expect(lines.filter((line) => line.trimStart().startsWith('# Urgent'))).toEqual([]);
    expect(body).not.toContain('\u202e');
    const domainLine = lines.find((line) => line.includes('evil.com'));
    expect(domainLine).toMatch(
      /^ {2}evil\.com # Urgent: \[reset your connector\]\(https:\/\/phish\.example\)<img src=x>: 3$/,
    );
    const steps = lines.filter((line) => /^ {2}\d+\. /.test(line));
    expect(steps.some((line) => line.includes('evil.com # Urgent'))).toBe(true);
  });
});
