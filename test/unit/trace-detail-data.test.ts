/**
 * A message trace detail's `Data` (its status when `Detail` has none, the P1 its `ReturnPath`
 * names), and the JSON pages whose records wait for an `@odata.context` written after them.
 */
import { describe, expect, it } from 'vitest';
import { JsonRecordScanner } from '../../functions/core/analysis/formats/json-records.js';
import {
  decodeXmlEntities,
  detailStatus,
  returnPathIn,
} from '../../functions/core/analysis/formats/trace-detail-data.js';
import { analyzeFiles } from '../support/analyze-text.js';

describe('detailStatus', () => {
  const data =
    '<root><MEP Name="ErrorCode" String="550 5.7.64 TenantAttribution; Relay Access Denied ATTR36"/></root>';

  it('adds Data to a Detail without a status code, and keeps a Detail that has one as it is', () => {
    expect(detailStatus("The message couldn't be delivered.", data)).toBe(
      `The message couldn't be delivered. ${data}`,
    );
    expect(detailStatus('Reason: [{LED=550 5.7.64 …}]', data)).toBe('Reason: [{LED=550 5.7.64 …}]');
    expect(detailStatus(undefined, data)).toBe(data);
    expect(detailStatus('Message received by: EX01', undefined)).toBe('Message received by: EX01');
  });
});

describe('returnPathIn', () => {
  it('reads the ReturnPath MEP, lower-cased, wherever it is among the others', () => {
    expect(
      returnPathIn(
        '<root><MEP Name="ConnectorId" String="Inbound from contoso"/><MEP Name="ReturnPath" String="Bounce@Mailer.Fabrikam.com"/></root>',
      ),
    ).toBe('bounce@mailer.fabrikam.com');
    // Graph writes a space before `/>`; attributes may come in any order and with either quote.
    expect(returnPathIn('<root><MEP Name="ReturnPath" String="a@fabrikam.com" /></root>')).toBe(
      'a@fabrikam.com',
    );
    expect(returnPathIn("<root><MEP String='b@fabrikam.com' Name='ReturnPath'/></root>")).toBe(
      'b@fabrikam.com',
    );
    // XML lets `>` stand unescaped in a value.
    expect(returnPathIn('<root><MEP Name="ReturnPath" String="&lt;d@fabrikam.com>"/></root>')).toBe(
      'd@fabrikam.com',
    );
  });

  it('decodes XML entities: &lt;&gt; is the null sender', () => {
    expect(returnPathIn('<root><MEP Name="ReturnPath" String="&lt;&gt;"/></root>')).toBe('');
    expect(returnPathIn('<root><MEP Name="ReturnPath" String="&lt;a&amp;b@fabrikam.com&gt;"/></root>')).toBe(
      'a&b@fabrikam.com',
    );
    expect(returnPathIn('<root><MEP Name="ReturnPath" String="c&#64;fabrikam.com"/></root>')).toBe(
      'c@fabrikam.com',
    );
  });

  it('says nothing of an empty value, a value that is no address, or a Data without ReturnPath', () => {
    expect(returnPathIn('<root><MEP Name="ReturnPath" String=""/></root>')).toBeUndefined();
    expect(returnPathIn('<root><MEP Name="ReturnPath" String="System.Object"/></root>')).toBeUndefined();
    expect(returnPathIn('<root><MEP Name="ClientName" String="ReturnPath@x"/></root>')).toBeUndefined();
    expect(returnPathIn('<root><MEP Name="RecipientStatus" String="Fail"/></root>')).toBeUndefined();
    expect(returnPathIn(undefined)).toBeUndefined();
  });

  it('looks only around each ReturnPath, so a huge cell without a tag costs no more than a small one', () => {
    const hostile = '<MEP ReturnPath '.repeat(200_000);
    const started = performance.now();
    expect(returnPathIn(hostile)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('leaves an unknown entity or an out-of-range code point as written', () => {
    expect(decodeXmlEntities('a&nbsp;b&#x110000;c&#0;')).toBe('a&nbsp;b&#x110000;c&#0;');
    expect(decodeXmlEntities('&quot;&apos;&#x41;')).toBe(`"'A`);
  });
});

describe('pages in the JSON record scanner', () => {
  it('tells the records of each page of an array of pages, and where each page ends', () => {
    const seen: string[] = [];
    const scanner = new JsonRecordScanner({
      record: (text, line, inPage) => void seen.push(`record ${line} ${inPage} ${JSON.parse(text).id}`),
      meta: (key, value) => void seen.push(`meta ${key}=${value}`),
      pageEnd: () => void seen.push('end'),
      bad: (line, reason) => {
        throw new Error(`${reason} at ${line}`);
      },
    });
    scanner.push(
      '[\n{"@odata.context": "c1", "value": [{"id": "a"}]},\n{"value": [{"id": "b"}], "@odata.context": "c2"}\n]',
    );
    scanner.end();
    expect(seen).toEqual([
      'meta @odata.context=c1',
      'record 2 true a',
      'end',
      'record 3 true b',
      'meta @odata.context=c2',
      'end',
    ]);
  });

  it('reads a page without context whose records exceed what may wait, every record once and in order', async () => {
    // PowerShell 5.1 `ConvertTo-Json -InputObject $details` wraps a large array as {"value": […], "Count": n}.
    const count = 8_000;
    const padding = 'x'.repeat(1100);
    const records = Array.from({ length: count }, (_, i) => ({
      MessageId: `<P${i}@app01.contoso.com>`,
      MessageTraceId: '4f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f',
      RecipientAddress: `r${i}@adatum.com`,
      Date: '2026-11-28T22:15:03Z',
      Event: i === count - 1 ? 'Fail' : 'Receive',
      Detail:
        i === count - 1
          ? 'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [x]}]'
          : `Message received by: ${padding}`,
    }));
    const content = `{"value":[\n${records.map((record) => JSON.stringify(record)).join(',\n')}\n],"Count":${count}}`;
    expect(content.length).toBeGreaterThan(8 * 1024 * 1024);
    const { sources, findings } = await analyzeFiles([{ name: 'details.json', content }], { chunk: 65536 });
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: count, rowsAnalysed: count, events: count });
    expect(findings.map((f) => [f.source.line, f.recipient])).toEqual([
      [count + 1, `r${count - 1}@adatum.com`],
    ]);
  });
});
