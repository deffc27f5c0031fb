/**
 * An organisation that numbers its Exchange servers in its own public range (192.0.2.0/24 here, as
 * universities and older networks do): the Edge Transport server's receipt of the forwarded copy its
 * Mailbox server handed back comes from a public address. That address is one of the organisation's
 * own servers, as the run's tracking logs name them (a row's logging server, a send over the EdgeSync
 * connector), so the copy's receipt is a hop between its servers: the refusal is `forwarding`, not
 * `foreign-sender-domain`, and without accepted domains the copy's receipt is no receipt from outside
 * for tailspintoys.com. An application in the same range that is no server, and an outside sender's
 * two hosts, still addressed the outside recipient themselves. The Edge's log alone names EX01 in its
 * sends, which the row filter drops with accepted domains: their hosts are learnt without events.
 * Fixtures: test/fixtures/real-world/own-server-copy/ (described in its README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AnalysisInput, analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import {
  type InferredDomainEvidence,
  InferredDomains,
  parseAcceptedDomains,
} from '../../functions/core/organisation/accepted-domains.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { cli } from '../support/capture-output.js';
import { MemorySink } from '../support/memory-sink.js';
import { chunked } from '../support/streams.js';

const DIR = 'test/fixtures/real-world/own-server-copy';
const EDGE = `${DIR}/edge`;
const MAILBOX = `${DIR}/mailbox`;
const DOMAINS = ['--accepted-domains', 'contoso.com'];
const FROM_KATE = { kind: 'received-for', address: 'kate@contoso.com' };

const summary = (findings: Finding[]) =>
  findings.map((f) => [f.source.line, f.recipient, f.scenario, f.confidence, f.forwardedFrom]);

/** contoso.com from the two arrivals (and EX01's deliveries, when its log is read); tailspintoys.com not at all. */
const CONTOSO = (delivered: number): InferredDomainEvidence[] => [
  { domain: 'contoso.com', delivered, submitted: 0, receivedFromOutside: 2 },
];

/** The Edge's log with its rows newest first, as Get-MessageTrackingLog lists them, read in small chunks. */
const EDGE_ROWS = readFileSync(`${EDGE}/MSGTRK2026112814-1.LOG`, 'utf8');
function newestFirst(): AnalysisInput {
  const [header = '', ...rows] = EDGE_ROWS.replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((line) => line !== '');
  const head = rows.filter((row) => row.startsWith('#'));
  const body = rows.filter((row) => !row.startsWith('#')).reverse();
  const bytes = Buffer.from(`\uFEFF${[header, ...head, ...body].join('\r\n')}\r\n`);
  const name = 'MSGTRK2026112814-1.LOG';
  return { name, sourceId: name, size: bytes.length, open: () => chunked(bytes, 97) };
}

describe('a forwarded copy handed back from a Mailbox server on a public address of the organisation', () => {
  it('is forwarding with accepted domains, the Mailbox server’s log read after the Edge’s or before', async () => {
    for (const files of [
      [EDGE, MAILBOX],
      [MAILBOX, EDGE],
    ]) {
      const run = await analyzeNoStore(files[0] as string, files[1] as string, ...DOMAINS);
      expect(run.status).toBe(0);
      expect(summary(run.findings), files.join(' ')).toEqual([
        [9, 'kate@tailspintoys.com', 'forwarding', 'medium', FROM_KATE],
        [13, 'kate@tailspintoys.com', 'forwarding', 'medium', FROM_KATE],
      ]);
      expect(run.findings[0]?.evidence.map((item) => item.detail)).toContain(
        'the same Message-ID was received for kate@contoso.com (RECEIVE, line 6)',
      );
    }
  });

  it('is forwarding from the Edge’s log alone with accepted domains: its sends name EX01, as no events', async () => {
    // The row filter drops the SEND rows of incoming mail with accepted domains; their hosts are told
    // to the run (RowContext.noteServerHop) without an event: 8 rows, 6 events (receipts and failures).
    const run = await analyzeNoStore(EDGE, ...DOMAINS);
    expect(run.status).toBe(0);
    expect(summary(run.findings)).toEqual([
      [9, 'kate@tailspintoys.com', 'forwarding', 'medium', FROM_KATE],
      [13, 'kate@tailspintoys.com', 'forwarding', 'medium', FROM_KATE],
    ]);
    expect([run.source.rowsRead, run.source.rowsAnalysed, run.source.events]).toEqual([8, 8, 6]);
    // Newest first: the copy's receipt is read before the send that names EX01.
    const sink = new MemorySink();
    const result = await analyze([newestFirst()], {
      domains: parseAcceptedDomains('contoso.com', 'test'),
      sink,
    });
    expect(result.events).toBe(6);
    expect([...sink.findings.values()].map((f) => [f.recipient, f.scenario, f.forwardedFrom])).toEqual([
      ['kate@tailspintoys.com', 'forwarding', FROM_KATE],
      ['kate@tailspintoys.com', 'forwarding', FROM_KATE],
    ]);
  });

  it('is no receipt from outside for tailspintoys.com without accepted domains, nor a misread refusal', async () => {
    for (const files of [[EDGE], [EDGE, MAILBOX]]) {
      const { status, out } = await cli('analyze', ...files, '--no-store', '--json');
      expect(status, out.stderr).toBe(0);
      const findings = out.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Finding);
      expect(summary(findings), files.join(' ')).toEqual([
        [9, 'kate@tailspintoys.com', 'forwarding', 'low', FROM_KATE],
        [13, 'kate@tailspintoys.com', 'forwarding', 'low', FROM_KATE],
      ]);
      // No notTaken entry: tailspintoys.com was never counted.
      expect(JSON.parse(out.stderr).acceptedDomains).toEqual({
        basis: 'inferred',
        domains: CONTOSO(files.length === 1 ? 0 : 2),
      });
    }
  });

  it('is the same newest first: the copy’s receipt read before the server’s address and the arrival', async () => {
    const domains = new InferredDomains();
    const sink = new MemorySink();
    await analyze([newestFirst()], { domains, sink });
    const findings = [...sink.findings.values()].map((f) => [f.recipient, f.scenario, f.forwardedFrom]);
    expect(findings).toEqual([
      ['kate@tailspintoys.com', 'forwarding', FROM_KATE],
      ['kate@tailspintoys.com', 'forwarding', FROM_KATE],
    ]);
    expect(domains.evidence()).toEqual(CONTOSO(0));
    expect(domains.refusedRelayDespiteReceipts()).toEqual([]);
  });

  it('stays foreign-sender-domain for a sender that addressed the outside recipient itself', async () => {
    // APP01 (192.0.2.40, in the organisation's range but no server), one envelope per recipient; and
    // an outside sender's second envelope from another of its hosts (203.0.113.9), no server's either.
    const run = await analyzeNoStore(`${DIR}/app`, ...DOMAINS);
    expect(summary(run.findings)).toEqual([
      [8, 'ap@litware.com', 'foreign-sender-domain', 'high', undefined],
      [11, 'ap@litware.com', 'foreign-sender-domain', 'high', undefined],
    ]);
  });
});
