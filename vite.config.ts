import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// COOP/COEP make `crossOriginIsolated` true on the dev and preview servers, which enables
// SharedArrayBuffer (Pyodide's interrupt buffer). A static host without them still works; only
// interrupt degrades to a worker restart.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative URLs everywhere: the built site works from any sub-path (e.g. /docs/agent/).
  base: './',
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: {
        main: resolve(__dirname, 'index.html'),
        harness: resolve(__dirname, 'harness.html'),
      },
    },
  },
});
