/**
 * A mail log that rotated during a delivery attempt, analysed with a later rotation that is not the
 * next one (mail.log.3 and mail.log.1, mail.log.2 missing): the older file's refusal of a server tried
 * before the last, which names no recipient, takes one only from lines of its own attempt — dated within
 * the longest an attempt lasts after it and, for Postfix, of a message that arrived by then (`delay=`):
 * not from another message under a reused short queue id, nor a later attempt days on, nor another
 * host's message under the same Exim id. Unpaired, it keeps its RECIPIENTS_NOT_PAIRED note. Found by a
 * hunt: mail.log.3's refusal named ceo@fabrikam.com, who got another message two days later, and the
 * note went. Likewise a refusal takes the sender and Message-ID of a message queued in another file
 * only when it can be that message (it arrived by then, within the days a message stays queued): the
 * refusal in mail.log.1 took those of the older message under its reused queue id (backup@contoso.com),
 * which can change its scenario. Fixtures: test/fixtures/real-world/mail-log-rotation-gap/.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { type AnalysisInput, analyze } from '../../functions/core/analysis/analyze.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { MemorySink } from '../support/memory-sink.js';
import { chunked } from '../support/streams.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'mail-log-rotation-gap');

interface TextFile {
  name: string;
  content: string;
}

async function fixture(folder: string, name: string): Promise<TextFile> {
  return { name, content: await readFile(join(FIXTURES, folder, name), 'utf8') };
}

/** `analyze` with --accepted-domains contoso.com --year 2026: the files in chunks of 97 bytes. */
async function analyse(files: readonly TextFile[]) {
  const inputs: AnalysisInput[] = files.map(({ name, content }) => {
    const bytes = Buffer.from(content, 'utf8');
    return { name, sourceId: name, size: bytes.length, open: () => chunked(bytes, 97) };
  });
  return analyseInputs(inputs);
}

/** `analyze` over a folder holding the files, as the command line reads one. */
async function analyseFolder(files: readonly TextFile[]) {
  const folder = await mkdtemp(join(tmpdir(), 'relay-audit-gap-'));
  try {
    for (const { name, content } of files) await writeFile(join(folder, name), content);
    return await analyseInputs(await localInputs([folder]));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Each finding's file, line, recipient (`''`: none) and scenario, sorted; the sender and Message-ID of
 * each finding by `file:line`; and each file's RECIPIENTS_NOT_PAIRED notes.
 */
async function analyseInputs(inputs: AnalysisInput[]) {
  const sink = new MemorySink();
  const now = new Date('2026-12-05T12:00:00Z');
  const result = await analyze(inputs, {
    domains: parseAcceptedDomains('contoso.com', 'accepted'),
    sink,
    now: () => now,
    year: 2026,
  });
  const rows = [...sink.findings.values()]
    .map((f) => [basename(f.source.file), f.source.line, f.recipient ?? '', f.scenario])
    .sort((a, b) => `${a[0]} ${a[1]} ${a[2]}`.localeCompare(`${b[0]} ${b[1]} ${b[2]}`));
  const named: Record<string, { returnPath: string | undefined; messageId: string | undefined }> = {};
  for (const f of sink.findings.values())
    named[`${basename(f.source.file)}:${f.source.line}`] = {
      returnPath: f.returnPath,
      messageId: f.messageId,
    };
  const unpaired = Object.fromEntries(
    result.sources.map((source) => [
      basename(source.file),
      (source.notes ?? [])
        .filter((note) => note.code === 'RECIPIENTS_NOT_PAIRED')
        .map((note) => note.message),
    ]),
  );
  return { rows, named, unpaired };
}

/** How a run is given the two files: in either order, or as a folder. */
const ORDERS = ['the older file first', 'the newer file first', 'a folder of both'] as const;
type Order = (typeof ORDERS)[number];

function run(order: Order, older: TextFile, newer: TextFile) {
  if (order === 'the older file first') return analyse([older, newer]);
  if (order === 'the newer file first') return analyse([newer, older]);
  return analyseFolder([older, newer]);
}

/** The note of a file whose one refusal on `line` is not paired: its next file is not in the run. */
const notedAt = (line: number) => [
  expect.stringMatching(
    new RegExp(`^The refusal on line ${line} .*the file ends during.*no file of the run holds`),
  ),
];

describe('a Postfix log and a later rotation, the one between them missing', () => {
  it.each(ORDERS)(
    'postfix-two-days, %s: neither refusal is given what another message under its reused queue id says',
    async (order) => {
      const older = await fixture('postfix-two-days', 'mail.log.3');
      const newer = await fixture('postfix-two-days', 'mail.log.1');
      const { rows, named, unpaired } = await run(order, older, newer);
      // 7EB4051F38: ceo@fabrikam.com got another message, which arrived a day after the refusal
      // (delay=8.1 on 28 November). 3C4D5E6F7A in mail.log.1 arrived on 27 November: mail.log.3's
      // nrcpt=1 is of the message queued under the id then, so its refusal names neither recipient —
      // nor that message's sender and Message-ID (backup@contoso.com, queued on 26 November).
      expect(rows).toEqual([
        ['mail.log.1', 3, '', 'wrong-region'],
        ['mail.log.3', 6, '', 'wrong-region'],
      ]);
      expect(named['mail.log.1:3']).toEqual({
        returnPath: undefined,
        messageId: 'postfix:relay01:3C4D5E6F7A@2026-11-27T23',
      });
      expect(unpaired['mail.log.3']).toEqual(notedAt(6));
      expect(unpaired['mail.log.1']).toEqual([]);
      // As each file alone says.
      const [olderAlone, newerAlone] = [await analyse([older]), await analyse([newer])];
      const alone = [...olderAlone.rows, ...newerAlone.rows].sort();
      expect(rows.map((row) => row.join(' ')).sort()).toEqual(alone.map((row) => row.join(' ')).sort());
      expect(named).toEqual({ ...olderAlone.named, ...newerAlone.named });
    },
  );

  it.each(ORDERS)(
    'postfix-two-days, %s: a 5.7.64 refusal of the later message keeps the scenario its file alone gives, not the older message’s sender',
    async (order) => {
      const older = await fixture('postfix-two-days', 'mail.log.3');
      const newer = await fixture('postfix-two-days', 'mail.log.1');
      // mail.log.1's refusal, as Postfix logs a 5xx answer: a bounced recipient of the message that
      // arrived on 27 November (00:20:11 less 1509 s). Taken with backup@contoso.com, an accepted
      // domain, it would be connector-mismatch.
      const [refusal] = newer.content.split('\n').filter((line) => line.includes('said: 451 4.4.62'));
      const bounced = {
        name: newer.name,
        content: newer.content.replace(
          refusal as string,
          'Nov 28 00:20:11 relay01 postfix/smtp[30020]: 3C4D5E6F7A: to=<sales@litware.com>, ' +
            'relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=1509, delays=1507/0.1/1.2/0.3, ' +
            'dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: ' +
            '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] ' +
            '(in reply to RCPT TO command))',
        ),
      };
      expect(bounced.content).not.toBe(newer.content);
      const alone = await analyse([bounced]);
      expect(alone.rows).toEqual([['mail.log.1', 3, 'sales@litware.com', 'foreign-sender-domain']]);
      const { rows, named } = await run(order, older, bounced);
      expect(rows).toContainEqual(['mail.log.1', 3, 'sales@litware.com', 'foreign-sender-domain']);
      expect(rows).not.toContainEqual(['mail.log.1', 3, 'sales@litware.com', 'connector-mismatch']);
      expect(named['mail.log.1:3']).toEqual(alone.named['mail.log.1:3']);
      expect(named['mail.log.1:3']?.returnPath).toBeUndefined();
    },
  );

  it('postfix-two-days, a refusal that tells no arrival: it takes the sender of the message queued under its id in another file within the days a message stays queued, not later', async () => {
    const older = await fixture('postfix-two-days', 'mail.log.3');
    const newer = await fixture('postfix-two-days', 'mail.log.1');
    // mail.log.1's refusal alone: no delivery line of its message, so no delay= tells when it arrived.
    const [refusal] = newer.content.split('\n').filter((line) => line.includes('said: 451 4.4.62'));
    const on = (day: string) => ({
      name: newer.name,
      content: `${(refusal as string).replace(/^Nov 28/, day)}\n`,
    });
    // Two days after 3C4D5E6F7A was deferred in mail.log.3: its retry may be refused (maximal_queue_lifetime 5d).
    for (const files of [
      [older, on('Nov 28')],
      [on('Nov 28'), older],
    ]) {
      const { named } = await analyse(files);
      expect(named['mail.log.1:1']).toEqual({
        returnPath: 'backup@contoso.com',
        messageId: 'backup.20261126235810@contoso.com',
      });
    }
    // More than six days after: that message left the queue long before; this one is another.
    for (const files of [
      [older, on('Dec  3')],
      [on('Dec  3'), older],
    ]) {
      const { named } = await analyse(files);
      expect(named['mail.log.1:1']).toEqual({
        returnPath: undefined,
        messageId: 'postfix:relay01:3C4D5E6F7A',
      });
    }
  });

  it('postfix-two-days, mail.log.1 holding the same 3C4D5E6F7A (arrived before mail.log.3 read it): its refusal takes the count', async () => {
    const older = await fixture('postfix-two-days', 'mail.log.3');
    const newer = await fixture('postfix-two-days', 'mail.log.1');
    // 28 Nov 00:20:13 less 88,924 s is 26 Nov 23:58:09, before its from= line (nrcpt=1) in mail.log.3.
    const same = {
      name: newer.name,
      content: newer.content
        .split('\n')
        .filter((line) => !line.includes('to=<ap@litware.com>'))
        .join('\n')
        .replaceAll('delay=1511, delays=1507/', 'delay=88924, delays=88920/'),
    };
    expect(same.content).not.toBe(newer.content);
    for (const files of [
      [older, same],
      [same, older],
    ]) {
      const { rows, named } = await analyse(files);
      expect(rows).toContainEqual(['mail.log.1', 3, 'buyer@litware.com', 'wrong-region']);
      // And its sender and Message-ID: the message queued in mail.log.3 is its own.
      expect(named['mail.log.1:3']).toEqual({
        returnPath: 'backup@contoso.com',
        messageId: 'backup.20261126235810@contoso.com',
      });
    }
  });

  it.each(ORDERS)(
    'postfix-same-day, %s: the retry of the same message names its recipient, another message under the id does not',
    async (order) => {
      const older = await fixture('postfix-same-day', 'mail.log.3');
      const newer = await fixture('postfix-same-day', 'mail.log.1');
      const { rows, unpaired } = await run(order, older, newer);
      // Both lines lie within an attempt's 5 hours of the refusals: only their delay= tells them apart.
      // 5A6B7C8D9E arrived at 09:59:50 (11:02:40 less 3770 s), the message refused; 7EB4051F38's line
      // is of a message that arrived at 10:31:14, after its refusal at 09:59:41.
      expect(rows).toEqual([
        ['mail.log.3', 3, '', 'wrong-region'],
        ['mail.log.3', 6, 'ops@woodgrovebank.com', 'wrong-region'],
      ]);
      expect(unpaired['mail.log.3']).toEqual(notedAt(3));
    },
  );
});

describe('an Exim log and lines under the same message id that are not of its attempt', () => {
  it('exim-two-days, in either order and as a folder: a delivery two days later names no recipient of the refusal, which keeps its note', async () => {
    const older = await fixture('exim-two-days', 'mainlog.3');
    const newer = await fixture('exim-two-days', 'mainlog.1');
    for (const order of ORDERS) {
      const { rows, unpaired } = await run(order, older, newer);
      expect(rows, order).toEqual([['mainlog.3', 2, 'orders@adventure-works.com', 'wrong-region']]);
      expect(unpaired['mainlog.3'], order).toEqual(notedAt(2));
    }
  });

  it('exim-two-days, the same lines dated in the minute of the refusal: they end its attempt, and name returns@', async () => {
    const older = await fixture('exim-two-days', 'mainlog.3');
    const newer = await fixture('exim-two-days', 'mainlog.1');
    const soon = {
      name: newer.name,
      content: newer.content.replaceAll('2026-11-30 06:12:40', '2026-11-28 22:55:14'),
    };
    expect(soon.content).not.toBe(newer.content);
    for (const order of ORDERS) {
      const { rows, unpaired } = await run(order, older, soon);
      expect(rows, order).toEqual([
        ['mainlog.3', 2, 'orders@adventure-works.com', 'wrong-region'],
        ['mainlog.3', 2, 'returns@adventure-works.com', 'wrong-region'],
      ]);
      expect(unpaired['mainlog.3'], order).toEqual([]);
    }
  });

  it('exim-two-hosts: another host’s message under the same Exim id names no recipient; the same lines of the host itself do', async () => {
    const mx1 = await fixture('exim-two-hosts', 'mx1-mail.log');
    const mx2 = await fixture('exim-two-hosts', 'mx2-mail.log');
    for (const order of ORDERS) {
      const { rows, unpaired } = await run(order, mx1, mx2);
      expect(rows, order).toEqual([['mx1-mail.log', 2, 'orders@adventure-works.com', 'wrong-region']]);
      expect(unpaired['mx1-mail.log'], order).toEqual(notedAt(2));
    }
    const own = { name: 'mx1-mail.log.0', content: mx2.content.replaceAll(' mx2 exim[', ' mx1 exim[') };
    const { rows, unpaired } = await analyse([mx1, own]);
    expect(rows).toContainEqual(['mx1-mail.log', 2, 'returns@adventure-works.com', 'wrong-region']);
    expect(unpaired['mx1-mail.log']).toEqual([]);
  });
});
