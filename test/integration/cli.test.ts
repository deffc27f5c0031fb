/**
 * The CLI end to end on the real embedded engine (dynalite in-process, persisted in a temp dir):
 * exit statuses, idempotency, the findings query and its output formats.
 */
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../bin/support/store-options.js';
import { CSV_COLUMNS, exportFindingsCsv } from '../../functions/api/csv-export.js';
import { DEFAULT_EXPORT_LIMITS } from '../../functions/api/dependencies.js';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { type CapturedOutput, cli } from '../support/capture-output.js';
import { SAMPLE_FILE_COUNT, SAMPLE_FINDING_COUNT } from '../support/sample-expectations.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
let dir: string;
/** Stores shared by the tests that only read them (see `analysedOnce`), removed after the file. */
let sharedDir: Promise<string> | undefined;
const analysed = new Map<string, Promise<{ db: string; status: number; out: CapturedOutput }>>();

/**
 * The store `analyze <input> <DOMAINS> --db` leaves in a new directory, and what that run printed:
 * made once for the file's tests (a run over sample-logs costs seconds), which must only read it,
 * or copy it (`copiedStore`) to write more into it.
 */
function analysedOnce(input: string) {
  let made = analysed.get(input);
  if (made === undefined) {
    const name = `db-${analysed.size}`;
    made = (async () => {
      sharedDir ??= mkdtemp(join(tmpdir(), 'relay-audit-cli-shared-'));
      const db = join(await sharedDir, name);
      const { status, out } = await cli('analyze', input, ...DOMAINS, '--db', db);
      return { db, status, out };
    })();
    analysed.set(input, made);
  }
  return made;
}

/** A copy, at `db`, of the store one run over `input` leaves (the same as that run into `db`). */
async function copiedStore(input: string, db: string): Promise<void> {
  const { db: shared, status } = await analysedOnce(input);
  expect(status).toBe(0);
  await cp(shared, db, { recursive: true });
}

async function storedCount(db: string): Promise<number> {
  const { out } = await cli('findings', '--db', db, '--format', 'ndjson');
  return out.stdout.split('\n').filter(Boolean).length;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterAll(async () => {
  if (sharedDir !== undefined) await rm(await sharedDir, { recursive: true, force: true });
});

describe('relay-audit analyze', () => {
  it('analyses the samples into the embedded store and prints the report', async () => {
    const { db, status, out } = await analysedOnce('sample-logs');
    expect(status).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`${SAMPLE_FILE_COUNT} files, .* → ${SAMPLE_FINDING_COUNT} findings`),
    );
    expect(out.stdout).toMatch(/Findings by scenario/);
    // The samples' forwarding is three mailboxes' redirects: each listed once, with its count.
    const forwarded = out.stdout.slice(
      out.stdout.indexOf('Forwarded on-premises by'),
      out.stdout.indexOf('Accepted domains:'),
    );
    expect(forwarded.trim().split('\n').slice(1)).toEqual([
      '       2  kate@contoso.com               mailbox forwarding or redirect (REDIRECT)',
      '       1  ben@contoso.com                Inbox rule',
      '       1  j.weber@contoso.com            Inbox rule',
    ]);
    expect(out.stdout).toMatch(/Next step: /);
    // The note names the command that reads this very store (a path with a space is quoted).
    expect(out.stdout).toContain(
      `Stored in the embedded store in ${db}/: ${SAMPLE_FINDING_COUNT} findings from this run`,
    );
    expect(out.stdout).toContain(`List them: relay-audit findings --db ${db}`);
    expect(await storedCount(db)).toBe(SAMPLE_FINDING_COUNT);
  });

  it('is idempotent: the same files twice, and an overlapping copy, never double count', async () => {
    const db = join(dir, 'db');
    await copiedStore('sample-logs', db);
    const again = await cli('analyze', 'sample-logs', ...DOMAINS, '--db', db, '--json');
    expect(JSON.parse(again.out.stdout).store.findingsWritten).toBe(SAMPLE_FINDING_COUNT);
    expect(await storedCount(db)).toBe(SAMPLE_FINDING_COUNT);
    // An overlapping export: the same rows under another name.
    const copy = join(dir, 'MSGTRK-copy.LOG');
    await copyFile('sample-logs/MSGTRK2026112800-2.LOG', copy);
    const plain = await cli('analyze', copy, ...DOMAINS, '--db', db, '--json');
    expect(await storedCount(db)).toBe(SAMPLE_FINDING_COUNT);
    // The same log compressed, as logs are often shipped: read, and still the same findings.
    const packed = join(dir, 'MSGTRK2026112800-2.LOG.gz');
    await writeFile(packed, gzipSync(await readFile('sample-logs/MSGTRK2026112800-2.LOG')));
    const gz = await cli('analyze', packed, ...DOMAINS, '--db', db, '--json');
    expect(JSON.parse(gz.out.stdout).sources[0]).toMatchObject({
      status: 'done',
      format: 'exchange-tracking-log',
    });
    expect(JSON.parse(gz.out.stdout).findingsByScenario).toEqual(
      JSON.parse(plain.out.stdout).findingsByScenario,
    );
    expect(await storedCount(db)).toBe(SAMPLE_FINDING_COUNT);
  });

  it('says what it inferred when no accepted domains are given', async () => {
    const { status, out } = await cli('analyze', 'sample-logs', '--db', join(dir, 'db'));
    expect(status).toBe(0);
    expect(out.stdout).toMatch(/none given, so relay-audit inferred them/);
    expect(out.stdout).toMatch(
      / contoso\.com — \d+ deliveries to mailboxes, \d+ submissions from mailboxes, \d+ receipts from outside/,
    );
    expect(out.stdout).toMatch(/ corp\.contoso\.com — 1 delivery to mailboxes, 2 submissions from mailboxes/);
    expect(out.stdout).toMatch(/Precision depends on the list/);
  });

  it('exits 1 when an input cannot be analysed, after analysing the others', async () => {
    const { status, out } = await cli(
      'analyze',
      'test/fixtures/bad/unknown-format.csv',
      'sample-logs/MSGTRK2010-EX2010.LOG',
      ...DOMAINS,
      '--db',
      join(dir, 'db'),
    );
    expect(status).toBe(1);
    expect(out.stdout).toMatch(/✗ test\/fixtures\/bad\/unknown-format\.csv — not analysed: UNKNOWN_FORMAT/);
    expect(out.stdout).toMatch(/✓ sample-logs\/MSGTRK2010-EX2010\.LOG/);
  });

  it.each([
    [['analyze']],
    [['analyze', 'no-such-file.log']],
    [['analyze', 'sample-logs', '--bogus']],
    [['analyze', 'sample-logs', '--accepted-domains', 'not a domain!']],
    [['findings', '--scenario', 'nope']],
    [['findings', '--limit', '-3']],
    [['frobnicate']],
    [[]],
  ])('exits 2 on a usage error: %j', async (argv) => {
    const { status, out } = await cli(...argv);
    expect(status).toBe(2);
    expect(out.stderr + out.stdout).toMatch(/relay-audit|Usage/);
  });

  it.each([
    ['acepted-domains.csv', '--accepted-domains: no such file: acepted-domains.csv.'],
    ['config/domains', '--accepted-domains: no such file: config/domains.'],
    ['sample-logs', '--accepted-domains: sample-logs is a directory, not a file'],
  ])('takes --accepted-domains %j for a missing file, not for a domain', async (value, message) => {
    const { status, out } = await cli('analyze', 'sample-logs', '--no-store', '--accepted-domains', value);
    expect(status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(message);
  });

  it('says why the store cannot be opened, with the cause from the file system', async () => {
    const file = join(dir, 'not-a-directory');
    await writeFile(file, '');
    const { status, out } = await cli('analyze', 'sample-logs', ...DOMAINS, '--db', join(file, 'db'));
    expect(status).toBe(1);
    expect(out.stderr).toContain(
      `cannot create the store directory ${join(file, 'db')}: ENOTDIR: not a directory`,
    );
  });

  it.each([
    'domains.xlsx',
    'domains.xls',
    'domains.ods',
    'domains.dat',
    'domains.cfg',
    'domains.conf',
    'domains.ini',
    'domains.bak',
    'domains.out',
    'domains.yaml',
    'domains.docx',
    'domains.htm',
  ])(
    'takes a missing --accepted-domains %s for a mistyped file name, not for the one domain',
    async (value) => {
      const { status, out } = await cli(
        'analyze',
        'sample-logs/postfix-mail.log',
        '--no-store',
        '--accepted-domains',
        value,
      );
      expect(status).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toContain(`--accepted-domains: no such file: ${value}.`);
    },
  );

  it('still takes a domain whose top-level domain is spelt like a file extension (.md, .zip)', async () => {
    const { status, out } = await cli(
      'analyze',
      'sample-logs/postfix-mail.log',
      '--no-store',
      '--accepted-domains',
      'contoso.md,contoso.zip',
    );
    expect(status).toBe(0);
    expect(out.stderr).toContain('Accepted domains: contoso.md, contoso.zip (from the command line)');
  });

  it.each([
    ['an .xlsx workbook (ZIP)', 'domains.xlsx', Buffer.from('504b0304140006000800000021000000', 'hex')],
    ['an .xls workbook (OLE2)', 'domains.xls', Buffer.from('d0cf11e0a1b11ae1000000000000000000', 'hex')],
  ])('names %s given as --accepted-domains and says to save it as CSV', async (_label, name, bytes) => {
    const file = join(dir, name);
    await writeFile(file, bytes);
    const { status, out } = await cli(
      'analyze',
      'sample-logs/postfix-mail.log',
      '--no-store',
      '--accepted-domains',
      file,
    );
    expect(status).toBe(2);
    expect(out.stderr).toContain(`--accepted-domains ${file}: an Excel workbook`);
    expect(out.stderr).toContain('save it as CSV (Get-AcceptedDomain | Export-Csv');
  });

  it('refuses Get-AcceptedDomain > file (the console table) saying how to export the domains', async () => {
    const file = 'test/fixtures/real-world/accepted-domains-format-table/Get-AcceptedDomain.txt';
    const { status, out } = await cli(
      'analyze',
      'sample-logs/postfix-mail.log',
      '--no-store',
      '--accepted-domains',
      file,
    );
    expect(status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`--accepted-domains ${file}: PowerShell's table output`);
    expect(out.stderr).toContain('Export-Csv');
    expect(out.stderr).toContain('Select-Object -ExpandProperty DomainName');
    expect(out.stderr).not.toMatch(/"Name" is not a domain name/);
  });

  it('shows in the report which accepted domains cover their subdomains, as check does', async () => {
    const run = await cli('analyze', 'sample-logs/postfix-mail.log', ...DOMAINS, '--no-store');
    const check = await cli('check', ...DOMAINS);
    const shown = 'contoso.com, corp.contoso.com, fabrikam-group.com (+subdomains)';
    expect(run.out.stderr).toContain(
      `Accepted domains: ${shown} (from sample-logs/config/accepted-domains.csv)`,
    );
    expect(check.out.stdout).toContain(
      `Accepted domains (sample-logs/config/accepted-domains.csv): ${shown}`,
    );
    const wildcard = await cli(
      'analyze',
      'sample-logs/postfix-mail.log',
      '--no-store',
      '--accepted-domains',
      '*.contoso.com',
    );
    expect(wildcard.out.stderr).toContain('Accepted domains: *.contoso.com (from the command line)');
  });

  it('counts one repeated refusal in the singular', async () => {
    const { out } = await cli('analyze', 'sample-logs/postfix-mail.log', ...DOMAINS, '--no-store');
    expect(out.stderr).toMatch(/^relay-audit: 1 file, .* \(1 repeated refusal counted once\)$/m);
  });

  it('names an empty argument rather than a file named nothing', async () => {
    const { status, out } = await cli('analyze', '', '--no-store');
    expect(status).toBe(2);
    expect(out.stderr).toContain(
      'relay-audit analyze: argument 1 is empty (""): expected a file or directory',
    );
  });

  it('rejects a --since it cannot read before writing anything, saying what it expects', async () => {
    const { status, out } = await cli(
      'findings',
      '--since',
      'yesterday',
      '--format',
      'csv',
      '--db',
      join(dir, 'db'),
    );
    expect(status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      '--since: expected a date such as 2026-11-28 or an ISO 8601 time such as 2026-11-28T22:00, ' +
        '2026-11-28T22:00:30Z or 2026-11-28T23:00+01:00 (a time without a zone is UTC), got "yesterday"',
    );
  });

  it('--no-store prints findings as NDJSON and touches no store', async () => {
    const { status, out } = await cli(
      'analyze',
      'sample-logs/MSGTRK2013-EX2013.LOG',
      ...DOMAINS,
      '--no-store',
    );
    expect(status).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(Finding.safeParse(JSON.parse(line)).success).toBe(true);
    expect(out.stderr).toMatch(/relay-audit: 1 file/);
  });
});

describe('relay-audit findings', () => {
  it('filters by scenario, sender domain and time and prints NDJSON with the required fields', async () => {
    const { db } = await analysedOnce('sample-logs');
    const { status, out } = await cli(
      'findings',
      '--db',
      db,
      '--scenario',
      'forwarding',
      '--since',
      '2026-11-20',
      '--format',
      'ndjson',
    );
    expect(status).toBe(0);
    const findings = out.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(findings).toHaveLength(4);
    for (const finding of findings) {
      expect(finding.scenario).toBe('forwarding');
      for (const key of [
        'id',
        'messageId',
        'recipient',
        'code',
        'timestamp',
        'evidence',
        'confidence',
        'remediation',
        'source',
      ]) {
        expect(finding).toHaveProperty(key);
      }
      // The sample logs' forwarding is each a mailbox's REDIRECT row (by its forwarding address, or
      // written by an Inbox rule: source MAILBOXRULE): the finding names the mailbox, and how.
      expect(finding.forwardedFrom).toMatchObject({
        kind: (finding.evidence as { kind: string }[]).some((item) => item.kind === 'mailbox-rule')
          ? 'mailbox-rule'
          : 'redirect',
        address: expect.stringMatching(/@contoso\.com$/),
      });
      expect(finding.remediation).toMatchObject({
        title: expect.any(String),
        steps: expect.any(Array),
        commands: expect.any(Array),
      });
      expect(finding.source).toMatchObject({
        file: expect.any(String),
        line: expect.any(Number),
        format: expect.any(String),
      });
    }
    const fabrikam = await cli('findings', '--db', db, '--sender-domain', 'FABRIKAM.com', '--format', 'json');
    const parsed = JSON.parse(fabrikam.out.stdout) as { senderDomain: string }[];
    expect(parsed.length).toBe(10); // 9 from the Exchange samples, 1 from the sendmail sample
    expect(new Set(parsed.map((f) => f.senderDomain))).toEqual(new Set(['fabrikam.com']));
    const none = await cli('findings', '--db', db, '--until', '2026-01-01', '--format', 'ndjson');
    expect(none.out.stdout).toBe('');
  });

  it('reads --since and --until in every ISO 8601 form the other time flags take (no zone: UTC)', async () => {
    // Refusals at 14:02:42, 14:02:43 and 21:15:03 UTC on 2026-11-27.
    const { db } = await analysedOnce('sample-logs/MSGTRK2013-EX2013.LOG');
    const count = async (...flags: string[]) => {
      const { status, out } = await cli('findings', '--db', db, '--format', 'ndjson', ...flags);
      expect(status, flags.join(' ')).toBe(0);
      return out.stdout.split('\n').filter(Boolean).length;
    };
    for (const since of [
      '2026-11-27T15:00',
      '2026-11-27T15:00Z',
      '2026-11-27 15:00:00',
      '2026-11-27T16:00+01:00',
    ]) {
      expect(await count('--since', since), since).toBe(1);
    }
    expect(await count('--until', '2026-11-27T14:01')).toBe(0);
    // A time --until takes in the rest of the minute or second it names, as a date its whole day.
    expect(await count('--until', '2026-11-27T14:02')).toBe(2);
    expect(await count('--since', '2026-11-27T14:02', '--until', '2026-11-27T14:02')).toBe(2);
    expect(await count('--since', '2026-11-27T14:02:43', '--until', '2026-11-27 14:02:43')).toBe(1);
    expect(await count('--until', '2026-11-27T14:03')).toBe(2);
    expect(await count('--until', '2026-11-27')).toBe(3);
  });

  it('refuses a null sender as --sender-domain, pointing at --scenario ndr', async () => {
    const { db } = await analysedOnce('sample-logs/MSGTRK2013-EX2013.LOG');
    const { status, out } = await cli('findings', '--db', db, '--sender-domain', '<>');
    expect(status).toBe(2);
    expect(out.stderr).toContain(
      'relay-audit findings: --sender-domain: "<>" is the null sender, which has no domain: NDRs and other ' +
        'null-sender refusals are --scenario ndr',
    );
  });

  it('echoes a value that is not one of the choices, with the one likely meant', async () => {
    const { db } = await analysedOnce('sample-logs/MSGTRK2013-EX2013.LOG');
    const { status, out } = await cli('findings', '--db', db, '--scenario', 'forwading');
    expect(status).toBe(2);
    expect(out.stderr).toBe(
      'relay-audit findings: --scenario: expected one of ndr | forwarding | foreign-sender-domain | ' +
        'connector-mismatch | wrong-region, got "forwading"; did you mean forwarding?\n',
    );
  });

  it('writes CSV that spreadsheets cannot execute', async () => {
    const db = join(dir, 'db');
    const evil = join(dir, 'evil.LOG');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      evil,
      '#Fields: date-time,event-id,source,message-id,recipient-address,recipient-status,sender-address,return-path,message-subject\n' +
        '2026-11-28T10:00:00.000Z,FAIL,SMTP,<e1@x>,x@gmail.com,550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [X],a@fabrikam.com,a@fabrikam.com,"=HYPERLINK(""http://evil"",""click"")"\n',
    );
    await cli('analyze', evil, ...DOMAINS, '--db', db);
    const { out } = await cli('findings', '--db', db, '--format', 'csv');
    const [header, row] = out.stdout.split('\r\n');
    // The API export's columns (after its byte order mark): see the next test.
    expect(header).toMatch(/^\uFEFFid,timestamp,scenario,/);
    expect(row).toContain(`"'=HYPERLINK(""http://evil"",""click"")"`);
  });

  it('writes the CSV the API exports: byte order mark, columns, rows (Excel reads accents right)', async () => {
    const db = join(dir, 'db');
    const accented = join(dir, 'accented.LOG');
    await writeFile(
      accented,
      '#Fields: date-time,event-id,source,message-id,recipient-address,recipient-status,sender-address,return-path,message-subject\n' +
        '2026-11-28T10:00:00.000Z,FAIL,SMTP,<a1@x>,françois@gmail.com,550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [X],müller@fabrikam.com,müller@fabrikam.com,Facture n° 42 – Müller\n',
    );
    await copiedStore('sample-logs', db);
    await cli('analyze', accented, ...DOMAINS, '--db', db);
    const { status, out } = await cli('findings', '--db', db, '--format', 'csv');
    expect(status).toBe(0);
    // What Excel needs to read the file as UTF-8, once, at the very start (`> findings.csv`).
    expect(out.stdout.startsWith(`\uFEFF${CSV_COLUMNS.map((c) => c.header).join(',')}\r\n`)).toBe(true);
    expect(out.stdout.lastIndexOf('\uFEFF')).toBe(0);
    expect(out.stdout).toContain('Facture n° 42 – Müller');
    // The very text GET /findings.csv gives for the same store.
    const handle = await openStore({ db }, { mustExist: true });
    try {
      const api = await exportFindingsCsv(handle.store, {}, DEFAULT_EXPORT_LIMITS);
      expect(api.rows).toBe(SAMPLE_FINDING_COUNT + 1);
      expect(out.stdout).toBe(api.body);
    } finally {
      await handle.close();
    }
  });

  it.each([
    [['--scenario', 'ndr', '--scenario', 'forwarding'], '--scenario: given 2 times ("ndr", "forwarding")'],
    [['--limit', '3', '--limit', '5'], '--limit: given 2 times ("3", "5")'],
    [['--format=csv', '--format', 'json'], '--format: given 2 times ("csv", "json")'],
  ])('refuses %j, an option given twice, as a usage error naming it', async (argv, message) => {
    const { db } = await analysedOnce('sample-logs/MSGTRK2013-EX2013.LOG');
    const { status, out } = await cli('findings', '--db', db, ...argv);
    expect(status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`relay-audit findings: ${message}; it takes one value, give it once`);
  });

  it('refuses a store option given twice in any command, before opening a store', async () => {
    for (const command of ['analyze', 'report', 'serve']) {
      const { status, out } = await cli(command, 'x', '--db', join(dir, 'a'), '--db', join(dir, 'b'));
      expect(status).toBe(2);
      expect(out.stderr).toContain(`relay-audit ${command}: --db: given 2 times`);
    }
  });

  it('prints a table with the remediation of the findings shown', async () => {
    const { db } = await analysedOnce('sample-logs');
    const { out } = await cli('findings', '--db', db, '--scenario', 'ndr', '--limit', '3');
    expect(out.stdout).toMatch(/time \(UTC\)\s+scenario/);
    expect(out.stdout).toMatch(/▶ ndr: /);
    expect(out.stdout).toMatch(/PowerShell:/);
    expect(out.stdout).toMatch(/3 findings\./);
  });

  it('lists, before the forwarding steps, the mailboxes the evidence shows forwarding, with their refusals', async () => {
    const { db } = await analysedOnce('sample-logs');
    const { out } = await cli('findings', '--db', db, '--scenario', 'forwarding');
    // Each server's forwarding advice is its own block, with the origins of its own rows.
    const originsOn = (server: string) => {
      const block = out.stdout.split('\n▶ ').find((text) => text.includes(`\n  Rows 1–3 (${server}; `)) ?? '';
      return block.slice(block.indexOf('Where the evidence shows it was forwarded'), block.indexOf('  1. '));
    };
    const origins = originsOn('EX01.contoso.local');
    // Two refusals of one mailbox are one line; each line carries the command for its mailbox.
    expect(origins.match(/^ {2}- Start with kate@contoso\.com: its REDIRECT row/gm)).toHaveLength(1);
    expect(origins).toMatch(
      /kate@tailspintoys\.com: .*\(2 refusals\)\n {6}Get-Mailbox -Identity 'kate@contoso\.com' \|/,
    );
    // ben@'s is an Inbox rule's REDIRECT (source MAILBOXRULE) on EX02: its rules, not its forwarding
    // address, under EX02's advice.
    expect(origins).not.toContain('ben@contoso.com');
    const ex02 = out.stdout.slice(out.stdout.indexOf('\n  Row 4 (EX02.contoso.local; '));
    expect(ex02).toMatch(/^ {2}- Start with the Inbox rules of ben@contoso\.com: /m);
    expect(ex02).toMatch(/\n {6}Get-InboxRule -Mailbox 'ben@contoso\.com'/);
  });
});

describe('relay-audit mistakes on the command line', () => {
  it('names the option a misspelt one most likely is, without printing the whole help', async () => {
    const { status, out } = await cli(
      'analyze',
      'sample-logs',
      '--no-store',
      '--acepted-domains',
      'contoso.com',
    );
    expect(status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(
      'relay-audit analyze: unknown option --acepted-domains; did you mean --accepted-domains? ' +
        '(relay-audit help analyze lists its options)\n',
    );
  });

  it.each([
    ['findings', 'ndr'],
    ['check', 'contoso.com'],
    ['report', '2026-11-28'],
    ['serve', '8080'],
    ['reanalyze', 'cli/EX01/'],
  ])('refuses an argument %s does not take (%s) before doing anything', async (command, argument) => {
    const { status, out } = await cli(command, argument);
    expect(status).toBe(2);
    expect(out.stderr).toMatch(new RegExp(`^relay-audit ${command}: unexpected argument "${argument}"`));
  });

  it('takes reanalyze cli/EX01/ for the --prefix it lacks, before looking for a stack', async () => {
    const { status, out } = await cli('reanalyze', 'cli/EX01/');
    expect(status).toBe(2);
    expect(out.stderr).toBe(
      'relay-audit reanalyze: unexpected argument "cli/EX01/": reanalyze takes only options; did you mean ' +
        '--prefix cli/EX01/?\n',
    );
  });

  it('answers to analyse, the British spelling, as to analyze', async () => {
    const { status, out } = await cli(
      'analyse',
      'sample-logs/MSGTRK2013-EX2013.LOG',
      ...DOMAINS,
      '--no-store',
    );
    expect(status).toBe(0);
    expect(out.stdout.trim().split('\n')).toHaveLength(3);
    expect((await cli('help', 'analyse')).out.stdout).toBe((await cli('help', 'analyze')).out.stdout);
  });

  it('suggests the command a misspelt one most likely is', async () => {
    const { status, out } = await cli('finding', '--scenario', 'ndr');
    expect(status).toBe(2);
    expect(out.stderr).toMatch(/^relay-audit: unknown command "finding"; did you mean findings\?/);
  });
});

describe('relay-audit help', () => {
  it('gives the exit statuses of analyze, as of the other commands that have them', async () => {
    const { out } = await cli('help', 'analyze');
    expect(out.stdout).toContain(
      'Exit status: 0 every file analysed, 1 a file failed analysis (unreadable, unknown format, every row\n' +
        'skipped) or a file that may hold refusals was not read, 2 usage error (also a missing input file, or\n' +
        'a folder with no logs or exports, or with --table or --stack no AWS region or usable credentials),\n' +
        '130 interrupted (Ctrl+C).',
    );
    // A folder with no logs or exports is the usage error the footer says.
    const notes = join(dir, 'notes');
    await mkdir(notes);
    await writeFile(join(notes, 'readme.md'), '# notes\n');
    expect((await cli('analyze', notes, '--no-store')).status).toBe(2);
  });

  it('prints the usage of a command, or of all of them', async () => {
    const analyze = await cli('help', 'analyze');
    expect(analyze.status).toBe(0);
    expect(analyze.out.stdout).toMatch(/^relay-audit analyze/);
    for (const argv of [['help'], ['help', 'help'], ['--help']]) {
      const { status, out } = await cli(...argv);
      expect(status).toBe(0);
      expect(out.stdout).toMatch(/relay-audit help \[command\]/);
    }
  });

  it('says a command is unknown and exits 2, for help <command> as for <command>', async () => {
    for (const argv of [['help', 'bogus'], ['bogus'], ['help', 'toString']]) {
      const { status, out } = await cli(...argv);
      expect(status).toBe(2);
      expect(out.stderr).toMatch(new RegExp(`^relay-audit: unknown command "${argv.at(-1)}"`));
      expect(out.stderr).toMatch(/relay-audit help \[command\]/);
      expect(out.stdout).toBe('');
    }
  });
});
