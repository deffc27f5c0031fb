/**
 * sendmail logs no removal line (Postfix `removed`, Exim `Completed`): a message leaves the reader's
 * queue once each recipient its from= line counts (`nrcpts=`) has a final status. Otherwise every
 * sendmail message stays queued until evicted, and a long log says ids were forgotten when none
 * needed to be (QUEUE_IDS_FORGOTTEN).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MAX_QUEUED_MESSAGES, MtaLogReader } from '../../functions/core/analysis/formats/mta-log.js';
import type { TextSink } from '../../functions/core/analysis/formats/text-format.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';

const MX = 'contoso-com.mail.protection.outlook.com. [52.101.1.1]';
const STATUS = {
  sent: 'dsn=2.0.0, stat=Sent (<0001@app01.contoso.com> [InternalId=1] Queued mail for delivery)',
  deferred: `dsn=4.4.1, stat=Deferred: Connection timed out with ${MX.split(' ')[0]}`,
  refused: 'dsn=5.7.64, stat=Service unavailable',
} as const;

/** rsyslog's ISO date, `second` seconds after 22:00 on 28 November 2026 (no year to guess). */
function at(second: number): string {
  return new Date(Date.UTC(2026, 10, 28, 22) + second * 1000).toISOString().replace('.000Z', '+00:00');
}

/** A sendmail queue id: 16 characters, as `2ASMF1xw003100` holds the date, the pid and a sequence. */
function qid(n: number): string {
  return `2ASM${String(n).padStart(6, '0')}xw3100`;
}

function from(second: number, id: string, sender: string, nrcpts: number | undefined): string {
  const count = nrcpts === undefined ? '' : `nrcpts=${nrcpts}, `;
  return (
    `${at(second)} mailgw sm-mta[3100]: ${id}: from=<${sender}>, size=2048, class=0, ${count}` +
    `msgid=<${id}@app01.contoso.com>, proto=ESMTP, daemon=MTA, relay=app01.contoso.local [10.0.2.40]`
  );
}

function to(second: number, id: string, recipients: string[], status: keyof typeof STATUS): string {
  const list = recipients.map((recipient) => `<${recipient}>`).join(',');
  return (
    `${at(second)} mailgw sm-mta[3101]: ${id}: to=${list}, delay=00:00:01, xdelay=00:00:01, ` +
    `mailer=relay, pri=30000, relay=${MX}, ${STATUS[status]}`
  );
}

/** `count` messages of one recipient each, sent at once: they leave the queue as they are read. */
function delivered(first: number, count: number, second: number): string[] {
  const lines: string[] = [];
  for (let n = first; n < first + count; n++) {
    lines.push(
      from(second, qid(n), `app${n}@contoso.com`, 1),
      to(second, qid(n), [`r${n}@adatum.com`], 'sent'),
    );
  }
  return lines;
}

/** Reads `lines` with room for `maxQueued` queued and `maxRemoved` removed messages. */
function read(lines: Iterable<string>, maxQueued: number, maxRemoved = 10_000) {
  const events: TraceEvent[] = [];
  const sink: TextSink = { row() {}, count() {}, skip() {}, event: (event) => void events.push(event) };
  const context = {
    file: 'maillog',
    timestamps: new TimestampParser(),
    now: new Date('2026-12-01T00:00:00Z'),
    // Only refusals are looked at: no events are made of the rest.
    isRelevant: (eventId: string) => eventId === 'FAIL',
  };
  const reader = new MtaLogReader(context, maxQueued, maxRemoved);
  for (const line of lines) reader.push(`${line}\n`, sink);
  reader.end(sink);
  const refusals = events
    .filter((event) => event.eventId === 'FAIL')
    .map((event) => [event.recipient, event.returnPath]);
  return { refusals, notes: reader.notes() };
}

const codes = (notes: readonly { code: string }[]) => notes.map((note) => note.code);

describe('a sendmail message leaves the queue once each of its recipients has a final status', () => {
  it('frees the room of delivered messages, and keeps a deferred one queued until it is refused', () => {
    const deferred = qid(900);
    const lines = [
      from(0, deferred, 'scanner@contoso.com', 1),
      to(1, deferred, ['orders@adatum.com'], 'deferred'),
      // Ten messages through a queue of three: each leaves once sent.
      ...delivered(0, 10, 2),
      // The next queue run, an hour later: refused. Its sender is still known.
      to(3600, deferred, ['orders@adatum.com'], 'refused'),
    ];
    // One removed message remembered: a deferred message taken out of the queue would be lost.
    const { refusals, notes } = read(lines, 3, 1);
    expect(refusals).toEqual([['orders@adatum.com', 'scanner@contoso.com']]);
    expect(codes(notes)).not.toContain('QUEUE_IDS_FORGOTTEN');
  });

  it('counts each recipient of a to= line that lists several, and of each part of a long list', () => {
    const many = qid(901);
    const lines = [
      from(0, many, 'newsletter@contoso.com', 5),
      to(1, many, ['a@adatum.com', 'b@adatum.com'], 'sent'),
      // deliver.c logdelivery: a list too long for one syslog message, in parts.
      to(1, many, ['c@adatum.com', 'd@adatum.com'], 'sent').replace(', delay=', ', [more], delay='),
      to(1, many, ['e@adatum.com'], 'sent'),
      from(2, qid(902), 'it@contoso.com', 1),
      to(3, qid(902), ['f@adatum.com'], 'refused'),
    ];
    // Room for one: the first message must have left for the second to be kept.
    const { refusals, notes } = read(lines, 1);
    expect(refusals).toEqual([['f@adatum.com', 'it@contoso.com']]);
    expect(codes(notes)).not.toContain('QUEUE_IDS_FORGOTTEN');

    // Four of five recipients final: it stays, and the second message has no room.
    const fewer = read(
      lines.map((line) => line.replace('nrcpts=5', 'nrcpts=6')),
      1,
    );
    expect(codes(fewer.notes)).toContain('QUEUE_IDS_FORGOTTEN');
  });

  it('leaves when sendmail returns the message after its queue lifetime (Cannot send message for 5 days)', () => {
    const old = qid(903);
    const lines = [
      from(0, old, 'ups01@contoso.com', 1),
      to(1, old, ['support@adatum.com'], 'deferred'),
      to(432_000, old, ['support@adatum.com'], 'deferred'),
      `${at(432_000)} mailgw sm-mta[3102]: ${old}: 2ASM000904xw3102: DSN: Cannot send message for 5 days`,
      from(432_001, qid(905), 'it@contoso.com', 1),
      to(432_002, qid(905), ['g@adatum.com'], 'refused'),
    ];
    // Room for the bounce and one more message.
    const { refusals, notes } = read(lines, 2);
    expect(refusals).toEqual([['g@adatum.com', 'it@contoso.com']]);
    expect(codes(notes)).not.toContain('QUEUE_IDS_FORGOTTEN');
  });

  it('finds a message that left for a line read after it, and keeps it queued when its count was wrong', () => {
    const aliased = qid(906);
    const lines = [
      // nrcpts=1, but delivered to two addresses (an alias expanded after it was counted).
      from(0, aliased, 'hr@contoso.com', 1),
      to(1, aliased, ['staff@contoso.com'], 'sent'),
      to(2, aliased, ['payroll@adatum.com'], 'deferred'),
      ...delivered(0, 10, 3),
      to(3600, aliased, ['payroll@adatum.com'], 'refused'),
    ];
    // Room for the removed message alone: the deferred line finds it there, and puts it back.
    const { refusals } = read(lines, 3, 1);
    expect(refusals).toEqual([['payroll@adatum.com', 'hr@contoso.com']]);
  });

  it('keeps a message whose from= line has no nrcpts= queued until evicted, and says so truly', () => {
    const lines = [from(0, qid(907), 'a@contoso.com', undefined), to(1, qid(907), ['x@adatum.com'], 'sent')];
    lines.push(from(2, qid(908), 'b@contoso.com', undefined), to(3, qid(908), ['y@adatum.com'], 'refused'));
    const { refusals, notes } = read(lines, 1);
    expect(refusals).toEqual([['y@adatum.com', 'b@contoso.com']]);
    const forgotten = notes.find((note) => note.code === 'QUEUE_IDS_FORGOTTEN');
    expect(forgotten?.message).toMatch(
      /^more than 1 messages were open at one point of the log, with no line yet saying they left the queue .*a final status for each recipient of a sendmail message\): the senders of 1 queue ids were forgotten/,
    );
  });

  it('reads a log of 150,000 delivered messages without forgetting any queue id', () => {
    function* lines() {
      for (let n = 0; n < 150_000; n++) {
        const second = Math.floor(n / 20);
        yield from(second, qid(n), `app${n % 50}@contoso.com`, 1);
        yield to(second, qid(n), [`r${n}@adatum.com`], n % 1000 === 999 ? 'refused' : 'sent');
      }
    }
    const { refusals, notes } = read(lines(), MAX_QUEUED_MESSAGES);
    expect(refusals).toHaveLength(150);
    expect(
      refusals.every(
        ([recipient, sender]) => sender === `app${Number(recipient?.slice(1, -11)) % 50}@contoso.com`,
      ),
    ).toBe(true);
    expect(codes(notes)).not.toContain('QUEUE_IDS_FORGOTTEN');
  });
});

/**
 * A full garbage collection on demand, as `--expose-gc` gives (the test runner starts no process with
 * it): memory is then what is held, not what is left for a collection that has not come yet.
 */
function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('a queued message keeps none of the text it was read from', () => {
  it('holds copies of its queue id, host, sender and Message-ID, not the long line they were cut from', () => {
    const collect = garbageCollector();
    const sink: TextSink = { row() {}, count() {}, skip() {}, event() {} };
    const context = {
      file: 'maillog',
      timestamps: new TimestampParser(),
      now: new Date('2026-12-01T00:00:00Z'),
      isRelevant: () => false,
    };
    const reader = new MtaLogReader(context);
    // A from= line of 4 KB (a long relay name stands for any long line), the message deferred: queued.
    const relay = `relay=${'x'.repeat(4000)}.contoso.local [10.0.2.40]`;
    const messages = 5000;
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let first = 0; first < messages; first += 100) {
      const lines: string[] = [];
      for (let n = first; n < first + 100; n++) {
        lines.push(
          from(n, qid(n), `app${n}@contoso.com`, 1).replace(/relay=.*$/, relay),
          to(n, qid(n), [`r${n}@adatum.com`], 'deferred'),
        );
      }
      reader.push(`${lines.join('\n')}\n`, sink);
    }
    collect();
    const held = (process.memoryUsage().heapUsed - before) / messages;
    // About 600 bytes a message measured; a line kept would be over 4,000.
    expect(held).toBeLessThan(2000);
    reader.end(sink);
    expect(codes(reader.notes())).not.toContain('QUEUE_IDS_FORGOTTEN');
  });
});
