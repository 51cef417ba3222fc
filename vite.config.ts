import { defineConfig, type Plugin } from 'vite';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { VitePWA } from 'vite-plugin-pwa';

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
  // `npm run vendor-packages` puts wheels and their lock into public/packages/: the page then loads
  // packages from there instead of the official Pyodide distribution (src/ui/services.ts).
  define: { __L0_VENDORED_PACKAGES__: JSON.stringify(existsSync(resolve(import.meta.dirname, 'public/packages/pyodide-lock.json'))) },
  plugins: [VitePWA(pwaOptions()), devInlineStyles()],
  build: {
    target: 'es2022',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        harness: resolve(import.meta.dirname, 'harness.html'),
        eval: resolve(import.meta.dirname, 'eval.html'),
        webllm: resolve(import.meta.dirname, 'bench/webllm.html'),
      },
    },
  },
});

// Dev server only: Vite injects CSS as <style> elements (hot reload), which the pages' CSP
// (style-src 'self') refuses. The build links CSS files, so the shipped CSP stays strict.
function devInlineStyles(): Plugin {
  return {
    name: 'l0-dev-inline-styles',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  };
}

// Offline app (owned by the UI): a service worker precaches the app shell and the self-hosted
// Pyodide runtime, so after one visit the page and Python load with no network. WebLLM's code is
// not precached (it would download on every first visit); it is cached when first used. Python
// packages (vendored ones under packages/ too) are not precached either: the sandbox keeps each
// package it loads in its own Cache Storage cache (src/sandbox/package-source.ts), so only what a
// cell imported is stored, and it loads offline from then on.
// Registration is done by src/ui/main.ts (no inline script: the CSP forbids it).
function pwaOptions(): Parameters<typeof VitePWA>[0] {
  return {
    injectRegister: null,
    registerType: 'autoUpdate',
    includeAssets: ['icon.svg'],
    manifest: {
      name: 'L0 notebook agent',
      short_name: 'L0 agent',
      description: 'An agent that thinks in Python, in your browser: WebLLM or any OpenAI-compatible model, Pyodide, a notepad.',
      start_url: './',
      scope: './',
      display: 'standalone',
      background_color: '#141416',
      theme_color: '#2456c8',
      icons: [
        { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
        { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
        { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
      ],
    },
    workbox: {
      globPatterns: ['**/*.{js,mjs,css,html,wasm,zip,json,svg,png,webmanifest}'],
      globIgnores: ['**/harness*', '**/*webllm*', 'examples/**', 'lib/**', 'bench/**', 'packages/**'],
      // pyodide.asm.wasm is about 9.6 MB.
      maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
      // Precache keys are relative to the service worker, so the app works from any sub-path.
      navigateFallback: null,
      // A link with parameters (?engine=…&packageBaseUrl=…) opens offline too: the page is the same file.
      ignoreURLParametersMatching: [/.*/],
      cleanupOutdatedCaches: true,
      // WebLLM's library chunks (several MB, named after web-llm's own files) are left out of the
      // precache: every JS chunk over 1 MB outside pyodide/ is engine code loaded on demand.
      manifestTransforms: [
        async (entries) => ({
          manifest: entries.filter((e) => !(e.url.endsWith('.js') && !e.url.startsWith('pyodide/') && e.size > 1024 * 1024)),
          warnings: [],
        }),
      ],
      // Engine code that was not precached is kept once used (hashed names: cache-first is safe).
      runtimeCaching: [
        {
          urlPattern: ({ url, sameOrigin }) => sameOrigin && /\/assets\/[^/]+\.js$/.test(url.pathname),
          handler: 'CacheFirst',
          options: { cacheName: 'l0-engine-code' },
        },
      ],
    },
  };
}
