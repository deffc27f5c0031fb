/**
 * A forwarded copy handed back between the organisation's own servers is received again, still
 * `Incoming`, for the outside address it was forwarded to (an Edge Transport server, or a Mailbox
 * server of a DAG, whose peer redirected the message). That receipt is no sign that the outside
 * sender addressed the outside recipient itself (`addressedBySender`): the refusal stays forwarding.
 * A message its sender did address to an internal and an outside recipient keeps saying so: one
 * receipt row for both, one envelope each from the same host, or the outside one from the internet.
 * The inbound index keeps each receipt's client address, so that the correlation across uploads
 * judges a copy received on another server (a second Edge Transport server) as one run would.
 */
import { describe, expect, it } from 'vitest';
import { StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import { correlatingEntries } from '../../functions/core/analysis/evidence/correlation.js';
import { InboundEntries, type InboundEntry } from '../../functions/core/analysis/evidence/inbound-entry.js';
import {
  addressedBySender,
  type InboundTrace,
  inboundTraceOf,
} from '../../functions/core/analysis/evidence/inbound-trace.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { event, fail, origin } from '../support/events.js';
import { makeFinding } from '../support/make-finding.js';

const domains = parseAcceptedDomains('contoso.com', 'test');
const OUTSIDE = 'kate@tailspintoys.com';

/** A receipt trace for `recipient`, from `client`, at second `second` of a minute, on `line`. */
function received(recipient: string, client: string | undefined, second: number, line: number): InboundTrace {
  const trace: InboundTrace = {
    kind: 'received-for',
    recipient,
    eventId: 'RECEIVE',
    line,
    at: `2026-11-28T14:01:${String(second).padStart(2, '0')}.000Z`,
  };
  if (client !== undefined) trace.client = client;
  return trace;
}

describe('addressedBySender and a receipt of a forwarded copy', () => {
  it('keeps the receipt row’s client address on the trace', () => {
    const trace = inboundTraceOf({
      eventId: 'RECEIVE',
      source: 'SMTP',
      recipient: OUTSIDE,
      directionality: 'incoming',
      clientIp: '10.0.1.11',
      line: 8,
    });
    expect(trace?.client).toBe('10.0.1.11');
  });

  it('is false for a copy received from a private address after an arrival from another host', () => {
    const arrival = received('kate@contoso.com', '198.51.100.77', 2, 6);
    const copy = received(OUTSIDE, '10.0.1.11', 5, 8);
    expect(addressedBySender([arrival, copy], OUTSIDE)).toBe(false);
    expect(addressedBySender([copy, arrival], OUTSIDE)).toBe(false);
    // Behind a spam filter appliance with a private address: still another host than the copy's.
    expect(addressedBySender([received('kate@contoso.com', '10.0.0.20', 2, 6), copy], OUTSIDE)).toBe(false);
  });

  it('is true when the sender addressed the outside recipient itself', () => {
    // One receipt row naming both (the same host, the same row).
    expect(
      addressedBySender(
        [received('kate@contoso.com', '10.0.2.40', 2, 6), received(OUTSIDE, '10.0.2.40', 2, 6)],
        OUTSIDE,
      ),
    ).toBe(true);
    // One envelope each, from the same application server.
    expect(
      addressedBySender(
        [received('kate@contoso.com', '10.0.2.40', 2, 6), received(OUTSIDE, '10.0.2.40', 3, 7)],
        OUTSIDE,
      ),
    ).toBe(true);
    // The outside recipient received from an internet address: no hop between own servers.
    expect(
      addressedBySender(
        [received('kate@contoso.com', '198.51.100.77', 2, 6), received(OUTSIDE, '203.0.113.9', 5, 8)],
        OUTSIDE,
      ),
    ).toBe(true);
    // Received from a private address before anything else was: no copy of an earlier arrival.
    expect(
      addressedBySender(
        [received(OUTSIDE, '10.0.1.11', 1, 5), received('kate@contoso.com', '198.51.100.77', 2, 6)],
        OUTSIDE,
      ),
    ).toBe(true);
    // Alone, or without a client address (a message trace, the store's entries): as before.
    expect(addressedBySender([received(OUTSIDE, '10.0.1.11', 5, 8)], OUTSIDE)).toBe(true);
    expect(
      addressedBySender(
        [received('kate@contoso.com', undefined, 2, 6), received(OUTSIDE, undefined, 5, 8)],
        OUTSIDE,
      ),
    ).toBe(true);
  });

  it('is true for a copy when another receipt from the internet named the refused recipient', () => {
    const traces = [
      received('kate@contoso.com', '198.51.100.77', 2, 6),
      received(OUTSIDE, '10.0.1.11', 5, 8),
      received(OUTSIDE, '198.51.100.80', 6, 9),
    ];
    expect(addressedBySender(traces, OUTSIDE)).toBe(true);
  });
});

describe('the classifier on an Edge Transport server’s log with the copy handed back', () => {
  const row = (fields: Partial<TraceEvent> & Pick<TraceEvent, 'eventId'>): TraceEvent =>
    event({ messageId: 'edge1', returnPath: 'john@fabrikam.com', sender: 'john@fabrikam.com', ...fields });
  const arrival = (clientIp: string) =>
    row({
      eventId: 'RECEIVE',
      source: 'SMTP',
      recipient: 'kate@contoso.com',
      directionality: 'incoming',
      clientIp,
      timestamp: '2026-11-28T14:01:02.100Z',
    });
  const copy = (clientIp: string) =>
    row({
      eventId: 'RECEIVE',
      source: 'SMTP',
      recipient: OUTSIDE,
      directionality: 'incoming',
      clientIp,
      timestamp: '2026-11-28T14:01:05.300Z',
    });
  const refusal = () =>
    fail('edge1', OUTSIDE, 'john@fabrikam.com', undefined, {
      directionality: 'incoming',
      timestamp: '2026-11-28T14:01:05.700Z',
    });
  const classify = (rows: TraceEvent[]) => {
    const classifier = new StreamingClassifier({ domains });
    for (const item of rows) classifier.push(item, origin('MSGTRK2026112814-1.LOG'));
    classifier.flush();
    return classifier.drain().map((f) => [f.finding.scenario, f.finding.confidence]);
  };

  it('is forwarding (medium, as without the copy’s receipt), in either reading order', () => {
    expect(classify([arrival('198.51.100.77'), copy('10.0.1.11'), refusal()])).toEqual([
      ['forwarding', 'medium'],
    ]);
    expect(classify([refusal(), copy('10.0.1.11'), arrival('198.51.100.77')])).toEqual([
      ['forwarding', 'medium'],
    ]);
  });

  it('stays foreign-sender-domain when the outside recipient came from the internet', () => {
    expect(classify([arrival('198.51.100.77'), copy('203.0.113.9'), refusal()])).toEqual([
      ['foreign-sender-domain', 'high'],
    ]);
  });
});

describe('the inbound index and a forwarded copy received on another server', () => {
  const MESSAGE = 'CAJx7rEdge01Fwd9q@mail.fabrikam.com';
  const receipt = (recipient: string, clientIp: string, timestamp: string): TraceEvent =>
    event({
      eventId: 'RECEIVE',
      source: 'SMTP',
      messageId: MESSAGE,
      recipient,
      returnPath: 'john@fabrikam.com',
      sender: 'john@fabrikam.com',
      directionality: 'incoming',
      clientIp,
      timestamp,
    });
  const entriesOf = (sourceId: string, rows: TraceEvent[]): InboundEntry[] => {
    const entries = new InboundEntries(domains);
    for (const row of rows) entries.add(row, { sourceId, file: `${sourceId}/MSGTRK2026112814-1.LOG` });
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

  it('keeps the receipt row’s client address on its entries', () => {
    const [arrival] = entriesOf('upload-edge01', [
      receipt('kate@contoso.com', '198.51.100.77', '2026-11-28T14:01:02.100Z'),
    ]);
    expect(arrival).toMatchObject({
      recipient: 'kate@contoso.com',
      eventId: 'RECEIVE',
      client: '198.51.100.77',
    });
  });

  it('proves forwarding across uploads: the copy handed back to the other Edge names no one the sender addressed', () => {
    const edge01 = entriesOf('upload-edge01', [
      receipt('kate@contoso.com', '198.51.100.77', '2026-11-28T14:01:02.100Z'),
    ]);
    const edge02 = entriesOf('upload-edge02', [receipt(OUTSIDE, '10.0.1.11', '2026-11-28T14:01:05.300Z')]);
    expect(edge02).toMatchObject([{ outside: [OUTSIDE], client: '10.0.1.11' }]);
    expect(
      correlatingEntries(refusal, [...edge01, ...edge02]).map((entry) => [entry.recipient, entry.sourceId]),
    ).toEqual([['kate@contoso.com', 'upload-edge01']]);
  });

  it('stays addressed by the sender for an application’s envelopes from one host, or from the internet', () => {
    const app01 = entriesOf('upload-ex01', [
      receipt('kate@contoso.com', '10.0.2.40', '2026-11-28T14:01:02.100Z'),
    ]);
    const app02 = entriesOf('upload-ex02', [receipt(OUTSIDE, '10.0.2.40', '2026-11-28T14:01:02.300Z')]);
    expect(correlatingEntries(refusal, [...app01, ...app02])).toEqual([]);
    const internet = entriesOf('upload-ex02', [receipt(OUTSIDE, '203.0.113.9', '2026-11-28T14:01:05.300Z')]);
    expect(
      correlatingEntries(refusal, [
        ...entriesOf('upload-edge01', [
          receipt('kate@contoso.com', '198.51.100.77', '2026-11-28T14:01:02.100Z'),
        ]),
        ...internet,
      ]),
    ).toEqual([]);
  });
});
