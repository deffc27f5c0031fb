/**
 * What the classifier gives an MTA refusal of what another file said of its queued message
 * (evidence/queued-sender.ts): only what can be said of that message. Postfix reuses its short queue
 * ids, so two files of a run far apart in time may name two messages by one id and host; Exim's ids
 * never repeat on a host. The end to end case is test/integration/mail-log-rotation-gap.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { QUEUED_EVENT_ID, QueuedSenders } from '../../functions/core/analysis/evidence/queued-sender.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';

/** A message still queued at the end of a file, as mta-log.ts hands it on. */
function queued(timestamp: string, queueId: string, said: { returnPath?: string; messageId?: string }) {
  const event: TraceEvent = {
    timestamp,
    eventId: QUEUED_EVENT_ID,
    internalMessageId: queueId,
    clientHostname: 'relay01',
    line: 2,
    ...said,
  };
  return event;
}

/** A refusal of a file whose lines name neither the message's sender nor (but for `messageId`) its Message-ID. */
function refusal(timestamp: string, queueId: string, messageId: string): TraceEvent {
  return {
    timestamp,
    eventId: 'DEFER',
    source: 'SMTP',
    internalMessageId: queueId,
    messageId,
    clientHostname: 'relay01',
    recipientStatus: '451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35.',
    line: 3,
  };
}

const OLDER = { returnPath: 'backup@contoso.com', messageId: 'backup.20261119235810@contoso.com' };

describe('QueuedSenders.fill', () => {
  it('gives a refusal the sender of a Postfix message queued under its id in another file, of the same message', () => {
    const senders = new QueuedSenders(100);
    senders.observe(queued('2026-11-26T23:58:10.000Z', '3C4D5E6F7A', OLDER));
    // Arrived at 23:58, the hour its stand-in names; refused on a retry two days later.
    const filled = senders.fill(
      refusal('2026-11-28T00:20:11.000Z', '3C4D5E6F7A', 'postfix:relay01:3C4D5E6F7A@2026-11-26T23'),
    );
    expect(filled).toMatchObject(OLDER);
  });

  it('gives a refusal that names another Message-ID nothing of the queued message', () => {
    const senders = new QueuedSenders(100);
    senders.observe(queued('2026-11-26T23:58:10.000Z', '3C4D5E6F7A', OLDER));
    const filled = senders.fill(refusal('2026-11-27T00:20:11.000Z', '3C4D5E6F7A', 'later.1@contoso.com'));
    expect(filled.returnPath).toBeUndefined();
    expect(filled.messageId).toBe('later.1@contoso.com');
  });

  it('keeps one message a queue id: a later message queued under a reused id replaces, not joins, the older one', () => {
    const senders = new QueuedSenders(100);
    senders.observe(queued('2026-11-19T23:58:10.000Z', '3C4D5E6F7A', OLDER));
    // A week later, another message under the id: its file ends between its message-id= and from= lines.
    senders.observe(queued('2026-11-27T23:55:02.000Z', '3C4D5E6F7A', { messageId: 'later.2@contoso.com' }));
    const filled = senders.fill(
      refusal('2026-11-28T00:20:11.000Z', '3C4D5E6F7A', 'postfix:relay01:3C4D5E6F7A@2026-11-27T23'),
    );
    expect(filled.messageId).toBe('later.2@contoso.com');
    expect(filled.returnPath).toBeUndefined();
  });

  it('keeps the refusals of two messages under a reused id apart: a line between them takes neither sender', () => {
    const senders = new QueuedSenders(100);
    const older = {
      ...refusal('2026-11-19T10:20:11.000Z', '3C4D5E6F7A', 'postfix:relay01:3C4D5E6F7A@2026-11-19T10'),
      ...OLDER,
    };
    const later = {
      ...refusal('2026-11-27T10:20:11.000Z', '3C4D5E6F7A', 'postfix:relay01:3C4D5E6F7A@2026-11-27T10'),
      returnPath: 'scanner@contoso.com',
    };
    senders.observe(older, 'postfix-log');
    senders.observe(later, 'postfix-log');
    // A copy of either refusal is named as it; a refusal of a third message between them is not.
    expect(senders.fill({ ...later, returnPath: undefined })).toMatchObject({
      returnPath: 'scanner@contoso.com',
    });
    const between = senders.fill(
      refusal('2026-11-23T10:20:11.000Z', '3C4D5E6F7A', 'postfix:relay01:3C4D5E6F7A@2026-11-23T10'),
    );
    expect(between.returnPath).toBeUndefined();
  });

  it('gives an Exim refusal the sender of its message queued days before: Exim ids never repeat on a host', () => {
    const senders = new QueuedSenders(100);
    const id = '1vF3xQ-000Hn4-3T';
    senders.observe(queued('2026-11-20T22:55:10.000Z', id, OLDER));
    expect(senders.fill(refusal('2026-11-28T22:55:12.000Z', id, `exim:relay01:${id}`))).toMatchObject(OLDER);
  });
});
