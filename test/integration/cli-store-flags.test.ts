/**
 * The command line's handling of where the store is and of option values: read-only commands never
 * create a store, empty and clashing store options are usage errors, the commands a report suggests
 * name the same store, and option values are checked (and shown back) as the HTTP API checks them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FindingsParams, parseParams } from '../../functions/api/params.js';
import { cli } from '../support/capture-output.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
const ONE_LOG = 'sample-logs/MSGTRK2026112800-1.LOG';
const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** tsx by absolute URL: the command runs in a temp directory, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let work: string;
/** A store holding the samples' findings, analysed once for the tests that read one. */
let db: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'relay-audit-store-flags-'));
  db = join(work, 'store');
  const { status, out } = await cli('analyze', 'sample-logs', ...DOMAINS, '--db', db);
  expect(status, out.stderr).toBe(0);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The real entry point run in `cwd`, to see what it writes there. */
function runIn(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', TSX, join(REPO, 'bin/relay-audit.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
}

function ndjsonIds(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

describe('read-only commands and a directory without a store', () => {
  it('findings and report say there is no store there, exit 2 and create nothing', async () => {
    const missing = join(work, 'no-such-store');
    for (const command of ['findings', 'report']) {
      const { status, out } = await cli(command, '--db', missing);
      expect(status, command).toBe(2);
      expect(out.stderr).toContain(`relay-audit ${command}: no relay-audit store in ${missing}`);
      expect(out.stderr).toContain(`relay-audit analyze <file|dir>... --db ${missing}`);
      expect(existsSync(missing), command).toBe(false);
    }
  });

  it('leaves a logs folder given as --db by mistake untouched, so it can still be analysed', async () => {
    const logs = join(work, 'logs');
    await mkdir(logs);
    await copyFile(ONE_LOG, join(logs, 'MSGTRK2026112800-1.LOG'));
    for (const command of ['findings', 'report']) {
      const { status, out } = await cli(command, '--db', logs);
      expect(status, command).toBe(2);
      expect(out.stderr).toContain(`no relay-audit store in ${logs}`);
    }
    expect(await readdir(logs)).toEqual(['MSGTRK2026112800-1.LOG']);
    expect((await cli('analyze', logs, '--no-store')).status).toBe(0);
  });

  it('names the default store when no --db is given', () => {
    const result = runIn(work, 'findings');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `no relay-audit store in ${join(work, '.relay-audit')} (the default store; give --db DIR for another)`,
    );
    expect(existsSync(join(work, '.relay-audit'))).toBe(false);
  });

  it('analyze still creates the store it is pointed at', async () => {
    const fresh = join(work, 'new', 'store');
    expect((await cli('analyze', ONE_LOG, ...DOMAINS, '--db', fresh)).status).toBe(0);
    const { status, out } = await cli('findings', '--db', fresh, '--format', 'ndjson');
    expect(status).toBe(0);
    expect(ndjsonIds(out.stdout).length).toBeGreaterThan(0);
  });
});

describe('a DynamoDB table without a region', () => {
  it('--table says to pass --region or set AWS_REGION (a usage error), not the SDK\'s "Region is missing"', async () => {
    // Prepare: no region anywhere the SDK looks.
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/relay-audit-test-config');
    try {
      const { status, out } = await cli('findings', '--table', 'relay-audit');
      expect(status).toBe(2);
      expect(out.stderr).toBe(
        'relay-audit findings: --table relay-audit: no AWS region for the table; pass --region ' +
          '(e.g. --region eu-west-1) or set AWS_REGION (or a region in your AWS profile)\n',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('empty option values', () => {
  it('--db "" is a usage error that writes nothing into the working directory', async () => {
    const cwd = await mkdtemp(join(work, 'cwd-'));
    const result = runIn(cwd, 'analyze', join(REPO, ONE_LOG), '--db', '');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('relay-audit analyze: --db: expected <dir>, got an empty value');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('every other path or name option refuses an empty (or blank) value too', async () => {
    const cases: [string[], string][] = [
      [['findings', '--db', ' '], '--db: expected <dir>'],
      [['findings', '--table', ''], '--table: expected <name>'],
      [['findings', '--stack', ''], '--stack: expected <name>'],
      [['report', '--db', db, '--out', ''], '--out: expected <dir>'],
      [['serve', '--db', db, '--host', ''], '--host: expected <address>'],
      [['analyze', ONE_LOG, '--connectors', '', '--no-store'], '--connectors: expected <file>'],
      [['check', ...DOMAINS, '--certificate', ''], '--certificate: expected <file>'],
      [['upload', ONE_LOG, '--stack', ''], '--stack: expected <name>'],
      [['reanalyze', '--prefix', ''], '--prefix: expected <prefix>'],
    ];
    for (const [argv, message] of cases) {
      const { status, out } = await cli(...argv);
      expect(status, argv.join(' ')).toBe(2);
      expect(out.stderr).toContain(`${message}, got an empty value`);
    }
  });
});

describe('suggested commands name the store of the run', () => {
  it("analyze's next step reads the same store as its List them line", async () => {
    const { status, out } = await cli('analyze', ONE_LOG, ...DOMAINS, '--db', db);
    expect(status).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(
        `See the tailored steps and PowerShell: relay-audit findings --scenario \\S+ --format table --db ${db}\\n`,
      ),
    );
    expect(out.stdout).toContain(`List them: relay-audit findings --db ${db}`);
  });

  it('analyze --no-store suggests no command that reads a store: it stored nothing', async () => {
    const { status, out } = await cli('analyze', ONE_LOG, ...DOMAINS, '--no-store');
    expect(status).toBe(0);
    expect(out.stderr).toMatch(/Next step: most refusals are/);
    expect(out.stderr).not.toMatch(/relay-audit findings --scenario \S+ --format table(\n| --)/);
    expect(out.stderr).toMatch(
      /Each finding printed carries its tailored steps and PowerShell \("remediation"\)/,
    );
  });

  it("report's next steps (printed, in the JSON and in the Markdown file) carry --db", async () => {
    const { status, out } = await cli('report', '--db', db, '--date', '2026-11-28');
    expect(status, out.stderr).toBe(0);
    // Printed as Markdown, each command a code span: as it is, to run as printed.
    const printed = [...out.stdout.matchAll(/`(relay-audit findings [^`]*)`/g)].map((match) => match[1]);
    expect(printed.length).toBeGreaterThan(0);
    for (const command of printed) expect(command).toMatch(new RegExp(`--until 2026-11-28 --db ${db}$`));
    const json = JSON.parse(await readFile(join(db, 'reports', '2026-11-28.json'), 'utf8')) as {
      nextSteps: string[];
    };
    const steps = json.nextSteps.filter((step) => step.includes('relay-audit findings'));
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) expect(step).toContain(`--until 2026-11-28 --db ${db}`);
    expect(await readFile(join(db, 'reports', '2026-11-28.md'), 'utf8')).toContain(`--db ${db}`);
  });

  it('findings on an empty result suggests analyze into the same store', async () => {
    const { status, out } = await cli(
      'findings',
      '--db',
      db,
      '--since',
      '2001-01-01',
      '--until',
      '2001-01-02',
    );
    expect(status).toBe(0);
    expect(out.stdout).toContain(`Run \`relay-audit analyze <files> --db ${db}\` first`);
  });
});

describe('--accepted-domains in analyze and check', () => {
  it('an empty or domain-less list is the same usage error in both, never a switch to inferring', async () => {
    for (const value of ['', ',']) {
      const analyze = await cli('analyze', ONE_LOG, '--no-store', '--accepted-domains', value);
      const check = await cli('check', '--accepted-domains', value);
      expect(analyze.status, JSON.stringify(value)).toBe(2);
      expect(check.status).toBe(2);
      const message = (stderr: string) => stderr.replace(/^relay-audit \w+: /, '');
      expect(message(analyze.out.stderr)).toBe(message(check.out.stderr));
      expect(analyze.out.stderr).not.toContain('inferred');
    }
  });
});

describe('store options that name two stores', () => {
  it('--db with any of --table, --stack, --endpoint, --region is a usage error naming both', async () => {
    const cases: [string[], string][] = [
      [['analyze', ONE_LOG, '--db', db, '--table', 'foo'], '--db cannot be combined with --table'],
      [['analyze', ONE_LOG, '--db', db, '--stack', 'foo'], '--db cannot be combined with --stack'],
      [['findings', '--db', db, '--table', 'foo'], '--db cannot be combined with --table'],
      [
        ['findings', '--db', db, '--endpoint', 'http://127.0.0.1:1', '--region', 'xx-nowhere-1'],
        '--db cannot be combined with --endpoint',
      ],
      [['report', '--db', db, '--region', 'eu-west-1'], '--db cannot be combined with --region'],
      [['serve', '--db', db, '--table', 'foo'], '--db cannot be combined with --table'],
      [['findings', '--stack', 'foo', '--table', 'bar'], '--stack cannot be combined with --table'],
      [['findings', '--endpoint', 'http://127.0.0.1:1'], '--endpoint applies only with --table or --stack'],
      [
        ['analyze', ONE_LOG, '--no-store', '--region', 'eu-west-1'],
        '--no-store cannot be combined with --region',
      ],
    ];
    for (const [argv, message] of cases) {
      const { status, out } = await cli(...argv);
      expect(status, argv.join(' ')).toBe(2);
      expect(out.stderr).toContain(message);
      expect(out.stdout).toBe('');
    }
  });

  it('check --store rejects the clash before it prints any result', async () => {
    const { status, out } = await cli('check', ...DOMAINS, '--store', '--db', db, '--table', 'foo');
    expect(status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('--db cannot be combined with --table');
  });
});

describe('findings --sender-domain and --recipient-domain', () => {
  async function ids(...filter: string[]): Promise<string[]> {
    const { status, out } = await cli('findings', '--db', db, '--format', 'ndjson', ...filter);
    expect(status, out.stderr).toBe(0);
    return ndjsonIds(out.stdout);
  }

  it('normalise case and a trailing dot as the API does', async () => {
    const sender = await ids('--sender-domain', 'contoso.com');
    expect(sender.length).toBeGreaterThan(0);
    expect(await ids('--sender-domain', 'Contoso.COM.')).toEqual(sender);
    expect(parseParams(FindingsParams, { senderDomain: 'Contoso.COM.' }).senderDomain).toBe('contoso.com');
    const recipient = await ids('--recipient-domain', 'litware.com');
    expect(recipient.length).toBeGreaterThan(0);
    expect(await ids('--recipient-domain', 'litware.com.')).toEqual(recipient);
  });

  it('refuse what the API refuses (an address, <>, a phrase) with its wording, exit 2', async () => {
    for (const value of ['user@contoso.com', '<>', 'not a domain!']) {
      const api = (() => {
        try {
          parseParams(FindingsParams, { senderDomain: value });
          return 'accepted';
        } catch (error) {
          return (error as Error).message.replace(/^senderDomain: /, '');
        }
      })();
      for (const option of ['--sender-domain', '--recipient-domain']) {
        const { status, out } = await cli('findings', '--db', db, option, value);
        expect(status, `${option} ${value}`).toBe(2);
        expect(api).toContain('must be a domain name such as contoso.com');
        // The null sender as a sender domain gets the hint the README gives: NDRs are --scenario ndr.
        if (option === '--sender-domain' && value === '<>') {
          expect(out.stderr).toBe(
            'relay-audit findings: --sender-domain: "<>" is the null sender, which has no domain: NDRs and ' +
              'other null-sender refusals are --scenario ndr\n',
          );
        } else expect(out.stderr).toBe(`relay-audit findings: ${option}: ${api}\n`);
      }
    }
  });
});

describe('messages and checks of other options', () => {
  it('reanalyze --from and report --date show the value and the form expected', async () => {
    const from = await cli('reanalyze', '--from', 'nope');
    expect(from.status).toBe(2);
    expect(from.out.stderr).toContain(
      '--from: expected a date such as 2026-11-28 or an ISO 8601 time such as 2026-11-28T22:00, ' +
        '2026-11-28T22:00:30Z or 2026-11-28T23:00+01:00 (a time without a zone is UTC), got "nope"',
    );
    const date = await cli('report', '--date', '2026-13-01', '--db', db);
    expect(date.status).toBe(2);
    expect(date.out.stderr).toContain(
      '--date: expected a calendar day such as 2026-11-28 (YYYY-MM-DD), got "2026-13-01"',
    );
  });

  it('help --help prints the usage', async () => {
    for (const argv of [
      ['help', '--help'],
      ['help', '-h'],
    ]) {
      const { status, out } = await cli(...argv);
      expect(status).toBe(0);
      expect(out.stdout).toMatch(/relay-audit help \[command\]/);
      expect(out.stderr).toBe('');
    }
    const analyze = await cli('help', 'analyze', '--help');
    expect(analyze.status).toBe(0);
    expect(analyze.out.stdout).toMatch(/^relay-audit analyze/);
  });

  it('upload checks its local files before it contacts AWS', () => {
    const result = runIn(work, 'upload', join(work, 'no-such-file.LOG'), '--region', 'us-east-1');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${join(work, 'no-such-file.LOG')}: no such file or directory`);
    expect(result.stderr).not.toMatch(/stack|credentials/i);
  });
});
