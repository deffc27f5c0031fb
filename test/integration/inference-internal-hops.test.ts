/**
 * Without accepted domains, a receipt from outside is evidence of the organisation's domain only for
 * the recipients the message arrived for: the next server's receipt of a copy a group expanded to an
 * outside contact is `Incoming` too (Exchange marks the message, not the hop), and a day's export with
 * two such messages made the contact's domain "ours" and the refusals `foreign-sender-domain`. Nor
 * does a message count twice for a recipient when its rows are read twice (overlapping exports).
 * Fixtures: test/fixtures/real-world/inference-internal-hops/ (README.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import {
  type InferredDomainEvidence,
  InferredDomains,
} from '../../functions/core/organisation/accepted-domains.js';
import { cli } from '../support/capture-output.js';
import { MemorySink } from '../support/memory-sink.js';
import { chunked } from '../support/streams.js';

const DIR = 'test/fixtures/real-world/inference-internal-hops';

/** What a finding says of the question: its message, recipient, scenario, confidence and cause. */
const said = (f: Finding) => [f.messageId, f.recipient, f.scenario, f.confidence, f.forwardedFrom];

/** `analyze <files> --no-store --json` without accepted domains: findings and the inferred domains. */
async function inferred(...files: string[]) {
  const { status, out } = await cli('analyze', ...files, '--no-store', '--json');
  expect(status, out.stderr).toBe(0);
  const summary = JSON.parse(out.stderr) as {
    acceptedDomains: { basis: string; domains: InferredDomainEvidence[] };
  };
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
  return { findings: findings.map(said), domains: summary.acceptedDomains };
}

const GROUP = { kind: 'expand', address: 'sales@contoso.com' };
/** Each message alone, as with a list, but medium: the organisation's domains are only inferred. */
const BOTH = [
  ['CAJx7GrpB1@mail.fabrikam.com', 'partner@tailspintoys.com', 'forwarding', 'medium', GROUP],
  ['CAJx7GrpB4@mail.fabrikam.com', 'partner@tailspintoys.com', 'forwarding', 'medium', GROUP],
];
/** contoso.com, from its deliveries and one receipt from outside a message; tailspintoys.com not at all. */
const CONTOSO = (receipts: number) => ({
  basis: 'inferred',
  domains: [{ domain: 'contoso.com', delivered: 8, submitted: 0, receivedFromOutside: receipts }],
});

describe('a day’s export of two messages a group expanded to an outside contact, relayed EX01 → EX02', () => {
  it('is forwarding for both, the next server’s receipt of the copy no receipt from outside', async () => {
    const run = await inferred(`${DIR}/day-export.csv`);
    expect(run.findings).toEqual(BOTH);
    expect(run.domains).toEqual(CONTOSO(2));
  });

  it('is the same newest first, the receipt of the copy read before the expansion that made it', async () => {
    const run = await inferred(`${DIR}/day-export-newest-first.csv`);
    expect(run.findings.sort()).toEqual(BOTH);
    expect(run.domains).toEqual(CONTOSO(2));
  });

  it('is the same given as one file per server, EX02’s first, in either order of their rows', async () => {
    // Both receipts of the copies are read before any expansion: tailspintoys.com has two for a while.
    const [header = '', ...rows] = (await readFile(`${DIR}/day-export.csv`, 'utf8'))
      .split('\r\n')
      .filter((line) => line !== '');
    const onEx02 = (row: string) => row.includes('"EX02\\');
    const file = (name: string, ofServer: string[]) => {
      const bytes = Buffer.from(`${[header, ...ofServer].join('\r\n')}\r\n`);
      return { name, sourceId: name, size: bytes.length, open: () => chunked(bytes, 97) };
    };
    const ex01 = rows.filter((row) => !onEx02(row));
    const ex02 = rows.filter(onEx02);
    expect([ex01.length, ex02.length]).toEqual([8, 4]);
    for (const newestFirst of [false, true]) {
      const order = (list: string[]) => (newestFirst ? [...list].reverse() : list);
      const domains = new InferredDomains();
      const sink = new MemorySink();
      await analyze([file('EX02.csv', order(ex02)), file('EX01.csv', order(ex01))], { domains, sink });
      const findings = [...sink.findings.values()].map(said).sort();
      expect(findings, newestFirst ? 'newest first' : 'oldest first').toEqual(BOTH);
      expect(domains.evidence()).toEqual(CONTOSO(2).domains);
    }
  });
});

describe('one message in an export joined with an overlapping copy of itself', () => {
  it('counts its receipt from outside once and stays forwarding', async () => {
    const run = await inferred(`${DIR}/joined-overlap.csv`);
    expect(run.findings).toEqual([BOTH[0]]);
    expect(run.domains).toEqual(CONTOSO(1));
  });
});

describe('EX02’s rows alone: the copies’ receipts without the expansion that made them', () => {
  it('does not make the refused recipients’ domain the organisation’s, and says why', async () => {
    const { status, out } = await cli('analyze', `${DIR}/ex02-alone.csv`, '--no-store', '--json');
    expect(status, out.stderr).toBe(0);
    const findings = out.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Finding);
    expect(findings.map(said)).toEqual([
      [
        'CAJx7GrpB1@mail.fabrikam.com',
        'partner@tailspintoys.com',
        'foreign-sender-domain',
        'medium',
        undefined,
      ],
      [
        'CAJx7GrpB4@mail.fabrikam.com',
        'partner@tailspintoys.com',
        'foreign-sender-domain',
        'medium',
        undefined,
      ],
    ]);
    // Not the partner's domain as the certificate domain to put on the connector.
    for (const finding of findings)
      expect(JSON.stringify(finding.remediation)).not.toContain('tailspintoys.com as');
    expect(JSON.parse(out.stderr).acceptedDomains).toEqual({
      basis: 'inferred',
      domains: [],
      notTaken: [{ domain: 'tailspintoys.com', delivered: 0, submitted: 0, receivedFromOutside: 2 }],
    });
    const report = await cli('analyze', `${DIR}/ex02-alone.csv`, '--no-store');
    expect(report.out.stderr).toContain('Not taken: tailspintoys.com — 2 receipts from outside');
  });
});
