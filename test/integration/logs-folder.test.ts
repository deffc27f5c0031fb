/**
 * What a copied Exchange Logs folder or a Debian /var/log holds beside the mail logs, through the CLI
 * in-process: logs relay-audit names but does not read (receive protocol, agent, connectivity logs),
 * syslog files of other programs (auth.log, kern.log: as `secure` always was), the package
 * manager's logs, an Office lock file, a mail.log logrotate has just emptied, and a link back to a
 * folder the walk is in are listed or noted without failing the run, when they hold no refusal text.
 * A folder the walk cannot open may hold refusals: it fails the run, saying what to do.
 * Fixtures: test/fixtures/real-world/logs-folder/ (its README.md).
 */
import { execFileSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';

const FIXTURES = 'test/fixtures/real-world/logs-folder';
const RECEIVE_LOG = 'test/fixtures/real-world/files-beside-logs/RECV2026112809-1.LOG';
const TRACKING_LOG = 'sample-logs/MSGTRK2026112800-1.LOG';
const ARGS = [
  '--accepted-domains',
  'sample-logs/config/accepted-domains.csv',
  '--no-store',
  '--year',
  '2026',
];

interface Summary {
  sources: {
    file: string;
    status: string;
    errorCode?: string;
    errorMessage?: string;
    notes?: { code: string; message: string }[];
  }[];
  notAnalysed: { file: string; reason: string; mayHoldRefusals?: true }[];
}

const dir = dirPerTest('relay-audit-logs-folder-');

/** Copies `from` to `to` under the test's folder, making its folders. */
async function place(from: string, to: string): Promise<string> {
  const path = join(dir(), to);
  await mkdir(join(path, '..'), { recursive: true });
  await copyFile(from, path);
  return path;
}

/** `analyze … --json`: exit status, the summary, and the report (stderr). */
async function analyse(...paths: string[]): Promise<{ status: number; summary: Summary; report: string }> {
  const { status, out } = await cli('analyze', ...paths, ...ARGS, '--json');
  const summary = JSON.parse(out.stderr.slice(out.stderr.indexOf('{'))) as Summary;
  const text = await cli('analyze', ...paths, ...ARGS);
  return { status, summary, report: text.out.stderr };
}

const base = (file: string) => file.replace(/^.*\//, '');
const listed = (summary: Summary) =>
  summary.notAnalysed.map(({ file, reason, mayHoldRefusals }) => [base(file), reason, mayHoldRefusals]);

/** Where an Exchange log not read points to instead. */
const TRACKING_INSTEAD =
  "which relay-audit does not read. Exchange Online's refusals of relayed mail are in the message tracking log " +
  '(MSGTRK*.LOG in TransportRoles\\Logs\\MessageTracking) and the send protocol log (SEND*.LOG in ' +
  'TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend) of the same server: analyse those instead. It holds no relay refusal.';

describe("an Exchange server's Logs folder", () => {
  /** EX01's TransportRoles\Logs with a tracking log, a receive protocol log, an agent log and a connectivity log. */
  async function logsFolder(): Promise<string> {
    await place(TRACKING_LOG, 'EX01/Logs/MessageTracking/MSGTRK2026112800-1.LOG');
    await place(RECEIVE_LOG, 'EX01/Logs/FrontEnd/ProtocolLog/SmtpReceive/RECV2026112809-1.LOG');
    await place(`${FIXTURES}/AgentLog20261128-1.LOG`, 'EX01/Logs/Hub/AgentLog/AgentLog20261128-1.LOG');
    await place(
      `${FIXTURES}/CONNECTLOG20261128-1.LOG`,
      'EX01/Logs/Hub/Connectivity/CONNECTLOG20261128-1.LOG',
    );
    return join(dir(), 'EX01');
  }

  it('lists the logs it does not read, one line each, and does not fail the run', async () => {
    const { status, summary, report } = await analyse(await logsFolder());
    expect(status).toBe(0);
    expect(summary.sources.map(({ file, status: state }) => [base(file), state])).toEqual([
      ['MSGTRK2026112800-1.LOG', 'done'],
    ]);
    expect(listed(summary)).toEqual([
      [
        'RECV2026112809-1.LOG',
        expect.stringMatching(
          /^looks like an Exchange SMTP receive protocol log \(#Log-type: SMTP Receive Protocol Log\), which relay-audit does not read: .* It holds no relay refusal\.$/,
        ),
        undefined,
      ],
      [
        'AgentLog20261128-1.LOG',
        `looks like an Exchange Agent Log (#Log-type: Agent Log), ${TRACKING_INSTEAD}`,
        undefined,
      ],
      [
        'CONNECTLOG20261128-1.LOG',
        `looks like an Exchange Transport Connectivity Log (#Log-type: Transport Connectivity Log), ${TRACKING_INSTEAD}`,
        undefined,
      ],
    ]);
    expect(report).not.toMatch(/Known formats:|could not be analysed|may hold relay refusals/);
  });

  it('still fails on such a log that holds refusal text, naming its line, without the list of formats read', async () => {
    const folder = await logsFolder();
    const agentLog = join(folder, 'Logs/Hub/AgentLog/AgentLog20261128-1.LOG');
    await appendFile(
      agentLog,
      '2026-11-28T09:12:45.000Z,08DF006B9F758101,10.0.1.11:25,10.0.2.60:51235,10.0.2.60,,scanner@contoso.com,,vendor@adatum.com,1,Test Agent,OnRcptCommand,RejectCommand,550 5.7.64 TenantAttribution; Relay Access Denied,,,,,,\r\n',
    );
    const { status, summary } = await analyse(folder);
    expect(status).toBe(1);
    const agent = summary.sources.find(({ file }) => file.endsWith('AgentLog20261128-1.LOG'));
    expect(agent).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(agent?.errorMessage).toMatch(
      /looks like an Exchange Agent Log \(#Log-type: Agent Log\), which relay-audit does not read\. .*Line 7 holds a relay refusal \(/,
    );
    expect(agent?.errorMessage).not.toMatch(/Known formats:/);
  });
});

describe("a Debian relay's /var/log", () => {
  /** mail.log just emptied by logrotate, mail.log.1 with the Postfix lines, and other programs' logs. */
  async function varLog(): Promise<string> {
    await place('sample-logs/postfix-mail.log', 'var/log/mail.log.1');
    await writeFile(join(dir(), 'var/log/mail.log'), '');
    for (const file of ['auth.log', 'kern.log', 'dpkg.log'])
      await place(`${FIXTURES}/${file}`, `var/log/${file}`);
    await place(`${FIXTURES}/history.log`, 'var/log/apt/history.log');
    return join(dir(), 'var/log');
  }

  it('lists the logs of other programs, notes the empty mail.log, and does not fail the run', async () => {
    const { status, summary } = await analyse(await varLog());
    expect(status).toBe(0);
    expect(summary.sources.map(({ file, status: state, notes }) => [base(file), state, notes])).toEqual([
      [
        'mail.log',
        'done',
        [
          {
            code: 'EMPTY_LOG',
            message:
              'it is empty (0 bytes): nothing was logged in it yet, as in a log just rotated, so it holds no refusal',
          },
        ],
      ],
      ['mail.log.1', 'done', expect.anything()],
    ]);
    expect(listed(summary)).toEqual([
      [
        'history.log',
        "apt's history of package operations (history.log), not a mail log: no relay refusals to read",
        undefined,
      ],
      [
        'auth.log',
        'a syslog file (2 lines of other programs: sshd 2) with no Postfix, sendmail or Exim line in it: no relay refusals to read',
        undefined,
      ],
      [
        'dpkg.log',
        "dpkg's log of packages installed and removed (dpkg.log), not a mail log: no relay refusals to read",
        undefined,
      ],
      [
        'kern.log',
        'a syslog file (1 line of other programs: kernel 1) with no Postfix, sendmail or Exim line in it: no relay refusals to read',
        undefined,
      ],
    ]);
  });

  it('still reads a syslog .log file with refusal text, failing on it as before', async () => {
    const folder = await varLog();
    const auth = await readFile(`${FIXTURES}/auth.log`, 'utf8');
    await writeFile(
      join(folder, 'auth.log'),
      `${auth}Nov 29 06:25:03 relay01 app[1]: 550 5.7.64 TenantAttribution; Relay Access Denied\n`,
    );
    const { status, summary } = await analyse(folder);
    expect(status).toBe(1);
    expect(summary.notAnalysed.map(({ file }) => base(file))).not.toContain('auth.log');
    expect(summary.sources.find(({ file }) => file.endsWith('auth.log'))).toMatchObject({ status: 'failed' });
  });

  it('keeps a mail.log of 0 bytes named alone a failure: nothing is known', async () => {
    const folder = await varLog();
    const { status, summary } = await analyse(join(folder, 'mail.log'));
    expect(status).toBe(1);
    expect(summary.sources).toMatchObject([{ status: 'failed', errorCode: 'EMPTY_INPUT' }]);
  });
});

describe('an export open in Excel when the folder was copied', () => {
  it('lists the Office lock file beside it as one, and does not fail the run', async () => {
    await place('sample-logs/tracking-export-en-US.csv', 'exports/tracking-export-en-US.csv');
    await place(`${FIXTURES}/~$tracking-export-en-US.csv`, 'exports/~$tracking-export-en-US.csv');
    const { status, summary } = await analyse(join(dir(), 'exports'));
    expect(status).toBe(0);
    expect(summary.sources.map(({ file }) => base(file))).toEqual(['tracking-export-en-US.csv']);
    expect(listed(summary)).toEqual([
      [
        '~$tracking-export-en-US.csv',
        'an Office lock file (the file was open in Excel or Word when copied): not a log or export, not analysed',
        undefined,
      ],
    ]);
  });
});

describe('folders the walk cannot follow or open', () => {
  it('lists a link back to a folder it is in as a loop', async () => {
    await place(TRACKING_LOG, 'logs/MessageTracking/MSGTRK2026112800-1.LOG');
    await symlink('..', join(dir(), 'logs/MessageTracking/up'));
    const { status, summary } = await analyse(join(dir(), 'logs'));
    expect(status).toBe(0);
    expect(summary.notAnalysed).toEqual([
      {
        file: expect.stringMatching(/logs\/MessageTracking\/up$/),
        reason: expect.stringMatching(
          /^a symbolic link to .*\/logs, a folder it is in: a loop, not followed$/,
        ),
      },
    ]);
  });

  it('fails the run on a folder whose path is too long to open, saying what to do', async () => {
    await place(TRACKING_LOG, 'top/MSGTRK2026112800-1.LOG');
    // 90 folders of 50 characters: past PATH_MAX (4096) on Linux, as a copied archive tree nests.
    const deep = join(dir(), 'top');
    try {
      // cd -P: each step a relative chdir, as a logical cd of the whole path fails past PATH_MAX.
      execFileSync(
        'sh',
        [
          '-c',
          'for i in $(seq 90); do d=$(printf "archive-%042d" $i); mkdir "$d" && cd -P "$d" || exit 1; done; : > mainlog',
        ],
        { cwd: deep },
      );
      const { status, summary, report } = await analyse(deep);
      expect(status).toBe(1);
      expect(summary.notAnalysed).toEqual([
        {
          file: expect.stringMatching(/archive-0+\d+$/),
          reason:
            'cannot be read: its path is too long to open (ENAMETOOLONG), and it may hold relay refusals: move or copy its files to a shorter path and analyse them there',
          mayHoldRefusals: true,
        },
      ]);
      expect(report).toMatch(/Files not read that may hold relay refusals/);
    } finally {
      // Node's rm cannot reach so deep a path; rm -rf walks it folder by folder.
      execFileSync('rm', ['-rf', join(deep, 'archive-000000000000000000000000000000000000000001')]);
    }
  });
});
