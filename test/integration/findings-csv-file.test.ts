/**
 * `relay-audit findings --format csv > forwarding.csv` as the README shows it, in a separate
 * process whose stdout is the file: the bytes on disk start with the UTF-8 byte order mark Excel
 * needs to read accented subjects and addresses, as `/api/findings.csv` does; and a repeated
 * option is refused by the process itself (exit 2), with nothing written.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SDK_NODE_VERSION_NOTICE_SWITCH } from '../../bin/support/quiet-sdk-notice.js';
import { CSV_COLUMNS } from '../../functions/api/csv-export.js';

let dir: string;
let db: string;

/** Runs `relay-audit <args…> > file` and returns the status, stderr and the file's bytes. */
function runInto(file: string, ...args: string[]) {
  const env = { ...process.env };
  delete env[SDK_NODE_VERSION_NOTICE_SWITCH];
  const fd = openSync(file, 'w');
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/relay-audit.ts', ...args], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', fd, 'pipe'],
    });
    return { status: result.status, stderr: result.stderr, bytes: readFileSync(file) };
  } finally {
    closeSync(fd);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relay-audit-csv-file-'));
  db = join(dir, 'db');
  const analysed = runInto(
    join(dir, 'report.txt'),
    'analyze',
    'sample-logs',
    '--accepted-domains',
    'sample-logs/config/accepted-domains.csv',
    '--db',
    db,
  );
  expect(analysed.status, analysed.stderr).toBe(0);
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('relay-audit findings --format csv > forwarding.csv', () => {
  it('writes a file that starts with the UTF-8 byte order mark, then the API export header', () => {
    const file = join(dir, 'forwarding.csv');
    const { status, stderr, bytes } = runInto(
      file,
      'findings',
      '--scenario',
      'forwarding',
      '--since',
      '2026-11-20',
      '--format',
      'csv',
      '--db',
      db,
    );
    expect(status, stderr).toBe(0);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    const [header, ...rows] = text.slice(1).split('\r\n');
    expect(header).toBe(CSV_COLUMNS.map((column) => column.header).join(','));
    expect(rows.filter(Boolean)).toHaveLength(4);
  }, 30_000);

  it('has the columns the README lists for it', () => {
    const readme = readFileSync('README.md', 'utf8').replaceAll('\n', ' ');
    const listed = /`csv` is the file .*? with the same columns \(`([^`]+)`\)/.exec(readme)?.[1];
    expect(listed?.split(/,\s*/)).toEqual(CSV_COLUMNS.map((column) => column.header));
  });

  it('refuses --scenario given twice with exit 2, writing nothing', () => {
    const file = join(dir, 'twice.csv');
    const { status, stderr, bytes } = runInto(
      file,
      'findings',
      '--scenario',
      'ndr',
      '--scenario',
      'forwarding',
      '--format',
      'csv',
      '--db',
      db,
    );
    expect(status).toBe(2);
    expect(stderr).toContain('relay-audit findings: --scenario: given 2 times ("ndr", "forwarding")');
    expect(bytes.length).toBe(0);
  }, 30_000);
});
