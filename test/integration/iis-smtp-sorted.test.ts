/**
 * IIS SMTP logs name no session, so answers are paired with commands by the order IIS wrote them.
 * Logs merged with `sort` (or `Sort-Object`) lose that order: each second's commands sort before its
 * answers (`OutboundConnectionCommand` < `OutboundConnectionResponse`), and its answers by code. Such a
 * file is refused, naming the line and what to do, rather than give a refusal another recipient;
 * logs merged in time order without reordering the lines of a second are read as written.
 * Fixtures: test/fixtures/real-world/smtp-transactions/ (ex261128-sorted.log is `sort ex261128.log`).
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
    const rows = linesOf(await readFile(`${DIR}/ex261128.log`, 'utf8'));
    const day = Array.from({ length: 24 }, (_, hour) =>
      rows
        .filter((line) => !line.startsWith('#'))
        .map((line) => line.replace(/^(\S+) \d{2}:/, `$1 ${String(hour).padStart(2, '0')}:`)),
    );
    const sorted = [...rows.filter((line) => line.startsWith('#')), ...day.flat()].sort();
    const bytes = Buffer.from(`${sorted.join('\r\n')}\r\n`);
    const written: Finding[] = [];
    const sink: FindingSink = {
      putFindings: async (findings) => {
        written.push(...findings);
      },
      putSource: async () => {},
    };
    // A window of one event and batches of one: a refusal handed on before the file fails is written.
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
    expect(bytes.length).toBeGreaterThan(100_000);
    expect(result.sources[0]?.errorCode).toBe('UNKNOWN_FORMAT');
    expect(written).toEqual([]);
  });

  it('reads the same log as IIS wrote it: every refused recipient, no other', async () => {
    const name = `${DIR}/ex261128.log`;
    const { findings, sources } = await analyzeFiles([{ name, content: await readFile(name) }]);
    expect(sources[0]?.status).toBe('done');
    expect(refused(findings)).toEqual([
      ['RELAY02', 'vendor@adatum.com', 13],
      ['RELAY02', 'sales@adatum.com', 13],
      ['RELAY02', 'ap@litware.com', 28],
      ['RELAY02', 'ar@litware.com', 28],
      ['RELAY02', 'noc@adatum.com', 36],
    ]);
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
    const when = (line: string) => line.split(' ').slice(0, 2).join(' ');
    // Array.prototype.sort is stable, as `sort -s` is: the rows of one second keep their order.
    const merged = [...rows, ...relay01]
      .filter((line) => !line.startsWith('#'))
      .sort((a, b) => (when(a) < when(b) ? -1 : when(a) > when(b) ? 1 : 0));
    const content = `${[...header, ...merged].join('\r\n')}\r\n`;
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
