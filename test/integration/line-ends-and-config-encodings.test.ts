/**
 * The CLI on inputs as other tools write them: logs and exports with CR-only line ends (Excel for Mac
 * "CSV (Macintosh)", classic Mac tools) and configuration files in UTF-16 (Windows PowerShell 5.1
 * `>` and Out-File), read like their CRLF and UTF-8 copies.
 */
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sniffEncoding } from '../../functions/core/text/decode.js';
import { cli } from '../support/capture-output.js';
import { utf16 } from '../support/streams.js';

const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];
const DOMAIN_NAMES = ['contoso.com', 'corp.contoso.com', 'fabrikam-group.com'];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-line-ends-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `bytes` with every line end (CRLF or LF) a CR alone, in the file's own encoding and BOM. */
function withCrLineEnds(bytes: Buffer): Buffer {
  const { encoding, bomLength } = sniffEncoding(bytes);
  const text = new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes).replace(/\r?\n/g, '\r');
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8');
  const body = Buffer.from(utf16(text, encoding === 'utf-16le' ? 'le' : 'be', false));
  return Buffer.concat([bytes.subarray(0, bomLength), body]);
}

interface Summary {
  sources: Record<string, unknown>[];
  findingsByScenario: Record<string, number>;
}

async function analyse(...argv: string[]): Promise<{ status: number; summary: Summary; stderr: string }> {
  const { status, out } = await cli('analyze', ...argv, '--no-store', '--json');
  // With --no-store the findings are stdout's, the summary stderr's.
  const line = out.stderr.split('\n').find((text) => text.startsWith('{"sources"'));
  return { status, summary: JSON.parse(line ?? '{}') as Summary, stderr: out.stderr };
}

/** What a source record says of its rows, without what names the file or the run. */
function rows(source: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, file: _file, startedAt: _started, finishedAt: _finished, bytes: _bytes, ...rest } = source;
  const duplicateOf = rest.duplicateOf as string[] | undefined;
  return duplicateOf ? { ...rest, duplicateOf: duplicateOf.map((file) => basename(file)) } : rest;
}

describe('CR-only line ends', () => {
  it('reads every sample log and export with CR-only line ends like the original', async () => {
    // Prepare: each sample with its line ends (CRLF or LF) made CR alone, same encoding and BOM.
    const names = (await readdir('sample-logs', { withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name !== 'README.md')
      .map((entry) => entry.name)
      .sort();
    for (const name of names) {
      await writeFile(join(dir, name), withCrLineEnds(await readFile(join('sample-logs', name))));
      // The same modified time: a syslog's year (and its note) comes from it.
      const { atime, mtime } = await stat(join('sample-logs', name));
      await utimes(join(dir, name), atime, mtime);
    }
    // Act
    const original = await analyse(...names.map((name) => join('sample-logs', name)), ...DOMAINS);
    const cr = await analyse(...names.map((name) => join(dir, name)), ...DOMAINS);
    // Assess: the same rows read, skipped (on the same lines) and found, file by file.
    expect(cr.status).toBe(original.status);
    expect(cr.summary.sources.map(rows)).toEqual(original.summary.sources.map(rows));
    expect(cr.summary.findingsByScenario).toEqual(original.summary.findingsByScenario);
    expect(Object.keys(cr.summary.findingsByScenario).length).toBeGreaterThan(3);
  });

  it('reads a Get-MessageTrackingLog export saved as "CSV (Macintosh)": its rows, not EMPTY_INPUT', async () => {
    const file = join(dir, 'tracking-mac.csv');
    const bytes = await readFile('sample-logs/tracking-export-en-US.csv');
    await writeFile(file, withCrLineEnds(bytes));
    const { status, summary } = await analyse(file, ...DOMAINS);
    expect(status).toBe(0);
    expect(summary.sources[0]).toMatchObject({ status: 'done', format: 'tracking-log-export' });
    expect(summary.sources[0]?.errorCode).toBeUndefined();
    expect(summary.sources[0]?.rowsRead).toBe(bytes.toString('utf8').trim().split('\n').length - 1);
    expect(Object.values(summary.findingsByScenario).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});

describe('--accepted-domains in the encodings PowerShell writes', () => {
  const list = `${DOMAIN_NAMES.join('\r\n')}\r\n`;
  const csv = `"DomainName","DomainType","MatchSubDomains"\r\n${DOMAIN_NAMES.map((name) => `"${name}","Authoritative","False"`).join('\r\n')}\r\n`;
  it.each([
    ['UTF-16LE with BOM (Windows PowerShell 5.1 `>`)', Buffer.from(utf16(list, 'le', true))],
    ['UTF-16LE without BOM', Buffer.from(utf16(list, 'le', false))],
    ['UTF-16BE with BOM', Buffer.from(utf16(list, 'be', true))],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(list)])],
    ['an Export-Csv file in UTF-16LE', Buffer.from(utf16(csv, 'le', true))],
    ['an Export-Csv file with CR-only line ends', Buffer.from(csv.replace(/\r\n/g, '\r'))],
  ])('reads a domain list in %s', async (_name, bytes) => {
    const file = join(dir, 'domains.txt');
    await writeFile(file, bytes);
    const { status, out } = await cli(
      'analyze',
      'sample-logs/postfix-mail.log',
      '--no-store',
      '--accepted-domains',
      file,
    );
    expect(out.stderr).not.toMatch(/invalid accepted domains|not valid/);
    expect(status).toBe(0);
    expect(out.stderr).toContain(`Accepted domains: ${DOMAIN_NAMES.join(', ')} (from ${file})`);
  });

  it('refuses bytes that are not text in the sniffed encoding, naming the file (exit 2)', async () => {
    const file = join(dir, 'domains.txt');
    // A BOM says UTF-16LE; an odd byte count cannot be.
    await writeFile(
      file,
      Buffer.concat([Buffer.from(utf16('contoso.com', 'le', true)), Buffer.from([0x41])]),
    );
    const { status, out } = await cli(
      'analyze',
      'sample-logs/postfix-mail.log',
      '--no-store',
      '--accepted-domains',
      file,
    );
    expect(status).toBe(2);
    expect(out.stderr).toContain(`${file}: the bytes are not valid utf-16le text`);
  });

  it('reads --connectors and the check command`s files written as UTF-16LE', async () => {
    // Prepare: the sample connectors export, accepted domains and certificate as `> file` writes them.
    const toUtf16 = async (name: string) => {
      const text = (await readFile(join('sample-logs/config', name), 'utf8')).replace(/^\uFEFF/, '');
      const file = join(dir, name);
      await writeFile(file, utf16(text, 'le', true));
      return file;
    };
    const connectors = await toUtf16('inbound-connectors.json');
    const domains = await toUtf16('accepted-domains.csv');
    const certificate = await toUtf16('mail.contoso.com.pem');
    // Act
    const analysed = await cli(
      'analyze',
      'sample-logs/postfix-mail.log',
      '--no-store',
      '--accepted-domains',
      domains,
      '--connectors',
      connectors,
    );
    const original = await cli(
      'check',
      '--json',
      '--accepted-domains',
      'sample-logs/config/accepted-domains.csv',
      '--connectors',
      'sample-logs/config/inbound-connectors.json',
      '--certificate',
      'sample-logs/config/mail.contoso.com.pem',
      '--at',
      '2026-12-01',
    );
    const checked = await cli(
      'check',
      '--json',
      '--accepted-domains',
      domains,
      '--connectors',
      connectors,
      '--certificate',
      certificate,
      '--at',
      '2026-12-01',
    );
    // Assess
    expect(analysed.status).toBe(0);
    expect(analysed.out.stderr).toMatch(/Inbound connectors \(.*inbound-connectors\.json\): "/);
    expect(checked.out.stderr).not.toMatch(/not valid|no PEM block/);
    expect(checked.status).toBe(original.status);
    const verdicts = (stdout: string) => {
      const report = JSON.parse(stdout) as { passed: string[]; results: { id: string; severity: string }[] };
      return { passed: report.passed, failed: report.results.map(({ id, severity }) => [id, severity]) };
    };
    expect(verdicts(checked.out.stdout)).toEqual(verdicts(original.out.stdout));
    expect(verdicts(original.out.stdout).passed).toContain('certificate-name-mismatch');
  });
});
