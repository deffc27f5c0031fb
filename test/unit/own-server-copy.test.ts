/**
 * A receipt from one of the organisation's own Exchange servers is a hop between its servers whatever
 * the address range (an organisation that numbers its servers in its own public range): the run knows
 * its servers from its tracking logs (`OwnServers`), judges a receipt by them when asked, takes back a
 * copy's receipt the inference counted before the server was known, and the inbound index's entries
 * say so across uploads.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EvidenceIndex } from '../../functions/core/analysis/classifier/evidence-index.js';
import { correlatingEntries } from '../../functions/core/analysis/evidence/correlation.js';
import { InboundEntries, type InboundEntry } from '../../functions/core/analysis/evidence/inbound-entry.js';
import {
  addressedBySender,
  type InboundTrace,
  OwnServers,
} from '../../functions/core/analysis/evidence/inbound-trace.js';
import { type ParsedBatch, parseInput } from '../../functions/core/analysis/input/parse-input.js';
import type { FormatId, ServerHop, TraceEvent } from '../../functions/core/analysis/model/events.js';
import { StringPool } from '../../functions/core/kernel/strings.js';
import { InferredDomains, parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { event } from '../support/events.js';
import { makeFinding } from '../support/make-finding.js';
import { chunked } from '../support/streams.js';

const OUTSIDE = 'kate@tailspintoys.com';
const MESSAGE = 'CAJx7rOwnCopy1q@mail.fabrikam.com';
const TRACKING: FormatId = 'exchange-tracking-log';

/** A receipt over SMTP from outside, for `recipient`, from `clientIp`, logged by `serverIp`. */
const receipt = (
  recipient: string,
  clientIp: string,
  serverIp: string,
  timestamp: string,
  messageId = MESSAGE,
) =>
  event({
    eventId: 'RECEIVE',
    source: 'SMTP',
    messageId,
    recipient,
    returnPath: 'john@fabrikam.com',
    sender: 'john@fabrikam.com',
    directionality: 'incoming',
    clientIp,
    serverIp,
    timestamp,
  });
const ARRIVAL = () => receipt('kate@contoso.com', '198.51.100.77', '192.0.2.25', '2026-11-28T14:01:02.100Z');
const COPY = () => receipt(OUTSIDE, '192.0.2.12', '192.0.2.25', '2026-11-28T14:01:05.300Z');
/** A row of EX02's own log (another message): it names EX02's address, 192.0.2.12, as its server-ip. */
const EX02_ROW = () =>
  receipt(
    'lee@contoso.com',
    '198.51.100.30',
    '192.0.2.12',
    '2026-11-28T14:03:00.000Z',
    'other@mail.fabrikam.com',
  );

describe('OwnServers', () => {
  const servers = (rows: TraceEvent[], format: FormatId = TRACKING) => {
    const own = new OwnServers();
    for (const row of rows) own.note(row, format);
    return own;
  };

  it('names the logging server of a receipt, the sender of a SEND and an internal connector’s next hop', () => {
    const own = servers([
      ARRIVAL(),
      event({
        eventId: 'SEND',
        source: 'SMTP',
        clientIp: '192.0.2.26',
        serverIp: '192.0.2.11',
        connectorId: 'EdgeSync - Inbound to Default-First-Site-Name',
      }),
    ]);
    for (const ip of ['192.0.2.25', '192.0.2.26', '192.0.2.11']) expect(own.has(ip), ip).toBe(true);
    // Not the sender's host, nor where a send to Exchange Online went, nor another format's addresses.
    expect(own.has('198.51.100.77')).toBe(false);
    const out = servers([
      event({
        eventId: 'SEND',
        source: 'SMTP',
        clientIp: '192.0.2.25',
        serverIp: '52.101.1.1',
        connectorId: 'Outbound to Office 365',
      }),
      event({ eventId: 'FAIL', source: 'SMTP', clientIp: '192.0.2.25', serverIp: '52.101.1.2' }),
    ]);
    expect([out.has('52.101.1.1'), out.has('52.101.1.2')]).toEqual([false, false]);
    expect(servers([ARRIVAL()], 'message-trace').size).toBe(0);
  });
});

describe('addressedBySender with a receipt from one of the organisation’s servers on a public address', () => {
  const trace = (recipient: string, client: string, second: number, own = false): InboundTrace => {
    const made: InboundTrace = {
      kind: 'received-for',
      recipient,
      eventId: 'RECEIVE',
      line: second,
      client,
      at: `2026-11-28T14:01:0${second}.000Z`,
    };
    if (own) made.fromOwnServer = true;
    return made;
  };

  it('is false for the copy handed back by an own server, true for the same host not known as one', () => {
    const arrival = trace('kate@contoso.com', '198.51.100.77', 2);
    expect(addressedBySender([arrival, trace(OUTSIDE, '192.0.2.12', 5, true)], OUTSIDE)).toBe(false);
    expect(addressedBySender([arrival, trace(OUTSIDE, '192.0.2.12', 5)], OUTSIDE)).toBe(true);
    // An own server that was the only host (it addressed both itself): no copy of an earlier arrival.
    expect(
      addressedBySender(
        [trace('kate@contoso.com', '192.0.2.12', 2, true), trace(OUTSIDE, '192.0.2.12', 5, true)],
        OUTSIDE,
      ),
    ).toBe(true);
  });
});

describe('the evidence index, inferring the organisation’s domains', () => {
  const index = (rows: TraceEvent[]) => {
    const inferred = new InferredDomains();
    const evidence = new EvidenceIndex(inferred, inferred, 100, new StringPool());
    for (const row of rows) evidence.observe(row, 'MSGTRK2026112814-1.LOG', TRACKING);
    return { inferred, evidence };
  };
  const counted = (inferred: InferredDomains, domain: string) =>
    [...inferred.evidence(), ...inferred.refusedRelayDespiteReceipts()].find((item) => item.domain === domain)
      ?.receivedFromOutside ?? 0;
  /** The message's rows again as a second message's: two copies' receipts, so that a count of them would show. */
  const twice = (rows: TraceEvent[]) =>
    rows.flatMap((row) =>
      row.messageId === MESSAGE ? [row, { ...row, messageId: 'second@mail.fabrikam.com' }] : [row],
    );
  const tailspin = (rows: TraceEvent[]) => {
    const { inferred, evidence } = index(twice(rows));
    return {
      count: counted(inferred, 'tailspintoys.com'),
      addressed: addressedBySender(evidence.inboundOf(MESSAGE), OUTSIDE),
    };
  };

  it('takes back a copy’s receipt counted before its server’s own log named it, and judges it a copy when asked', () => {
    const { inferred, evidence } = index(twice([ARRIVAL(), COPY()]));
    // Before EX02 is known: a receipt from an internet address, counted.
    expect(counted(inferred, 'tailspintoys.com')).toBe(2);
    expect(addressedBySender(evidence.inboundOf(MESSAGE), OUTSIDE)).toBe(true);
    evidence.observe(EX02_ROW(), 'MSGTRK2026112814-1.LOG', TRACKING);
    expect(counted(inferred, 'tailspintoys.com')).toBe(0);
    expect(addressedBySender(evidence.inboundOf(MESSAGE), OUTSIDE)).toBe(false);
    expect(counted(inferred, 'contoso.com')).toBe(3);
  });

  it('takes back a copy’s receipt counted before a send the row filter dropped named its server', () => {
    const { inferred, evidence } = index(twice([ARRIVAL(), COPY()]));
    expect(counted(inferred, 'tailspintoys.com')).toBe(2);
    evidence.noteServerHop(TRACKING, {
      eventId: 'SEND',
      source: 'SMTP',
      directionality: 'originating',
      clientIp: '192.0.2.12',
      serverIp: '52.101.1.1',
      connectorId: 'Outbound',
    });
    expect(counted(inferred, 'tailspintoys.com')).toBe(0);
    expect(addressedBySender(evidence.inboundOf(MESSAGE), OUTSIDE)).toBe(false);
  });

  it('does not count it when the server is known first, in either order of the receipts', () => {
    expect(tailspin([EX02_ROW(), ARRIVAL(), COPY()])).toEqual({ count: 0, addressed: false });
    expect(tailspin([EX02_ROW(), COPY(), ARRIVAL()])).toEqual({ count: 0, addressed: false });
  });
});

describe('the SMTP sends the row filter drops (accepted domains given)', () => {
  const EDGESYNC = 'EdgeSync - Inbound to Default-First-Site-Name';
  /** The Edge fixture's rows read with `inferring`: the events' lines, and the hosts told of rows dropped. */
  const read = async (inferring: boolean) => {
    const bytes = await readFile('test/fixtures/real-world/own-server-copy/edge/MSGTRK2026112814-1.LOG');
    const batches: ParsedBatch[] = [];
    const hops: ServerHop[] = [];
    await parseInput(
      { name: 'MSGTRK2026112814-1.LOG', sourceId: 'edge', open: () => chunked(bytes, 89) },
      // The adapter fills one object again for each row: copied here, as a keeper must.
      { inferring, noteServerHop: (hop) => void hops.push({ ...hop }) },
      { format() {}, batch: (batch) => void batches.push(batch) },
    );
    return { lines: batches.flatMap((batch) => batch.events.map((row) => row.line)), hops };
  };

  it('tell their hosts to the hook, and build no event', async () => {
    const hop: ServerHop = {
      eventId: 'SEND',
      source: 'SMTP',
      directionality: 'incoming',
      clientIp: '192.0.2.25',
      serverIp: '192.0.2.11',
      connectorId: EDGESYNC,
    };
    expect(await read(false)).toEqual({ lines: [6, 8, 9, 10, 12, 13], hops: [hop, hop] });
    // Inferring, the sends of incoming mail are events (evidence/relevance.ts): nothing to tell.
    expect(await read(true)).toEqual({ lines: [6, 7, 8, 9, 10, 11, 12, 13], hops: [] });
  });

  const hop = (evidence: EvidenceIndex, format: FormatId = TRACKING) =>
    evidence.noteServerHop(format, {
      eventId: 'SEND',
      source: 'SMTP',
      directionality: 'incoming',
      clientIp: '192.0.2.25',
      serverIp: '192.0.2.12',
      connectorId: EDGESYNC,
    });

  it('name the server a copy came back from to the evidence index, as its event would', () => {
    const evidence = new EvidenceIndex(
      parseAcceptedDomains('contoso.com', 'test'),
      undefined,
      100,
      new StringPool(),
    );
    for (const row of [ARRIVAL(), COPY()]) evidence.observe(row, 'MSGTRK2026112814-1.LOG', TRACKING);
    // Another format's rows name no server.
    hop(evidence, 'message-trace');
    expect(addressedBySender(evidence.inboundOf(MESSAGE), OUTSIDE)).toBe(true);
    hop(evidence);
    expect(addressedBySender(evidence.inboundOf(MESSAGE), OUTSIDE)).toBe(false);
  });
});

describe('the inbound index across uploads', () => {
  const domains = parseAcceptedDomains('contoso.com', 'test');
  const entriesOf = (sourceId: string, rows: TraceEvent[]): InboundEntry[] => {
    const entries = new InboundEntries(domains);
    for (const row of rows) entries.add(row, { sourceId, file: 'MSGTRK2026112814-1.LOG', format: TRACKING });
    return entries.take();
  };
  const refusal = makeFinding({
    scenario: 'foreign-sender-domain',
    messageId: MESSAGE,
    recipient: OUTSIDE,
    recipientDomain: 'tailspintoys.com',
    senderDomain: 'fabrikam.com',
    returnPath: 'john@fabrikam.com',
    timestamp: '2026-11-28T14:01:05.700Z',
    source: { sourceId: 'upload-edge02' },
  });

  it('marks a copy’s receipt from a server its upload named, even named after it, and proves forwarding', () => {
    const edge01 = entriesOf('upload-edge01', [ARRIVAL()]);
    const edge02 = entriesOf('upload-edge02', [COPY(), EX02_ROW()]);
    expect(edge02[0]).toMatchObject({ outside: [OUTSIDE], client: '192.0.2.12', ownServer: true });
    expect(
      correlatingEntries(refusal, [...edge01, ...edge02]).map((entry) => [entry.recipient, entry.sourceId]),
    ).toEqual([['kate@contoso.com', 'upload-edge01']]);
  });

  it('leaves a receipt from a host no row named a server as the sender’s own', () => {
    const edge02 = entriesOf('upload-edge02', [COPY()]);
    expect(edge02[0]?.ownServer).toBeUndefined();
    expect(correlatingEntries(refusal, [...entriesOf('upload-edge01', [ARRIVAL()]), ...edge02])).toEqual([]);
  });
});
