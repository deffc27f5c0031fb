/**
 * Outside mail redirected by a Mailbox server and handed back, as a copy for the outside address, to
 * the server that received it (an Edge Transport server, or a Mailbox server of a DAG): that server's
 * log shows the arrival for kate@contoso.com from the internet, the copy's receipt from the other
 * server (a private address, still `Incoming`) and the refusal — not the redirect, which is in the
 * other server's log. The copy's receipt is no sign that the sender addressed kate@tailspintoys.com:
 * `forwarding`, as without that row. An application's two envelopes from one host stay
 * `foreign-sender-domain`.
 * Fixtures: test/fixtures/real-world/edge-forwarded-copy/ (described in its README.md).
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';

const DIR = 'test/fixtures/real-world/edge-forwarded-copy';
const DOMAINS = ['--accepted-domains', 'contoso.com'];

const summary = (findings: Finding[]) =>
  findings.map((f) => [f.source.line, f.recipient, f.scenario, f.confidence]);
const details = (finding: Finding | undefined) => finding?.evidence.map((item) => item.detail) ?? [];

describe('a forwarded copy handed back to the server that refuses it', () => {
  it('is forwarding on the Edge Transport server’s log, as without the copy’s receipt', async () => {
    const edge = await analyzeNoStore(`${DIR}/edge`, ...DOMAINS);
    expect(edge.status).toBe(0);
    expect(summary(edge.findings)).toEqual([[9, 'kate@tailspintoys.com', 'forwarding', 'medium']]);
    expect(details(edge.findings[0])).toContain(
      'the same Message-ID was received for kate@contoso.com (RECEIVE, line 6)',
    );
    expect(edge.findings[0]?.forwardedFrom).toEqual({ kind: 'received-for', address: 'kate@contoso.com' });
    const without = await analyzeNoStore(`${DIR}/edge-without-copy`, ...DOMAINS);
    expect(summary(without.findings)).toEqual([[8, 'kate@tailspintoys.com', 'forwarding', 'medium']]);
    // With the Mailbox server's log, its REDIRECT row proves it.
    const both = await analyzeNoStore(`${DIR}/edge`, `${DIR}/hub`, ...DOMAINS);
    expect(summary(both.findings)).toEqual([[9, 'kate@tailspintoys.com', 'forwarding', 'high']]);
  });

  it('is forwarding on a DAG member’s log, the copy back from the other member', async () => {
    const { findings } = await analyzeNoStore(`${DIR}/dag`, ...DOMAINS);
    expect(summary(findings)).toEqual([[9, 'kate@tailspintoys.com', 'forwarding', 'medium']]);
  });

  it('stays foreign-sender-domain for an application’s own envelope to an outside recipient', async () => {
    const { findings } = await analyzeNoStore(`${DIR}/app-two-envelopes`, ...DOMAINS);
    expect(summary(findings)).toEqual([[8, 'ap@litware.com', 'foreign-sender-domain', 'high']]);
  });
});
