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
import { SAMPLE_FINDINGS as EXPECTED, SAMPLE_REPEATED_REFUSALS } from '../support/sample-expectations.js';

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
  'postfix-mail.log': 'postfix-log',
  'sendmail-maillog.log': 'sendmail-log',
  'exim-mainlog.log': 'exim-log',
  'iis-smtp-ex261128.log': 'iis-smtp-log',
  'graph-message-traces.json': 'message-trace-json',
  'graph-trace-details.json': 'message-trace-json',
  'trace-details-convertto-json.json': 'message-trace-json',
  'SEND20261128-1.LOG': 'exchange-protocol-log',
};

/** Files smaller than the rest: a Graph getDetailsByRecipient page holds one recipient's few events. */
const FEW_ROWS: Record<string, number> = { 'graph-trace-details.json': 2 };

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
    // Two DEFER/FAIL pairs in the Exchange samples, the Postfix sample deferring one message twice with
    // 4.4.62, and the refusal of MSGTRK2026112800-1.LOG line 18 seen again in the protocol log.
    expect(result.duplicates).toBe(SAMPLE_REPEATED_REFUSALS);
    expect(result.unclassified).toBe(0);
    for (const finding of sink.findings.values()) expect(Finding.safeParse(finding).success).toBe(true);
  });

  it('accounts for every row: read = analysed + skipped', () => {
    for (const source of result.sources) {
      expect(source.status).toBe('done');
      expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
      const few = FEW_ROWS[basename(source.file)];
      if (few === undefined) expect(source.rowsRead).toBeGreaterThan(10);
      else expect(source.rowsRead).toBe(few);
    }
  });

  it('reports System.String[] cells with line and column instead of reading them as addresses', () => {
    const export_ = result.sources.find((source) => source.file.endsWith('tracking-export-en-US.csv'));
    // Line 26 is a FAIL whose status was not exported: it may be a refusal, but the file's other rows
    // gave refusals, so the file is done and the row is a listed skip.
    expect(export_?.status).toBe('done');
    expect(export_?.skippedByReason).toEqual({ SYSTEM_STRING_ARRAY: 1, STATUS_NOT_EXPORTED: 1 });
    expect(export_?.skipped).toEqual([
      expect.objectContaining({ line: 25, reason: 'SYSTEM_STRING_ARRAY', column: 'Recipients' }),
      expect.objectContaining({
        line: 26,
        reason: 'STATUS_NOT_EXPORTED',
        column: 'RecipientStatus',
        message:
          'the status of this FAIL row was not exported (the cell holds the literal "System.String[]": ' +
          'the list was not joined), so whether it is a relay refusal cannot be told; ' +
          "re-export with @{n='RecipientStatus';e={$_.RecipientStatus -join ';'}}",
      }),
    ]);
    const addresses = [...sink.findings.values()].flatMap((f) => [f.recipient, f.sender, f.returnPath]);
    expect(addresses).not.toContain('system.string[]');
  });

  it("joins the protocol log's session to the tracking log's finding of the same refusal", () => {
    // The Exim sample refuses another message to the same recipient: pick the one of the protocol log.
    const finding = [...sink.findings.values()].find(
      (f) =>
        f.recipient === 'supplier@litware.com' &&
        f.messageId === '28B71A112A349B5EB8F9C29C92482EBE@EX01.contoso.local',
    );
    expect(finding?.source).toMatchObject({ line: 18, format: 'exchange-tracking-log' });
    expect(finding?.evidence).toContainEqual({
      kind: 'presented-certificate',
      detail:
        'EX01.contoso.local presented CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US (SAN mail.contoso.com, autodiscover.contoso.com) after STARTTLS; thumbprint 3C6E1F0B9A42D8E57C1B0F6A2D94E3B8C5A7F102, issued by CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US',
    });
    expect(finding?.remediation.commands).toContain(
      "Set-InboundConnector -Identity '<On-premises inbound connector>' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
    );
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
