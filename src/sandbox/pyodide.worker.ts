// Browser entry of the sandbox worker: a dedicated module worker (bundled by Vite). The page calls
// its API with comlink; the worker answers and posts its events on its own port, which the page
// reads through a checking channel (src/channel/): nothing sent here can call anything on the page.
// Pyodide is imported at run time from `indexURL` (our own site, never a CDN).
import * as Comlink from 'comlink';
import type { PyodideAPI } from 'pyodide';
import { createWorkerApi, eventPoster } from './worker-api';
import { hardenWorkerScope, sandboxLoadOptions } from './harden';
import { loadPyodideWarm } from './snapshot';
import { compileWasmEarly, withCompiledWasm } from './precompile';

const api = createWorkerApi(
  async (init, progress) => {
    const indexURL = init.indexURL!;
    // Compiling the Wasm module overlaps importing Pyodide's JS and reading the snapshot (precompile.ts).
    const compiled = compileWasmEarly(indexURL + 'pyodide.asm.wasm');
    const mod = (await import(/* @vite-ignore */ indexURL + 'pyodide.mjs')) as {
      loadPyodide(o: Record<string, unknown>): Promise<PyodideAPI>;
      version?: string;
    };
    progress({ phase: 'runtime', fraction: 0.1, message: 'Downloading and compiling Python' });
    const loadPyodide = (o: Record<string, unknown>) => withCompiledWasm(compiled, () => mod.loadPyodide(o));
    // Restored from this origin's saved memory snapshot when there is one (see snapshot.ts).
    const py = await loadPyodideWarm({ loadPyodide, version: mod.version }, progress, {
      indexURL,
      ...sandboxLoadOptions(),
    });
    progress({ phase: 'stdlib', fraction: 0.8, message: 'Python runtime loaded' });
    return py;
  },
  // Bound now: the hardening deletes nothing we need, but the poster must not look the global up later.
  eventPoster({ postMessage: self.postMessage.bind(self) }),
  (py, hardening) => hardenWorkerScope(py, hardening),
);

Comlink.expose(api);
