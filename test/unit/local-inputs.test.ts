import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLocalInputs, localInputs } from '../../bin/support/inputs.js';
import { ArgumentError } from '../../functions/core/kernel/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-inputs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Names as shown to the user: relative to the working directory, here `dir`. */
const names = (inputs: { name: string }[]): string[] => inputs.map((input) => input.name);

describe('localInputs', () => {
  it('expands directories in rolled-over order, skipping config/, hidden files and README.md', async () => {
    await mkdir(join(dir, 'logs', 'config'), { recursive: true });
    for (const name of ['MSGTRK2026112800-10.LOG', 'MSGTRK2026112800-2.LOG', 'MSGTRK2026112800-1.LOG'])
      await writeFile(join(dir, 'logs', name), 'x');
    await writeFile(join(dir, 'logs', '.hidden.LOG'), 'x');
    await writeFile(join(dir, 'logs', 'README.md'), 'x');
    await writeFile(join(dir, 'logs', 'config', 'accepted-domains.csv'), 'x');
    const inputs = await localInputs([join(dir, 'logs')], dir);
    expect(names(inputs)).toEqual([
      'logs/MSGTRK2026112800-1.LOG',
      'logs/MSGTRK2026112800-2.LOG',
      'logs/MSGTRK2026112800-10.LOG',
    ]);
  });

  it('names a file given absolute outside the working directory by its absolute path, not ../../', async () => {
    await mkdir(join(dir, 'logs'));
    await mkdir(join(dir, 'work'));
    await writeFile(join(dir, 'logs', 'mail.log'), 'x');
    const cwd = join(dir, 'work');
    // Not `../logs/mail.log`: the user named /…/logs/mail.log.
    expect(names(await localInputs([join(dir, 'logs', 'mail.log')], cwd))).toEqual([
      join(dir, 'logs', 'mail.log'),
    ]);
    // Inside the working directory, absolute or not, relative to it.
    expect(names(await localInputs([join(dir, 'logs')], dir))).toEqual([join('logs', 'mail.log')]);
  });

  it('reads each file once, however it is reached: named twice, through a link, or a link loop', async () => {
    await mkdir(join(dir, 'logs'));
    await writeFile(join(dir, 'logs', 'a.LOG'), 'a');
    await copyFile(join(dir, 'logs', 'a.LOG'), join(dir, 'logs', 'copy-of-a.LOG'));
    await symlink(join(dir, 'logs', 'a.LOG'), join(dir, 'logs', 'link-to-a.LOG'));
    // A link back to an ancestor: a naive walk would go round until the path is too long.
    await symlink(dir, join(dir, 'logs', 'loop'));
    const inputs = await localInputs([join(dir, 'logs'), join(dir, 'logs', 'a.LOG')], dir);
    // The copy is another file (its own source record); the link and the second naming are not.
    expect(names(inputs)).toEqual(['logs/a.LOG', 'logs/copy-of-a.LOG']);
  });

  it('lists files in a directory that are not logs or exports, with why, and analyses the rest', async () => {
    await mkdir(join(dir, 'logs'));
    const exportHeader =
      '"Timestamp","EventId","Source","MessageId","Recipients","RecipientStatus","Sender"\n';
    const files: Record<string, string> = {
      'MSGTRK2026112800-1.LOG': 'x',
      'trace.csv': 'x',
      'old.LOG.gz': 'x',
      'export-saved-as.txt': exportHeader,
      'README.md': '# Logs',
      'README.txt': 'Exported by run.ps1',
      'run.ps1': 'Get-MessageTrackingLog',
      'export.xml': '<Objs/>',
      'report.html': '<html></html>',
      'settings.json': '{}',
      'traces-page1.json':
        '{"@odata.context":"https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces","value":[]}',
      maillog: 'Nov 28 22:15:03 relay01 postfix/qmgr[900]: 3F7A21C0B4: removed\n',
      'trace.xlsx': 'PK',
      'logs.zip': 'PK',
      'no-extension': 'just words',
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, 'logs', name), text);
    const found = await findLocalInputs([join(dir, 'logs')], dir);
    expect(names(found.inputs)).toEqual([
      'logs/export-saved-as.txt',
      'logs/maillog',
      'logs/MSGTRK2026112800-1.LOG',
      'logs/old.LOG.gz',
      'logs/trace.csv',
      'logs/traces-page1.json',
    ]);
    expect(found.notAnalysed).toEqual([
      { file: 'logs/export.xml', reason: 'not a log or export: .xml' },
      { file: 'logs/logs.zip', reason: 'a ZIP archive: extract the logs from it to analyse them' },
      {
        file: 'logs/no-extension',
        reason: 'not a log or export: no extension, and no header relay-audit knows',
      },
      { file: 'logs/README.md', reason: 'not a log or export: .md' },
      { file: 'logs/README.txt', reason: 'not a log or export: .txt, and no header relay-audit knows' },
      { file: 'logs/report.html', reason: 'not a log or export: .html' },
      { file: 'logs/run.ps1', reason: 'not a log or export: .ps1' },
      { file: 'logs/settings.json', reason: 'not a log or export: .json that is no message trace' },
      { file: 'logs/trace.xlsx', reason: 'an Excel workbook (.xlsx): save the sheet as CSV to analyse it' },
    ]);
  });

  it('analyses syslog files under Debian and RHEL names (no .log) when a mail line follows lines of other programs', async () => {
    // What /var/log/syslog, messages and a rotated maillog begin with: 300 lines of other programs.
    const others = Array.from(
      { length: 300 },
      (_, i) =>
        `Nov 28 21:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} relay01 ` +
        `${i % 2 === 0 ? `kernel: [ ${i}.250031] audit: type=1400 apparmor="ALLOWED" operation="open"` : `systemd[1]: Started session-${i}.scope.`}`,
    );
    const postfix = 'Nov 28 22:15:03 relay01 postfix/qmgr[900]: 3F7A21C0B4: removed';
    await mkdir(join(dir, 'var-log'));
    for (const name of ['messages', 'syslog', 'maillog', 'mail.log.1', 'maillog-20261129'])
      await writeFile(join(dir, 'var-log', name), `${[...others, postfix].join('\n')}\n`);
    // A syslog file of other programs alone (RHEL's secure): passed over, saying what it is.
    await writeFile(join(dir, 'var-log', 'secure'), `${others.slice(0, 4).join('\n')}\n`);
    const found = await findLocalInputs([join(dir, 'var-log')], dir);
    expect(names(found.inputs)).toEqual([
      'var-log/mail.log.1',
      'var-log/maillog',
      'var-log/maillog-20261129',
      'var-log/messages',
      'var-log/syslog',
    ]);
    expect(found.notAnalysed).toEqual([
      {
        file: 'var-log/secure',
        reason:
          'a syslog file (4 lines of other programs: kernel 2, systemd 2) with no Postfix, sendmail or Exim ' +
          'line in it: no relay refusals to read',
      },
    ]);
  });

  it('analyses a file named on the command line whatever it is, also when its directory is named too', async () => {
    await mkdir(join(dir, 'logs'));
    await writeFile(join(dir, 'logs', 'notes.md'), '# notes');
    await writeFile(join(dir, 'logs', 'a.LOG'), 'a');
    const found = await findLocalInputs([join(dir, 'logs'), join(dir, 'logs', 'notes.md')], dir);
    expect(names(found.inputs)).toEqual(['logs/a.LOG', 'logs/notes.md']);
    expect(found.notAnalysed).toEqual([]);
  });

  it('says which path does not exist', async () => {
    await expect(localInputs([join(dir, 'nope.LOG')])).rejects.toThrow(ArgumentError);
    await expect(localInputs([join(dir, 'nope.LOG')])).rejects.toThrow(
      /nope\.LOG: no such file or directory/,
    );
  });

  it('lists an entry it cannot follow or read, and what is not a file, with why, and walks on', async () => {
    // Prepare: beside a log, a link loop, a dangling link, a named pipe and (unless root, who reads
    // anything) a folder that may not be read.
    await mkdir(join(dir, 'logs', 'locked'), { recursive: true });
    await writeFile(join(dir, 'logs', 'a.LOG'), 'a');
    await writeFile(join(dir, 'logs', 'locked', 'b.LOG'), 'b');
    await symlink(join(dir, 'logs', 'loop-2'), join(dir, 'logs', 'loop-1'));
    await symlink(join(dir, 'logs', 'loop-1'), join(dir, 'logs', 'loop-2'));
    await symlink(join(dir, 'logs', 'gone.LOG'), join(dir, 'logs', 'dangling.LOG'));
    execFileSync('mkfifo', [join(dir, 'logs', 'pipe.LOG')]);
    await chmod(join(dir, 'logs', 'locked'), 0o000);
    const root = process.getuid?.() === 0;

    // Act
    const found = await findLocalInputs([join(dir, 'logs')], dir).finally(() =>
      chmod(join(dir, 'logs', 'locked'), 0o755),
    );

    // Assess
    expect(names(found.inputs)).toEqual(root ? ['logs/a.LOG', 'logs/locked/b.LOG'] : ['logs/a.LOG']);
    expect(found.notAnalysed).toEqual([
      { file: 'logs/dangling.LOG', reason: 'a symbolic link to nothing (dangling): not followed' },
      ...(root
        ? []
        : [
            {
              file: 'logs/locked',
              reason:
                'cannot be read: permission denied, and it may hold relay refusals: run relay-audit as a user who can read it ' +
                '(with sudo, or as a member of its group), or copy its files to a folder you can read and analyse them there',
            },
          ]),
      { file: 'logs/loop-1', reason: 'a symbolic-link loop: not followed' },
      { file: 'logs/loop-2', reason: 'a symbolic-link loop: not followed' },
      {
        file: 'logs/pipe.LOG',
        reason: 'a named pipe (FIFO): not read, as reading it may wait for ever; name it to read it',
      },
    ]);
  });

  it('reads a named pipe named on the command line (analyze <(zcat old.LOG.gz))', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const found = await findLocalInputs([join(dir, 'pipe')], dir);
    expect(names(found.inputs)).toEqual(['pipe']);
    expect(found.inputs[0]?.size).toBeUndefined();
  });

  it('says why a path named on the command line cannot be followed', async () => {
    await symlink(join(dir, 'loop-b'), join(dir, 'loop-a'));
    await symlink(join(dir, 'loop-a'), join(dir, 'loop-b'));
    await expect(localInputs([join(dir, 'loop-a')])).rejects.toThrow(
      /loop-a: a symbolic-link loop: not followed/,
    );
  });
});
