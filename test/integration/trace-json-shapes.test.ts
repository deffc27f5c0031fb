/**
 * Message trace JSON as PowerShell and Graph recipes shape it: a Graph trace whose details are nested
 * as PowerShell's `@{id=…; event=…; description=…}` text (`ConvertTo-Json` at its default depth),
 * detail pages kept as arrays in an array, an array of Graph pages whose records became that text,
 * `getDetailsByRecipient` responses as Microsoft documents them (every record's `id` the trace id), a
 * compact page followed by a pretty-printed one, and Defender's EmailEvents as CSV. None may end in
 * "nothing to fix" while a refusal is in the file; refusals of two recipients stay two.
 * Fixtures: test/fixtures/real-world/trace-json-shapes/ (described in its README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeNoStore, type FindingRow, findingRow, type NoStoreRun } from '../support/analyze-no-store.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/trace-json-shapes';

async function analyse(file: string): Promise<NoStoreRun<FindingRow>> {
  const run = await analyzeNoStore(`${DIR}/${file}`, '--accepted-domains', 'contoso.com');
  return { ...run, findings: run.findings.map(findingRow) };
}

const fixture = (file: string) => readFileSync(`${DIR}/${file}`, 'utf8');

describe('a Graph trace with its details nested as PowerShell text', () => {
  it('reads the @{id=…; event=…; description=…} text like the objects it stands for', async () => {
    const text = await analyse('graph-traces-details-text.json');
    const objects = await analyse('graph-traces-details-objects.json');
    expect(text.status).toBe(0);
    expect(text.source).toMatchObject({ status: 'done', rowsRead: 2, rowsAnalysed: 2, rowsSkipped: 0 });
    // A Failed trace's 5.7.64 and a Pending trace's 4.4.62 deferral, each with its recipient.
    expect(
      text.findings.map(([, recipient, scenario, timestamp]) => [recipient, scenario, timestamp]),
    ).toEqual([
      ['orders@adatum.com', 'foreign-sender-domain', '2026-11-28T22:20:02.000Z'],
      ['oncall@litware.com', 'wrong-region', '2026-11-28T22:15:03.000Z'],
    ]);
    expect(text.findings.map(([, ...rest]) => rest)).toEqual(objects.findings.map(([, ...rest]) => rest));
  });

  it('fails the file naming the line of a trace whose refusal text is in a form not read', async () => {
    const { status, source, findings } = await analyse('graph-traces-details-json-text.json');
    expect(status).toBe(1);
    expect(findings).toEqual([]);
    // Line 2: a delivered message whose Subject quotes a refusal is read; line 14's details, stored as
    // JSON text, hold the refusal that was not read.
    expect(source).toMatchObject({
      status: 'failed',
      errorCode: 'REFUSAL_NOT_READ',
      rowsRead: 2,
      rowsAnalysed: 1,
      rowsSkipped: 1,
    });
    expect(source.skipped).toEqual([
      {
        line: 14,
        reason: 'REFUSAL_NOT_READ',
        column: 'details',
        message:
          'no relay refusal was read from this record, yet its "details" holds relay-refusal text (5.7.64) in a form relay-audit does not read',
      },
    ]);
    expect(source.errorMessage).toMatch(/graph-traces-details-json-text\.json: line 14 could not be read/);
  });
});

describe('records in arrays of arrays', () => {
  it('reads detail pages kept as arrays, the last page one bare record', async () => {
    const { status, source, findings } = await analyse('v2-detail-pages-list.json');
    expect(status).toBe(0);
    expect(source).toMatchObject({ status: 'done', rowsRead: 5, rowsAnalysed: 5, rowsSkipped: 0 });
    expect(findings.map(([line, recipient, scenario]) => [line, recipient, scenario])).toEqual([
      [14, 'orders@adatum.com', 'foreign-sender-domain'],
      [38, 'ap@adatum.com', 'connector-mismatch'],
      [50, 'ar@adatum.com', 'connector-mismatch'],
    ]);
  });

  it('reads the @{…} text records of an array of Graph pages written at the default depth', async () => {
    const { status, source, findings } = await analyse('graph-detail-pages-default-depth.json');
    expect(status).toBe(0);
    expect(source).toMatchObject({ status: 'done', rowsRead: 4, rowsAnalysed: 4, rowsSkipped: 0 });
    // Two recipients' pages that name neither: two refusals, the P1 of the Receive record joined.
    expect(findings.map(([line, recipient, scenario]) => [line, recipient, scenario])).toEqual([
      [6, '', 'connector-mismatch'],
      [13, '', 'connector-mismatch'],
    ]);
  });

  it('skips an @{…} text that is no trace detail with its line, saying to export with -Depth', async () => {
    const page = {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#admin/exchange/tracing/messageTraces',
      value: [
        '@{id=8b3c4d5e-6f7a-4b2c-8d3e-4f5a6b7c8d03; senderAddress=billing@contoso.com; recipientAddress=ap@adatum.com; receivedDateTime=11/28/2026 22:25:01; status=failed}',
      ],
    };
    const { sources } = await analyzeFiles([
      { name: 'pages.json', content: JSON.stringify([page], null, 2) },
    ]);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'NO_USABLE_ROWS' });
    expect(sources[0]?.skipped).toEqual([
      {
        line: 5,
        reason: 'NOT_A_TRACE_RECORD',
        message:
          "PowerShell's text of an object (@{…}), written where ConvertTo-Json reached its -Depth, and no trace detail: export again with ConvertTo-Json -Depth 10",
      },
    ]);
  });
});

describe('getDetailsByRecipient as Microsoft documents it', () => {
  it('keeps two recipients’ refusals apart although every record carries the trace id', async () => {
    const { status, source, findings } = await analyse('graph-details-documented-shape.json');
    expect(status).toBe(0);
    expect(source).toMatchObject({ status: 'done', rowsRead: 4, rowsAnalysed: 4 });
    expect(findings.map(([line, recipient, , timestamp]) => [line, recipient, timestamp])).toEqual([
      [13, '', '2026-11-28T22:25:02.000Z'],
      [36, '', '2026-11-28T22:25:04.000Z'],
    ]);
  });

  it('joins the envelope sender of the Receive record by Message-ID: billing@contoso.com is accepted', async () => {
    const { findings } = await analyse('graph-details-documented-shape.json');
    expect(findings.map(([, , scenario]) => scenario)).toEqual(['connector-mismatch', 'connector-mismatch']);
  });

  it('reads the same pages saved twice as the same two refusals', async () => {
    const content = fixture('graph-details-documented-shape.json');
    const { findings, result } = await analyzeFiles([
      { name: 'details.json', content },
      { name: 'details-again.json', content },
    ]);
    expect(findings.map((f) => [f.source.file, f.source.line])).toEqual([
      ['details.json', 13],
      ['details.json', 36],
    ]);
    expect(new Set(findings.map((f) => f.id)).size).toBe(2);
    expect([result.rejections, result.duplicates]).toEqual([4, 2]);
  });

  it('takes no envelope sender by Message-ID when two Receive records of it name different ones', async () => {
    const content = fixture('graph-details-documented-shape.json').replace(
      'String=\\"billing@contoso.com\\"',
      'String=\\"billing@fabrikam.com\\"',
    );
    const { findings } = await analyzeFiles([{ name: 'details.json', content }]);
    // Which one is the refused copy's the file cannot tell: the sender is unknown, not guessed.
    expect(findings.map((f) => [f.returnPath, f.scenario])).toEqual([
      [undefined, 'foreign-sender-domain'],
      [undefined, 'foreign-sender-domain'],
    ]);
  });
});

describe('compact and pretty-printed JSON values in one file', () => {
  it('reads a pretty-printed page after a one-line page, its context and records whole', async () => {
    const { status, source, findings } = await analyse('graph-pages-compact-then-pretty.json');
    expect(status).toBe(0);
    expect(source).toMatchObject({ status: 'done', rowsRead: 4, rowsAnalysed: 4, rowsSkipped: 0 });
    expect(findings.map(([line, recipient, scenario]) => [line, recipient, scenario])).toEqual([
      [1, 'orders@adatum.com', 'foreign-sender-domain'],
      [14, 'ap@adatum.com', 'connector-mismatch'],
    ]);
  });

  it('still cuts an NDJSON line that ends after a comma, reading the next line', async () => {
    const record = (recipient: string) =>
      JSON.stringify({
        Date: '2026-11-28T22:20:02Z',
        Event: 'Fail',
        Detail: '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
        MessageId: `<${recipient}@scan01.contoso.local>`,
        MessageTraceId: '6f1e2d3c-4b5a-4987-8c6d-5e4f3a2b1c01',
        RecipientAddress: recipient,
      });
    const cut = record('one@adatum.com');
    // Cut by a shipper's line limit right after the Detail's comma.
    const text = `${cut.slice(0, cut.indexOf('"MessageId"'))}\n${record('two@adatum.com')}\n`;
    const { findings, sources } = await analyzeFiles([{ name: 'shipped.ndjson', content: text }]);
    expect(findings.map((f) => [f.source.line, f.recipient])).toEqual([[2, 'two@adatum.com']]);
    expect(sources[0]?.skipped).toEqual([
      {
        line: 1,
        reason: 'REFUSAL_NOT_READ',
        message: 'the line ends before its JSON object does, yet it holds relay-refusal text (5.7.64)',
      },
    ]);
  });
});

describe('Defender EmailEvents as JSON (its API, runHuntingQuery)', () => {
  it('is named as Defender EmailEvents, with the line that holds the refusal', async () => {
    const { status, source } = await analyse('defender-emailevents-api.json');
    expect(status).toBe(1);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(source.errorMessage).toMatch(
      /defender-emailevents-api\.json: JSON, not CSV: Microsoft Defender Advanced hunting EmailEvents records/,
    );
    expect(source.errorMessage).toMatch(/Line 29 holds a relay refusal \(550 5\.7\.64 TenantAttribution/);
    expect(source.errorMessage).not.toMatch(/JSON that is no message trace/);
  });
});

describe('Defender EmailEvents as CSV', () => {
  it('is named by its header, with the line that holds the refusal', async () => {
    const { status, source } = await analyse('defender-emailevents.csv');
    expect(status).toBe(1);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(source.errorMessage).toMatch(
      /defender-emailevents\.csv: looks like Microsoft Defender Advanced hunting EmailEvents rows \(its header on line 1: /,
    );
    expect(source.errorMessage).toMatch(/Line 2 holds a relay refusal \(550 5\.7\.64 TenantAttribution/);
    expect(source.errorMessage).not.toMatch(/tracking log row without its #Fields: header/);
  });
});
