/** analyze() feeds the inbound Message-ID index when the sink keeps one (cross-upload correlation). */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { InboundEntry } from '../../functions/core/analysis/evidence/inbound-entry.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { MemorySink } from '../support/memory-sink.js';

class IndexingSink extends MemorySink {
  public readonly inbound: InboundEntry[] = [];
  public async putInboundMessages(entries: InboundEntry[]): Promise<void> {
    this.inbound.push(...entries);
  }
}

describe('inbound index feed', () => {
  it('records receipts for internal recipients of mail from outside, and nothing else', async () => {
    const domains = parseAcceptedDomains(
      await readFile('sample-logs/config/accepted-domains.csv', 'utf8'),
      'x',
    );
    const sink = new IndexingSink();
    await analyze(await localInputs(['sample-logs/MSGTRK2026112800-1.LOG']), { domains, sink, batchSize: 3 });

    expect(sink.inbound.length).toBeGreaterThan(0);
    for (const entry of sink.inbound) {
      expect(InboundEntry.safeParse(entry).success).toBe(true);
      // An arrival names an internal recipient; an entry without one only says whom the sender addressed.
      if (entry.recipient === undefined) expect(entry.outside?.length).toBeGreaterThan(0);
      else expect(domains.covers(entry.recipient.split('@')[1])).toBe(true);
    }
    // The forwarded message of the rollover pair arrived for kate@contoso.com in this file.
    expect(
      sink.inbound.some((entry) => entry.recipient === 'kate@contoso.com' && entry.eventId === 'RECEIVE'),
    ).toBe(true);
  });

  it('costs nothing when the sink keeps no index', async () => {
    const domains = parseAcceptedDomains('contoso.com', 'x');
    const sink = new MemorySink();
    const result = await analyze(await localInputs(['sample-logs/MSGTRK2026112800-1.LOG']), {
      domains,
      sink,
    });
    expect(result.sources[0]?.status).toBe('done');
  });
});
