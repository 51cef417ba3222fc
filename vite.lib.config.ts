// Library build: `npx vite build -c vite.lib.config.ts` (npm run build:lib) -> dist-lib/
//   index.js      the whole library API + mount() / <l0-agent> (package entry ".")
//   embed.js      mount() and the custom element class (package entry "./embed")
//   l0-agent.js   standalone: <script type="module" src=".../l0-agent.js"> defines <l0-agent>
//   *.js          shared chunks (all at the root, next to the entries)
//   assets/       the Python and WebLLM worker scripts
//   pyodide/      the Python runtime, copied from node_modules/pyodide
// Everything is bundled (no bare imports left), so the folder can be served as is from any URL;
// the workers and pyodide/ are found relative to the library's own files (import.meta.url).
import { defineConfig, type Plugin } from 'vite';
import { copyFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

// The runtime files Pyodide loads (same list as scripts/copy-pyodide.mjs).
const PYODIDE_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];

function copyPyodide(): Plugin {
  return {
    name: 'l0-copy-pyodide',
    apply: 'build',
    // Into the folder actually written (a build with another --outDir gets its own copy).
    writeBundle(options) {
      const dest = resolve(options.dir ?? outDir, 'pyodide');
      mkdirSync(dest, { recursive: true });
      for (const f of PYODIDE_FILES) copyFileSync(resolve(import.meta.dirname, 'node_modules/pyodide', f), resolve(dest, f));
    },
  };
}

const outDir = resolve(import.meta.dirname, 'dist-lib');

export default defineConfig({
  // import.meta.env.MODE === 'lib' tells src/embed/assets.ts to find pyodide/ next to the library.
  mode: 'lib',
  // Relative asset URLs: workers resolve with new URL('assets/..', import.meta.url).
  base: './',
  publicDir: false,
  // Lib mode leaves process.env.NODE_ENV for a bundler to replace; a plain <script> has none.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  worker: { format: 'es' },
  plugins: [copyPyodide()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    copyPublicDir: false,
    reportCompressedSize: false,
    lib: {
      entry: {
        index: resolve(import.meta.dirname, 'src/embed/lib.ts'),
        embed: resolve(import.meta.dirname, 'src/embed/index.ts'),
        'l0-agent': resolve(import.meta.dirname, 'src/embed/standalone.ts'),
      },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    rollupOptions: {
      output: { chunkFileNames: '[name]-[hash].js' },
    },
  },
});
