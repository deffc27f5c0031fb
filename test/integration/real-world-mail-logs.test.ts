/**
 * Mail logs of Linux relays as they are found on the host, through the CLI in-process with
 * `--no-store --json`: Postfix with `soft_bounce = yes`, mail logs and syslog files whose first
 * lines are other programs' (Debian's mail.log with dovecot, /var/log/syslog, RHEL's messages), a
 * copy of /var/log analysed as a folder, and logs written as their host lost power (NUL bytes).
 * Built from sample-logs/postfix-mail.log and test/fixtures/real-world/postfix-soft-bounce.log.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from '../support/capture-output.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

interface Run {
  status: number;
  sources: SourceRecord[];
  notAnalysed: { file: string; reason: string }[];
  /** `[line, recipient, scenario]` of each finding, in output order. */
  findings: [number, string, string][];
}

async function analyse(...paths: string[]): Promise<Run> {
  const { status, out } = await cli('analyze', ...paths, ...DOMAINS, '--no-store', '--json');
  // --no-store: findings are NDJSON on stdout, the JSON summary goes to stderr.
  const summary = JSON.parse(out.stderr) as Pick<Run, 'sources' | 'notAnalysed'>;
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { source: { line: number }; recipient: string; scenario: string })
    .map((finding): [number, string, string] => [finding.source.line, finding.recipient, finding.scenario]);
  return { status, sources: summary.sources, notAnalysed: summary.notAnalysed, findings };
}

function accountedFor(source: SourceRecord | undefined): void {
  expect(source?.rowsRead).toBe((source?.rowsAnalysed ?? 0) + (source?.rowsSkipped ?? 0));
}

/** The findings of sample-logs/postfix-mail.log, its lines moved down by `offset`. */
function sampleFindings(offset: number): [number, string, string][] {
  return [
    [7 + offset, 'noc@adatum.com', 'foreign-sender-domain'],
    [12 + offset, 'alerts@monitoring.contoso.com', 'ndr'],
    [19 + offset, 'ap@litware.com', 'connector-mismatch'],
    [20 + offset, 'ar@litware.com', 'connector-mismatch'],
    [27 + offset, 'auditor@woodgrovebank.com', 'wrong-region'],
  ];
}

/** `Nov 28 21:mm:ss`, a second apart, all before the sample's first line (22:10:01). */
function stamp(index: number): string {
  const minute = Math.floor(index / 60) % 60;
  return `Nov 28 21:${String(minute).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}`;
}

/** What Debian's /var/log/mail.log holds besides Postfix: dovecot, amavis, opendkim. */
function mailFacilityLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const at = stamp(i);
    switch (i % 3) {
      case 0:
        return `${at} relay01 dovecot: imap-login: Login: user=<svc-monitor>, method=PLAIN, rip=10.0.2.40, lip=10.0.2.80, mpid=${24000 + i}, TLS, session=<k3Jx${i}AKAA>`;
      case 1:
        return `${at} relay01 amavis[1523]: (01523-${String(i).padStart(2, '0')}) Passed CLEAN {RelayedOutbound}, [10.0.2.40]:5${String(i).padStart(4, '0')} <alerts@contoso.com> -> <lee@contoso.com>, Hits: -1.9, size: 2210, 48 ms`;
      default:
        return `${at} relay01 opendkim[812]: ${(0x1a2b3c0000 + i).toString(16).toUpperCase()}: DKIM-Signature field added (s=mail, d=contoso.com)`;
    }
  });
}

/** What /var/log/syslog and RHEL's /var/log/messages begin with: kernel, systemd, rsyslogd. */
function systemLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const at = stamp(i);
    switch (i % 3) {
      case 0:
        return `${at} relay01 kernel: [ ${1000 + i}.123456] audit: type=1400 audit(1764363600.${i}:45): apparmor="ALLOWED" operation="open" profile="snap.lxd.daemon" name="/proc/1/mountinfo"`;
      case 1:
        return `${at} relay01 systemd[1]: Started session-${i}.scope - Session ${i} of User admin.`;
      default:
        return `${at} relay01 rsyslogd: [origin software="rsyslogd" swVersion="8.2302.0" x-pid="612" x-info="https://www.rsyslog.com"] rsyslogd was HUPed`;
    }
  });
}

let dir: string;
let sample: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-mail-logs-'));
  sample = (await readFile('sample-logs/postfix-mail.log', 'utf8')).trimEnd().split('\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return path;
}

describe('Postfix with soft_bounce = yes', () => {
  it('reads status=SOFTBOUNCE (dsn=4.7.64, the server said 550 5.7.64) as the refusal it is, once however often retried', async () => {
    const { status, sources, findings } = await analyse('test/fixtures/real-world/postfix-soft-bounce.log');
    expect(status).toBe(0);
    expect(sources[0]).toMatchObject({
      status: 'done',
      format: 'postfix-log',
      rowsRead: 21,
      rowsSkipped: 3,
      // noc@adatum.com refused twice (the retry 10 minutes later), ap@ and AR@litware.com once.
      rejections: 4,
      skippedByReason: { OTHER_PROGRAM: 3 },
    });
    accountedFor(sources[0]);
    // The 550 5.1.10 soft-bounced on line 21 is no relay refusal.
    expect(findings).toEqual([
      [7, 'noc@adatum.com', 'foreign-sender-domain'],
      [13, 'ap@litware.com', 'connector-mismatch'],
      [14, 'ar@litware.com', 'connector-mismatch'],
    ]);
  });
});

describe('a mail log or syslog file whose first lines are other programs', () => {
  it("reads Debian's mail.log that begins with 210 lines of dovecot, amavis and opendkim", async () => {
    const path = await write('debian/mail.log', `${[...mailFacilityLines(210), ...sample].join('\n')}\n`);
    const { status, sources, findings } = await analyse(path);
    expect(status).toBe(0);
    expect(sources[0]).toMatchObject({
      status: 'done',
      format: 'postfix-log',
      rowsRead: 210 + 32,
      skippedByReason: { OTHER_PROGRAM: 213 },
    });
    accountedFor(sources[0]);
    expect(findings).toEqual(sampleFindings(210));
  });

  it('reads /var/log/syslog that begins with 250 lines of kernel, systemd and rsyslogd', async () => {
    const path = await write('debian/syslog', `${[...systemLines(250), ...sample].join('\n')}\n`);
    const { status, sources, findings } = await analyse(path);
    expect(status).toBe(0);
    expect(sources[0]).toMatchObject({ status: 'done', format: 'postfix-log', rowsRead: 250 + 32 });
    accountedFor(sources[0]);
    expect(findings).toEqual(sampleFindings(250));
  });

  it('reads it whole and refuses it, saying what it is, when no line is a mail program’s', async () => {
    const path = await write('rhel/secure', `${systemLines(260).join('\n')}\n`);
    const { status, sources } = await analyse(path);
    expect(status).toBe(1);
    expect(sources[0]).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(sources[0]?.errorMessage).toMatch(
      /looks like a syslog file \(260 lines of other programs: kernel 87, systemd 87, rsyslogd 86\) with no Postfix, sendmail or Exim line in it, so it holds no relay refusals to read\. Analyse the relay's mail log/,
    );
    expect(sources[0]?.errorMessage).not.toMatch(/has the headers|is no header relay-audit knows/);
  });
});

describe('a copy of /var/log analysed as a folder', () => {
  it('analyses the syslog files without an extension that hold mail lines, and names the others', async () => {
    await write('var-log/messages', `${[...systemLines(250), ...sample].join('\n')}\n`);
    await write('var-log/secure', `${systemLines(30).join('\n')}\n`);
    await write('var-log/exim-mainlog.log', await readFile('sample-logs/exim-mainlog.log', 'utf8'));
    const { status, sources, notAnalysed, findings } = await analyse(join(dir, 'var-log'));
    expect(status).toBe(0);
    const byName = new Map(sources.map((source) => [source.file.replace(/^.*var-log\//, ''), source]));
    expect(byName.get('messages')).toMatchObject({ status: 'done', format: 'postfix-log', rejections: 6 });
    expect(byName.get('exim-mainlog.log')).toMatchObject({ status: 'done', format: 'exim-log' });
    expect(findings).toHaveLength(5 + 4);
    expect(notAnalysed).toEqual([
      {
        file: expect.stringMatching(/var-log\/secure$/),
        reason:
          'a syslog file (30 lines of other programs: kernel 10, systemd 10, rsyslogd 10) with no Postfix, sendmail ' +
          'or Exim line in it: no relay refusals to read',
      },
    ]);
  });
});

describe('a log written as its host lost power', () => {
  /** The sample with `nuls` NUL bytes glued before its line 7, the first refusal. */
  function withNuls(nuls: number): Buffer {
    const lines = sample.map((line) => Buffer.from(line, 'utf8'));
    lines[6] = Buffer.concat([Buffer.alloc(nuls), lines[6] as Buffer]);
    return Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')]));
  }

  it.each([
    [512, '512'],
    // Longer than any log line may be: the NULs are dropped before the line's length counts.
    [200_000, '200,000'],
  ])('reads the refusal after a run of %i NUL bytes, and notes them', async (nuls, written) => {
    const path = await write(`power-loss-${nuls}/mail.log`, withNuls(nuls));
    const { status, sources, findings } = await analyse(path);
    expect(status).toBe(0);
    expect(sources[0]).toMatchObject({ status: 'done', rowsRead: 32, skippedByReason: { OTHER_PROGRAM: 3 } });
    accountedFor(sources[0]);
    expect(findings).toEqual(sampleFindings(0));
    expect(sources[0]?.notes).toContainEqual({
      code: 'NUL_BYTES_REMOVED',
      message: `${written} NUL bytes were removed (1 line began with a run of them), as a log holds where writes were lost when its host crashed or lost power: the text after them was read.`,
    });
  });

  it('says how many of the lines that began with NULs held nothing else, in the note of every reader', async () => {
    const lines = sample.map((line) => Buffer.from(line, 'utf8'));
    lines[6] = Buffer.concat([Buffer.alloc(300), lines[6] as Buffer]);
    // The lost writes of a whole line: NULs up to its line end.
    lines.splice(13, 0, Buffer.alloc(4096));
    const path = await write(
      'power-loss-alone/mail.log',
      Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])),
    );
    const { status, sources, findings } = await analyse(path);
    expect(status).toBe(0);
    expect(sources[0]).toMatchObject({
      rowsRead: 33,
      skippedByReason: { OTHER_PROGRAM: 3, NOT_A_LOG_LINE: 1 },
    });
    accountedFor(sources[0]);
    expect(findings).toEqual(
      sampleFindings(0).map(([line, ...rest]) => [line > 13 ? line + 1 : line, ...rest]),
    );
    expect(sources[0]?.notes).toContainEqual({
      code: 'NUL_BYTES_REMOVED',
      message:
        '4,396 NUL bytes were removed (2 lines began with a run of them, 1 of them held nothing else), as a log ' +
        'holds where writes were lost when its host crashed or lost power: the text after them was read.',
    });
  });

  it('shows the control characters of a line it cannot read as escapes, not raw', async () => {
    const lines = [...sample];
    lines.splice(13, 0, '\u0001\u0002\u0003garbage\u0000\u0000\u0000\u0000\u0000\u001b[0m tail');
    const path = await write('garbled/mail.log', `${lines.join('\n')}\n`);
    const { sources } = await analyse(path);
    expect(sources[0]?.skipped).toEqual([
      {
        line: 14,
        reason: 'BAD_LINE',
        message: 'not a syslog line: "\\x01\\x02\\x03garbage[5 × \\0]\\x1b[0m tail"',
      },
    ]);
  });
});

describe("sendmail's own bounces (test/fixtures/real-world/sendmail-dsn)", () => {
  const MAILLOG = 'test/fixtures/real-world/sendmail-dsn/maillog';
  /** Each bounce's refusal is an NDR: sendmail logs no from= line for it, only `QID: NEWQID: DSN: …`. */
  const EXPECTED: [number, string, string][] = [
    [5, 'reports@northwindtraders.com', 'ndr'],
    [7, 'mailadmin@litware.com', 'ndr'],
    [9, 'buyer@wingtiptoys.com', 'foreign-sender-domain'],
    [11, 'noreply@fabrikam.com', 'ndr'],
    [13, 'mailadmin@litware.com', 'ndr'],
    [15, 'support@proseware.com', 'ndr'],
    [17, 'mailadmin@litware.com', 'ndr'],
    [19, 'mailadmin@litware.com', 'ndr'],
  ];

  it('gives the queue id of a DSN, sender notify, postmaster notify or return to sender line the null sender', async () => {
    const { status, sources, findings } = await analyse(MAILLOG);
    expect(status).toBe(0);
    expect(sources[0]).toMatchObject({
      status: 'done',
      format: 'sendmail-log',
      rowsRead: 19,
      rowsSkipped: 0,
    });
    accountedFor(sources[0]);
    expect(findings).toEqual(EXPECTED);
    // Every refusal has its sender: none is left without one.
    expect((sources[0]?.notes ?? []).map((note) => note.code)).not.toContain('SENDER_NOT_SEEN');
  });

  it('hands the null sender on when the log rotated between the DSN line and its refusal', async () => {
    const lines = (await readFile(MAILLOG, 'utf8')).trimEnd().split('\n');
    const before = await write('sendmail-rotated/maillog-20261129', `${lines.slice(0, 10).join('\n')}\n`);
    const after = await write('sendmail-rotated/maillog', `${lines.slice(10).join('\n')}\n`);
    const { status, sources, findings } = await analyse(after, before);
    expect(status).toBe(0);
    const ndr = findings.find(([, recipient]) => recipient === 'noreply@fabrikam.com');
    // Line 11 of the whole log is the first line of the newer file.
    expect(ndr).toEqual([1, 'noreply@fabrikam.com', 'ndr']);
    for (const source of sources)
      expect((source.notes ?? []).map((note) => note.code)).not.toContain('SENDER_NOT_SEEN');
  });
});
