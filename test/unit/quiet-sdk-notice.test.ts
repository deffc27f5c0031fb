/**
 * The CLI's switch for the AWS SDK's Node.js-version notice, against the SDK's real emitter: run in a
 * child process (the SDK emits its notice once per process), with the version it checks given as
 * Node 20's so the test means the same on every Node.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  quietSdkNodeVersionNotice,
  SDK_NODE_VERSION_NOTICE_SWITCH,
} from '../../bin/support/quiet-sdk-notice.js';

const SCRIPT = `
import { emitWarningIfUnsupportedVersion } from '@aws-sdk/core/client';
emitWarningIfUnsupportedVersion('v20.12.0');
process.emitWarning('the store directory is on a network drive', 'RelayAuditWarning');
process.emitWarning('Buffer() is deprecated', 'DeprecationWarning', 'DEP0005');
`;

/** stderr of a process that meets the SDK's notice and two other warnings, with `env` as its environment. */
function warningsPrinted(env: NodeJS.ProcessEnv): string {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env,
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stderr;
}

/** The environment of this process without the switch, whatever the test run set. */
function environmentWithoutSwitch(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[SDK_NODE_VERSION_NOTICE_SWITCH];
  return env;
}

describe('quietSdkNodeVersionNotice', () => {
  it('without it the SDK prints its notice (the thing this is about is real)', () => {
    const stderr = warningsPrinted(environmentWithoutSwitch());
    expect(stderr).toContain('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)');
    expect(stderr).toContain('RelayAuditWarning: the store directory is on a network drive');
  });

  it("drops the SDK's notice and nothing else", () => {
    const env = environmentWithoutSwitch();
    quietSdkNodeVersionNotice(env);
    expect(env[SDK_NODE_VERSION_NOTICE_SWITCH]).toBe('true');
    const stderr = warningsPrinted(env);
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).not.toContain('AWS SDK');
    expect(stderr).toMatch(/\(node:\d+\) RelayAuditWarning: the store directory is on a network drive\n/);
    expect(stderr).toMatch(/\(node:\d+\) \[DEP0005\] DeprecationWarning: Buffer\(\) is deprecated\n/);
  });

  it('keeps a value the user set', () => {
    const env = { ...environmentWithoutSwitch(), [SDK_NODE_VERSION_NOTICE_SWITCH]: 'false' };
    quietSdkNodeVersionNotice(env);
    expect(env[SDK_NODE_VERSION_NOTICE_SWITCH]).toBe('false');
    expect(warningsPrinted(env)).toContain('NodeVersionSupportWarning');
  });
});
