/**
 * What the classifier's index tells the inference of receipts from outside (evidence-index.ts):
 * one a message and recipient, and none for a recipient the message's own routing made — the next
 * server's receipt of a redirected or expanded copy is `Incoming` too — in whatever order the rows
 * are read.
 */
import { describe, expect, it } from 'vitest';
import { namesDomain } from '../../functions/core/analysis/classifier/inferred-reliance.js';
import { StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import type { FormatId, TraceEvent } from '../../functions/core/analysis/model/events.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import { ATTR35, ATTR36, event, origin } from '../support/events.js';

/** The inferred domains once `rows` are read, with how often each was received from outside. */
function inferredFrom(rows: TraceEvent[], format: FormatId = 'exchange-tracking-log') {
  const domains = new InferredDomains();
  const classifier = new StreamingClassifier({ domains });
  for (const row of rows) classifier.push(row, { ...origin(), format });
  classifier.flush();
  return domains.evidence().map(({ domain, receivedFromOutside }) => [domain, receivedFromOutside]);
}

const received = (messageId: string, recipient: string) =>
  event({ eventId: 'RECEIVE', source: 'SMTP', directionality: 'incoming', messageId, recipient });
const routed = (eventId: string, messageId: string, recipient: string, relatedRecipient: string) =>
  event({ eventId, source: 'ROUTING', directionality: 'incoming', messageId, recipient, relatedRecipient });

describe('receipts from outside the inference counts', () => {
  it('counts a message arriving for two outside-mail recipients of one domain, as before', () => {
    expect(inferredFrom([received('m1', 'kate@contoso.com'), received('m2', 'lee@contoso.com')])).toEqual([
      ['contoso.com', 2],
    ]);
  });

  it('counts the same receipt read twice once (overlapping exports, a file given twice)', () => {
    const twice = [received('m1', 'ap@litware.com'), received('m1', 'AP@litware.com')];
    expect(inferredFrom(twice)).toEqual([]);
    // A second message makes two: the same message received by two servers (an Edge, then a
    // mailbox server) or read twice is one arrival.
    expect(inferredFrom([...twice, received('m2', 'ar@litware.com')])).toEqual([['litware.com', 2]]);
  });

  it.each([
    ['expanded', 'EXPAND', 'sales@contoso.com'],
    ['redirected', 'REDIRECT', 'kate@contoso.com'],
    ['resolved', 'RESOLVE', 'kate.smith@contoso.com'],
  ])(
    'does not count the next server’s receipt of a copy %s to an outside address, in either order',
    (_, eventId, from) => {
      const message = (id: string) => [
        received(id, from),
        routed(eventId, id, 'partner@tailspintoys.com', from),
        received(id, 'partner@tailspintoys.com'),
      ];
      const inOrder = [...message('m1'), ...message('m2')];
      expect(inferredFrom(inOrder)).toEqual([['contoso.com', 2]]);
      // Newest first, and both hops read before either routing row.
      const [a1, a2, a3, b1, b2, b3] = inOrder as [TraceEvent, ...TraceEvent[]];
      expect(inferredFrom([a3, b3, a2, b2, a1, b1] as TraceEvent[])).toEqual([['contoso.com', 2]]);
    },
  );

  it('does not count a receipt of a copy an Inbox rule sent to an outside address', () => {
    const rule = (id: string) =>
      event({
        eventId: 'REDIRECT',
        source: 'MAILBOXRULE',
        messageId: id,
        recipient: 'kate@tailspintoys.com',
      });
    expect(
      inferredFrom([
        received('m1', 'kate@tailspintoys.com'),
        rule('m1'),
        rule('m2'),
        received('m2', 'kate@tailspintoys.com'),
      ]),
    ).toEqual([]);
  });
});

describe('a domain Exchange Online refused to relay to', () => {
  const refused = (messageId: string, recipient: string, status = ATTR36) =>
    event({ eventId: 'FAIL', source: 'SMTP', messageId, recipient, recipientStatus: status });
  const receipts = [received('m1', 'partner@tailspintoys.com'), received('m2', 'ap@tailspintoys.com')];

  it('is not made the organisation’s by receipts alone, before or after the refusal is read', () => {
    // A relaying server's log alone: copies an earlier server expanded arrive Incoming, then are refused.
    expect(inferredFrom(receipts)).toEqual([['tailspintoys.com', 2]]);
    expect(inferredFrom([...receipts, refused('m1', 'partner@tailspintoys.com')])).toEqual([]);
    expect(inferredFrom([refused('m1', 'partner@tailspintoys.com'), ...receipts])).toEqual([]);
  });

  it('is named as not taken, with its receipts', () => {
    const domains = new InferredDomains();
    const classifier = new StreamingClassifier({ domains });
    for (const row of [...receipts, refused('m2', 'AP@Tailspintoys.com')]) classifier.push(row, origin());
    classifier.flush();
    expect(domains.refusedRelayDespiteReceipts()).toEqual([
      { domain: 'tailspintoys.com', delivered: 0, submitted: 0, receivedFromOutside: 2 },
    ]);
  });

  it('still is the organisation’s with a mailbox delivery, and a wrong region (4.4.62) says nothing', () => {
    const delivered = event({
      eventId: 'DELIVER',
      source: 'STOREDRIVER',
      messageId: 'm3',
      recipient: 'kate@tailspintoys.com',
    });
    expect(
      inferredFrom([...receipts, delivered, refused('m1', 'partner@tailspintoys.com')]).map(
        ([domain]) => domain,
      ),
    ).toEqual(['tailspintoys.com']);
    expect(inferredFrom([...receipts, refused('m1', 'partner@tailspintoys.com', ATTR35)])).toEqual([
      ['tailspintoys.com', 2],
    ]);
  });
});

describe('a receipt whose message is sent on to the internet for the same recipient', () => {
  // An application's mail on an anonymous relay connector: Incoming, then sent on over SMTP.
  const sent = (
    messageId: string,
    recipient: string,
    serverIp: string,
    connectorId = 'EX01\\Outbound to Office 365',
  ) =>
    event({
      eventId: 'SEND',
      source: 'SMTP',
      directionality: 'incoming',
      messageId,
      recipient,
      serverIp,
      connectorId,
    });
  const relayed = (serverIp: string, connectorId?: string) => [
    received('m1', 'vendor@litware.com'),
    sent('m1', 'vendor@litware.com', serverIp, connectorId),
    received('m2', 'orders@litware.com'),
    sent('m2', 'orders@litware.com', serverIp, connectorId),
  ];

  it('is no arrival, whichever row is read first', () => {
    expect(inferredFrom(relayed('52.101.1.1'))).toEqual([]);
    expect(inferredFrom([...relayed('203.0.113.80')].reverse())).toEqual([]);
  });

  it('still counts when the message goes on to the next server of the organisation', () => {
    expect(inferredFrom(relayed('10.0.1.12'))).toEqual([['litware.com', 2]]);
    // Exchange's own connectors between its servers, at a global IPv6 or an own public IPv4 address.
    const intra = 'Intra-Organization SMTP Send Connector';
    expect(inferredFrom(relayed('2001:db8:10::12', intra))).toEqual([['litware.com', 2]]);
    const edge = 'EDGE01\\EdgeSync - Inbound to Default-First-Site-Name';
    expect(inferredFrom(relayed('131.107.10.11', edge))).toEqual([['litware.com', 2]]);
    // Exchange Online's trace sends its inbound mail on to the organisation's servers, where it arrives.
    const hybrid = 'Outbound to contoso on-premises';
    expect(inferredFrom(relayed('203.0.113.25', hybrid), 'message-trace-detail')).toEqual([
      ['litware.com', 2],
    ]);
    // Nor does another recipient's send take back this one's receipt.
    const other = [received('m1', 'kate@contoso.com'), sent('m1', 'ap@litware.com', '52.101.1.1')];
    expect(inferredFrom([...other, received('m2', 'lee@contoso.com')])).toEqual([['contoso.com', 2]]);
  });
});

describe('the inferred domains’ order', () => {
  it('puts a domain with mailbox deliveries before one with receipts alone, whatever came first', () => {
    const delivered = event({
      eventId: 'DELIVER',
      source: 'STOREDRIVER',
      messageId: 'm9',
      recipient: 'kate@contoso.com',
    });
    const rows = [
      received('m1', 'a@fabrikam.com'),
      received('m2', 'b@fabrikam.com'),
      received('m3', 'c@fabrikam.com'),
      delivered,
    ];
    expect(inferredFrom(rows).map(([domain]) => domain)).toEqual(['contoso.com', 'fabrikam.com']);
  });
});

describe('the inferred list’s generation', () => {
  it('changes when a domain is taken or dropped, and only then', () => {
    const domains = new InferredDomains();
    const start = domains.generation;
    domains.observeReceivedFromOutside('litware.com');
    expect(domains.generation).toBe(start);
    domains.observeReceivedFromOutside('litware.com');
    const taken = domains.generation;
    expect(taken).not.toBe(start);
    // More evidence for a domain already taken changes nothing.
    domains.observeReceivedFromOutside('litware.com');
    expect(domains.generation).toBe(taken);
    domains.withdrawReceivedFromOutside('litware.com');
    expect(domains.generation).toBe(taken);
    domains.withdrawReceivedFromOutside('litware.com');
    expect(domains.covers('litware.com')).toBeUndefined();
    const dropped = domains.generation;
    expect(dropped).not.toBe(taken);
    domains.observeReceivedFromOutside('litware.com');
    domains.observeReceivedFromOutside('litware.com');
    expect(domains.covers('litware.com')).toBe(true);
    // Exchange Online refusing to relay to it drops it again.
    domains.observeRelayRefusedTo('litware.com');
    expect(domains.covers('litware.com')).toBeUndefined();
    expect(domains.generation).toBe(dropped + 2);
  });
});

describe('namesDomain', () => {
  it('finds a domain as a whole name only', () => {
    expect(namesDomain('put *.contoso.com on the certificate', 'contoso.com')).toBe(true);
    expect(namesDomain('send as noreply@contoso.com.', 'contoso.com')).toBe(true);
    expect(namesDomain('mail.contoso.com', 'contoso.com')).toBe(true);
    expect(namesDomain('notcontoso.com and contoso.community', 'contoso.com')).toBe(false);
    expect(namesDomain('my-contoso.com, then contoso.com', 'contoso.com')).toBe(true);
  });
});
