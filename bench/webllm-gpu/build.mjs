// Bundles run.ts (with web-llm 0.2.79, fake-indexeddb and our engine) into one ES module for Node;
// only `webgpu` (a native module) stays outside. usage: node bench/webllm-gpu/build.mjs OUTFILE
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

/**
 * web-llm bundles TVM's runtime as an Emscripten module inside a CommonJS wrapper. Under Node its
 * environment check sets `module.exports = Module`, which replaces the wrapper's exports (the
 * runtime's API, detectGPUDevice among them); in a browser that line never runs. Dropping it keeps
 * the API, as in the browser.
 */
const keepTvmExports = {
  name: 'keep-tvm-exports',
  setup(b) {
    b.onLoad({ filter: /web-llm-0279[\\/]lib[\\/]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const line = '{module["exports"]=Module;}';
      if (!text.includes(line)) throw new Error(`web-llm changed: ${line} not found in ${args.path}`);
      return { contents: text.replace(line, '{}'), loader: 'js' };
    });
  },
};

const outfile = process.argv[2];
if (!outfile) throw new Error('usage: build.mjs OUTFILE');
await build({
  entryPoints: ['bench/webllm-gpu/run.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  outfile,
  logLevel: 'warning',
  plugins: [keepTvmExports],
  // web-llm's bundled runtimes (Emscripten, CommonJS helpers) expect these Node/CommonJS globals.
  banner: {
    js: [
      "import { createRequire as __l0CreateRequire } from 'node:module';",
      "import { fileURLToPath as __l0FileURLToPath } from 'node:url';",
      "import { dirname as __l0Dirname } from 'node:path';",
      'const require = __l0CreateRequire(import.meta.url);',
      // The tokenizer runtime calls createRequire without importing it (its bundler dropped the import).
      'const createRequire = __l0CreateRequire;',
      'const __filename = __l0FileURLToPath(import.meta.url);',
      'const __dirname = __l0Dirname(__filename);',
    ].join('\n'),
  },
});
