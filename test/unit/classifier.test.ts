import { describe, expect, it } from 'vitest';
import { type EmittedFinding, StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { InferredDomains, parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { ATTR35, ATTR36, event, fail, origin } from '../support/events.js';

const domains = parseAcceptedDomains('contoso.com', 'test');

function run(classifier: StreamingClassifier, rows: [ReturnType<typeof event>, string][]): EmittedFinding[] {
  const out: EmittedFinding[] = [];
  for (const [row, file] of rows) {
    classifier.push(row, origin(file));
    out.push(...classifier.drain());
  }
  classifier.flush();
  return [...out, ...classifier.drain()];
}

const receive = (messageId: string) =>
  event({
    eventId: 'RECEIVE',
    source: 'SMTP',
    messageId,
    recipient: 'kate@contoso.com',
    returnPath: 'john@fabrikam.com',
  });
const redirect = (messageId: string) =>
  event({
    eventId: 'REDIRECT',
    source: 'ROUTING',
    messageId,
    recipient: 'kate@tailspintoys.com',
    relatedRecipient: 'kate@contoso.com',
    returnPath: 'john@fabrikam.com',
  });

describe('StreamingClassifier', () => {
  it('correlates a REDIRECT in the previous rolled-over file with the FAIL in the next', () => {
    const findings = run(new StreamingClassifier({ domains }), [
      [receive('m1'), 'MSGTRK-1.LOG'],
      [redirect('m1'), 'MSGTRK-1.LOG'],
      [fail('m1', 'kate@tailspintoys.com', 'john@fabrikam.com'), 'MSGTRK-2.LOG'],
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.finding.scenario).toBe('forwarding');
    expect(findings[0]?.finding.source.file).toBe('MSGTRK-2.LOG');
    expect(findings[0]?.finding.evidence.map((e) => e.kind)).toContain('redirect-event');
    expect(Finding.safeParse(findings[0]?.finding).success).toBe(true);
  });

  it('correlates evidence that comes after the refusal (newest-first exports)', () => {
    const findings = run(new StreamingClassifier({ domains }), [
      [fail('m2', 'kate@tailspintoys.com', 'john@fabrikam.com'), 'export.csv'],
      [redirect('m2'), 'export.csv'],
    ]);
    expect(findings.map((f) => f.finding.scenario)).toEqual(['forwarding']);
  });

  it('tells where a repeated refusal was first seen, pending or already emitted', () => {
    const repeats: [string, string][] = [];
    const classifier = new StreamingClassifier({
      domains,
      windowEvents: 2,
      onDuplicate: (duplicate, first) => repeats.push([duplicate.file, first.file]),
    });
    const rows: [ReturnType<typeof event>, string][] = [
      [fail('d1', 'kate@tailspintoys.com', 'john@fabrikam.com'), 'a.csv'],
      [fail('d1', 'kate@tailspintoys.com', 'john@fabrikam.com'), 'b.csv'], // still pending
      [event({ eventId: 'SEND', messageId: 'x1' }), 'b.csv'],
      [event({ eventId: 'SEND', messageId: 'x2' }), 'b.csv'],
      [fail('d1', 'kate@tailspintoys.com', 'john@fabrikam.com'), 'c.csv'], // emitted by now
    ];
    const findings = run(classifier, rows);
    expect(findings.map((f) => f.origin.file)).toEqual(['a.csv']);
    expect(repeats).toEqual([
      ['b.csv', 'a.csv'],
      ['c.csv', 'a.csv'],
    ]);
    expect(classifier.stats.duplicates).toBe(2);
  });

  it('is bounded: evidence further away than the window is not used', () => {
    const classifier = new StreamingClassifier({ domains, windowEvents: 3 });
    const rows: [ReturnType<typeof event>, string][] = [
      [fail('m3', 'kate@tailspintoys.com', 'john@fabrikam.com'), 'a'],
    ];
    for (let i = 0; i < 5; i++) rows.push([event({ eventId: 'SEND', messageId: `other${i}` }), 'a']);
    rows.push([redirect('m3'), 'a']);
    expect(run(classifier, rows).map((f) => f.finding.scenario)).toEqual(['foreign-sender-domain']);
  });

  it('keeps its correlation index bounded', () => {
    const classifier = new StreamingClassifier({ domains, maxTrackedMessages: 100 });
    for (let i = 0; i < 1000; i++) classifier.push(receive(`r${i}`), origin());
    // The oldest receipts were forgotten: a late refusal for r0 has no evidence left.
    classifier.push(fail('r0', 'kate@tailspintoys.com', 'john@fabrikam.com'), origin());
    classifier.flush();
    expect(classifier.drain().map((f) => f.finding.scenario)).toEqual(['foreign-sender-domain']);
  });

  it('releases the window at the end in batches when asked, oldest first', () => {
    // Prepare: five refusals of five messages, all still waiting in the window.
    const classifier = new StreamingClassifier({ domains });
    for (let i = 0; i < 5; i++)
      classifier.push(fail(`m${i}`, 'kate@tailspintoys.com', 'john@fabrikam.com'), origin());

    // Act / Assess
    expect(classifier.flush(2)).toBe(2);
    expect(classifier.drain().map((f) => f.finding.messageId)).toEqual(['m0', 'm1']);
    expect(classifier.flush(2)).toBe(2);
    expect(classifier.flush(2)).toBe(1);
    expect(classifier.flush(2)).toBe(0);
    expect(classifier.drain().map((f) => f.finding.messageId)).toEqual(['m2', 'm3', 'm4']);
  });

  it('counts one refusal once: DEFER then FAIL for the same message, recipient and code', () => {
    const classifier = new StreamingClassifier({ domains });
    const findings = run(classifier, [
      [fail('m4', 'x@gmail.com', 'app@contoso.com', ATTR35, { eventId: 'DEFER' }), 'a'],
      [
        fail(
          'm4',
          'X@GMAIL.COM'.toLowerCase(),
          'app@contoso.com',
          `550 4.4.7 QUEUE.Expired; message expired [{LED=${ATTR35}};{MSG=}]`,
        ),
        'a',
      ],
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.finding.scenario).toBe('wrong-region');
    expect(classifier.stats).toMatchObject({ rejections: 2, duplicates: 1 });
  });

  it('ignores failures that are not relay attribution', () => {
    const findings = run(new StreamingClassifier({ domains }), [
      [
        fail('m5', 'x@gmail.com', 'a@contoso.com', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found'),
        'a',
      ],
      [fail('m6', 'x@gmail.com', 'a@contoso.com', '550 5.7.26 DMARC'), 'a'],
    ]);
    expect(findings).toEqual([]);
  });

  it('takes sender and recipient from a message trace row when a detail row lacks them', () => {
    const trace = event({
      eventId: 'FAILED',
      messageTraceId: 't1',
      messageId: 'm7',
      sender: 'app@fabrikam.com',
      recipient: 'x@gmail.com',
    });
    const detail = event({
      eventId: 'FAIL',
      messageTraceId: 't1',
      messageId: 'm7',
      recipientStatus:
        'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [X.outlook.com]};{MSG=}]',
    });
    const findings = run(new StreamingClassifier({ domains }), [
      [detail, 'detail.csv'],
      [trace, 'trace.csv'],
    ]);
    expect(findings[0]?.finding).toMatchObject({
      scenario: 'foreign-sender-domain',
      sender: 'app@fabrikam.com',
      recipient: 'x@gmail.com',
      confidence: 'medium', // judged by the header sender: no P1 in a trace
    });
  });

  it('infers accepted domains from mailbox deliveries when no list is given', () => {
    const inferred = new InferredDomains();
    const findings = run(new StreamingClassifier({ domains: inferred }), [
      [
        event({ eventId: 'DELIVER', source: 'STOREDRIVER', messageId: 'd1', recipient: 'lee@contoso.com' }),
        'a',
      ],
      [
        fail(
          'm8',
          'x@gmail.com',
          'finance@contoso.com',
          '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [X]',
        ),
        'a',
      ],
    ]);
    expect(inferred.domains()).toEqual(['contoso.com']);
    // ATTR36 contradicts "accepted": still connector-mismatch, with lowered confidence and the conflict named.
    expect(findings[0]?.finding.scenario).toBe('connector-mismatch');
    expect(findings[0]?.finding.evidence.map((e) => e.kind)).toContain('attr36-conflict');
  });

  it('infers domains from what the main log of Exchange 2013 and later has: store submissions and receipts from outside', () => {
    // Prepare: no DELIVER or STOREDRIVER SUBMIT rows (those are in MSGTRKMD/MSGTRKMS since 2013).
    const inferred = new InferredDomains();
    const fromOutside = (messageId: string, recipient: string) =>
      event({ eventId: 'RECEIVE', source: 'SMTP', directionality: 'incoming', messageId, recipient });

    // Act
    run(new StreamingClassifier({ domains: inferred }), [
      [
        event({
          eventId: 'RECEIVE',
          source: 'STOREDRIVER',
          directionality: 'originating',
          messageId: 's1',
          sender: 'julia@contoso.com',
          recipient: 'x@gmail.com',
        }),
        'a',
      ],
      [fromOutside('r1', 'kate@fabrikam.com'), 'a'],
      [fromOutside('r2', 'tom@fabrikam.com'), 'a'],
      [fromOutside('r3', 'someone@misrouted.example'), 'a'],
    ]);

    // Assess: one receipt from outside is not enough on its own (conservative).
    expect(inferred.evidence()).toEqual([
      { domain: 'contoso.com', delivered: 0, submitted: 1, receivedFromOutside: 0 },
      { domain: 'fabrikam.com', delivered: 0, submitted: 0, receivedFromOutside: 2 },
    ]);
    expect(inferred.covers('misrouted.example')).toBeUndefined();
  });

  it('gives the same finding id for the same refusal, whatever the file', () => {
    const a = run(new StreamingClassifier({ domains }), [
      [fail('m9', 'x@gmail.com', 'a@fabrikam.com'), 'one.LOG'],
    ]);
    const b = run(new StreamingClassifier({ domains }), [
      [fail('m9', 'X@gmail.com'.toLowerCase(), 'a@fabrikam.com'), 'two.csv'],
    ]);
    expect(a[0]?.finding.id).toBe(b[0]?.finding.id);
  });

  it('shares one remediation text between refusals that differ only in details the advice does not name', () => {
    const findings = run(new StreamingClassifier({ domains }), [
      [
        fail(
          's1',
          'a@gmail.com',
          'app@fabrikam.com',
          '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01.outlook.com]',
        ),
        'a',
      ],
      [
        fail(
          's2',
          'b@yahoo.com',
          'app@fabrikam.com',
          '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [DB9PR02.outlook.com]',
        ),
        'a',
      ],
      [fail('s3', 'c@gmail.com', 'app@adatum.com'), 'a'],
    ]);
    const [first, second, third] = findings.map((f) => f.finding.remediation);
    expect(first).toBe(second);
    expect(third).not.toBe(first);
    expect(JSON.stringify(third)).toContain('adatum.com');
  });

  it('keeps an app relaying as a foreign domain to an internal and an outside recipient apart from forwarding', () => {
    const findings = run(new StreamingClassifier({ domains }), [
      [
        event({
          eventId: 'RECEIVE',
          source: 'SMTP',
          messageId: 'app1',
          recipient: 'kate@contoso.com',
          returnPath: 'app@fabrikam.com',
          directionality: 'originating',
        }),
        'a',
      ],
      [fail('app1', 'x@gmail.com', 'app@fabrikam.com'), 'a'],
    ]);
    expect(findings.map((f) => f.finding.scenario)).toEqual(['foreign-sender-domain']);
  });

  describe('an app relaying through an anonymous relay connector (Incoming) to internal and outside recipients', () => {
    /** The rows of one RECEIVE row naming `recipients`: one event each, the same line. */
    const received = (messageId: string, recipients: readonly string[], line = 7) =>
      recipients.map((recipient) =>
        event({
          eventId: 'RECEIVE',
          source: 'SMTP',
          messageId,
          recipient,
          returnPath: 'app@fabrikam.com',
          directionality: 'incoming',
          line,
        }),
      );
    const delivered = (messageId: string, recipient: string) =>
      event({
        eventId: 'DELIVER',
        source: 'STOREDRIVER',
        messageId,
        recipient,
        returnPath: 'app@fabrikam.com',
        directionality: 'incoming',
      });
    const scenarios = (rows: ReturnType<typeof event>[]) =>
      run(
        new StreamingClassifier({ domains }),
        rows.map((row) => [row, 'MSGTRK.LOG'] as [ReturnType<typeof event>, string]),
      ).map((f) => [f.finding.recipient, f.finding.scenario]);

    it('is foreign-sender-domain for the outside recipient, whichever the receipt lists first', () => {
      for (const order of [
        ['kate@contoso.com', 'x@gmail.com'],
        ['x@gmail.com', 'kate@contoso.com'],
      ]) {
        expect(
          scenarios([
            ...received('r1', order),
            delivered('r1', 'kate@contoso.com'),
            fail('r1', 'x@gmail.com', 'app@fabrikam.com', ATTR36, { directionality: 'incoming' }),
          ]),
        ).toEqual([['x@gmail.com', 'foreign-sender-domain']]);
      }
    });

    it('is foreign-sender-domain for outside recipients past those kept per message', () => {
      const outside = Array.from({ length: 12 }, (_, i) => `r${i}@gmail.com`);
      expect(
        scenarios([
          ...received('r2', ['kate@contoso.com', ...outside]),
          fail('r2', 'r11@gmail.com', 'app@fabrikam.com'),
          fail('r2', 'r0@gmail.com', 'app@fabrikam.com'),
        ]),
      ).toEqual([
        ['r11@gmail.com', 'foreign-sender-domain'],
        ['r0@gmail.com', 'foreign-sender-domain'],
      ]);
    });

    it('keeps forwarding forwarding: a receipt for the internal recipient only, or a redirect and the next hop', () => {
      expect(
        scenarios([
          ...received('f1', ['kate@contoso.com']),
          fail('f1', 'kate@tailspintoys.com', 'app@fabrikam.com'),
        ]),
      ).toEqual([['kate@tailspintoys.com', 'forwarding']]);
      // The server that categorised redirects; the next one receives the message for the new address.
      expect(
        scenarios([
          ...received('f2', ['kate@contoso.com'], 3),
          event({
            eventId: 'REDIRECT',
            source: 'ROUTING',
            messageId: 'f2',
            recipient: 'kate@tailspintoys.com',
            relatedRecipient: 'kate@contoso.com',
            returnPath: 'app@fabrikam.com',
          }),
          ...received('f2', ['kate@tailspintoys.com'], 5),
          fail('f2', 'kate@tailspintoys.com', 'app@fabrikam.com'),
        ]),
      ).toEqual([['kate@tailspintoys.com', 'forwarding']]);
    });
  });
});
