/**
 * Postfix and Exim logs with lines read twice or out of order, as admins' tools leave them
 * (test/fixtures/real-world/mta-log-repeats/README.md). The refusals Postfix and Exim log on a line
 * of their own before they try the next server name no recipient: they take those of the delivery
 * lines that end their attempt, by the lines' times, not their places, and a line read twice is one
 * refusal. Found by a hunt: two overlapping windows of an Exim log joined with `cat` gave a fifth
 * finding (the repeat of a refusal, without its recipient), and read newest first the refusals lost
 * their recipients — Exim's two of one message merged into one — with only a note about senders.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { analyzeFiles } from '../support/analyze-text.js';

const FIXTURES = 'test/fixtures/real-world/mta-log-repeats';
const ORIGINALS = 'test/fixtures/real-world/mta-logs';
const EXIM = 'exim-next-host.mainlog';
const POSTFIX = 'postfix-next-server.log';

/** What a finding says of its refusal: Message-ID, recipient, envelope sender, scenario, code. */
type Row = [string, string | undefined, string | undefined, string, string];

function rowsOf(findings: Finding[]): Row[] {
  return findings
    .map((f): Row => [f.messageId, f.recipient, f.returnPath, f.scenario, f.code])
    .sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
}

function linesOf(content: string): string[] {
  return content.trimEnd().split('\n');
}

function textOf(lines: readonly string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Lines `from` to `to` (1-based, included), as `sed -n FROM,TOp` gives them. */
function window(content: string, from: number, to: number): string {
  return textOf(linesOf(content).slice(from - 1, to));
}

async function original(name: string): Promise<string> {
  return readFile(`${ORIGINALS}/${name}`, 'utf8');
}

async function fixture(name: string): Promise<string> {
  return readFile(`${FIXTURES}/${name}`, 'utf8');
}

async function run(files: { name: string; content: string }[]) {
  const { findings, sources } = await analyzeFiles(files);
  return { rows: rowsOf(findings), sources };
}

function noteCodes(sources: SourceRecord[]): string[] {
  return sources.flatMap((source) => (source.notes ?? []).map((note) => note.code));
}

describe('a block of a mail log read twice in one file is read once', () => {
  it.each([
    ['exim-windows-joined.mainlog', EXIM, [1, 8], [4, 12]],
    ['postfix-windows-joined.log', POSTFIX, [1, 12], [6, 19]],
  ] as const)(
    '%s (cat of two overlapping windows): the findings of the log and of the two windows as two files',
    async (name, of, first, second) => {
      const log = await original(of);
      const windows = [first, second].map(([from, to]) => window(log, from, to));
      const joined = await fixture(name);
      expect(joined).toBe(windows.join(''));
      const alone = await run([{ name: of, content: log }]);
      const apart = await run(windows.map((content, at) => ({ name: `window-${at + 1}`, content })));
      const together = await run([{ name, content: joined }]);
      // Each refusal of a server tried before the last names its recipients, none twice.
      expect(together.rows).toEqual(alone.rows);
      expect(together.rows).toHaveLength(4);
      expect(apart.rows).toEqual(alone.rows);
    },
  );

  it('postfix-lines-doubled.log (each line written twice, two rsyslog rules for mail.*): the findings of the log', async () => {
    const log = await original(POSTFIX);
    const doubled = await fixture('postfix-lines-doubled.log');
    expect(doubled).toBe(textOf(linesOf(log).flatMap((line) => [line, line])));
    const alone = await run([{ name: POSTFIX, content: log }]);
    expect((await run([{ name: 'mail.log', content: doubled }])).rows).toEqual(alone.rows);
  });

  it.each([EXIM, POSTFIX])('%s joined with itself: the findings of the log', async (of) => {
    const log = await original(of);
    const alone = await run([{ name: of, content: log }]);
    const twice = await run([{ name: of, content: log + log }]);
    expect(twice.rows).toEqual(alone.rows);
    expect(noteCodes(twice.sources)).not.toContain('RECIPIENTS_NOT_PAIRED');
  });
});

describe('read newest first (tac, a log search export)', () => {
  it.each([
    ['exim-next-host-newest-first.mainlog', EXIM],
    ['postfix-next-server-newest-first.log', POSTFIX],
  ])(
    '%s: each refusal of a server tried before the last takes the recipients of the delivery lines above it',
    async (name, of) => {
      const log = await original(of);
      const reversed = await fixture(name);
      expect(reversed).toBe(textOf(linesOf(log).reverse()));
      const alone = await run([{ name: of, content: log }]);
      const newestFirst = await run([{ name, content: reversed }]);
      expect(newestFirst.rows).toEqual(alone.rows);
      // Named: two recipients of one Exim message (not merged into one), one of a Postfix message.
      expect(newestFirst.rows.filter(([, recipient]) => recipient !== '').length).toBe(3);
      expect(noteCodes(newestFirst.sources)).not.toContain('RECIPIENTS_NOT_PAIRED');
    },
  );
});

describe('lines out of order the reader cannot pair', () => {
  it('exim-sorted-by-message.mainlog (sort -k3): the refusal is kept, of its own message, and the file names its line', async () => {
    const log = await original(EXIM);
    const sorted = await fixture('exim-sorted-by-message.mainlog');
    expect(linesOf(sorted).sort()).toEqual(linesOf(log).sort());
    const { rows, sources } = await run([{ name: 'mainlog', content: sorted }]);
    expect(rows).toEqual([
      ['bi01.5521@contoso.com', '', 'reports@contoso.com', 'wrong-region', '4.4.62'],
      ['mon01.881@contoso.com', '', 'alerts@contoso.com', 'wrong-region', '4.4.62'],
      ['scan.4410@contoso.com', 'orders@adventure-works.com', 'scans@contoso.com', 'wrong-region', '4.4.62'],
      ['scan.4410@contoso.com', 'returns@adventure-works.com', 'scans@contoso.com', 'wrong-region', '4.4.62'],
    ]);
    const note = sources[0]?.notes?.find((item) => item.code === 'RECIPIENTS_NOT_PAIRED');
    expect(note?.message).toMatch(/^The refusal on line 3 of a server tried before the last /);
  });

  /** The lines of each minute in an order drawn from `seed` (a log sorted on a time to the minute). */
  function shuffledWithinMinutes(content: string, seed: number): string {
    let state = seed;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const minutes = new Map<string, string[]>();
    for (const line of linesOf(content)) {
      const minute = line.slice(0, 16);
      minutes.set(minute, [...(minutes.get(minute) ?? []), line]);
    }
    const out: string[] = [];
    for (const lines of minutes.values()) {
      for (let at = lines.length - 1; at > 0; at--) {
        const other = Math.floor(random() * (at + 1));
        [lines[at], lines[other]] = [lines[other] as string, lines[at] as string];
      }
      out.push(...lines);
    }
    return textOf(out);
  }

  it.each([EXIM, POSTFIX])(
    '%s shuffled within each minute: a refusal is never dropped nor merged unsaid',
    async (of) => {
      const log = await original(of);
      const alone = await run([{ name: of, content: log }]);
      const messages = [...new Set(alone.rows.map(([messageId]) => messageId))].sort();
      let changed = 0;
      for (let seed = 1; seed <= 24; seed++) {
        const { rows, sources } = await run([{ name: of, content: shuffledWithinMinutes(log, seed) }]);
        // Each message keeps its refusals, no more findings than in order.
        expect([...new Set(rows.map(([messageId]) => messageId))].sort(), `seed ${seed}`).toEqual(messages);
        expect(rows.length, `seed ${seed}`).toBeLessThanOrEqual(alone.rows.length);
        // A recipient given is one the log in order gives that refusal: never another's.
        for (const row of rows.filter(([, recipient]) => recipient !== '')) {
          expect(alone.rows, `seed ${seed}`).toContainEqual(row);
        }
        const same = JSON.stringify(rows) === JSON.stringify(alone.rows);
        if (!same) changed++;
        // A recipient the log in order names is given, or the file says it could not be.
        if (!same) expect(noteCodes(sources), `seed ${seed}`).toContain('RECIPIENTS_NOT_PAIRED');
        // The log is whole (a removal read before its message's other lines still counts): no
        // attempt is said to go on past its end.
        const said = (sources[0]?.notes ?? []).map((note) => note.message);
        expect(
          said.filter((message) => message.includes('the file ends during')),
          `seed ${seed}`,
        ).toEqual([]);
      }
      // Most orders are read as in order: the lines' times pair them.
      expect(changed).toBeLessThan(6);
    },
  );
});

describe('a message with more refusals of servers tried before the last than an attempt has', () => {
  const TRIED =
    'host contoso-com.mail.protection.outlook.com[52.101.1.1] said: 451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] (in reply to RCPT TO command)';
  /** The syslog time of `ms` milliseconds after the message was queued. */
  const at = (ms: number) =>
    new Date(Date.parse('2026-11-28T22:16:40.000Z') + ms).toISOString().replace('Z', '000+00:00');

  it('keeps the first 1,000 of one attempt, each line once, and reads the rest at once, noted', async () => {
    // Postfix writes a few such lines an attempt; 1,005 (each written twice) are forged or filtered.
    const refusals = 1_005;
    const lines = [
      `${at(0)} relay01 postfix/cleanup[24311]: 7EB4051F38: message-id=<reports.20261128221640@contoso.com>`,
      `${at(1)} relay01 postfix/qmgr[1187]: 7EB4051F38: from=<reports@contoso.com>, size=10240, nrcpt=1 (queue active)`,
      ...Array.from(
        { length: refusals },
        (_, i) => `${at(10 + i)} relay01 postfix/smtp[24312]: 7EB4051F38: ${TRIED}`,
      ).flatMap((line) => [line, line]),
      `${at(5_000)} relay01 postfix/smtp[24312]: 7EB4051F38: to=<auditor@woodgrovebank.com>, relay=none, delay=5, delays=0.1/0/5/0, dsn=4.4.1, status=deferred (connect to contoso-com.mail.protection.outlook.com[52.101.3.1]:25: Connection timed out)`,
      `${at(5_001)} relay01 postfix/qmgr[1187]: 7EB4051F38: removed`,
    ];
    const { findings, result, sources } = await analyzeFiles([{ name: 'mail.log', content: textOf(lines) }]);
    // The kept ones take the recipient of the line that ends their attempt. The 5 past them are read
    // without it, and the run gives it them (the message's one refusal without a recipient, see
    // classifier/unnamed-recipients.ts): one finding.
    expect(rowsOf(findings)).toEqual([
      [
        'reports.20261128221640@contoso.com',
        'auditor@woodgrovebank.com',
        'reports@contoso.com',
        'wrong-region',
        '4.4.62',
      ],
    ]);
    // A kept line read again is the refusal already read (not read again); one past them is read
    // again, and the run counts it a repeat.
    expect([result.rejections, result.duplicates]).toEqual([1_000 + 2 * 5, 1_000 + 2 * 5 - 1]);
    const notes = sources[0]?.notes ?? [];
    expect(notes.map((note) => note.code)).toEqual(['RECIPIENTS_NOT_PAIRED']);
    expect(notes[0]?.message).toMatch(
      /^10 refusals of servers tried before the last \(lines of their own, which name no recipient; the first on line 2003\) came past the first 1,000 of one delivery attempt/,
    );
  });
});
