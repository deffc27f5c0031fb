/**
 * Message trace lists a message sent with the null envelope sender (an NDR, an automatic reply) with
 * an empty sender address. That is the null sender, as `<>` is: the trace row still names the
 * message's one failed recipient, which the trace detail's refusal (naming none) takes, and it is the
 * null P1 (a trace's sender is the envelope's) when the detail names no ReturnPath. Fixtures:
 * test/fixtures/real-world/null-sender-traces/ (described in its README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/null-sender-traces';
const file = (name: string): TextFile => ({ name, content: readFileSync(`${DIR}/${name}`, 'utf8') });

const PAGE = 'graph-trace-page.json';
const VENDOR = 'graph-detail-ndr-vendor.json';
const SALES = 'graph-detail-ndr-sales.json';

async function findingsOf(files: readonly TextFile[]): Promise<Finding[]> {
  const { findings, sources } = await analyzeFiles(files);
  for (const source of sources) expect(source).toMatchObject({ status: 'done', rowsSkipped: 0 });
  return findings;
}

/** Each finding's file and line, recipient, scenario, P1, sender and evidence kinds. */
const summary = (findings: readonly Finding[]) =>
  findings.map((f) => ({
    at: `${f.source.file}:${f.source.line}`,
    recipient: f.recipient,
    scenario: f.scenario,
    returnPath: f.returnPath,
    sender: f.sender,
    evidence: f.evidence.map((e) => e.kind),
  }));

const NDR_EVIDENCE = ['null-return-path', 'ndr-subject'];

describe('Graph message trace pages of a null-sender message (senderAddress "" or null)', () => {
  it.each([
    ['the trace page first', [PAGE, VENDOR]],
    ['the detail first', [VENDOR, PAGE]],
  ])('gives the refusal the one failed recipient of its trace, senderAddress "" (%s)', async (_, names) => {
    const findings = await findingsOf(names.map(file));
    expect(summary(findings)).toEqual([
      {
        at: `${VENDOR}:5`,
        recipient: 'vendor@adatum.com',
        scenario: 'ndr',
        returnPath: '',
        sender: '',
        evidence: NDR_EVIDENCE,
      },
    ]);
    expect(findings[0]).toMatchObject({
      subject: 'Undeliverable: Invoice 4711',
      recipientDomain: 'adatum.com',
    });
  });

  it('reads senderAddress null as the null sender too', async () => {
    const findings = await findingsOf([file(PAGE), file(SALES)]);
    expect(summary(findings)).toEqual([
      {
        at: `${SALES}:5`,
        recipient: 'sales@fabrikam.com',
        scenario: 'ndr',
        returnPath: '',
        sender: '',
        evidence: NDR_EVIDENCE,
      },
    ]);
  });

  it('gives the same finding as a trace that writes the null sender as <>', async () => {
    const page = file(PAGE);
    const angled = {
      name: PAGE,
      content: String(page.content).replace('"senderAddress": ""', '"senderAddress": "<>"'),
    };
    expect(angled.content).not.toBe(page.content);
    const [blank, written] = await Promise.all([
      findingsOf([page, file(VENDOR)]),
      findingsOf([angled, file(VENDOR)]),
    ]);
    expect(written).toEqual(blank);
  });

  it('never lends one null-sender message’s recipient to another’s refusal', async () => {
    const both = await findingsOf([file(PAGE), file(VENDOR), file(SALES)]);
    expect(both.map((f) => [f.source.file, f.recipient])).toEqual([
      [SALES, 'sales@fabrikam.com'],
      [VENDOR, 'vendor@adatum.com'],
    ]);
    expect(new Set(both.map((f) => f.id)).size).toBe(2);

    // The page without the automatic reply's trace: its refusal has no recipient to take.
    const page = JSON.parse(String(file(PAGE).content)) as { value: { recipientAddress: string }[] };
    page.value = page.value.filter((trace) => trace.recipientAddress === 'vendor@adatum.com');
    const alone = await findingsOf([{ name: PAGE, content: JSON.stringify(page, null, 2) }, file(SALES)]);
    expect(summary(alone)).toEqual([
      expect.objectContaining({
        at: `${SALES}:5`,
        recipient: '',
        evidence: ['null-return-path', 'recipient-unknown'],
      }),
    ]);
  });
});

describe('Get-MessageTraceV2 exports with an empty SenderAddress', () => {
  const expected = [
    {
      at: 'detail-v2.csv:3',
      recipient: 'vendor@adatum.com',
      scenario: 'ndr',
      returnPath: '',
      sender: '',
      evidence: NDR_EVIDENCE,
    },
    {
      at: 'detail-v2.csv:5',
      recipient: 'sales@fabrikam.com',
      scenario: 'ndr',
      returnPath: '',
      sender: '',
      evidence: NDR_EVIDENCE,
    },
  ];

  it.each([
    ['Export-Csv, trace first', ['trace-v2.csv', 'detail-v2.csv']],
    ['Export-Csv, detail first', ['detail-v2.csv', 'trace-v2.csv']],
    ['ConvertTo-Json', ['trace-v2.json', 'detail-v2.csv']],
  ])('gives each refusal the one failed recipient of its trace row (%s)', async (_, names) => {
    expect(summary(await findingsOf(names.map(file)))).toEqual(expected);
  });

  /** The details without their Receive rows, which alone name the ReturnPath `<>`. */
  const withoutReturnPath = (): TextFile => ({
    name: 'detail-v2.csv',
    content: String(file('detail-v2.csv').content)
      .split('\n')
      .filter((line) => !line.includes('"Receive"'))
      .join('\n'),
  });

  it.each([
    ['Export-Csv', 'trace-v2.csv'],
    ['ConvertTo-Json', 'trace-v2.json'],
  ])(
    'takes the trace’s null sender for the null P1 when the detail names no ReturnPath (%s)',
    async (_, trace) => {
      const findings = await findingsOf([file(trace), withoutReturnPath()]);
      // The trace's sender is the envelope sender: as sure as the Receive row's ReturnPath <>, not a
      // subject-only guess at low confidence.
      expect(findings.map((f) => [f.recipient, f.scenario, f.confidence, f.evidence[0]])).toEqual([
        [
          'vendor@adatum.com',
          'ndr',
          'high',
          { kind: 'null-return-path', detail: 'envelope sender (P1) is <> (null sender)' },
        ],
        [
          'sales@fabrikam.com',
          'ndr',
          'high',
          { kind: 'null-return-path', detail: 'envelope sender (P1) is <> (null sender)' },
        ],
      ]);
      expect(summary(findings).map((f) => f.evidence)).toEqual([NDR_EVIDENCE, NDR_EVIDENCE]);
    },
  );

  it('reads the null sender as the null P1 whatever the subject and the reply say', async () => {
    // No Receive rows, no ATTR36, no NDR subject: only the trace's empty SenderAddress tells.
    const detail = String(withoutReturnPath().content).replaceAll(' ATTR36', '');
    const trace = String(file('trace-v2.csv').content).replace('Undeliverable: Invoice 4711', 'Invoice 4711');
    const findings = await findingsOf([
      { name: 'trace-v2.csv', content: trace },
      { name: 'detail-v2.csv', content: detail },
    ]);
    const vendor = findings.find((f) => f.recipient === 'vendor@adatum.com');
    expect(vendor).toMatchObject({ scenario: 'ndr', sender: '', confidence: 'high' });
    expect(vendor?.evidence.map((item) => item.kind)).toEqual(['null-return-path']);
  });
});
