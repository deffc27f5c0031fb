/** The real entry point, as npx runs it: a separate process, exit statuses from the process itself. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SDK_NODE_VERSION_NOTICE_SWITCH } from '../../bin/support/quiet-sdk-notice.js';
import { SAMPLE_FILE_COUNT, SAMPLE_FINDING_COUNT } from '../support/sample-expectations.js';

/** Runs the command as a user would, in an environment without the AWS SDK's notice switch. */
function run(...args: string[]) {
  const env = { ...process.env };
  delete env[SDK_NODE_VERSION_NOTICE_SWITCH];
  return spawnSync(process.execPath, ['--import', 'tsx', 'bin/relay-audit.ts', ...args], {
    encoding: 'utf8',
    env,
  });
}

describe('bin/relay-audit.ts', () => {
  it('prints usage and exits 2 without a command', () => {
    const result = run();
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/relay-audit analyze <file\|dir>/);
  });

  it('classifies without a store and exits 0', () => {
    const result = run(
      'analyze',
      'sample-logs/MSGTRK2010-EX2010.LOG',
      '--accepted-domains',
      'contoso.com,corp.contoso.com',
      '--no-store',
    );
    expect(result.status).toBe(0);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).scenario),
    ).toEqual(['ndr', 'connector-mismatch']);
  });

  it('opens the store and prints the report with nothing on stderr (no AWS SDK notice on Node 20)', () => {
    const db = mkdtempSync(join(tmpdir(), 'relay-audit-bin-'));
    try {
      const result = run(
        'analyze',
        'sample-logs',
        '--accepted-domains',
        'sample-logs/config/accepted-domains.csv',
        '--db',
        db,
      );
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(
        new RegExp(`^relay-audit: ${SAMPLE_FILE_COUNT} files, .* → ${SAMPLE_FINDING_COUNT} findings`),
      );
      expect(result.stderr).toBe('');
    } finally {
      rmSync(db, { recursive: true, force: true });
    }
  });

  it('stops writing quietly when its reader goes away (`| head`), and exits as it would have', async () => {
    // Prepare: the samples' findings as NDJSON, far more than a pipe holds (64 KB on Linux).
    const env = { ...process.env };
    delete env[SDK_NODE_VERSION_NOTICE_SWITCH];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bin/relay-audit.ts', 'analyze', 'sample-logs', '--no-store'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });

    // Act: read the first chunk, then close the pipe, as `head` does.
    const first = await new Promise<string>((resolve) =>
      child.stdout.once('data', (chunk) => resolve(String(chunk))),
    );
    child.stdout.destroy();
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));

    // Assess: it had begun to write findings, finished its analysis, and said nothing about the pipe.
    expect(first).toMatch(/^\{"id":/);
    expect(stderr).toMatch(
      new RegExp(`^relay-audit: ${SAMPLE_FILE_COUNT} files, .* → ${SAMPLE_FINDING_COUNT} findings`),
    );
    expect(stderr).not.toMatch(/EPIPE|unexpected error/);
    expect(status).toBe(0);
  });
});
