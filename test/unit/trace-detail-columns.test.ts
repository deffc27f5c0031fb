/**
 * Message trace CSV exports that carry the failure's reason in a column a trace does not have: a
 * `Details` column of PowerShell's `@{…}` text of the detail (the CSV twin of the JSON shape), a
 * report script's `Event`/`Detail`/`SmtpResponses`. The reason is read as the JSON reader reads it;
 * one in a form not read fails the file naming its line — never "no relay refusals".
 * Fixtures: test/fixtures/real-world/trace-detail-columns/ (described in its README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/trace-detail-columns';
const fixture = (file: string) => ({ name: file, content: readFileSync(`${DIR}/${file}`) });

const REFUSAL =
  'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}].';
const HEADER =
  '"Received","SenderAddress","RecipientAddress","Subject","Status","MessageId","MessageTraceId"';

/** A message trace row, its cells quoted as Export-Csv writes them. */
const row = (...cells: string[]) => cells.map((cell) => `"${cell.replaceAll('"', '""')}"`).join(',');

/** A finding without where it was read, to compare the findings of two files. */
const unsourced = ({ source: _source, ...finding }: Finding) => finding;

const summary = (findings: readonly Finding[]) =>
  findings.map((f) => [f.source.line, f.recipient, f.sender, f.scenario, f.code, f.timestamp]);

describe('a message trace CSV with the reason in a column', () => {
  it("reads a Details cell's @{…} detail as the JSON reader reads the same object: the same finding", async () => {
    const csv = await analyzeFiles([fixture('trace-v2-pending-defer-details.csv')]);
    const json = await analyzeFiles([fixture('trace-v2-pending-defer-details.json')]);
    expect(csv.sources[0]).toMatchObject({ format: 'message-trace', status: 'done', rowsSkipped: 0 });
    expect(summary(csv.findings)).toEqual([
      [2, 'buyer@litware.com', 'reports@contoso.com', 'wrong-region', '4.4.62', '2026-11-28T22:15:03.000Z'],
    ]);
    expect(csv.findings.map(unsourced)).toEqual(json.findings.map(unsourced));
  });

  it("reads a remote session's Failed row and its Fail detail: the failure is explained", async () => {
    const { result, findings, sources } = await analyzeFiles([fixture('trace-v2-session-fail-details.csv')]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: 2, rowsAnalysed: 2, rowsSkipped: 0 });
    expect(summary(findings)).toEqual([
      [
        2,
        'orders@adatum.com',
        'scanner@fabrikam.com',
        'foreign-sender-domain',
        '5.7.64',
        '2026-11-28T22:15:03.000Z',
      ],
    ]);
    expect(findings[0]).toMatchObject({ messageId: '7E1F0C2A.1B3D@scan01.contoso.local', attr: 'ATTR36' });
    // The trace's Failed row has its reason in the same file: no "failed without a reason".
    expect(result.unexplainedFailures).toBe(0);
  });

  it("reads a report script's Detail, or its SmtpResponses when Detail is System.Object[]", async () => {
    const { result, findings, sources } = await analyzeFiles([fixture('report-script-reason-columns.csv')]);
    expect(sources[0]).toMatchObject({ format: 'message-trace', status: 'done', rowsSkipped: 0 });
    expect(summary(findings)).toEqual([
      [
        2,
        'buyer@litware.com',
        'reports@fabrikam.com',
        'foreign-sender-domain',
        '5.7.64',
        '2026-11-28T22:15:02.000Z',
      ],
      [3, 'ops@litware.com', 'alerts@contoso.com', 'wrong-region', '4.4.62', '2026-11-28T23:40:10.000Z'],
    ]);
    expect(result.unexplainedFailures).toBe(0);
  });
});

describe('a message trace row whose reason is in a column not read', () => {
  it('fails the file for Details written by Out-String, naming the line, the other rows read', async () => {
    const { findings, sources } = await analyzeFiles([fixture('trace-details-out-string.csv')]);
    expect(findings).toEqual([]);
    expect(sources[0]).toMatchObject({
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      rowsRead: 2,
      rowsAnalysed: 1,
      rowsSkipped: 1,
    });
    expect(sources[0]?.skipped).toEqual([
      {
        line: 3,
        reason: 'REFUSAL_NOT_READ',
        message:
          'the reason in column "Details" is not in a form relay-audit reads (the message\'s Get-MessageTraceDetailV2 export is), yet it holds relay-refusal text (5.7.64)',
        column: 'Details',
      },
    ]);
    expect(sources[0]?.errorMessage).toMatch(/^trace-details-out-string\.csv: line 3 could not be read — /);
  });

  it('fails the file for a column of any name, but not for a row whose details gave the refusal', async () => {
    const content = [
      `${HEADER},"FailureReason","Details"`,
      row(
        '11/28/2026 10:15:02 PM',
        'scanner@fabrikam.com',
        'orders@adatum.com',
        'Scan',
        'Failed',
        '<F1@scan01.contoso.local>',
        '0b8e6c41-2f5a-4d7e-9c3b-8a1f2e3d4c5b',
        '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
        '',
      ),
      // The same text in FailureReason, and the detail that gives it: read, not skipped.
      row(
        '11/28/2026 10:16:02 PM',
        'scanner@fabrikam.com',
        'sales@adatum.com',
        'Scan',
        'Failed',
        '<F2@scan01.contoso.local>',
        '1c8e6c41-2f5a-4d7e-9c3b-8a1f2e3d4c5b',
        '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
        `@{Date=11/28/2026 10:16:03 PM; Event=Fail; Action=; Detail=${REFUSAL}; Data=}`,
      ),
    ].join('\r\n');
    const { findings, sources } = await analyzeFiles([{ name: 'reasons.csv', content }]);
    expect(summary(findings)).toEqual([
      [
        3,
        'sales@adatum.com',
        'scanner@fabrikam.com',
        'foreign-sender-domain',
        '5.7.64',
        '2026-11-28T22:16:03.000Z',
      ],
    ]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(sources[0]?.skipped.map((s) => [s.line, s.reason, s.column])).toEqual([
      [2, 'REFUSAL_NOT_READ', 'FailureReason'],
    ]);
  });

  it('skips a detail whose Date cannot be read as REFUSAL_NOT_READ, never reads it undated', async () => {
    const content = [
      `${HEADER},"Details"`,
      row(
        '11/28/2026 10:15:02 PM',
        'scanner@fabrikam.com',
        'orders@adatum.com',
        'Scan',
        'Failed',
        '<F1@scan01.contoso.local>',
        '0b8e6c41-2f5a-4d7e-9c3b-8a1f2e3d4c5b',
        `@{Date=yesterday; Event=Fail; Action=; Detail=${REFUSAL}; Data=}`,
      ),
    ].join('\r\n');
    const { findings, sources } = await analyzeFiles([{ name: 'undated.csv', content }]);
    expect(findings).toEqual([]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(sources[0]?.skipped).toEqual([
      {
        line: 2,
        reason: 'REFUSAL_NOT_READ',
        message: '"yesterday" is not a date and time, yet it holds relay-refusal text (5.7.64)',
        column: 'Details',
      },
    ]);
  });

  it("searches only the columns a trace does not have: a refusal code in a row's Subject is no skip", async () => {
    const subject = 'Undeliverable: relay test 550 5.7.64';
    const usual = [
      HEADER,
      row(
        '11/28/2026 10:15:02 PM',
        'a@contoso.com',
        'b@adatum.com',
        subject,
        'Delivered',
        '<D1@contoso.com>',
        '2b8e6c41-2f5a-4d7e-9c3b-8a1f2e3d4c5b',
      ),
    ];
    const withDetails = [
      `${HEADER},"Details"`,
      `${usual[1]},"@{Date=11/28/2026 10:15:03 PM; Event=Deliver; Action=; Detail=The message was delivered.; Data=}"`,
    ];
    const { findings, sources } = await analyzeFiles([
      { name: 'usual.csv', content: usual.join('\r\n') },
      { name: 'with-details.csv', content: withDetails.join('\r\n') },
    ]);
    expect(findings).toEqual([]);
    expect(sources.map((s) => [s.file, s.status, s.rowsAnalysed, s.rowsSkipped])).toEqual([
      ['usual.csv', 'done', 1, 0],
      ['with-details.csv', 'done', 1, 0],
    ]);
  });
});
