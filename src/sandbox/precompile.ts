// Compiling Pyodide's 9.6 MB Wasm module early, in parallel with everything else start-up waits on.
//
// `loadPyodide` starts compiling `pyodide.asm.wasm` only once it has imported pyodide.asm.mjs and,
// on a warm start, read the memory snapshot: compile (about 100 ms here) then sits on the critical
// path after the snapshot read. Started at the top of the worker instead, it overlaps both.
// Pyodide offers no option to pass a compiled module, so for the duration of one `loadPyodide`
// call, `WebAssembly.instantiateStreaming` answers the request for that URL with the module
// compiled here (instantiated with Pyodide's own imports). Anything else, or a failed early
// compile, goes to the original function: the worst case is the start-up Pyodide would have had.
import type { PyodideAPI } from 'pyodide';

type InstantiateStreaming = typeof WebAssembly.instantiateStreaming;

/** Starts fetching and compiling `url`; resolves to undefined when that fails (Pyodide retries itself). */
export function compileWasmEarly(url: string): Promise<WebAssembly.Module | undefined> {
  if (typeof WebAssembly.compileStreaming !== 'function' || typeof fetch !== 'function') return Promise.resolve(undefined);
  return WebAssembly.compileStreaming(fetch(url)).catch(() => undefined);
}

/**
 * Runs `load` (a `loadPyodide` call) with `instantiateStreaming` answering requests whose URL ends
 * with `fileName` from `compiled`. The original function is back in place when `load` settles.
 */
export async function withCompiledWasm(
  compiled: Promise<WebAssembly.Module | undefined>,
  load: () => Promise<PyodideAPI>,
  fileName = 'pyodide.asm.wasm',
): Promise<PyodideAPI> {
  const original: InstantiateStreaming = WebAssembly.instantiateStreaming;
  const patched = async (source: Response | PromiseLike<Response>, imports?: WebAssembly.Imports) => {
    const response = await source;
    const module = new URL(response.url, 'file:').pathname.endsWith('/' + fileName) ? await compiled : undefined;
    if (!module) return original.call(WebAssembly, response, imports);
    // Pyodide's own request for the same file is not needed: stop reading it.
    void response.body?.cancel().catch(() => undefined);
    const instance = await WebAssembly.instantiate(module, imports);
    return { module, instance };
  };
  WebAssembly.instantiateStreaming = patched as InstantiateStreaming;
  try {
    return await load();
  } finally {
    WebAssembly.instantiateStreaming = original;
  }
}
