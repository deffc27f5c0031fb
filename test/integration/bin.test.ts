/** The real entry point, as npx runs it: a separate process, exit statuses from the process itself. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function run(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bin/relay-audit.ts', ...args], {
    encoding: 'utf8',
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
});
