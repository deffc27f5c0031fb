/**
 * An application relaying as a foreign domain through an anonymous relay connector (which Exchange
 * marks `Incoming`) to an internal and an outside recipient is `foreign-sender-domain`: the receipt
 * that shows the message arriving for the internal recipient names the outside one too, so nothing
 * forwarded it there. Forwarding in the same file stays `forwarding`.
 * Fixtures: test/fixtures/real-world/anonymous-relay/ (described in its README.md).
 */
import { describe, expect, it } from 'vitest';
import { analyzeNoStore } from '../support/analyze-no-store.js';

const FILE = 'test/fixtures/real-world/anonymous-relay/MSGTRK2026112810-1.LOG';

describe('a tracking log of an application relaying anonymously as a foreign domain', () => {
  it('is foreign-sender-domain for the outside recipient the application addressed, in either order', async () => {
    const { status, source, findings } = await analyzeNoStore(FILE, '--accepted-domains', 'contoso.com');
    expect(status).toBe(0);
    expect(source.rowsSkipped).toBe(0);
    expect(findings.map((f) => [f.source.line, f.recipient, f.scenario, f.returnPath])).toEqual([
      [8, 'ap@litware.com', 'foreign-sender-domain', 'noreply@vendorapp.com'],
      [12, 'ar@litware.com', 'foreign-sender-domain', 'noreply@vendorapp.com'],
      [17, 'kate@tailspintoys.com', 'forwarding', 'john@fabrikam.com'],
    ]);
    const [relayed, , forwarded] = findings;
    expect(relayed?.evidence.map((item) => item.kind)).not.toContain('internal-recipient');
    expect(relayed?.remediation.title).toMatch(/vendorapp\.com/);
    expect(forwarded?.evidence.map((item) => item.kind)).toContain('redirect-event');
  });

  it('is not forwarding either when the domains are inferred from the logs', async () => {
    const { findings } = await analyzeNoStore(FILE);
    expect(findings.map((f) => [f.recipient, f.scenario])).toEqual([
      ['ap@litware.com', 'foreign-sender-domain'],
      ['ar@litware.com', 'foreign-sender-domain'],
      ['kate@tailspintoys.com', 'forwarding'],
    ]);
  });
});
