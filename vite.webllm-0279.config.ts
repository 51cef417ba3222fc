// Test-only build (never shipped): the app and the harness page with `@mlc-ai/web-llm` replaced by
// web-llm 0.2.79, the dev dependency `web-llm-0279`. 0.2.79 is the newest version whose prebuilt
// model libraries (binary-mlc-llm-libs v0_2_48) can be had on the development machines, so the
// real-runtime tests (test/e2e/webllm-runtime.test.ts) run the project's own engine code against
// it; the shipped build keeps the current web-llm. Built by the tests into a temporary folder.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import shipped from './vite.config';

export default defineConfig({
  ...shipped,
  // No service worker: the tests count and route every request the page and its workers make.
  plugins: [],
  resolve: { alias: [{ find: /^@mlc-ai\/web-llm$/, replacement: 'web-llm-0279' }] },
  build: {
    ...shipped.build,
    outDir: 'dist-webllm-0279',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        harness: resolve(import.meta.dirname, 'harness.html'),
      },
    },
  },
});
