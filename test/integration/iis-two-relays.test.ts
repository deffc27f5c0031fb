/**
 * Two IIS SMTP relays behind a load balancer whose logs have only the fields the README asks for
 * (no `s-computername`): each opens a session to the same Exchange Online address in the same second
 * and each message is refused for the same recipient. The stand-in Message-ID names no relay, so what
 * the log says of the message tells them apart — the EHLO name the relay sent and the MAIL FROM —
 * never the file's name or path: the same log read twice, under two names, is one finding, and a
 * log split by a rollover gives the whole log's ids. Logs with `s-computername` keep their ids.
 * Fixtures: test/fixtures/real-world/iis-two-relays/ and iis-rollover/ (their READMEs).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/iis-two-relays';
const ROLLOVER = 'test/fixtures/real-world/iis-rollover';

const relayLog = async (relay: string): Promise<TextFile> => ({
  name: `${relay}/ex261128.log`,
  content: await readFile(`${DIR}/${relay}/ex261128.log`, 'utf8'),
});

const analyse = async (files: readonly TextFile[]) =>
  (await analyzeFiles(files, { accepted: 'contoso.com' })).findings;

const said = (findings: readonly Finding[]) =>
  findings.map((f) => [f.scenario, f.returnPath, f.recipient, f.messageId, f.id].join(' | ')).sort();

/** The log with its `s-computername` column taken out, as a log of the README's field set has none. */
function withoutComputerName(text: string): string {
  let at = -1;
  return text
    .split('\r\n')
    .map((line) => {
      if (line.startsWith('#Fields:')) {
        const fields = line.slice('#Fields:'.length).trim().split(' ');
        at = fields.indexOf('s-computername');
        return at < 0 ? line : `#Fields: ${fields.filter((_, i) => i !== at).join(' ')}`;
      }
      if (line.startsWith('#') || line === '' || at < 0) return line;
      return line
        .split(' ')
        .filter((_, i) => i !== at)
        .join(' ');
    })
    .join('\r\n');
}

describe('two IIS SMTP relays without s-computername refusing in the same second', () => {
  it('gives each relay its own finding, told by its EHLO name and MAIL FROM', async () => {
    const findings = await analyse([await relayLog('RELAY02'), await relayLog('RELAY03')]);
    expect(findings.map((f) => [f.recipient, f.returnPath, f.messageId])).toEqual([
      [
        'orders@fourthcoffee.com',
        'scans@contoso.com',
        'iis:ehlo=relay02.contoso.local:52.101.1.1@2026-11-28T22:20:02.000Z#1;from=scans@contoso.com',
      ],
      [
        'orders@fourthcoffee.com',
        'scans-fl2@contoso.com',
        'iis:ehlo=relay03.contoso.local:52.101.1.1@2026-11-28T22:20:02.000Z#1;from=scans-fl2@contoso.com',
      ],
    ]);
  });

  it('tells them apart by MAIL FROM when both relays send the same EHLO name (the cluster name)', async () => {
    const second = await relayLog('RELAY03');
    const shared = {
      ...second,
      content: String(second.content).replace('relay03.contoso.local', 'relay02.contoso.local'),
    };
    const findings = await analyse([await relayLog('RELAY02'), shared]);
    expect(new Set(findings.map((f) => f.messageId)).size).toBe(2);
  });

  it('gives the same log read twice, under another name, one finding with the same id', async () => {
    const log = await relayLog('RELAY02');
    const once = await analyse([log]);
    const twice = await analyse([log, { ...log, name: 'copies/RELAY02-ex261128.log' }]);
    expect(twice).toHaveLength(1);
    expect(said(twice)).toEqual(said(once));
  });

  it('keeps the ids of logs with s-computername', async () => {
    const log = await relayLog('RELAY02');
    const named = String(log.content)
      .replace('c-ip cs-username', 'c-ip cs-username s-computername')
      .replace(/^(\S+ \S+ \S+ \S+) /gm, (row) => (row.startsWith('#') ? row : `${row}RELAY02 `));
    const findings = await analyse([{ ...log, content: named }]);
    expect(findings.map((f) => f.messageId)).toEqual(['iis:RELAY02:52.101.1.1@2026-11-28T22:20:02.000Z#1']);
  });
});

describe('an IIS SMTP log without s-computername that rolled over inside sessions', () => {
  it('gives, both logs analysed in either order, the findings and ids of the whole log', async () => {
    const read = async (name: string): Promise<TextFile> => ({
      name: `SMTPSVC1/${name}`,
      content: withoutComputerName(await readFile(`${ROLLOVER}/${name}`, 'utf8')),
    });
    const [first, second] = [await read('ex26112822.log'), await read('ex26112823.log')];
    expect(String(first.content)).not.toContain('RELAY02');
    const rows = String(second.content)
      .split('\r\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    const whole = await analyse([
      { name: 'SMTPSVC1/ex261128.log', content: `${first.content}${rows.join('\r\n')}\r\n` },
    ]);
    expect(whole).toHaveLength(5);
    expect(whole.map((f) => f.messageId)).toContain(
      'iis:ehlo=relay02.contoso.local:52.101.1.1@2026-11-28T22:59:59.000Z#1;from=scans@contoso.com',
    );
    for (const files of [
      [first, second],
      [second, first],
    ]) {
      expect(said(await analyse(files))).toEqual(said(whole));
    }
  });
});
