/**
 * Message trace detail exports (CSV and JSON) whose refusal, envelope sender or recipient is not
 * where the reader first looks: the error only in `Data`, the P1 on another row of the message (in
 * either order), a Graph page's `@odata.context` after its records or percent-encoded, an array of
 * pages. Fixtures: test/fixtures/real-world/trace-readers/ (described in its README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/trace-readers';

async function analyseFixture(file: string) {
  const run = await analyzeFiles([{ name: file, content: readFileSync(`${DIR}/${file}`) }]);
  const source = run.sources[0];
  expect(source).toMatchObject({ status: 'done', rowsSkipped: 0 });
  return run;
}

/** What each finding says of who sent what to whom, in the file's order. */
const summary = (findings: readonly Finding[]) =>
  findings.map((f) => [f.source.line, f.recipient, f.scenario, f.returnPath, f.confidence]);

const REFUSAL =
  'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}].';

describe('Get-MessageTraceDetail | Export-Csv', () => {
  it('finds the refusal a Fail row carries only in Data, as the JSON reader does', async () => {
    const { findings } = await analyseFixture('detail-error-in-data.csv');
    expect(summary(findings)).toEqual([
      [3, 'orders@adatum.com', 'foreign-sender-domain', 'scanner@fabrikam.com', 'high'],
    ]);
    expect(findings[0]?.attr).toBe('ATTR36');
  });

  it('attributes the refusal by the P1 the Receive row names in Data', async () => {
    const { findings } = await analyseFixture('detail-returnpath-in-data.csv');
    expect(summary(findings)).toEqual([
      [3, 'orders@adatum.com', 'foreign-sender-domain', 'bounce@mailer.fabrikam.com', 'high'],
    ]);
    expect(findings[0]).toMatchObject({ sender: 'noreply@contoso.com', senderDomain: 'mailer.fabrikam.com' });
    expect(findings[0]?.evidence.map((e) => e.kind)).toContain('return-path');
  });

  it('takes the P1 of a Receive row after the Fail row (newest first), for that trace id only', async () => {
    const { findings } = await analyseFixture('detail-newest-first-ndr.csv');
    expect(summary(findings)).toEqual([
      [2, 'ap@litware.com', 'connector-mismatch', undefined, 'low'],
      [3, 'orders@adatum.com', 'ndr', '', 'high'],
    ]);
  });
});

describe('Microsoft Graph getDetailsByRecipient pages', () => {
  it('gives the records the recipient and trace id of an @odata.context written after them', async () => {
    const { findings } = await analyseFixture('graph-details-context-last.json');
    expect(summary(findings)).toEqual([
      [12, 'vendor@adatum.com', 'connector-mismatch', 'scanner@contoso.com', 'high'],
    ]);
    expect(findings[0]?.evidence.map((e) => e.kind)).not.toContain('recipient-unknown');
  });

  it('decodes a percent-encoded recipient in @odata.context', async () => {
    const { findings } = await analyseFixture('graph-details-context-encoded.json');
    expect(summary(findings)).toEqual([
      [13, 'vendor@adatum.com', 'connector-mismatch', 'scanner@contoso.com', 'high'],
    ]);
  });

  it('reads an array of pages page by page, each with its own context whatever its key order', async () => {
    const { findings, sources } = await analyseFixture('graph-detail-pages-array.json');
    expect(sources[0]).toMatchObject({ rowsRead: 4, rowsAnalysed: 4 });
    expect(summary(findings)).toEqual([
      [14, 'vendor@adatum.com', 'connector-mismatch', 'scanner@contoso.com', 'high'],
      [36, 'sales@adatum.com', 'connector-mismatch', 'scanner@contoso.com', 'high'],
    ]);
  });

  it('never lends a page’s context to the next page joined in the same file', async () => {
    const page = (records: object[], context?: string) =>
      JSON.stringify({ value: records, ...(context === undefined ? {} : { '@odata.context': context }) });
    const fail = (id: string) => ({
      id,
      dateTime: '2026-11-28T10:02:12.8Z',
      event: 'fail',
      description: REFUSAL,
      messageId: `<${id}@app01.contoso.com>`,
    });
    const context =
      "https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces('4f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f')/getDetailsByRecipient(recipientAddress='o''brien%40adatum.com')";
    // The second page (a function's answer, saved without its context) is another message's.
    const { findings } = await analyzeFiles([
      { name: 'pages.json', content: `${page([fail('d1')], context)}\n${page([fail('d2')])}\n` },
    ]);
    expect(findings.map((f) => [f.source.line, f.recipient])).toEqual([
      [1, "o'brien@adatum.com"],
      [2, ''],
    ]);
  });

  it('reads a context whose escapes are malformed as written, without failing', async () => {
    const content = JSON.stringify({
      '@odata.context':
        "https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces('4f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f')/getDetailsByRecipient(recipientAddress='vendor%E0%A4adatum%40adatum.com')",
      value: [
        { dateTime: '2026-11-28T10:02:12.8Z', event: 'fail', description: REFUSAL, messageId: '<J2@x>' },
      ],
    });
    const { findings, sources } = await analyzeFiles([{ name: 'details.json', content }]);
    expect(sources[0]).toMatchObject({ status: 'done', rowsAnalysed: 1 });
    expect(findings.map((f) => f.recipient)).toEqual(['vendor%e0%a4adatum@adatum.com']);
  });
});
