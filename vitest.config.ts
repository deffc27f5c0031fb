import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/chromium-setup.ts'],
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
  },
});
