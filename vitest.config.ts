import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/chromium-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: [
      'test/support/temp-dir-setup.ts',
      'test/support/quiet-sdk-notice.ts',
      'test/support/quiet-metrics-setup.ts',
    ],
  },
});
