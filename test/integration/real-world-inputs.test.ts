/**
 * Files as they travel (docs/domain.md §5), through the CLI in-process with `--no-store --json`:
 * logs joined into one file, tracking rows without their header, and inputs relay-audit does not
 * read, which it must name. Fixtures: test/fixtures/real-world/ (described in its README.md).
 */
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { analyzeNoStore, type NoStoreRun } from '../support/analyze-no-store.js';

const DIR = 'test/fixtures/real-world';
const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

/** Findings as `[line, recipient, scenario]`, in output order. */
async function analyse(file: string): Promise<NoStoreRun<[number, string, string]>> {
  const run = await analyzeNoStore(`${DIR}/${file}`, ...DOMAINS);
  return {
    ...run,
    findings: run.findings.map((finding): [number, string, string] => [
      finding.source.line,
      finding.recipient,
      finding.scenario,
    ]),
  };
}

function accountedFor(source: SourceRecord): void {
  expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
}

describe('logs joined into one file', () => {
  it('reads an Exchange 2013 part and a 2019 part, each with its own BOM, preamble and #Fields: line', async () => {
    const { status, source, findings } = await analyse('MSGTRK-joined-EX2013-EX2019.LOG');
    expect(status).toBe(0);
    expect(source).toMatchObject({
      status: 'done',
      format: 'exchange-tracking-log',
      // Preamble lines (and the BOM before the second one) are not rows, as in a single log.
      rowsRead: 7,
      rowsAnalysed: 7,
      rowsSkipped: 0,
    });
    accountedFor(source);
    expect(findings).toEqual([
      [8, 'buyer@litware.com', 'foreign-sender-domain'],
      [16, 'vendor@adatum.com', 'connector-mismatch'],
    ]);
    expect(source.notes?.map((note) => note.message)).toEqual([
      'line 14: a new #Fields: line (30 fields, Exchange 2016/2019); the rows after it are read with its fields',
    ]);
  });
});

describe('tracking rows without their header', () => {
  it('reads 30-field rows of a SIEM export as Exchange 2016/2019 rows and says so', async () => {
    const { status, source, findings } = await analyse('siem-export-EX2019-headerless.csv');
    expect(status).toBe(0);
    expect(source).toMatchObject({
      status: 'done',
      format: 'exchange-tracking-log',
      rowsRead: 3,
      rowsSkipped: 0,
    });
    accountedFor(source);
    expect(findings).toEqual([[2, 'vendor@adatum.com', 'connector-mismatch']]);
    expect(source.notes?.map((note) => note.message)).toEqual([
      'no #Fields: header: 3 rows of 30 fields (first on line 1) read with the Exchange 2016/2019 field list, inferred from the field count',
    ]);
  });

  it('reads 27- and 30-field rows mixed in one shipped file, each with its own field list', async () => {
    const { source, findings } = await analyse('shipped-MSGTRK-EX2013-EX2019-headerless.log');
    expect(source).toMatchObject({ status: 'done', rowsRead: 7, rowsAnalysed: 7, rowsSkipped: 0 });
    accountedFor(source);
    expect(findings).toEqual([
      [4, 'buyer@litware.com', 'foreign-sender-domain'],
      [5, 'vendor@adatum.com', 'connector-mismatch'],
    ]);
    expect(source.notes?.map((note) => note.message)).toEqual([
      expect.stringMatching(
        /^no #Fields: header: 4 rows of 27 fields \(first on line 1\) read with the Exchange 2013 field list/,
      ),
      expect.stringMatching(
        /^no #Fields: header: 3 rows of 30 fields \(first on line 2\) read with the Exchange 2016\/2019/,
      ),
    ]);
  });
});

describe('a Graph getDetailsByRecipient page saved as a file', () => {
  it('is read: the fail event is a refusal of the recipient its @odata.context names', async () => {
    const { status, source, findings } = await analyse('graph-message-trace-details.json');
    expect(status).toBe(0);
    expect(source).toMatchObject({
      status: 'done',
      format: 'message-trace-json',
      rowsRead: 2,
      rowsAnalysed: 2,
    });
    accountedFor(source);
    // No trace record names the sender: without ATTR36 the rules say connector-mismatch.
    expect(findings).toEqual([[13, 'vendor@adatum.com', 'connector-mismatch']]);
  });
});

describe('an SMTP send protocol log', () => {
  it('is read: its refused RCPT TO is a finding, every row accounted for', async () => {
    const { status, source, findings } = await analyse('SEND20261128-1.LOG');
    expect(status).toBe(0);
    expect(source).toMatchObject({
      status: 'done',
      format: 'exchange-protocol-log',
      rowsRead: 19,
      rejections: 1,
    });
    accountedFor(source);
    expect(findings).toEqual([[20, 'vendor@adatum.com', 'connector-mismatch']]);
  });
});

describe('inputs relay-audit does not read are named as what they are', () => {
  it.each([
    [
      'shipped-tracking-events.ndjson',
      /JSON, not CSV: newline-delimited JSON \(one object per line, as log shippers write\) of message tracking events, which relay-audit does not read yet\. Analyse the MSGTRK\*\.LOG files/,
    ],
  ])('%s', async (file, message) => {
    const { status, source, findings } = await analyse(file);
    expect(status).toBe(1);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT', rowsRead: 0 });
    expect(source.errorMessage).toMatch(message);
    // Never its first data row listed as "headers".
    expect(source.errorMessage).not.toMatch(/has the headers|is no header relay-audit knows/);
    // Named, it gets no list of the formats read.
    expect(source.errorMessage).not.toMatch(/Known formats:/);
    expect(findings).toEqual([]);
  });
});
