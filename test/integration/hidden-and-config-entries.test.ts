/**
 * Entries of a folder set aside by their name, through the CLI in-process: hidden ones (`.git`,
 * `.DS_Store`, `.archive/`) and the `config/` folder at the top of a folder named on the command
 * line. They are not analysed, but never in silence: a hidden file or a file of `config/` with
 * relay-refusal text in it is listed and fails the run (no "nothing to fix"), and the other hidden
 * entries are counted in one line. A `config` folder deeper down is read like any other, and a tar
 * archive of the same tree is read by the same rule.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';

const dir = dirPerTest('relay-audit-set-aside-');

/** A relay's Postfix log: one message delivered to Exchange Online. */
const CLEAN_LOG = [
  'Nov 28 22:10:02 relay01 postfix/smtpd[100]: 1A2B3C4D5E: client=app01.contoso.local[10.0.2.40]',
  'Nov 28 22:10:02 relay01 postfix/cleanup[101]: 1A2B3C4D5E: message-id=<m1@app01.contoso.local>',
  'Nov 28 22:10:02 relay01 postfix/qmgr[102]: 1A2B3C4D5E: from=<alerts@contoso.com>, size=1200, nrcpt=1 (queue active)',
  'Nov 28 22:10:03 relay01 postfix/smtp[103]: 1A2B3C4D5E: to=<noc@adatum.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.6.0 <m1@app01.contoso.local> Queued mail for delivery)',
  'Nov 28 22:10:03 relay01 postfix/qmgr[102]: 1A2B3C4D5E: removed',
  '',
].join('\n');

/** A relay's Postfix log with one relay refusal, to `recipient` (each file its own, to tell them apart). */
function refusedLog(queueId: string, recipient: string): string {
  return [
    `Nov 28 22:00:01 relay01 postfix/qmgr[102]: ${queueId}: from=<noreply@fabrikam.com>, size=1200, nrcpt=1 (queue active)`,
    `Nov 28 22:00:02 relay01 postfix/smtp[203]: ${queueId}: to=<${recipient}>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] (in reply to RCPT TO command))`,
    '',
  ].join('\n');
}

interface Summary {
  sources: { file: string }[];
  notAnalysed: { file: string; reason: string; mayHoldRefusals?: true }[];
}

/** Writes `files` (path relative to `root` → text) under `root`. */
async function tree(root: string, files: Record<string, string>): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

async function analyse(...paths: string[]) {
  const args = ['analyze', ...paths, '--accepted-domains', 'contoso.com', '--no-store', '--year', '2026'];
  const text = await cli(...args);
  const json = await cli(...args, '--json');
  const summary = JSON.parse(json.out.stderr) as Summary;
  const recipients = json.out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { recipient: string }).recipient)
    .sort();
  expect(json.status).toBe(text.status);
  return { status: text.status, report: text.out.stderr, summary, recipients };
}

/** A path of the summary relative to the test's directory. */
/** A path as the report shows it (relative to the working directory), from inside the test's folder. */
const local = (file: string): string => {
  const name = basename(dir());
  return file.slice(file.indexOf(name) + name.length + 1);
};

describe('hidden entries and config folders in a folder analysed', () => {
  it('lists a hidden file or a top config/ file with refusal text and fails the run (no all-clear)', async () => {
    // The shape that gave "nothing to fix": refusals only in entries the walk set aside.
    const logs = await tree(join(dir(), 'logs'), {
      'mail.log': CLEAN_LOG,
      '.archive/mail.log.1': refusedLog('2B3C4D5E6F', 'a@litware.com'),
      '.mail.log.3': refusedLog('3C4D5E6F70', 'b@litware.com'),
      'config/mail.log.2': refusedLog('4D5E6F7081', 'c@litware.com'),
    });
    const { status, report, summary, recipients } = await analyse(logs);
    expect(status).toBe(1);
    expect(report).not.toContain('nothing to fix');
    expect(recipients).toEqual([]);
    expect(report).toMatch(
      /✗ \S*logs\/\.mail\.log\.3 — a hidden file \(its name starts with "\."\): not analysed, yet it holds relay-refusal text \(5\.7\.64 on line 2\): rename it without the leading "\." or name it on the command line/,
    );
    expect(report).toMatch(
      /✗ \S*logs\/config\/mail\.log\.2 — in the configuration folder .*: not analysed, yet it holds relay-refusal text \(5\.7\.64 on line 2\): move it out of config\/ or name it on the command line/,
    );
    // The hidden folder is not looked into, but it is named: one line for the folder analysed.
    expect(report).toMatch(
      /Other files, not analysed\n {2}– \S*logs — 1 hidden entry \(names starting with "\."\), not analysed: \.archive\/\. /,
    );
    expect(summary.notAnalysed.map(({ file, mayHoldRefusals }) => [local(file), mayHoldRefusals])).toEqual([
      ['logs/.mail.log.3', true],
      ['logs/config/mail.log.2', true],
      ['logs', undefined],
    ]);
  });

  it('counts hidden entries without refusal text in one line, and still gives the all-clear', async () => {
    const logs = await tree(join(dir(), 'logs'), {
      'mail.log': CLEAN_LOG,
      '.DS_Store': 'Bud1\0\0\0',
      '.mail.log.swp': 'b0VIM 9.0',
      '.git/HEAD': 'ref: refs/heads/main\n',
      // Not looked into: a `.git` can be huge. The line names the folder all the same.
      '.git/objects/notes': refusedLog('5E6F708192', 'git@litware.com'),
      '2026/.old.log': 'Nov 28 22:00:00 relay01 postfix/qmgr[102]: 0A1B2C3D4E: removed\n',
    });
    const { status, report, summary } = await analyse(logs);
    expect(status).toBe(0);
    expect(report).toContain('nothing to fix');
    const line = `4 hidden entries (names starting with "."), not analysed: .DS_Store, .git/, .mail.log.swp, 2026/.old.log.`;
    expect(report).toContain(`Other files, not analysed\n  – ${summary.notAnalysed[0]?.file} — ${line} `);
    expect(summary.notAnalysed).toHaveLength(1);
    expect(local(summary.notAnalysed[0]?.file ?? '')).toBe('logs');
    expect(summary.notAnalysed[0]?.reason).toContain(line);
  });

  it('reads a config folder below the top like any other folder; the top config/ stays the configuration', async () => {
    const logs = await tree(join(dir(), 'logs'), {
      'mail.log': CLEAN_LOG,
      // The organisation's configuration, as in sample-logs/config/: not a log, never listed.
      'config/accepted-domains.csv':
        '"DomainName","DomainType","Default"\n"contoso.com","Authoritative","True"\n',
      'relay01/config/mail.log': refusedLog('6F70819203', 'deep@litware.com'),
    });
    const { status, summary, recipients } = await analyse(logs);
    expect(recipients).toEqual(['deep@litware.com']);
    expect(summary.sources.map(({ file }) => local(file))).toEqual([
      'logs/mail.log',
      'logs/relay01/config/mail.log',
    ]);
    expect(summary.notAnalysed).toEqual([]);
    expect(status).toBe(0);
  });

  it('reads a hidden file or folder named on the command line, and a hidden file reached by a plain name', async () => {
    const logs = await tree(join(dir(), 'logs'), {
      '.archive/mail.log.1': refusedLog('2B3C4D5E6F', 'a@litware.com'),
      '.mail.log.3': refusedLog('3C4D5E6F70', 'b@litware.com'),
      'mail.log': CLEAN_LOG,
    });
    const named = await analyse(join(logs, '.archive'), join(logs, '.mail.log.3'));
    expect(named.recipients).toEqual(['a@litware.com', 'b@litware.com']);
    expect(named.summary.notAnalysed).toEqual([]);
    // `current -> .mail.log.3`: the file is read, under the name that is not hidden.
    await symlink(join(logs, '.mail.log.3'), join(logs, 'current'));
    const linked = await analyse(logs);
    expect(linked.recipients).toEqual(['b@litware.com']);
    expect(linked.summary.sources.map(({ file }) => local(file))).toEqual(['logs/current', 'logs/mail.log']);
  });
});

describe('hidden entries and config folders in a tar archive', () => {
  it('follow the rule of a folder: the same files analysed, listed and counted', async () => {
    const logs = await tree(join(dir(), 'logs'), {
      'mail.log': CLEAN_LOG,
      '.mail.log.3': refusedLog('3C4D5E6F70', 'b@litware.com'),
      '.DS_Store': 'Bud1\0\0\0',
      'config/mail.log.2': refusedLog('4D5E6F7081', 'c@litware.com'),
      'relay01/config/mail.log': refusedLog('6F70819203', 'deep@litware.com'),
    });
    // `./` before each member, as `tar czf logs.tgz -C logs .` writes them.
    const archive = join(dir(), 'logs.tgz');
    execFileSync('tar', ['czf', archive, '-C', logs, '.']);
    const folder = await analyse(logs);
    const packed = await analyse(archive);
    expect(packed.status).toBe(1);
    expect(packed.report).not.toContain('nothing to fix');
    expect(packed.recipients).toEqual(['deep@litware.com']);
    expect(packed.recipients).toEqual(folder.recipients);
    // In the order tar stored them (a folder's are in natural order): compared as sets.
    const listed = ({ summary }: { summary: Summary }) =>
      summary.notAnalysed
        .map(({ file, mayHoldRefusals }) => `${local(file).replace(/^logs(\.tgz)?/, '')} ${mayHoldRefusals}`)
        .sort();
    expect(listed(packed)).toEqual([' undefined', '/.mail.log.3 true', '/config/mail.log.2 true']);
    expect(listed(packed)).toEqual(listed(folder));
    expect(packed.report).toMatch(
      /✗ \S*logs\.tgz\/\.mail\.log\.3 — a hidden member .*relay-refusal text \(5\.7\.64 on line 2\): extract the archive \(tar xf\)/,
    );
    expect(packed.report).toMatch(
      /– \S*logs\.tgz — 1 hidden entry \(names starting with "\."\), not analysed: \.DS_Store\. /,
    );
  });

  it('reads the members of a hidden folder: tar keeps the path it was given, and the archive was packed on purpose', async () => {
    // `tar czf logs.tgz ~/.maillogs` stores `home/lee/.maillogs/…`: a hidden folder on the way.
    const home = await tree(join(dir(), 'home'), {
      'lee/.maillogs/mail.log': refusedLog('3C4D5E6F70', 'b@litware.com'),
      'lee/.maillogs/.DS_Store': 'Bud1',
    });
    const archive = join(dir(), 'logs.tgz');
    execFileSync('tar', ['czf', archive, '-C', dirname(home), 'home']);
    const { status, summary, recipients } = await analyse(archive);
    expect(status).toBe(0);
    expect(recipients).toEqual(['b@litware.com']);
    // Only the member whose own name is hidden is passed over, and said.
    expect(summary.notAnalysed.map(({ file }) => local(file))).toEqual(['logs.tgz']);
    expect(summary.notAnalysed[0]?.reason).toMatch(
      /^1 hidden entry .*: home\/lee\/\.maillogs\/\.DS_Store\. /,
    );
  });
});
