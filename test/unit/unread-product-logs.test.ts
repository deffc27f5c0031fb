/**
 * What relay-audit says of logs it does not read, by what they are (input/unsupported-inputs.ts,
 * input/detect.ts, bin/support/inputs.ts): Exchange 2000/2003 message tracking logs, the IIS SMTP
 * service's logs in its non-W3C formats or short of cs-method, Log Parser output, the logs and traces
 * of mail products (Kerio Connect, Zimbra, Proxmox Mail Gateway) and programs' own error output —
 * each named, with what to analyse instead and the line of the refusal it holds, wherever that is in
 * the file; and, for a folder, advice that fits what wrote the file (PowerShell's only for its output).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findLocalInputs } from '../../bin/support/inputs.js';
import { detectFormat } from '../../functions/core/analysis/input/detect.js';
import { UnknownFormatError } from '../../functions/core/kernel/errors.js';
import { analyzeFiles } from '../support/analyze-text.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/real-world/unread-product-logs');

async function* chunks(text: string, size = 7): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

/** The message detection refuses `text` with, without the list of known formats after it. */
async function refusal(text: string, size?: number): Promise<string> {
  const error = await detectFormat(chunks(text, size), 'input.log').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnknownFormatError);
  // A file named as what it is gets no list of the formats read (detect.test.ts), one not named does.
  const [message] = (error as Error).message.split('\nKnown formats:\n');
  return message ?? '';
}

async function fixture(name: string): Promise<string> {
  return refusal(await readFile(join(FIXTURES, name), 'utf8'));
}

/** How the SMTP virtual server is switched to the W3C format relay-audit reads, with the fields it needs. */
const W3C_STEPS =
  /set the SMTP virtual server's logging \(Properties > General > Enable logging\) to "W3C Extended Log File Format", with at least Date, Time, Client IP Address \(c-ip\), User Name \(cs-username\), Method \(cs-method\) and URI Query \(cs-uri-query\) ticked under Properties > Advanced; then analyse the ex\*\.log files it writes/;

describe('W3C and IIS logs relay-audit does not read', () => {
  it.each([
    ['20261128.log', 'its field list a # comment', 5],
    ['20261128-fields.log', 'its field list a tab-separated #Fields: line', 5],
  ])(
    'names %s (%s) as an Exchange 2000/2003 tracking log, with how to log in W3C and the refusal',
    async (file, _how, line) => {
      const message = await fixture(file);
      expect(message).toMatch(
        /^input\.log: looks like a message tracking log of Exchange 2000\/2003 \(tab-separated fields .*Event-ID, MSGID\), which relay-audit does not read: it reads the message tracking logs of Exchange 2007 and later\./,
      );
      expect(message).toContain('In Exchange System Manager (Servers > the server > Protocols > SMTP), ');
      expect(message).toMatch(W3C_STEPS);
      expect(message).toContain(`Line ${line} holds a relay refusal (`);
      expect(message).not.toContain('separated by spaces, not commas');
    },
  );

  it('names an IIS SMTP log whose #Fields: lack cs-method, with the fields to log and the refusal', async () => {
    const message = await fixture('ex261128-nomethod.log');
    expect(message).toMatch(
      /^input\.log: looks like an IIS SMTP service log whose #Fields: lack cs-method: /,
    );
    expect(message).toContain('Line 5 holds a relay refusal (');
    expect(message).toMatch(/Enable them .*date, time, c-ip, cs-username, cs-method, cs-uri-query\)/);
  });

  it('names a tab-separated W3C log of another program as such, with the refusal line', async () => {
    const message = await refusal(
      '#Software: Contoso Mailer 2.1\n#Fields: date\ttime\tc-ip\tstatus\n' +
        '2026-11-28\t22:20:01\t10.0.2.62\t250 OK\n2026-11-28\t22:20:03\t10.0.2.62\t550 5.7.64 TenantAttribution; Relay Access Denied\n',
    );
    expect(message).toMatch(
      /^input\.log: looks like a W3C extended log \(#Fields: separated by tabs\) that is no IIS SMTP service log, which relay-audit does not read yet: of the W3C logs, relay-audit reads the IIS SMTP service's/,
    );
    expect(message).toContain('Line 4 holds a relay refusal (');
  });

  it.each([
    ['in261128.log', 'Microsoft IIS Log File Format \\(in\\*\\.log\\)'],
    ['nc261128.log', 'NCSA Common Log File Format \\(nc\\*\\.log\\)'],
  ])('names %s by its IIS log format, with how to switch to W3C and the refusal', async (file, format) => {
    const message = await fixture(file);
    expect(message).toMatch(
      new RegExp(
        `^input\\.log: looks like an IIS SMTP service log in ${format}, which relay-audit does not read: it reads the service's W3C extended logs \\(ex\\*\\.log\\)\\. In IIS Manager`,
      ),
    );
    expect(message).toMatch(W3C_STEPS);
    expect(message).toContain('Line 7 holds a relay refusal (');
  });

  it('names Log Parser output of an IIS log, and the original log to analyse instead', async () => {
    const message = await fixture('logparser-iis.csv');
    expect(message).toMatch(
      /^input\.log: looks like Log Parser output of IIS logs \(LogFilename, LogRow, then the fields of the log\), which relay-audit does not read: analyse the original log files it was made from instead \(the first row is from C:\\WINDOWS\\system32\\LogFiles\\SMTPSVC1\\ex261128\.log\)/,
    );
    expect(message).toContain('Line 10 holds a relay refusal (');
    expect(message).toContain('it is not counted until the original log files are analysed.');
  });
});

describe('mail products’ own logs and programs’ own output, named', () => {
  it.each([
    [
      'mail.20261128',
      'a Kerio Connect mail log, which relay-audit does not read (it reads the logs of Exchange',
      2,
    ],
    [
      'zmmsgtrace.txt',
      'Zimbra zmmsgtrace output, which relay-audit does not read: analyse the Postfix lines',
      10,
    ],
    [
      'pmg-tracker-20261128',
      "Proxmox Mail Gateway tracking output (pmg-log-tracker), which relay-audit does not read: analyse the gateway's Postfix log",
      12,
    ],
    ['app.log.1', "a program's own log or error output, with a refusal it was told as it sent", 3],
    ['PowerShell_transcript.WEB01.abc123.20261128100211.txt', "a program's own log or error output", 13],
  ])('names %s, with what to analyse instead and the refusal line', async (file, what, line) => {
    const message = await fixture(file);
    expect(message).toContain(`input.log: looks like ${what}`);
    expect(message).toContain(`Line ${line} holds a relay refusal (`);
  });

  it('calls a Proxmox tracking center response a JSON document, not NDJSON', async () => {
    // GET /api2/json/nodes/pmg1/tracker/{id}, saved as it comes: one object on one line.
    const response = JSON.stringify({
      data: {
        logs: [
          {
            linenr: 1,
            text: 'Nov 28 10:02:11 pmg1 postfix/smtpd[1234]: connect from app01.contoso.local[10.0.0.20]',
          },
          {
            linenr: 2,
            text: 'Nov 28 10:02:12 pmg1 postfix/smtp[1240]: 4F1A22C0B4: to=<kate@tailspintoys.com>, dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36)',
          },
        ],
      },
    });
    const message = await refusal(response);
    expect(message).not.toContain('newline-delimited');
    expect(message).toMatch(
      /^input\.log: JSON, not CSV: a Proxmox Mail Gateway tracking center response \(the log lines of one message\), which relay-audit does not read: analyse the gateway's Postfix log/,
    );
    expect(message).toContain('Line 1 holds a relay refusal (550 5.7.64 TenantAttribution');
  });

  it('calls another lone JSON object with a list in it no NDJSON', async () => {
    expect(await refusal('{"result":{"items":[{"id":1}]}}\n')).toMatch(
      /^input\.log: JSON that is no message trace\./,
    );
  });
});

describe('a refusal past the first 16 KB of a file named', () => {
  /** Lines of an application's log, none a header, none a refusal. */
  const lines = (count: number): string =>
    Array.from(
      { length: count },
      (_, i) => `2026-11-28 10:02:11,812 [12] INFO  Contoso.Billing.Mailer - Sending invoice ${i} ok\n`,
    ).join('');

  it('is found and named by its line, as in a folder', async () => {
    const head = lines(400);
    expect(head.length).toBeGreaterThan(16 * 1024);
    const message = await refusal(
      `${head}2026-11-28 10:02:12,877 [12] ERROR Mailbox unavailable. The server response was: 5.7.64 TenantAttribution; Relay Access Denied ATTR36\n${lines(5)}`,
      4096,
    );
    expect(message).toContain('Line 401 holds a relay refusal (');
    expect(message).not.toContain('first 16 KB');
  });

  it('is found in a file a description names, on a line cut by the sample', async () => {
    // A Kerio Connect log whose refusal line starts just before the 16 KB a description is given.
    const row = (i: number) =>
      `[28/Nov/2026 10:02:11] Recv: Queue-ID: 5a1b2c3d-${String(i).padStart(8, '0')}, Service: SMTP, From: <app@contoso.com>, To: <kate@tailspintoys.com>\n`;
    // Rows, then a filler line, so the refusal's line starts 60 characters before the 16 KB end and its code past it.
    let head = '';
    for (let i = 0; head.length + row(i).length < 16 * 1024 - 200; i++) head += row(i);
    head += `${'-'.repeat(16 * 1024 - 60 - head.length - 1)}\n`;
    const line = head.split('\n').length;
    const message = await refusal(
      `${head}[28/Nov/2026 10:02:12] Sent: Queue-ID: 5a1b2c3d-00000001, Recipient: <kate@tailspintoys.com>, Result: failed, Status: 5.7.64 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36\n`,
      1024,
    );
    expect(message).toContain('looks like a Kerio Connect mail log');
    expect(message).toContain(`Line ${line} holds a relay refusal (550 5.7.64 TenantAttribution`);
  });

  it('says the whole file holds none when it holds none', async () => {
    expect(await refusal(lines(400), 4096)).toMatch(/It holds no relay refusal\.$/);
  });
});

describe('advice for a file passed over in a folder, by what wrote it', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('names product logs and program output, and gives PowerShell export advice only for PowerShell output', async () => {
    const found = await findLocalInputs([FIXTURES], FIXTURES);
    const reasons = new Map(found.notAnalysed.map(({ file, reason }) => [file, reason]));
    expect(reasons.get('mail.20261128')).toMatch(
      /yet it holds relay-refusal text \(5\.7\.64 on line 2\): it looks like a Kerio Connect mail log, which relay-audit does not read \(it reads the logs of Exchange, IIS SMTP, Postfix, sendmail and Exim/,
    );
    expect(reasons.get('zmmsgtrace.txt')).toMatch(
      /\(5\.7\.64 on line 10\): it looks like Zimbra zmmsgtrace output, which relay-audit does not read: analyse the Postfix lines it is made from instead \(\/var\/log\/zimbra\.log/,
    );
    expect(reasons.get('pmg-tracker-20261128')).toMatch(
      /\(5\.7\.64 on line 12\): it looks like Proxmox Mail Gateway tracking output \(pmg-log-tracker\), which relay-audit does not read: analyse the gateway's Postfix log instead/,
    );
    for (const file of ['app.log.1', 'PowerShell_transcript.WEB01.abc123.20261128100211.txt']) {
      expect(reasons.get(file)).toMatch(
        /it looks like a program's own output, with a refusal it was told as it sent: analyse the log of the server the program sends through/,
      );
    }
    for (const reason of reasons.values()) expect(reason).not.toMatch(/Export-Csv|ConvertTo-Json/);
    expect(found.mayHoldRefusals).toHaveLength(5);
  });

  it('keeps the Export-Csv advice for Format-List output, and gives none for text of no known writer', async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-audit-advice-'));
    await writeFile(
      join(dir, 'tracking-fl.txt'),
      '\r\nTimestamp       : 11/28/2026 10:02:12 AM\r\nEventId         : FAIL\r\nSender          : app@contoso.com\r\n' +
        'RecipientStatus : {550 5.7.64 TenantAttribution; Relay Access Denied ATTR36}\r\n',
    );
    await writeFile(
      join(dir, 'notes.txt'),
      'Seen today on the relay:\n550 5.7.64 TenantAttribution; Relay Access Denied\n',
    );
    const found = await findLocalInputs([dir], dir);
    const reasons = new Map(found.notAnalysed.map(({ file, reason }) => [file, reason]));
    expect(reasons.get('tracking-fl.txt')).toMatch(
      /: export the rows as CSV \(Export-Csv, see "Exports that work"/,
    );
    expect(reasons.get('notes.txt')).toMatch(
      /\(5\.7\.64 on line 2\): it is in no form relay-audit reads \(it reads the logs of Exchange, .*"Supported inputs" in the README\); name the file to see why it is not read$/,
    );
  });
});

describe('a trace detail export without its trace id', () => {
  it('is told to keep the recipient and sender too, which tell two recipients of one second apart', async () => {
    const csv =
      '"Date","MessageId","Event","Detail"\r\n' +
      '"2026-11-28T22:15:03","<a@contoso.com>","Fail","550 5.7.64 TenantAttribution; Relay Access Denied"\r\n';
    const { sources } = await analyzeFiles([{ name: 'detail.csv', content: csv }]);
    expect(sources[0]?.errorMessage).toContain(
      'a Select-Object must keep Date, MessageId, MessageTraceId, RecipientAddress, SenderAddress, Event, Detail and Data',
    );
  });
});
