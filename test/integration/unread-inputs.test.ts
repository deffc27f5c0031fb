/**
 * Files that may hold relay refusals but are not read as they are, through the CLI in-process:
 * in a folder, an archive, a compressed rotation in a codec relay-audit does not read and text with
 * a refusal in no format it reads make the run fail (exit 1) and never give the all-clear, as each
 * does when named; a tar archive (`tar czf maillogs.tar.gz var/log/mail.log*`) is read as the files
 * in it, so the refusal on a member's first line is not lost to the tar header before it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findLocalInputs } from '../../bin/support/inputs.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';
import { utf16 } from '../support/streams.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

interface Summary {
  sources: SourceRecord[];
  notAnalysed: { file: string; reason: string; mayHoldRefusals?: true }[];
}

const dir = dirPerTest('relay-audit-unread-');

const TRACKING_CLEAN = [
  '"Timestamp","ClientIp","ServerHostname","Source","EventId","MessageId","Recipients","RecipientStatus","Sender"',
  '"2026-11-03T08:01:02.0000000Z","10.0.1.11","EX01","STOREDRIVER","RECEIVE","<R0@EX01.contoso.local>","lee@contoso.com","To","lee@contoso.com"',
  '"2026-11-03T08:01:03.0000000Z","10.0.1.11","EX01","SMTP","SEND","<R0@EX01.contoso.local>","anna@northwindtraders.com","250 2.1.5 Recipient OK","lee@contoso.com"',
  '',
].join('\r\n');

/** `Get-MessageTrackingLog -EventId FAIL | fl > fails.txt` in Windows PowerShell: UTF-16LE with a BOM. */
const FORMAT_LIST = [
  '',
  '',
  'RunspaceId              : 9c1f4e2a-7b3d-4f8e-a5c6-2d1b0e9f8a73',
  'Timestamp               : 11/28/2026 10:15:03 PM',
  'Source                  : SMTP',
  'EventId                 : FAIL',
  'MessageId               : <AAA111@EX01.contoso.local>',
  'Recipients              : {buyer@litware.com}',
  'RecipientStatus         : {550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]}',
  'Sender                  : reports@northwindtraders.com',
  '',
].join('\r\n');

/** A folder as the repro had it: one clean export beside three files that hold refusals, and notes. */
async function folderWithUnreadFiles(): Promise<string> {
  const folder = join(dir(), 'logs');
  await mkdir(folder);
  await writeFile(join(folder, 'tracking-clean.csv'), TRACKING_CLEAN);
  // Signatures are what is recognised: a ZIP's local header, xz's stream header.
  await writeFile(
    join(folder, 'MessageTracking.zip'),
    Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60)]),
  );
  await writeFile(
    join(folder, 'mail.log.2.xz'),
    Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04]), Buffer.alloc(60, 0x5a)]),
  );
  await writeFile(join(folder, 'fails.txt'), utf16(FORMAT_LIST, 'le', true));
  await writeFile(join(folder, 'notes.md'), '# Exported on EX01\n');
  return folder;
}

describe('a folder with files that may hold refusals and were not read', () => {
  it('fails the run and gives no all-clear, saying per file what to do', async () => {
    const folder = await folderWithUnreadFiles();
    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store');
    const report = out.stderr;
    expect(status).toBe(1);
    expect(report).not.toContain('nothing to fix');
    expect(report).toMatch(/^relay-audit: 1 file, 2 rows, .*; 3 files that may hold refusals not read\n/);
    expect(report).toContain('Files not read that may hold relay refusals\n');
    expect(report).toMatch(
      / {2}✗ .*logs\/fails\.txt — .*relay-refusal text \(5\.7\.64 on line 9\): export the rows as CSV/,
    );
    expect(report).toMatch(
      / {2}✗ .*logs\/mail\.log\.2\.xz — xz-compressed: decompress it \(xz -dk .*mail\.log\.2\.xz\)/,
    );
    expect(report).toMatch(/ {2}✗ .*logs\/MessageTracking\.zip — a ZIP archive: extract the logs from it/);
    // Notes stay listed, and harmless.
    expect(report).toMatch(
      /Other files, not analysed\n {2}– .*logs\/notes\.md — not a log or export: \.md\n/,
    );
    expect(report).toContain('3 files that may hold refusals were not read, so nothing is known of them.');
    expect(report).toContain('Next step: 3 files that may hold refusals were not read (see above)');
  });

  it('flags them in the --json summary', async () => {
    const folder = await folderWithUnreadFiles();
    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store', '--json');
    expect(status).toBe(1);
    const summary = JSON.parse(out.stderr) as Summary;
    expect(
      summary.notAnalysed.map(({ file, mayHoldRefusals }) => [
        file.replace(/^.*logs\//, ''),
        mayHoldRefusals,
      ]),
    ).toEqual([
      ['fails.txt', true],
      ['mail.log.2.xz', true],
      ['MessageTracking.zip', true],
      ['notes.md', undefined],
    ]);
  });

  it('fails the run as each of them does when named', async () => {
    const folder = await folderWithUnreadFiles();
    for (const [name, code, message] of [
      [
        'mail.log.2.xz',
        'BAD_ENCODING',
        /mail\.log\.2\.xz is xz-compressed, not a text file: decompress it \(xz -dk /,
      ],
      ['MessageTracking.zip', 'BAD_ENCODING', /is a ZIP archive/],
      ['fails.txt', 'UNKNOWN_FORMAT', /Get-MessageTrackingLog output shown with Format-List.*\| Export-Csv/],
    ] as const) {
      const { status, out } = await cli('analyze', join(folder, name), ...DOMAINS, '--no-store', '--json');
      expect(status).toBe(1);
      const [source] = (JSON.parse(out.stderr) as Summary).sources;
      expect(source).toMatchObject({ status: 'failed', errorCode: code });
      expect(source?.errorMessage).toMatch(message);
    }
  });

  it('reports a folder holding only an archive (exit 1), rather than calling it a usage error', async () => {
    const folder = join(dir(), 'only-zip');
    await mkdir(folder);
    await writeFile(
      join(folder, 'MessageTracking.zip'),
      Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60)]),
    );
    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store');
    expect(status).toBe(1);
    expect(out.stderr).toMatch(/✗ .*MessageTracking\.zip — a ZIP archive: extract the logs from it/);
    expect(out.stderr).not.toContain('nothing to fix');
  });

  it('still gives the all-clear to a folder whose other files are notes', async () => {
    const folder = join(dir(), 'clean');
    await mkdir(folder);
    await writeFile(join(folder, 'tracking-clean.csv'), TRACKING_CLEAN);
    await writeFile(join(folder, 'README.txt'), 'Exported by run.ps1 on EX01.\n');
    await writeFile(join(folder, 'run.ps1'), 'Get-MessageTrackingLog -EventId FAIL # 5.7.64\n');
    const { status, out } = await cli('analyze', folder, ...DOMAINS, '--no-store');
    expect(status).toBe(0);
    expect(out.stderr).toContain('nothing to fix');
  });
});

const MAIL_LOG_1 = [
  'Nov 28 21:00:01 relay01 postfix/smtpd[100]: 1A2B3C4D5E: client=app01.contoso.local[10.0.2.40]',
  'Nov 28 21:00:01 relay01 postfix/cleanup[101]: 1A2B3C4D5E: message-id=<m1@app01.contoso.local>',
  'Nov 28 21:00:01 relay01 postfix/qmgr[102]: 1A2B3C4D5E: from=<alerts@monitoring.contoso.com>, size=1200, nrcpt=1 (queue active)',
  'Nov 28 21:00:02 relay01 postfix/smtp[103]: 1A2B3C4D5E: to=<noc@adatum.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] (in reply to RCPT TO command))',
  '',
].join('\n');
// The refusal is the member's first line: read whole, the archive glued it to the tar header.
const MAIL_LOG = [
  'Nov 28 22:00:02 relay01 postfix/smtp[203]: 2B3C4D5E6F: to=<sales@litware.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] (in reply to RCPT TO command))',
  'Nov 28 22:00:03 relay01 postfix/qmgr[102]: 3C4D5E6F70: from=<noreply@fabrikam.com>, size=1200, nrcpt=1 (queue active)',
  'Nov 28 22:00:04 relay01 postfix/smtp[203]: 3C4D5E6F70: to=<x@litware.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] (in reply to RCPT TO command))',
  '',
].join('\n');

/** `tar czf maillogs.tar.gz var/log/mail.log.1 var/log/mail.log` (and `tar cf` when not gzip), in the test's directory. */
async function maillogsTar(gzip: boolean): Promise<string> {
  await mkdir(join(dir(), 'relay', 'var', 'log'), { recursive: true });
  await writeFile(join(dir(), 'relay', 'var', 'log', 'mail.log.1'), MAIL_LOG_1);
  await writeFile(join(dir(), 'relay', 'var', 'log', 'mail.log'), MAIL_LOG);
  const name = gzip ? 'maillogs.tar.gz' : 'maillogs.tar';
  execFileSync('tar', [
    gzip ? 'czf' : 'cf',
    join(dir(), name),
    '-C',
    join(dir(), 'relay'),
    'var/log/mail.log.1',
    'var/log/mail.log',
  ]);
  return join(dir(), name);
}

async function analyse(...paths: string[]) {
  const { status, out } = await cli(
    'analyze',
    ...paths,
    ...DOMAINS,
    '--no-store',
    '--json',
    '--year',
    '2026',
  );
  const summary = JSON.parse(out.stderr) as Summary;
  const recipients = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { recipient: string }).recipient)
    .sort();
  return { status, summary, recipients };
}

describe('a tar archive of mail logs', () => {
  it.each([
    ['tar czf', true],
    ['tar cf', false],
  ])('named (%s), is read as the files in it: no refusal lost to a tar header', async (_how, gzip) => {
    const archive = await maillogsTar(gzip);
    const plain = await analyse(
      join(dir(), 'relay', 'var', 'log', 'mail.log.1'),
      join(dir(), 'relay', 'var', 'log', 'mail.log'),
    );
    const { status, summary, recipients } = await analyse(archive);
    expect(status).toBe(0);
    expect(recipients).toEqual(['noc@adatum.com', 'sales@litware.com', 'x@litware.com']);
    expect(recipients).toEqual(plain.recipients);
    const name = gzip ? 'maillogs.tar.gz' : 'maillogs.tar';
    expect(summary.sources.map((source) => source.file.replace(/^.*\/(?=maillogs)/, ''))).toEqual([
      `${name}/var/log/mail.log.1`,
      `${name}/var/log/mail.log`,
    ]);
    for (const source of summary.sources) {
      expect(source).toMatchObject({ status: 'done', format: 'postfix-log', rowsSkipped: 0 });
      expect(source.notes?.map((note) => note.code)).not.toContain('NUL_BYTES_REMOVED');
    }
  });

  it('found in a folder, is read as the files in it too', async () => {
    const archive = await maillogsTar(true);
    const folder = join(dir(), 'handed-over');
    await mkdir(folder);
    await writeFile(join(folder, 'relay01-logs.tgz'), await readFile(archive));
    const { status, recipients } = await analyse(folder);
    expect(status).toBe(0);
    expect(recipients).toEqual(['noc@adatum.com', 'sales@litware.com', 'x@litware.com']);
  });

  it('cut short, fails the run naming it, after reading the members before the cut', async () => {
    const archive = await maillogsTar(false);
    const bytes = await readFile(archive);
    // Cut inside the second member's header: the first member is whole.
    const cut = join(dir(), 'cut.tar');
    await writeFile(cut, gzipSync(bytes.subarray(0, 1024 + 512 + 100)));
    const { status, summary, recipients } = await analyse(cut);
    expect(status).toBe(1);
    expect(recipients).toEqual(['noc@adatum.com']);
    expect(summary.notAnalysed).toEqual([
      {
        file: expect.stringMatching(/cut\.tar$/),
        reason: expect.stringMatching(
          /is a tar archive cut short inside a header .*The files after the damage were not read\.$/,
        ),
        mayHoldRefusals: true,
      },
    ]);
  });

  it('is sent whole by upload (which reads no members): found in a folder, it is listed as unread', async () => {
    const archive = await maillogsTar(false);
    const found = await findLocalInputs([dir()], dir());
    expect(found.inputs.map((input) => input.name)).toEqual([
      'relay/var/log/mail.log',
      'relay/var/log/mail.log.1',
    ]);
    expect(found.notAnalysed).toEqual([
      {
        file: 'maillogs.tar',
        reason: 'a tar archive: extract it (tar xf maillogs.tar) and analyse the folder that gives.',
      },
    ]);
    expect(found.mayHoldRefusals).toEqual(['maillogs.tar']);
    expect(archive).toMatch(/maillogs\.tar$/);
  });
});
