/**
 * Every bundled sample, analysed in one run as `npm start` does, against the expected findings
 * listed in sample-logs/README.md (file, line, recipient, scenario).
 */

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { type AnalysisResult, analyze } from '../../functions/core/analysis/analyze.js';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { MemorySink } from '../support/memory-sink.js';

const EXPECTED: [file: string, line: number, recipient: string, scenario: string][] = [
  ['MSGTRK2026112800-1.LOG', 18, 'supplier@litware.com', 'connector-mismatch'],
  ['MSGTRK2026112800-1.LOG', 23, 'vendor@adatum.com', 'foreign-sender-domain'],
  ['MSGTRK2026112800-1.LOG', 25, 'scanner@alerts.contoso.com', 'ndr'],
  ['MSGTRK2026112800-1.LOG', 31, 'auditor@woodgrovebank.com', 'wrong-region'],
  ['MSGTRK2026112800-2.LOG', 6, 'kate@tailspintoys.com', 'forwarding'],
  ['MSGTRK2026112800-2.LOG', 8, 'john@fabrikam.com', 'ndr'],
  ['MSGTRK2026112800-2.LOG', 10, 'john@fabrikam.com', 'ndr'],
  ['MSGTRK2026112800-2.LOG', 17, 'maria@wingtiptoys.com', 'foreign-sender-domain'],
  ['MSGTRK2026112800-2.LOG', 17, 'paul@wingtiptoys.com', 'foreign-sender-domain'],
  ['MSGTRK2026112800-2.LOG', 19, 'noreply@fabrikam.com', 'ndr'],
  ['MSGTRK2026112800-2.LOG', 26, 'accounts@litware.com', 'connector-mismatch'],
  ['MSGTRK2026112800-2.LOG', 26, 'ap@litware.com', 'connector-mismatch'],
  ['MSGTRK2026112800-2.LOG', 34, 'subscriber@proseware.com', 'foreign-sender-domain'],
  ['MSGTRK2026112800-2.LOG', 36, 'bounce@fabrikam.com', 'ndr'],
  ['MSGTRK2013-EX2013.LOG', 19, 'ben.home@tailspintoys.com', 'forwarding'],
  ['MSGTRK2013-EX2013.LOG', 21, 'sales@adventure-works.com', 'ndr'],
  ['MSGTRK2013-EX2013.LOG', 22, 'auditor@woodgrovebank.com', 'wrong-region'],
  ['MSGTRK2010-EX2010.LOG', 12, 'olivia@adventure-works.com', 'ndr'],
  ['MSGTRK2010-EX2010.LOG', 20, 'it@fourthcoffee.com', 'connector-mismatch'],
  ['tracking-export-en-US.csv', 9, 'ap@litware.com', 'connector-mismatch'],
  ['tracking-export-en-US.csv', 9, 'ar@litware.com', 'connector-mismatch'],
  ['tracking-export-en-US.csv', 11, 'treasury@woodgrovebank.com', 'wrong-region'],
  ['tracking-export-en-US.csv', 15, 'kate@tailspintoys.com', 'forwarding'],
  ['tracking-export-en-US.csv', 17, 'john@fabrikam.com', 'ndr'],
  ['tracking-export-en-US.csv', 19, 'john@fabrikam.com', 'ndr'],
  ['tracking-export-en-US.csv', 23, 'reader@proseware.com', 'foreign-sender-domain'],
  ['tracking-export-nl-NL.csv', 8, 'pieter@fabrikam.com', 'ndr'],
  ['tracking-export-nl-NL.csv', 12, 'jan.devries@adventure-works.com', 'ndr'],
  ['tracking-export-nl-NL.csv', 14, 'klant@wingtiptoys.com', 'foreign-sender-domain'],
  ['tracking-export-nl-NL.csv', 14, 'klant2@wingtiptoys.com', 'foreign-sender-domain'],
  ['tracking-export-nl-NL.csv', 16, 'inkoop@litware.com', 'connector-mismatch'],
  ['tracking-export-de-DE.csv', 9, 'max@adventure-works.com', 'ndr'],
  ['tracking-export-de-DE.csv', 11, 'lieferant@adatum.com', 'foreign-sender-domain'],
  ['tracking-export-de-DE.csv', 16, 'jweber@tailspintoys.com', 'forwarding'],
  ['tracking-export-de-DE.csv', 18, 'controlling@woodgrovebank.com', 'wrong-region'],
  ['message-trace-detail.csv', 3, 'orders@adatum.com', 'foreign-sender-domain'],
  ['historical-search-extended.csv', 6, 'lars@proseware.com', 'ndr'],
  ['historical-search-extended.csv', 7, 'mike@wingtiptoys.com', 'ndr'],
  ['historical-search-extended.csv', 15, 'billing@litware.com', 'connector-mismatch'],
  ['historical-search-extended.csv', 17, 'audit@woodgrovebank.com', 'wrong-region'],
];

const FORMATS: Record<string, string> = {
  'MSGTRK2026112800-1.LOG': 'exchange-tracking-log',
  'MSGTRK2026112800-2.LOG': 'exchange-tracking-log',
  'MSGTRK2013-EX2013.LOG': 'exchange-tracking-log',
  'MSGTRK2010-EX2010.LOG': 'exchange-tracking-log',
  'tracking-export-en-US.csv': 'tracking-log-export',
  'tracking-export-nl-NL.csv': 'tracking-log-export',
  'tracking-export-de-DE.csv': 'tracking-log-export',
  'message-trace.csv': 'message-trace',
  'message-trace-detail.csv': 'message-trace-detail',
  'historical-search-summary.csv': 'historical-search-summary',
  'historical-search-extended.csv': 'historical-search-extended',
};

describe('the bundled sample logs', () => {
  let result: AnalysisResult;
  const sink = new MemorySink();

  beforeAll(async () => {
    const domains = parseAcceptedDomains(
      await readFile('sample-logs/config/accepted-domains.csv', 'utf8'),
      'accepted-domains.csv',
    );
    result = await analyze(await localInputs(['sample-logs']), { domains, sink });
  });

  it('detects the format of every file and skips README.md and config/', () => {
    const detected = Object.fromEntries(
      result.sources.map((source) => [basename(source.file), source.format]),
    );
    expect(detected).toEqual(FORMATS);
    for (const source of result.sources) expect(SourceRecord.safeParse(source).success).toBe(true);
  });

  it('finds exactly the expected findings, each once', () => {
    const found = [...sink.findings.values()]
      .map((f) => [basename(f.source.file), f.source.line, f.recipient, f.scenario])
      .sort((a, b) => String(a).localeCompare(String(b)));
    expect(found).toEqual([...EXPECTED].sort((a, b) => String(a).localeCompare(String(b))));
    expect(result.duplicates).toBe(2);
    expect(result.unclassified).toBe(0);
    for (const finding of sink.findings.values()) expect(Finding.safeParse(finding).success).toBe(true);
  });

  it('accounts for every row: read = analysed + skipped', () => {
    for (const source of result.sources) {
      expect(source.status).toBe('done');
      expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
      expect(source.rowsRead).toBeGreaterThan(10);
    }
  });

  it('reports System.String[] cells with line and column instead of reading them as addresses', () => {
    const export_ = result.sources.find((source) => source.file.endsWith('tracking-export-en-US.csv'));
    expect(export_?.skipped).toEqual([
      expect.objectContaining({ line: 25, reason: 'SYSTEM_STRING_ARRAY', column: 'Recipients' }),
      expect.objectContaining({ line: 26, reason: 'SYSTEM_STRING_ARRAY', column: 'Recipients' }),
    ]);
    const addresses = [...sink.findings.values()].flatMap((f) => [f.recipient, f.sender, f.returnPath]);
    expect(addresses).not.toContain('system.string[]');
  });

  it('classifies by P1 and keeps the header sender apart', () => {
    const bounce = [...sink.findings.values()].find((f) => f.recipient === 'subscriber@proseware.com');
    expect(bounce).toMatchObject({ returnPath: 'bounce@fabrikam.com', senderDomain: 'fabrikam.com' });
    expect(bounce?.sender).not.toBe(bounce?.returnPath);
  });

  it('normalises culture timestamps to UTC', () => {
    const timestamps = [...sink.findings.values()]
      .filter((f) => f.source.file.includes('tracking-export'))
      .map((f) => f.timestamp);
    for (const timestamp of timestamps) expect(timestamp).toMatch(/^2026-11-2[78]T\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('handing findings to the sink', () => {
  it('never passes more than batchSize findings per call, even when the window releases them all at once', async () => {
    // Prepare: the samples fit in one window, so every finding is released at the end of the run.
    const domains = parseAcceptedDomains(
      await readFile('sample-logs/config/accepted-domains.csv', 'utf8'),
      'accepted-domains.csv',
    );
    const calls: number[] = [];
    const sink = new MemorySink();
    const counting = {
      putFindings: async (findings: Finding[]) => {
        calls.push(findings.length);
        await sink.putFindings(findings);
      },
      putSource: (record: SourceRecord) => sink.putSource(record),
    };

    // Act
    await analyze(await localInputs(['sample-logs']), { domains, sink: counting, batchSize: 7 });

    // Assess
    expect(sink.findings.size).toBe(EXPECTED.length);
    expect(Math.max(...calls)).toBe(7);
    expect(calls.reduce((sum, count) => sum + count, 0)).toBe(EXPECTED.length);
  });
});
