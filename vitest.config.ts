import { defineConfig } from 'vitest/config';

// Unit tests: Node, real Pyodide from node_modules.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time (Vitest's default leaves one of two cores idle): 277 s → 202 s for the
    // unit tests on 2 cores (docs/performance.md, "The test suite").
    maxWorkers: 2,
  },
});
