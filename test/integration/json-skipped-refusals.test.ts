/**
 * Message trace JSON whose text the record scanner skips — an NDJSON line cut short, a record the
 * file ends inside, a record over the size bound, a line of text that is no JSON — although it holds
 * relay-refusal text: skipped as REFUSAL_NOT_READ, and the file fails with that code once read, its
 * other refusals reported: never "no relay refusals". The same skips without refusal text are as
 * before, and a record read whole is not searched.
 */
import { describe, expect, it } from 'vitest';
import { MAX_RECORD_CHARS } from '../../functions/core/analysis/formats/json-records.js';
import { analyzeFiles } from '../support/analyze-text.js';

const TRACE_ID = '4f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f';
const REFUSAL =
  'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}]. OutboundProxyTargetIP: 203.0.113.10.';

/** A `Get-MessageTraceDetailV2` Fail record, as a log shipper writes it: one object a line. */
function failRecord(recipient: string, detail = REFUSAL, extra: Record<string, string> = {}): string {
  return JSON.stringify({
    Date: '2026-11-28T22:15:05Z',
    Event: 'Fail',
    Detail: detail,
    MessageId: `<${recipient}@app01.contoso.com>`,
    MessageTraceId: TRACE_ID,
    RecipientAddress: recipient,
    SenderAddress: 'scanner@alerts.contoso.com',
    ...extra,
  });
}

async function analyse(name: string, text: string, chunk?: number) {
  const options = chunk === undefined ? {} : { chunk };
  const { findings, sources } = await analyzeFiles([{ name, content: text }], options);
  const source = sources[0];
  expect(source?.rowsRead).toBe((source?.rowsAnalysed ?? 0) + (source?.rowsSkipped ?? 0));
  return { findings, source };
}

describe('a JSON record skipped although it holds a relay refusal', () => {
  it('fails the file for an NDJSON line cut short inside a refusal, reporting the records read', async () => {
    const text = [
      failRecord('one@adatum.com'),
      // A shipper's line cut at its size limit, inside the Detail.
      failRecord('two@adatum.com').slice(0, 110),
      failRecord('three@adatum.com'),
    ].join('\n');
    const { findings, source } = await analyse('shipped.ndjson', text, 13);
    expect(findings.map((f) => [f.source.line, f.recipient])).toEqual([
      [1, 'one@adatum.com'],
      [3, 'three@adatum.com'],
    ]);
    expect(source?.skipped).toEqual([
      {
        line: 2,
        reason: 'REFUSAL_NOT_READ',
        message: 'the line ends before its JSON object does, yet it holds relay-refusal text (5.7.64)',
      },
    ]);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(source?.errorMessage).toMatch(/^shipped\.ndjson: line 2 could not be read — the line ends before/);
    expect(source?.errorMessage).toMatch(/Copy or export the file again/);
  });

  it('fails the file for a ConvertTo-Json array that ends inside a Fail record', async () => {
    const records = [
      JSON.parse(failRecord('one@adatum.com')) as object,
      JSON.parse(failRecord('two@adatum.com')) as object,
    ];
    const whole = JSON.stringify(records, null, 4);
    // The copy stopped after the second record's refusal code.
    const cut = whole.slice(0, whole.lastIndexOf('5.7.64') + 20);
    const { findings, source } = await analyse('details.json', cut);
    expect(findings.map((f) => f.recipient)).toEqual(['one@adatum.com']);
    expect(source?.skipped).toEqual([
      {
        line: 11,
        reason: 'REFUSAL_NOT_READ',
        message:
          'the file ends inside this record, yet it holds relay-refusal text (5.7.64); the file looks cut short ' +
          '(a download or export stopped early) — download or export it again',
      },
    ]);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    // The skip said to download it again: not a tracking log's advice after it.
    expect(source?.errorMessage).toMatch(/ download or export it again\. .* Analyse the new copy\.$/);
    expect(source?.errorMessage).not.toMatch(/rolled over|mend the row/);
  });

  it.each([
    // The refusal at the record's start and at its end, in chunks of 4,093 characters.
    ['start', 0, () => 4093],
    ['end', MAX_RECORD_CHARS + 100_000, () => 4093],
    // Past the bound, the first chunk ending inside the code ("5.7" | ".64"): found whole.
    [
      'middle, cut between two chunks,',
      MAX_RECORD_CHARS + 50_000,
      (text: string) => text.indexOf('5.7.64') + 3,
    ],
  ])(
    'fails the file for a record over the size bound with the refusal at its %s searched piece by piece',
    async (_, at, chunkOf) => {
      const padding = 'x'.repeat(MAX_RECORD_CHARS + 200_000);
      const detail = `${padding.slice(0, at)}${REFUSAL}${padding.slice(at)}`;
      const text = [failRecord('one@adatum.com', detail), failRecord('two@adatum.com')].join('\n');
      const { findings, source } = await analyse('shipped.ndjson', text, chunkOf(text));
      expect(findings.map((f) => [f.source.line, f.recipient])).toEqual([[2, 'two@adatum.com']]);
      expect(source?.skipped).toEqual([
        expect.objectContaining({
          line: 1,
          reason: 'REFUSAL_NOT_READ',
          message: expect.stringMatching(
            /^a record longer than 1 MB \(\d+ characters\): not a trace record, yet it holds relay-refusal text \(5\.7\.64\)$/,
          ),
        }),
      ]);
      expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    },
  );

  /** A relay's log line in the shipper's output, as it came: no JSON (and no bracket to start a value). */
  const LOG_LINE =
    'Nov 28 22:15:06 relay1 postfix/smtp[2202]: 4F1A2B3C4D: to=<vendor@adatum.com>, status=bounced (host said: ' +
    '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 (in reply to RCPT TO command))';

  it.each([
    ['a plain text line', LOG_LINE],
    ['a JSON string', JSON.stringify(LOG_LINE)],
  ])('fails the file for %s between the records that holds a refusal', async (_, line) => {
    const text = [failRecord('one@adatum.com'), line, failRecord('two@adatum.com')].join('\n');
    const { findings, source } = await analyse('shipped.ndjson', text, 13);
    expect(findings.map((f) => [f.source.line, f.recipient])).toEqual([
      [1, 'one@adatum.com'],
      [3, 'two@adatum.com'],
    ]);
    expect(source?.skipped).toEqual([
      {
        line: 2,
        reason: 'REFUSAL_NOT_READ',
        message: 'text outside any JSON object or array, yet it holds relay-refusal text (5.7.64)',
      },
    ]);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
  });
});

describe('the same skips without refusal text, and records read whole', () => {
  it('skips them with their own reasons, and the file is done', async () => {
    const text = [
      failRecord('one@adatum.com'),
      failRecord('two@adatum.com', '550 5.1.10 RESOLVER.ADR.RecipientNotFound').slice(0, 100),
      'a line of text',
      failRecord('three@adatum.com', 'y'.repeat(MAX_RECORD_CHARS + 100_000)),
      failRecord('four@adatum.com').slice(0, 60),
    ].join('\n');
    const { findings, source } = await analyse('shipped.ndjson', text, 4093);
    expect(findings.map((f) => f.recipient)).toEqual(['one@adatum.com']);
    expect(source?.skipped.map((s) => [s.line, s.reason])).toEqual([
      [2, 'INVALID_JSON'],
      [3, 'INVALID_JSON'],
      [4, 'RECORD_TOO_LARGE'],
      [5, 'TRUNCATED_RECORD'],
    ]);
    expect(source?.status).toBe('done');
  });

  it('reads a record after text on its line (a shipper prefix) without taking its refusal for skipped text', async () => {
    const text = [failRecord('r1@adatum.com'), `2026-11-28T22:15:06Z ${failRecord('r2@adatum.com')}`].join(
      '\n',
    );
    const { findings, source } = await analyse('prefixed.ndjson', text, 13);
    expect(findings.map((f) => [f.source.line, f.recipient])).toEqual([
      [1, 'r1@adatum.com'],
      [2, 'r2@adatum.com'],
    ]);
    expect(source?.skipped).toEqual([
      { line: 2, reason: 'INVALID_JSON', message: 'text outside any JSON object or array' },
    ]);
    expect(source?.status).toBe('done');
  });
});
