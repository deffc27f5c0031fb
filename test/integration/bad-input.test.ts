/** Bad input gets a clear error and loses nothing (test/fixtures/bad/, described in sample-logs/README.md). */
import { describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { parseAcceptedDomains } from '../../functions/core/accepted-domains.js';
import { analyze } from '../../functions/core/analyze.js';
import type { SourceRecord } from '../../functions/core/source-record.js';
import { MemorySink } from '../support/memory-sink.js';

const domains = parseAcceptedDomains('contoso.com,corp.contoso.com', 'test');

async function analyseFixture(name: string): Promise<{ source: SourceRecord; sink: MemorySink }> {
  const sink = new MemorySink();
  const result = await analyze(await localInputs([`test/fixtures/bad/${name}`]), { domains, sink });
  const source = result.sources[0];
  if (!source) throw new Error('no source record');
  return { source, sink };
}

describe('bad input', () => {
  it('names the headers it saw and the formats it knows for an unknown file', async () => {
    const { source } = await analyseFixture('unknown-format.csv');
    expect(source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT', rowsRead: 0 });
    expect(source.errorMessage).toMatch(/DisplayName/);
    expect(source.errorMessage).toMatch(/Exchange Server message tracking log/);
    expect(source.errorMessage).toMatch(/Get-MessageTrackingLog \| Export-Csv/);
  });

  it('reports a truncated last record and keeps the complete rows', async () => {
    const { source } = await analyseFixture('truncated.LOG');
    expect(source).toMatchObject({ status: 'done', rowsRead: 4, rowsAnalysed: 3, rowsSkipped: 1 });
    expect(source.skipped[0]).toMatchObject({ line: 9, reason: 'TRUNCATED_RECORD' });
  });

  it('fails an invalid UTF-8 file with its line, never mis-decoding it', async () => {
    const { source } = await analyseFixture('bad-utf8.csv');
    expect(source).toMatchObject({ status: 'failed', errorCode: 'BAD_ENCODING' });
    expect(source.errorMessage).toMatch(/bad-utf8\.csv is not valid UTF-8 .*line 5/);
  });

  it('skips malformed rows with line and reason and analyses the rest', async () => {
    const { source, sink } = await analyseFixture('malformed-rows.LOG');
    expect(source.status).toBe('done');
    expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
    expect(source.skipped).toEqual([
      expect.objectContaining({ line: 8, reason: 'COLUMN_COUNT' }),
      expect.objectContaining({ line: 9, reason: 'BAD_TIMESTAMP', column: 'date-time' }),
    ]);
    expect([...sink.findings.values()].map((f) => [f.source.line, f.scenario])).toEqual([
      [11, 'foreign-sender-domain'],
    ]);
  });

  it('says an empty file is empty', async () => {
    const { source } = await analyseFixture('empty.csv');
    expect(source).toMatchObject({ status: 'failed', errorCode: 'EMPTY_INPUT' });
  });

  it('accepts a header without rows', async () => {
    const { source } = await analyseFixture('header-only.csv');
    expect(source).toMatchObject({ status: 'done', format: 'message-trace', rowsRead: 0 });
  });

  it('reads UTF-16BE with BOM and tab-delimited exports', async () => {
    const utf16 = await analyseFixture('utf16be.csv');
    expect(utf16.source).toMatchObject({
      status: 'done',
      format: 'message-trace',
      rowsRead: 3,
      rowsSkipped: 0,
    });
    const tab = await analyseFixture('tab-delimited.csv');
    expect(tab.source).toMatchObject({ status: 'done', format: 'tracking-log-export', rowsSkipped: 0 });
    expect([...tab.sink.findings.values()].map((f) => [f.source.line, f.scenario])).toEqual([
      [5, 'foreign-sender-domain'],
    ]);
  });

  it('goes on with the other files when one cannot be analysed', async () => {
    const sink = new MemorySink();
    const inputs = await localInputs([
      'test/fixtures/bad/unknown-format.csv',
      'test/fixtures/bad/tab-delimited.csv',
    ]);
    const result = await analyze(inputs, { domains, sink });
    expect(result.sources.map((s) => s.status)).toEqual(['failed', 'done']);
    expect(sink.findings.size).toBe(1);
  });
});
