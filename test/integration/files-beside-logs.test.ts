/**
 * What an administrator keeps beside the logs in the folder analysed, through the CLI in-process:
 * the run's own configuration (the `--accepted-domains` file), relay-audit's own findings export, a
 * store's folder (the run's `--db`, or any LevelDB folder) are passed over as what they are, listed
 * and never failing the run; a receive protocol log is named as such, listed when found in the folder
 * without refusal text, failing the run when named on the command line as every log not read does. And the options themselves: JSON given as the accepted domains,
 * a file given as `--db`, are usage errors that say what to give instead.
 * Fixtures: test/fixtures/real-world/files-beside-logs/ (its README.md).
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';

const FIXTURES = 'test/fixtures/real-world/files-beside-logs';
const TRACKING_LOG = 'sample-logs/MSGTRK2026112800-1.LOG';
const SAMPLE_DOMAINS = 'sample-logs/config/accepted-domains.csv';

interface Summary {
  sources: { file: string; status: string; errorCode?: string; errorMessage?: string }[];
  notAnalysed: { file: string; reason: string; mayHoldRefusals?: true }[];
}

const dir = dirPerTest('relay-audit-beside-');

/** A folder holding the sample tracking log and `files` (copied from the fixtures or sample-logs). */
async function folderWith(...files: string[]): Promise<string> {
  const folder = join(dir(), 'exports');
  await mkdir(folder);
  for (const file of [TRACKING_LOG, ...files]) await copyFile(file, join(folder, file.replace(/^.*\//, '')));
  return folder;
}

/** `analyze … --json`: exit status, the summary and the notes of files not analysed, by file name. */
async function analyse(...args: string[]): Promise<{ status: number; summary: Summary; stderr: string }> {
  const { status, out } = await cli('analyze', ...args, '--json');
  // The summary goes to stderr with --no-store (stdout carries the findings), to stdout with a store.
  const json = args.includes('--no-store') ? out.stderr : out.stdout;
  const summary = JSON.parse(json.slice(json.indexOf('{'))) as Summary;
  return { status, summary, stderr: out.stderr };
}

const notAnalysed = (summary: Summary) =>
  summary.notAnalysed.map(({ file, reason, mayHoldRefusals }) => [
    file.replace(/^.*\//, ''),
    reason,
    mayHoldRefusals,
  ]);

describe('the run’s configuration in the folder analysed', () => {
  it('passes over the --accepted-domains file found there, saying it is the run’s configuration', async () => {
    const folder = await folderWith(SAMPLE_DOMAINS);
    const domains = join(folder, 'accepted-domains.csv');
    const { status, summary } = await analyse(folder, '--accepted-domains', domains, '--no-store');
    expect(status).toBe(0);
    expect(summary.sources.map(({ file }) => file.replace(/^.*\//, ''))).toEqual(['MSGTRK2026112800-1.LOG']);
    expect(notAnalysed(summary)).toEqual([
      [
        'accepted-domains.csv',
        'the --accepted-domains file of this run: configuration, not a log or export',
        undefined,
      ],
    ]);
  });

  it('still reads that file when it is named on the command line too', async () => {
    const folder = await folderWith(SAMPLE_DOMAINS);
    const domains = join(folder, 'accepted-domains.csv');
    const { status, summary } = await analyse(folder, domains, '--accepted-domains', domains, '--no-store');
    // Named, it is read (and fails: it is no log), as every file named is.
    expect(status).toBe(1);
    expect(summary.sources.find(({ file }) => file.endsWith('accepted-domains.csv'))?.status).toBe('failed');
  });
});

describe('relay-audit’s own findings export beside the logs', () => {
  it('is listed as relay-audit’s own output, not analysed, and does not fail the run', async () => {
    const folder = await folderWith(`${FIXTURES}/forwarding.csv`);
    // The fixture's row holds a refusal: read as an input, it would fail the run.
    expect(await readFile(`${FIXTURES}/forwarding.csv`, 'utf8')).toContain(',5.7.64,');
    const { status, summary } = await analyse(folder, '--accepted-domains', SAMPLE_DOMAINS, '--no-store');
    expect(status).toBe(0);
    expect(notAnalysed(summary)).toEqual([
      [
        'forwarding.csv',
        "relay-audit's own findings export (findings --format csv): its output, not a log or export, not analysed",
        undefined,
      ],
    ]);
  });
});

describe('a store in the folder analysed', () => {
  it('does not walk into the run’s --db folder, run after run', async () => {
    const folder = await folderWith();
    const db = join(folder, 'relaydb');
    for (const run of [1, 2]) {
      const { status, summary, stderr } = await analyse(
        folder,
        '--accepted-domains',
        SAMPLE_DOMAINS,
        '--db',
        db,
      );
      expect(status, stderr).toBe(0);
      expect(summary.sources).toHaveLength(1);
      // The first run walks before the store is created; the second finds it.
      expect(notAnalysed(summary)).toEqual(
        run === 1
          ? []
          : [
              [
                'relaydb',
                "the store of this run (--db): relay-audit's own database, not analysed",
                undefined,
              ],
            ],
      );
    }
  });

  it('does not walk into a LevelDB folder (another store, a copy), though its files hold refusal text', async () => {
    const folder = await folderWith();
    const copy = join(folder, 'relaydb-copy');
    await mkdir(copy);
    await writeFile(join(copy, 'CURRENT'), 'MANIFEST-000004\n');
    await writeFile(join(copy, 'LOCK'), '');
    await writeFile(join(copy, 'MANIFEST-000004'), Buffer.from([0x56, 0x00, 0x01, 0x02]));
    await writeFile(join(copy, '000003.log'), 'x550 5.7.64 TenantAttribution; Relay Access Denied ATTR36\n');
    const { status, summary } = await analyse(folder, '--accepted-domains', SAMPLE_DOMAINS, '--no-store');
    expect(status).toBe(0);
    expect(notAnalysed(summary)).toEqual([
      [
        'relaydb-copy',
        "a LevelDB database (CURRENT, LOCK, MANIFEST-*), as relay-audit's store (--db) is: not logs, not analysed",
        undefined,
      ],
    ]);
  });

  it('exits 2 when --db is a file, before anything is read', async () => {
    const folder = await folderWith();
    const file = join(dir(), 'relaydb');
    await writeFile(file, 'x\n');
    const { status, out } = await cli('analyze', folder, '--accepted-domains', SAMPLE_DOMAINS, '--db', file);
    expect(status).toBe(2);
    expect(out.stderr).toContain(`--db ${file} is a file, not a folder`);
    expect(out.stderr).not.toContain('EEXIST');
  });
});

describe('an Exchange SMTP receive protocol log beside the tracking logs', () => {
  const NAMED =
    /RECV2026112809-1\.LOG: looks like an Exchange SMTP receive protocol log \(#Log-type: SMTP Receive Protocol Log\), which relay-audit does not read: it records what this server received, .*Exchange Online's refusals of relayed mail are its answers to this server as it sends, in the send protocol log: analyse the send protocol log \(SEND\*\.LOG in TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend, or FrontEnd\\ProtocolLog\\SmtpSend\) or the message tracking log \(MSGTRK\*\.LOG\) of the same server instead\. It holds no relay refusal\./;

  it('found in a folder without refusal text, is listed as what it is and does not fail the run (logs-folder.test.ts)', async () => {
    const folder = await folderWith(`${FIXTURES}/RECV2026112809-1.LOG`);
    const { status, summary } = await analyse(folder, '--accepted-domains', SAMPLE_DOMAINS, '--no-store');
    expect(status).toBe(0);
    expect(summary.sources.map(({ file }) => file.replace(/^.*\//, ''))).toEqual(['MSGTRK2026112800-1.LOG']);
    const [receive] = notAnalysed(summary);
    expect(receive?.[0]).toBe('RECV2026112809-1.LOG');
    expect(`RECV2026112809-1.LOG: ${receive?.[1]}`).toMatch(NAMED);
    expect(receive?.[2]).toBeUndefined();
  });

  it('is named, with where the refusals are and that it holds none, failing when named as every log not read does', async () => {
    const folder = await folderWith(`${FIXTURES}/RECV2026112809-1.LOG`);
    const receiveLog = join(folder, 'RECV2026112809-1.LOG');
    const { status, summary } = await analyse(
      join(folder, 'MSGTRK2026112800-1.LOG'),
      receiveLog,
      '--accepted-domains',
      SAMPLE_DOMAINS,
      '--no-store',
    );
    expect(status).toBe(1);
    const receive = summary.sources.find(({ file }) => file.endsWith('RECV2026112809-1.LOG'));
    expect(receive).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(receive?.errorMessage).toMatch(NAMED);
  });

  it('names the line of a refusal it holds', async () => {
    const log = await readFile(`${FIXTURES}/RECV2026112809-1.LOG`, 'utf8');
    const file = join(dir(), 'RECV2026112809-1.LOG');
    await writeFile(
      file,
      `${log}2026-11-28T09:10:45.000Z,EX01\\Default Frontend EX01,08DF006B9F758501,5,10.0.1.11:25,10.0.2.60:51235,>,550 5.7.64 TenantAttribution; Relay Access Denied,\r\n`,
    );
    const { summary } = await analyse(file, '--accepted-domains', SAMPLE_DOMAINS, '--no-store');
    expect(summary.sources[0]?.errorMessage).toMatch(
      /ProtocolLog\\SmtpSend.*Line 13 holds a relay refusal \(/,
    );
  });
});

describe('--accepted-domains given JSON', () => {
  it.each([
    [
      'Get-AcceptedDomain | ConvertTo-Json',
      'ad.json',
      '[{"DomainName":"contoso.com","DomainType":"Authoritative"}]',
    ],
    ['an object', 'ad.json', '{"DomainName":"contoso.com"}'],
  ])('(%s) is a usage error saying how to export the domains', async (_what, name, json) => {
    const file = join(dir(), name);
    await writeFile(file, json);
    const { status, out } = await cli('analyze', TRACKING_LOG, '--accepted-domains', file, '--no-store');
    expect(status).toBe(2);
    expect(out.stderr).toContain(
      `--accepted-domains ${file}: JSON (ConvertTo-Json), which --accepted-domains does not read. ` +
        'Export the accepted domains as CSV: Get-AcceptedDomain | Export-Csv -NoTypeInformation accepted-domains.csv',
    );
    expect(out.stderr).not.toContain('is not a domain name');
  });

  it('names the inbound connectors export given by mistake, and sends it to --connectors', async () => {
    const file = 'sample-logs/config/inbound-connectors.json';
    const { status, out } = await cli('analyze', TRACKING_LOG, '--accepted-domains', file, '--no-store');
    expect(status).toBe(2);
    expect(out.stderr).toContain(
      'It looks like the inbound connectors export (Get-InboundConnector | ConvertTo-Json): give that to --connectors.',
    );
  });
});
