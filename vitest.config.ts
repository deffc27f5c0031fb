import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** Unit tests that replace a module (`vi.mock`): they need a module registry of their own. */
const MOCKING_UNIT_TESTS = ['test/unit/classifier-rule-guard.test.ts'];

/**
 * What makes a test file need a process of its own: it replaces modules or functions (`vi.mock`,
 * `vi.spyOn`, aws-sdk-client-mock), stubs or fakes (`vi.stubEnv`, fake timers), or changes what the
 * whole process shares (its environment, signal handlers, working directory, exit code, V8 flags).
 * Any such file must say so in its own text: these are read from it.
 */
const PROCESS_WIDE =
  /vi\.(mock|doMock|stub\w*|spyOn|useFakeTimers)|aws-sdk-client-mock|process\.(env|on|once|chdir|exitCode)\b|globalThis|setFlagsFromString/;

/** The integration test files that change nothing process-wide (see {@link PROCESS_WIDE}). */
function sharingIntegrationTests(): string[] {
  const dir = 'test/integration';
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `${dir}/${name}`)
    .filter((file) => !PROCESS_WIDE.test(readFileSync(file, 'utf8')));
}
const SHARING_INTEGRATION_TESTS = sharingIntegrationTests();

export default defineConfig({
  test: {
    globalSetup: ['test/support/temp-root-setup.ts', 'test/support/chromium-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest runs one file at a time on 2 cores (its default is one fewer worker than cores): the
    // suite took 616 s so, 387 s with two (measured on the 2-core VM, 195 files, none failing).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    setupFiles: [
      'test/support/temp-dir-setup.ts',
      'test/support/quiet-sdk-notice.ts',
      'test/support/quiet-metrics-setup.ts',
    ],
    projects: [
      {
        // Files that share nothing but what they import run one after another in one process: a
        // fresh process per file cost more than the unit tests themselves (93 s against 32 s for
        // test/unit on the 2-core VM), and each CDK test file loaded the CDK anew. The integration
        // files that change nothing process-wide too: 120 of 147, each of which loaded the analysis,
        // the store and the AWS SDK anew (the suite 473 → 389 s on the 2-core VM, 276 files; in a
        // shuffled order, seed 7, all pass).
        extends: true,
        test: {
          name: 'shared-process',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts', ...SHARING_INTEGRATION_TESTS],
          exclude: MOCKING_UNIT_TESTS,
          isolate: false,
        },
      },
      {
        // Files that change what the process shares (PROCESS_WIDE), mock, or drive a browser.
        extends: true,
        test: {
          name: 'own-process',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', ...MOCKING_UNIT_TESTS],
          exclude: SHARING_INTEGRATION_TESTS,
        },
      },
    ],
  },
});
