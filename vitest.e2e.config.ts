import { defineConfig } from 'vitest/config';

// E2E tests: the built app (dist/) served locally, driven in Debian's Chromium by playwright-core.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts', 'test/security/**/*.test.ts', 'test/faults/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two files at a time: most of a browser test is waiting (Python starting, a page loading),
    // so two keep both cores busy; npm test stays within its time budget on 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    globalSetup: ['test/support/e2e-global-setup.ts'],
  },
});
