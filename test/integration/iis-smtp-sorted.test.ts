/**
 * IIS SMTP logs name no session, so answers are paired with commands by the order IIS wrote them.
 * Logs merged with `sort` (or `Sort-Object`) lose that order: each second's commands sort before its
 * answers (`OutboundConnectionCommand` < `OutboundConnectionResponse`), and its answers by code. Logs
 * put newest first (`tac`, `sort -r`, `Sort-Object -Descending`, a "newest first" export) lose it too:
 * each answer comes before its command, and each session's steps (greeting, EHLO, MAIL, RCPT, QUIT,
 * 221) come the other way round, even where a whole session falls in one second and time cannot
 * tell. Such a file is refused, naming the line and what to do, rather than give a refusal another
 * recipient; logs merged in time order without reordering the lines of a second, joined newest file
 * first, or whose time goes back now and then as IIS writes it, are read as written.
 * Fixtures: test/fixtures/real-world/smtp-transactions/ (ex261128-sorted.log is `sort ex261128.log`,
 * ex261128-newest-first.log its rows through `tac`, ex261128-sort-r.log through `sort -r`;
 * ex261128-undated-one-second*.log and ex261126-28-newest-file-first.log have one-second sessions).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { analyze, type FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/smtp-transactions';

/** What the findings say: relay, recipient and line. */
const refused = (findings: readonly Finding[]) =>
  findings.map((f) => [f.serverHostname, f.recipient, f.source.line]);

/** The lines of a CRLF log, without the empty string after the last line end. */
const linesOf = (text: string) => text.split('\r\n').filter((line) => line !== '');

/** A log's `#` header lines and its rows. */
async function logOf(name: string) {
  const lines = linesOf(await readFile(`${DIR}/${name}`, 'utf8'));
  return {
    header: lines.filter((line) => line.startsWith('#')),
    rows: lines.filter((line) => !line.startsWith('#')),
  };
}

/** A CRLF log of the lines. */
const logText = (lines: readonly string[]) => `${lines.join('\r\n')}\r\n`;

/** Analyses the lines as one log; the refusal's message, if any. */
const analyse = async (lines: readonly string[], name = 'ex261128.log') => {
  const { findings, sources } = await analyzeFiles([{ name, content: logText(lines) }]);
  return { findings, source: sources[0], message: sources[0]?.errorMessage ?? '' };
};

/** A row's date and time, its first two fields. */
const when = (line: string) => line.split(' ').slice(0, 2).join(' ');

/** Rows sorted on date and time only, keeping equal ones in order (Array.prototype.sort is stable). */
const byTime = (rows: readonly string[], order: 'oldest' | 'newest') =>
  [...rows].sort(
    (a, b) => (when(a) < when(b) ? -1 : when(a) > when(b) ? 1 : 0) * (order === 'oldest' ? 1 : -1),
  );

/** The log's rows on every hour of the day (rows as in `ex261128.log`, from 22:20). */
const allDay = (rows: readonly string[]) =>
  Array.from({ length: 24 }, (_, hour) =>
    rows.map((line) => line.replace(/^(\S+) \d{2}:/, `$1 ${String(hour).padStart(2, '0')}:`)),
  ).flat();

/**
 * The findings written while a long log is read, with a window of one event and batches of one: a
 * refusal handed on before the file fails is written. The log is given in chunks of 4096 bytes.
 */
async function writtenAsFound(bytes: Buffer) {
  const written: Finding[] = [];
  const sink: FindingSink = {
    putFindings: async (findings) => {
      written.push(...findings);
    },
    putSource: async () => {},
  };
  const result = await analyze(
    [
      {
        name: 'ex261128.log',
        sourceId: 'ex261128.log',
        open: async function* () {
          for (let at = 0; at < bytes.length; at += 4096) yield bytes.subarray(at, at + 4096);
        },
      },
    ],
    {
      domains: parseAcceptedDomains('contoso.com', 'test'),
      sink,
      now: () => new Date('2026-12-05T12:00:00Z'),
      windowEvents: 1,
      batchSize: 1,
    },
  );
  return { written, source: result.sources[0] };
}

/** What the fixture's refusals are, read as IIS wrote them. */
const AS_WRITTEN = [
  ['RELAY02', 'vendor@adatum.com', 13],
  ['RELAY02', 'sales@adatum.com', 13],
  ['RELAY02', 'ap@litware.com', 28],
  ['RELAY02', 'ar@litware.com', 28],
  ['RELAY02', 'noc@adatum.com', 36],
];

describe('IIS SMTP log whose lines were sorted', () => {
  it('refuses the sorted log, naming it, the first line paired by position and what to do', async () => {
    const name = `${DIR}/ex261128-sorted.log`;
    const { findings, sources } = await analyzeFiles([{ name, content: await readFile(name) }]);
    // No finding at all: never oncall@adatum.com (accepted, 250) named as refused, nor one without a recipient.
    expect(findings).toEqual([]);
    expect(sources.map((source) => [source.status, source.errorCode])).toEqual([
      ['failed', 'UNKNOWN_FORMAT'],
    ]);
    const message = sources[0]?.errorMessage ?? '';
    expect(message).toContain(`${name}: looks like an IIS SMTP service log whose lines were sorted`);
    // Line 12: the greeting, sorted after the EHLO, MAIL FROM and RCPT TOs of its second.
    expect(message).toContain('(line 12)');
    expect(message).toMatch(/Analyse the logs as IIS wrote them .*sort -s -k1,2/);
  });

  it('writes no refusal of a long sorted log, even when findings are written as they are found', async () => {
    // The fixture's sessions every hour of the day, then sorted: far longer than one chunk of text.
    const { header, rows } = await logOf('ex261128.log');
    const bytes = Buffer.from(logText([...header, ...allDay(rows)].sort()));
    const { written, source } = await writtenAsFound(bytes);
    expect(bytes.length).toBeGreaterThan(100_000);
    expect(source?.errorCode).toBe('UNKNOWN_FORMAT');
    expect(written).toEqual([]);
  });

  it('reads the same log as IIS wrote it: every refused recipient, no other', async () => {
    const name = `${DIR}/ex261128.log`;
    const { findings, sources } = await analyzeFiles([{ name, content: await readFile(name) }]);
    expect(sources[0]?.status).toBe('done');
    expect(refused(findings)).toEqual(AS_WRITTEN);
  });

  it('refuses a sorted log whose greeting has a second of its own, where answers are only sorted by code', async () => {
    const header = linesOf(await readFile(`${DIR}/ex261128.log`, 'utf8')).filter((line) =>
      line.startsWith('#'),
    );
    const row = (time: string, kind: 'Command' | 'Response', method: string, query: string) =>
      `2026-11-28 ${time} 52.101.1.1 OutboundConnection${kind} SMTPSVC1 RELAY02 - 25 ${method} - ${query} 0 0 20 0 16 SMTP - - - -`;
    // The greeting just before a second ends; the session in the next second, as IIS writes it.
    const written = [
      ...header,
      row('22:40:00', 'Response', '-', '220+AM0PR01MB1234+Microsoft+ESMTP+MAIL+Service+ready'),
      row('22:40:01', 'Command', 'EHLO', 'relay02.contoso.local'),
      row('22:40:01', 'Command', 'MAIL', 'FROM:<alerts@fabrikam.com>'),
      row('22:40:01', 'Response', '-', '250+2.1.0+Sender+OK'),
      row('22:40:01', 'Command', 'RCPT', 'TO:<noc@adatum.com>'),
      row('22:40:01', 'Response', '-', '550+5.7.64+TenantAttribution;+Relay+Access+Denied+ATTR36'),
      row('22:40:01', 'Command', 'RCPT', 'TO:<oncall@adatum.com>'),
      row('22:40:01', 'Response', '-', '250+2.1.5+Recipient+OK'),
      row('22:40:01', 'Command', 'QUIT', '-'),
      row('22:40:01', 'Response', '-', '221+2.0.0+Service+closing+transmission+channel'),
    ];
    const asWritten = await analyzeFiles([{ name: 'ex261128.log', content: `${written.join('\r\n')}\r\n` }]);
    expect(refused(asWritten.findings)).toEqual([['RELAY02', 'noc@adatum.com', 10]]);

    // `sort` (C collation, as JavaScript compares strings): no greeting after a command to give it away.
    const sorted = [...written].sort();
    const { findings, sources } = await analyzeFiles([
      { name: 'ex261128.log', content: `${sorted.join('\r\n')}\r\n` },
    ]);
    expect(findings).toEqual([]);
    expect([sources[0]?.status, sources[0]?.errorCode]).toEqual(['failed', 'UNKNOWN_FORMAT']);
    // The first answer after a command is the QUIT's 221, sorted first of its second's answers.
    const line = sorted.findIndex((text) => text.includes('221+2.0.0')) + 1;
    expect(sources[0]?.errorMessage).toContain(`(line ${line})`);
  });

  it('reads logs of two relays merged in time order without reordering a second (sort -s -k1,2)', async () => {
    const rows = linesOf(await readFile(`${DIR}/ex261128.log`, 'utf8'));
    // RELAY01 logged the same sessions with the same remote, at the same times.
    const relay01 = rows.map((line) => line.replace(' RELAY02 ', ' RELAY01 '));
    const header = rows.filter((line) => line.startsWith('#'));
    // Stable, as `sort -s` is: the rows of one second keep their order.
    const merged = byTime(
      [...rows, ...relay01].filter((line) => !line.startsWith('#')),
      'oldest',
    );
    const content = logText([...header, ...merged]);
    const { findings, sources } = await analyzeFiles([{ name: 'merged.log', content }]);
    expect(sources[0]?.status).toBe('done');
    expect(sources[0]?.notes ?? []).toEqual([]);
    const recipients = (relay: string) =>
      findings.filter((f) => f.serverHostname === relay).map((f) => f.recipient);
    const expected = [
      'vendor@adatum.com',
      'sales@adatum.com',
      'ap@litware.com',
      'ar@litware.com',
      'noc@adatum.com',
    ];
    expect(recipients('RELAY01')).toEqual(expected);
    expect(recipients('RELAY02')).toEqual(expected);
  });
});

describe('IIS SMTP log put newest first', () => {
  it('refuses the log reversed line by line (tac), naming it, the line where time goes back and what to do', async () => {
    const name = `${DIR}/ex261128-newest-first.log`;
    const { findings, sources } = await analyzeFiles([{ name, content: await readFile(name) }]);
    // No finding at all: never a refusal paired with the next session's MAIL FROM and no recipient.
    expect(findings).toEqual([]);
    expect(sources.map((source) => [source.status, source.errorCode])).toEqual([
      ['failed', 'UNKNOWN_FORMAT'],
    ]);
    const message = sources[0]?.errorMessage ?? '';
    expect(message).toContain(`${name}: looks like an IIS SMTP service log put newest first`);
    // Lines 5–8 are the last session's 22:31:11 rows, line 9 its 22:31:10 RCPT TO.
    expect(message).toContain('its time goes back at line 9 (2026-11-28 22:31:10 after 2026-11-28 22:31:11)');
    expect(message).toMatch(/went back \d+ times for 0 forward/);
    expect(message).toMatch(/Analyse the ex\*\.log files as IIS wrote them .*reversing it again/);
  });

  it('refuses the log sorted newest first as whole lines (sort -r, Sort-Object -Descending)', async () => {
    const name = `${DIR}/ex261128-sort-r.log`;
    const { findings, sources } = await analyzeFiles([{ name, content: await readFile(name) }]);
    expect(findings).toEqual([]);
    expect([sources[0]?.status, sources[0]?.errorCode]).toEqual(['failed', 'UNKNOWN_FORMAT']);
    expect(sources[0]?.errorMessage).toContain('put newest first');
    expect(sources[0]?.errorMessage).toContain(
      'its time goes back at line 9 (2026-11-28 22:31:10 after 2026-11-28 22:31:11)',
    );
  });

  it('refuses seconds put newest first with each second as written, and reads them sorted back as it advises', async () => {
    const { header, rows } = await logOf('ex261128.log');
    // A stable sort on date and time, newest first (sort -s -r -k1,2; Log Parser ORDER BY date DESC, time DESC).
    const newest = await analyse([...header, ...byTime(rows, 'newest')]);
    expect(newest.findings).toEqual([]);
    expect(newest.source?.errorCode).toBe('UNKNOWN_FORMAT');
    expect(newest.message).toContain('put newest first');
    expect(newest.message).toContain('sort -s -k1,2');

    // Sorted back oldest first the same way: the order IIS wrote, every refusal with its recipient.
    const back = await analyse([...header, ...byTime(byTime(rows, 'newest'), 'oldest')]);
    expect(back.source?.status).toBe('done');
    expect(refused(back.findings)).toEqual(AS_WRITTEN);
  });

  it('refuses a log without a date field put newest first, though a step back may be a new day there', async () => {
    const { header, rows } = await logOf('ex261128-newest-first.log');
    const undated = [
      ...header.map((line) => line.replace(/^#Fields: date /, '#Fields: ')),
      ...rows.map((line) => line.replace(/^\S+ /, '')),
    ];
    const { findings, source, message } = await analyse(undated);
    expect(findings).toEqual([]);
    expect(source?.errorCode).toBe('UNKNOWN_FORMAT');
    expect(message).toContain('its time goes back at line 9 (2026-11-28 22:31:10 after 2026-11-28 22:31:11)');
  });

  it('writes no refusal of a long log put newest first, even when findings are written as they are found', async () => {
    const { header, rows } = await logOf('ex261128.log');
    const bytes = Buffer.from(logText([...header, ...allDay(rows).reverse()]));
    const { written, source } = await writtenAsFound(bytes);
    expect(bytes.length).toBeGreaterThan(100_000);
    expect(source?.errorCode).toBe('UNKNOWN_FORMAT');
    expect(source?.errorMessage).toContain('put newest first');
    expect(written).toEqual([]);
  });

  it('reads logs as IIS wrote them joined newest first (type ex261129.log ex261128.log)', async () => {
    const { header, rows } = await logOf('ex261128.log');
    const nextDay = [...header, ...rows].map((line) => line.replace(/2026-11-28/g, '2026-11-29'));
    const { findings, source } = await analyse([...nextDay, ...header, ...rows]);
    expect(source?.status).toBe('done');
    const offset = nextDay.length;
    expect(refused(findings)).toEqual([
      ...AS_WRITTEN,
      ...AS_WRITTEN.map(([relay, recipient, line]) => [relay, recipient, Number(line) + offset]),
    ]);
  });

  it('reads a log as IIS wrote it whose clock was set back, with a row written a second out of order', async () => {
    const { header, rows } = await logOf('ex261128.log');
    const written = rows.map((line, at) => {
      // The clock set back an hour after the first session (an NTP correction), the third session's
      // EHLO stamped a second before its greeting (logged by another thread).
      const row = at < 13 ? line : line.replace(' 22:', ' 21:');
      return row.includes('21:31:10') && row.includes(' EHLO ') ? row.replace('21:31:10', '21:31:09') : row;
    });
    expect(written.join('\n')).toContain('21:31:09');
    const { findings, source } = await analyse([...header, ...written]);
    expect(source?.status).toBe('done');
    expect(source?.notes ?? []).toEqual([]);
    expect(refused(findings)).toEqual(AS_WRITTEN);
  });
});

describe('IIS SMTP log whose sessions each fall in one second', () => {
  /** The findings' relay, recipient and line, with their scenario and sender. */
  const told = (findings: readonly Finding[]) =>
    findings.map((f) => [f.serverHostname, f.recipient, f.source.line, f.scenario, f.returnPath]);

  it('refuses a log without a date field put newest first, told by the order of SMTP in its sessions', async () => {
    // Two messages ten minutes apart, each relayed within one second: no step of time inside a
    // session, and the step back between them looks like a new day without a date field.
    const name = `${DIR}/ex261128-undated-one-second-newest-first.log`;
    const { findings, source, message } = await analyse(linesOf(await readFile(name, 'utf8')), name);
    // Never the refusal of scans@contoso.com paired with the other message's MAIL FROM:<> as an NDR.
    expect(findings).toEqual([]);
    expect(source?.errorCode).toBe('UNKNOWN_FORMAT');
    expect(message).toContain(`${name}: looks like an IIS SMTP service log put newest first`);
    expect(message).toContain(
      'its sessions go against the order of SMTP at line 6 (the QUIT to 52.101.1.1 follows the 221 of line 5, ' +
        'which SMTP sends after a QUIT), and from row to row of a session they went back 8 times for 0 forward',
    );
    expect(message).not.toContain('its time goes back');

    // The log as IIS wrote it: each refusal with its own recipient and sender.
    const written = `${DIR}/ex261128-undated-one-second.log`;
    const asWritten = await analyse(linesOf(await readFile(written, 'utf8')), written);
    expect(asWritten.source?.status).toBe('done');
    expect(told(asWritten.findings)).toEqual([
      ['RELAY02', 'orders@fourthcoffee.com', 15, 'connector-mismatch', 'scans@contoso.com'],
      ['RELAY02', 'jobs@adventure-works.com', 28, 'ndr', ''],
    ]);
  });

  it('refuses a single message relayed within one second put newest first', async () => {
    const { header, rows } = await logOf('ex261128-undated-one-second.log');
    // The client's session and the relay's session to Exchange Online, both at 22:20:02.
    const first = rows.slice(0, 13);
    expect(new Set(first.map((line) => line.split(' ')[0]))).toEqual(new Set(['22:20:02']));
    const { findings, source, message } = await analyse([...header, ...first.reverse()]);
    // Not one refusal without recipient or sender "whose session began before the log".
    expect(findings).toEqual([]);
    expect(source?.errorCode).toBe('UNKNOWN_FORMAT');
    expect(message).toContain('its sessions go against the order of SMTP at line 6');
  });

  it('refuses a copy put newest first and sorted back on time only, whose seconds keep their rows newest first', async () => {
    // `tac ex261128.log | sort -s -k1,2`: the time goes forward, but in each second the answers come
    // before the commands they answer.
    const { header, rows } = await logOf('ex261128.log');
    const { findings, source, message } = await analyse([
      ...header,
      ...byTime([...rows].reverse(), 'oldest'),
    ]);
    expect(findings).toEqual([]);
    expect(source?.errorCode).toBe('UNKNOWN_FORMAT');
    expect(message).toContain('put newest first');
    expect(message).toContain('its sessions go against the order of SMTP');
    expect(message).not.toContain('its time goes back');
  });

  it('reads daily logs as IIS wrote them joined newest file first (Sort-Object LastWriteTime -Descending)', async () => {
    const name = `${DIR}/ex261126-28-newest-file-first.log`;
    const lines = linesOf(await readFile(name, 'utf8'));
    const newestFirst = await analyse(lines, name);
    expect(newestFirst.source?.status).toBe('done');
    expect(told(newestFirst.findings)).toEqual([
      ['RELAY02', 'orders2@fourthcoffee.com', 15, 'connector-mismatch', 'scans2@contoso.com'],
      ['RELAY02', 'orders1@fourthcoffee.com', 32, 'connector-mismatch', 'scans1@contoso.com'],
      ['RELAY02', 'orders0@fourthcoffee.com', 49, 'connector-mismatch', 'scans0@contoso.com'],
    ]);

    // The same three files joined oldest first: the same findings.
    const files = logText(lines)
      .split(/(?=#Software:)/)
      .map((file) => linesOf(file));
    expect(files).toHaveLength(3);
    const oldestFirst = await analyse(files.reverse().flat(), name);
    expect(oldestFirst.source?.status).toBe('done');
    expect(told(oldestFirst.findings).map(([, recipient]) => recipient)).toEqual([
      'orders0@fourthcoffee.com',
      'orders1@fourthcoffee.com',
      'orders2@fourthcoffee.com',
    ]);
  });

  it('names the dates where only the date goes back, in the same files joined without their headers', async () => {
    // Without the files' directives nothing tells a file joined before an older one from seconds put
    // newest first, which would split sessions that span two seconds: refused, naming both dates.
    const { header, rows } = await logOf('ex261126-28-newest-file-first.log');
    const { findings, source, message } = await analyse([...header.slice(0, 4), ...rows]);
    expect(findings).toEqual([]);
    expect(source?.errorCode).toBe('UNKNOWN_FORMAT');
    const line = 4 + rows.findIndex((row) => row.startsWith('2026-11-27')) + 1;
    expect(message).toContain(
      `its time goes back at line ${line} (2026-11-27 09:00:01 after 2026-11-28 09:00:01)`,
    );
  });
});
