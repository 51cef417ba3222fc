import { defineConfig } from 'vitest/config';

// Unit tests: Node, real Pyodide from node_modules.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time (Vitest's default leaves one of two cores idle): most files wait on
    // Python workers starting, and npm test stays within its time budget on 2 cores.
    maxWorkers: 2,
  },
});
