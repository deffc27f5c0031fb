/** The real entry point, as npx runs it: a separate process, exit statuses from the process itself. */
import { spawnSync } from 'node:child_process';
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
});
