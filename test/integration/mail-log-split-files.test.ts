/**
 * A mail log analysed in one run with another file holding some of its lines — a SIEM export of its
 * refusal lines alone, or an overlapping time window of it — counts each refusal once, under its
 * Message-ID and with its sender, as the log alone does: the copy is a repeat, and no SENDER_NOT_SEEN
 * is noted for a sender another file of the run has. Found by a hunt: a message that left the queue
 * during its file was known to no other file, so its copy became a second finding under the queue-id
 * stand-in, without sender (Postfix's own bounce foreign-sender-domain beside its ndr finding, Exim's
 * refusal connector-mismatch beside foreign-sender-domain). Fixtures:
 * test/fixtures/real-world/mail-log-split-files/.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { type AnalysisInput, analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { MemorySink } from '../support/memory-sink.js';
import { chunked } from '../support/streams.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'mail-log-split-files');

interface TextFile {
  name: string;
  content: string;
}

/** `analyze` over the files with --accepted-domains contoso.com --year 2026, in chunks of 97 bytes. */
async function analyse(files: readonly TextFile[], maxTrackedMessages?: number) {
  const inputs: AnalysisInput[] = files.map(({ name, content }) => {
    const bytes = Buffer.from(content, 'utf8');
    return { name, sourceId: name, size: bytes.length, open: () => chunked(bytes, 97) };
  });
  return analyseInputs(inputs, maxTrackedMessages);
}

/** `analyze` over a folder holding copies of these fixtures, as the command line reads one. */
async function analyseFolder(names: readonly string[]) {
  const folder = await mkdtemp(join(tmpdir(), 'relay-audit-split-'));
  try {
    for (const name of names) await copyFile(join(FIXTURES, name), join(folder, name));
    return await analyseInputs(await localInputs([folder]));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** `analyze` over a folder holding the files, as the command line reads one. */
async function analyseFolderOf(files: readonly TextFile[]) {
  const folder = await mkdtemp(join(tmpdir(), 'relay-audit-split-'));
  try {
    for (const { name, content } of files) await writeFile(join(folder, name), content);
    return await analyseInputs(await localInputs([folder]));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function analyseInputs(inputs: AnalysisInput[], maxTrackedMessages?: number) {
  const sink = new MemorySink();
  const now = new Date('2026-12-05T12:00:00Z');
  const result = await analyze(inputs, {
    domains: parseAcceptedDomains('contoso.com', 'accepted'),
    sink,
    now: () => now,
    year: 2026,
    maxTrackedMessages,
  });
  const notes = result.sources.flatMap((source) => (source.notes ?? []).map((note) => note.code));
  const findings = [...sink.findings.values()];
  return { result, rows: rowsOf(findings), notes, findings };
}

/** What a finding says of its message: Message-ID, recipient, scenario, envelope sender, confidence. */
type Row = [string, string | undefined, string, string | undefined, string];

function rowsOf(findings: Finding[]): Row[] {
  return findings
    .map((f): Row => [f.messageId, f.recipient, f.scenario, f.returnPath, f.confidence])
    .sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));
}

async function fixture(name: string): Promise<TextFile> {
  return { name, content: await readFile(join(FIXTURES, name), 'utf8') };
}

/** Two files, each first once. */
function bothOrders(a: string, b: string): [string, string][] {
  return [
    [a, b],
    [b, a],
  ];
}

/** The two files in one run, in the order given. */
async function pair(first: string, second: string) {
  return analyse([await fixture(first), await fixture(second)]);
}

describe('a Postfix log and another file holding some of its lines, in one run', () => {
  const cases = [
    ['postfix-mail.log', 'splunk-refusals-oldest-first.log', 12],
    ['postfix-mail.log', 'splunk-refusals-newest-first.log', 12],
    ['siem-window-2210-2215.log', 'siem-window-2214-2240.log', 8],
  ] as const;
  for (const [log, other, refusals] of cases) {
    for (const [first, second] of bothOrders(log, other)) {
      it(`${first} then ${second}: the 5 findings of the log alone, the copies counted as repeats`, async () => {
        const alone = await analyse([await fixture('postfix-mail.log')]);
        const { result, rows, notes } = await pair(first, second);

        expect(alone.rows).toHaveLength(5);
        expect(rows).toEqual(alone.rows);
        expect(rows.every(([messageId]) => !messageId.startsWith('postfix:'))).toBe(true);
        expect(result.rejections).toBe(refusals);
        expect(result.duplicates).toBe(refusals - 5);
        expect(notes).not.toContain('SENDER_NOT_SEEN');
      });
    }
  }

  it("keeps Postfix's own bounce an ndr (from=<>), not also foreign-sender-domain without sender", async () => {
    const { rows } = await pair('splunk-refusals-oldest-first.log', 'postfix-mail.log');
    expect(rows.filter(([, recipient]) => recipient === 'alerts@monitoring.contoso.com')).toEqual([
      ['20261128221003.4B81D2E0C5@relay01.contoso.com', 'alerts@monitoring.contoso.com', 'ndr', '', 'high'],
    ]);
  });

  it('still names the refusals by their queue id, and notes SENDER_NOT_SEEN, when no file of the run has the sender', async () => {
    const { result, rows, notes } = await analyse([await fixture('splunk-refusals-oldest-first.log')]);
    expect(rows).toHaveLength(5);
    // The advice fits a search result too, not only a log that began after the message was queued.
    const message = result.sources[0]?.notes?.find((note) => note.code === 'SENDER_NOT_SEEN')?.message;
    expect(message).toContain(
      'for a search result or an export of chosen lines (a SIEM, grep), the whole log',
    );
    expect(
      rows.every(
        ([messageId, , , returnPath]) => messageId.startsWith('postfix:relay01:') && returnPath === undefined,
      ),
    ).toBe(true);
    expect(notes).toContain('SENDER_NOT_SEEN');
  });
});

describe('two overlapping windows of an Exim main log, in one run', () => {
  for (const [first, second] of bothOrders('exim-window-a.log', 'exim-window-b.log')) {
    it(`${first} then ${second}: the 4 findings of the log alone, one scenario for supplier@litware.com`, async () => {
      const alone = await analyse([await fixture('exim-mainlog.log')]);
      const { result, rows, notes } = await pair(first, second);

      expect(alone.rows).toHaveLength(4);
      expect(rows).toEqual(alone.rows);
      expect(rows.filter(([, recipient]) => recipient === 'supplier@litware.com')).toEqual([
        [
          'erp01.20261128223012.991@eu.fabrikam-group.com',
          'supplier@litware.com',
          'foreign-sender-domain',
          'billing@eu.fabrikam-group.com',
          'high',
        ],
      ]);
      expect(result.duplicates).toBe(1);
      expect(notes).not.toContain('SENDER_NOT_SEEN');
    });
  }
});

describe('a sendmail log and its refusal lines, in one run', () => {
  for (const [first, second] of bothOrders('sendmail-maillog.log', 'sendmail-refusals.log')) {
    it(`${first} then ${second}: the 4 findings of the log alone`, async () => {
      const alone = await analyse([await fixture('sendmail-maillog.log')]);
      const { result, rows, notes } = await pair(first, second);

      expect(alone.rows).toHaveLength(4);
      expect(rows).toEqual(alone.rows);
      expect(result.duplicates).toBe(4);
      expect(notes).not.toContain('SENDER_NOT_SEEN');
    });
  }
});

describe('what the refusals of a log tell other files is bounded', () => {
  const MX = 'contoso-com.mail.protection.outlook.com[52.101.1.1]';
  const REFUSED =
    '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
  /** 30 messages of app01, each refused and removed: the log, and the export of its refusal lines. */
  const log: string[] = [];
  const refusals: string[] = [];
  for (let i = 0; i < 30; i++) {
    const id = `C0FFEE${String(i).padStart(4, '0')}`;
    const at = `Nov 28 22:${String(10 + i).padStart(2, '0')}`;
    const refusal = `${at}:03 relay01 postfix/smtp[2]: ${id}: to=<r${i}@adatum.com>, relay=${MX}:25, delay=1, delays=0.1/0/0.4/0.5, dsn=5.7.64, status=bounced (host ${MX} said: ${REFUSED} (in reply to RCPT TO command))`;
    log.push(
      `${at}:02 relay01 postfix/cleanup[1]: ${id}: message-id=<m${i}@app01.contoso.local>`,
      `${at}:02 relay01 postfix/qmgr[9]: ${id}: from=<app@fabrikam.com>, size=1, nrcpt=1 (queue active)`,
      refusal,
      `${at}:04 relay01 postfix/qmgr[9]: ${id}: removed`,
    );
    refusals.push(refusal);
  }

  it('names the copies of the last refused messages the classifier remembers, and forgets the oldest', async () => {
    const files = [
      { name: 'mail.log', content: `${log.join('\n')}\n` },
      { name: 'splunk-refusals.log', content: `${refusals.join('\n')}\n` },
    ];
    // Within the bound (20,000 messages by default): every copy is a repeat.
    const all = await analyse(files);
    expect(all.rows).toHaveLength(30);
    expect(all.result.duplicates).toBe(30);

    // Room for 10 messages: the copies of the 20 oldest keep their stand-ins (and count again).
    const { rows, result } = await analyse(files, 10);
    const standIns = rows.filter(([messageId]) => messageId.startsWith('postfix:relay01:'));
    expect(rows).toHaveLength(50);
    expect(result.duplicates).toBe(10);
    expect(standIns.map(([, recipient]) => recipient).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `r${i}@adatum.com`).sort(),
    );
  });
});

describe('a Postfix queue id reused a week later, in a refusal-lines export', () => {
  it('keeps the later refusal its own finding, without the earlier message’s sender', async () => {
    const { result, rows, notes } = await analyse([
      await fixture('postfix-queue-id-reused-week1.log'),
      await fixture('postfix-queue-id-reused-week2-refusals.log'),
    ]);
    expect(result.duplicates).toBe(0);
    expect(rows).toEqual([
      [
        'postfix:relay01:3F7A21C0B4@2026-11-28T22',
        'noc@adatum.com',
        'foreign-sender-domain',
        undefined,
        'low',
      ],
      [
        'week1.3F7A21C0B4@app01.contoso.local',
        'noc@adatum.com',
        'foreign-sender-domain',
        'alerts@monitoring.contoso.com',
        'high',
      ],
    ]);
    expect(notes).toContain('SENDER_NOT_SEEN');
  });
});

/**
 * A log rotated during a delivery attempt: a refusal of a server tried before the last (Exim
 * `H=…: SMTP error`, Postfix `host … said:`, which name no recipient) in the older file, the delivery
 * lines that end its attempt — the recipients it concerns — in the newer one. Found by a hunt: Exim's
 * `-> returns@adventure-works.com` in the newer file lost its finding with no word said; then the
 * older file noted it. Analysed together, in either order or as a folder, the pair must give the
 * whole log's findings, each from the refusal's own line, and no note; only where the newer file is
 * not in the run does the older file's note say what is missing (RECIPIENTS_NOT_PAIRED).
 */
describe('a mail log rotated during a delivery attempt, in one run', () => {
  const ORIGINALS = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'mta-logs');
  const cases = [
    // The whole log, the older and newer files, the recipient the older file alone cannot name, the
    // refusal's line, and the start of the older file's note when it is alone.
    [
      'exim-next-host.mainlog',
      'exim-rotated-mainlog.1',
      'exim-rotated-mainlog',
      'returns@adventure-works.com',
      5,
      /^The refusal on line 5 /,
    ],
    [
      'postfix-next-server.log',
      'postfix-rotated-mail.log.1',
      'postfix-rotated-mail.log',
      'auditor@woodgrovebank.com',
      3,
      /^2 refusals of servers tried before the last \(.*the first on line 3\)/,
    ],
  ] as const;

  /** The RECIPIENTS_NOT_PAIRED notes of each file of a run, by its name. */
  function unpairedNotes(result: Awaited<ReturnType<typeof analyse>>['result']): Map<string, string[]> {
    return new Map(
      result.sources.map((source) => [
        basename(source.file),
        (source.notes ?? [])
          .filter((note) => note.code === 'RECIPIENTS_NOT_PAIRED')
          .map((note) => note.message),
      ]),
    );
  }

  /**
   * Each finding's id, recipient and line in the whole log, sorted: the line of its source, after
   * the `before` lines of the older file when it is in `newer`.
   */
  function placed(findings: readonly Finding[], newer?: string, before = 0): string[] {
    return findings
      .map((f) => {
        const line = f.source.line + (basename(f.source.file) === newer ? before : 0);
        return `${f.id} ${f.recipient} ${line}`;
      })
      .sort();
  }

  /** The whole log analysed alone. */
  async function whole(name: string) {
    const log = { name, content: await readFile(join(ORIGINALS, name), 'utf8') };
    return { log, ...(await analyse([log])) };
  }

  for (const [log, older, newer, recipient, line] of cases) {
    const runs: [string, () => ReturnType<typeof analyse>][] = [
      [`${older} then ${newer}`, () => pair(older, newer)],
      [`${newer} then ${older}`, () => pair(newer, older)],
      [`a folder of ${older} and ${newer}`, () => analyseFolder([older, newer])],
    ];
    for (const [what, run] of runs) {
      it(`${what}: the findings of ${log}, ${recipient}'s from the refusal's line ${line} of ${older}, no note`, async () => {
        const alone = await whole(log);
        const parts = [await fixture(older), await fixture(newer)];
        expect(parts.map((part) => part.content).join('')).toBe(alone.log.content);
        const { result, rows, notes, findings } = await run();

        expect(rows).toEqual(alone.rows);
        // The same findings (ids), each from the same line as in the whole log: the refusal's own.
        const olderLines = parts[0]?.content.trimEnd().split('\n').length;
        expect(placed(findings, newer, olderLines)).toEqual(placed(alone.findings));
        const lost = findings.filter((finding) => finding.recipient === recipient);
        expect(lost.map((finding) => [basename(finding.source.file), finding.source.line])).toEqual([
          [older, line],
        ]);
        expect(result.rejections).toBe(alone.result.rejections);
        expect(notes).not.toContain('RECIPIENTS_NOT_PAIRED');
        expect(alone.notes).not.toContain('RECIPIENTS_NOT_PAIRED');
      });
    }
  }

  for (const [log, older, , recipient, , refusal] of cases) {
    it(`${older} without the newer file: it lacks ${recipient} of ${log}, and its note names the refusal`, async () => {
      const alone = await whole(log);
      const { result, rows } = await analyse([await fixture(older)]);
      // No recipient invented: each finding is the whole log's, or one of its refusals without a recipient.
      for (const [messageId, named] of rows) {
        const known = alone.rows.some((row) => row[0] === messageId && (row[1] === named || named === ''));
        expect(known, `${messageId} ${named}`).toBe(true);
      }
      expect(rows.some((row) => row[1] === recipient)).toBe(false);
      const notes = unpairedNotes(result).get(older);
      expect(notes).toHaveLength(1);
      expect(notes?.[0]).toMatch(refusal);
      expect(notes?.[0]).toContain('the file ends during');
      expect(notes?.[0]).toContain('no file of the run holds the rest');
    });
  }

  /** The file's lines newest first: what `tac` gives, or a SIEM's export of a time window of the log. */
  function newestFirst({ name, content }: TextFile): TextFile {
    return { name, content: `${content.trimEnd().split('\n').reverse().join('\n')}\n` };
  }

  /** Each finding's id and recipient, sorted. */
  function named(findings: readonly Finding[]): string[] {
    return findings.map((f) => `${f.id} ${f.recipient}`).sort();
  }

  /** The refusal lines, in the whole log, of the message whose attempt the rotation cut. */
  const CUT_REFUSALS: Readonly<Record<string, readonly number[]>> = {
    'exim-next-host.mainlog': [5],
    'postfix-next-server.log': [3, 4],
  };

  /** The texts of the lines of the whole log `log` that refuse the message the rotation cut. */
  function cutRefusals(log: string, content: string): string[] {
    const lines = content.trimEnd().split('\n');
    return (CUT_REFUSALS[log] ?? []).map((line) => lines[line - 1] ?? '');
  }

  // Two adjacent time windows of the log a SIEM (Splunk, Graylog, Elastic) exported newest first, the
  // rotated pair each run through `tac`, or one file of each order: the older file's refusal is
  // judged open at its end by the times of its message's lines, not by where they stand.
  for (const [log, older, newer, recipient] of cases) {
    const same = (file: TextFile) => file;
    const shapes: [string, (file: TextFile) => TextFile, (file: TextFile) => TextFile][] = [
      ['each newest first', newestFirst, newestFirst],
      [`${older} newest first, ${newer} oldest first`, newestFirst, same],
      [`${older} oldest first, ${newer} newest first`, same, newestFirst],
    ];
    for (const [shape, olderAs, newerAs] of shapes) {
      it(`${older} and ${newer}, ${shape}, in either order and as a folder: the findings of ${log}, no note`, async () => {
        const alone = await whole(log);
        const first = olderAs(await fixture(older));
        const second = newerAs(await fixture(newer));
        const olderLines = first.content.trimEnd().split('\n');
        for (const run of [
          () => analyse([first, second]),
          () => analyse([second, first]),
          () => analyseFolderOf([first, second]),
        ]) {
          const { result, rows, notes, findings } = await run();
          expect(rows).toEqual(alone.rows);
          expect(named(findings)).toEqual(named(alone.findings));
          // Named from a refusal line of the older file, of the message the rotation cut.
          const lost = findings.filter((finding) => finding.recipient === recipient);
          expect(lost.map((finding) => basename(finding.source.file))).toEqual([older]);
          expect(cutRefusals(log, alone.log.content)).toContain(olderLines[(lost[0]?.source.line ?? 0) - 1]);
          expect(result.rejections - result.duplicates).toBe(
            alone.result.rejections - alone.result.duplicates,
          );
          expect(notes).not.toContain('RECIPIENTS_NOT_PAIRED');
        }
      });
    }
  }

  for (const [log, older, , recipient] of cases) {
    it(`${older} newest first without the newer file: it lacks ${recipient} of ${log}, and its note names the refusal`, async () => {
      const alone = await whole(log);
      const file = newestFirst(await fixture(older));
      const { result, rows } = await analyse([file]);
      // No recipient invented: each finding is the whole log's, or one of its refusals without a recipient.
      for (const [messageId, given] of rows) {
        const known = alone.rows.some((row) => row[0] === messageId && (row[1] === given || given === ''));
        expect(known, `${messageId} ${given}`).toBe(true);
      }
      expect(rows.some((row) => row[1] === recipient)).toBe(false);
      // The first of the cut message's refusal lines in the file as it is read.
      const lines = file.content.trimEnd().split('\n');
      const first = Math.min(...cutRefusals(log, alone.log.content).map((text) => lines.indexOf(text) + 1));
      const notes = unpairedNotes(result).get(older);
      expect(notes).toHaveLength(1);
      expect(notes?.[0]).toMatch(
        new RegExp(`^(The refusal on line ${first} |\\d+ refusals .*the first on line ${first}\\))`),
      );
      expect(notes?.[0]).toContain('the file ends during');
      expect(notes?.[0]).toContain('no file of the run holds the rest');
    });
  }

  it.each(cases.map(([log]) => log))(
    '%s newest first, alone: its findings, and no RECIPIENTS_NOT_PAIRED note (every attempt ends in the file)',
    async (log) => {
      const alone = await whole(log);
      const { rows, notes, findings } = await analyse([newestFirst(alone.log)]);
      expect(rows).toEqual(alone.rows);
      expect(named(findings)).toEqual(named(alone.findings));
      expect(notes).not.toContain('RECIPIENTS_NOT_PAIRED');
    },
  );

  it('the older file joined with itself, with the newer file: each refusal counted once, the findings of the log', async () => {
    const alone = await whole('exim-next-host.mainlog');
    const part = await fixture('exim-rotated-mainlog.1');
    const twice = { name: 'mainlog.1', content: part.content + part.content };
    const { result, rows, notes } = await analyse([await fixture('exim-rotated-mainlog'), twice]);
    expect(rows).toEqual(alone.rows);
    expect(result.rejections - result.duplicates).toBe(alone.result.rejections - alone.result.duplicates);
    expect(notes).not.toContain('RECIPIENTS_NOT_PAIRED');
  });

  it('the older file joined with itself (overlapping windows): its refusal is noted once, and counted once', async () => {
    const part = await fixture('exim-rotated-mainlog.1');
    const alone = await analyse([part]);
    const twice = await analyse([{ name: 'mainlog.1', content: part.content + part.content }]);
    expect(twice.rows).toEqual(alone.rows);
    expect(unpairedNotes(twice.result).get('mainlog.1')).toEqual([
      expect.stringMatching(/^The refusal on line 5 of a server tried before the last /),
    ]);
  });

  it.each([
    // Exim: between 1vF3xQ's -> line and its Completed line, dated in the second of the older file's
    // last line, so its attempt may go on: the newer file's Completed says it did not.
    ['exim-next-host.mainlog', 7],
    // Postfix: between a message's from= line (nrcpt=1, which names its recipient by the to= line)
    // and its refusals and to= line: 7EB4051F38, then 9A1B2C3D4E.
    ['postfix-next-server.log', 2],
    ['postfix-next-server.log', 7],
  ])('%s cut after line %i, in either order: the findings of the log, no note', async (whole, cut) => {
    const content = await readFile(join(ORIGINALS, whole), 'utf8');
    const lines = content.trimEnd().split('\n');
    const [older, newer] = [lines.slice(0, cut), lines.slice(cut)].map((part, at) => ({
      name: `part-${at + 1}`,
      content: `${part.join('\n')}\n`,
    })) as [TextFile, TextFile];
    const alone = await analyse([{ name: whole, content }]);
    for (const files of [
      [older, newer],
      [newer, older],
    ]) {
      const split = await analyse(files);
      expect(split.rows).toEqual(alone.rows);
      expect(split.notes).not.toContain('RECIPIENTS_NOT_PAIRED');
    }
  });

  it.each([
    // Exim: after 1vF3xQ's Completed line; Postfix: between the to= lines of 2C3D4E5F6A (nrcpt=2, whose
    // refusal names neither recipient in the whole log too).
    ['exim-next-host.mainlog', 8],
    ['postfix-next-server.log', 18],
  ])(
    '%s cut after line %i, where no attempt a refusal began is cut short: the findings of the log, no note',
    async (whole, cut) => {
      const content = await readFile(join(ORIGINALS, whole), 'utf8');
      const lines = content.trimEnd().split('\n');
      const parts = [lines.slice(0, cut), lines.slice(cut)].map((part, at) => ({
        name: `part-${at + 1}`,
        content: `${part.join('\n')}\n`,
      }));
      const alone = await analyse([{ name: whole, content }]);
      const split = await analyse(parts);
      expect(split.rows).toEqual(alone.rows);
      expect(split.notes).not.toContain('RECIPIENTS_NOT_PAIRED');
    },
  );
});
