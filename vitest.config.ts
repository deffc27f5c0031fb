import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** Unit tests that replace a module (`vi.mock`): they need a module registry of their own. */
const MOCKING_UNIT_TESTS = ['test/unit/classifier-rule-guard.test.ts'];

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
        // test/unit on the 2-core VM), and each CDK test file loaded the CDK anew.
        extends: true,
        test: {
          name: 'shared-process',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          exclude: MOCKING_UNIT_TESTS,
          isolate: false,
        },
      },
      {
        // Files that start servers, engines and CLI processes, change the environment, or mock.
        extends: true,
        test: {
          name: 'own-process',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', ...MOCKING_UNIT_TESTS],
        },
      },
    ],
  },
});
