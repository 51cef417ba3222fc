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
    // The two worker processes run file after file: the Node sandbox's warm-start snapshot
    // (src/sandbox/snapshot-handoff.ts) and the modules loaded stay, instead of each file booting
    // Python cold and importing everything again (119 s → 87 s on 2 cores; docs/performance.md).
    // Files must leave no global state behind: restore stubs and listeners, use fresh database names.
    isolate: false,
  },
});
