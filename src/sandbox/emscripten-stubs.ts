// Emscripten's JS library as `dlsym` and side modules see it (hardening, issue 16). ctypes'
// `CDLL(None).emscripten_vibrate`, a side module's imports and `dlsym` resolve names through the
// main module's export table (`LDSO.loadedLibsByName.__main__.exports`), which also holds every JS
// library function Pyodide was linked with: the HTML5 API, `emscripten_run_script`, wget, workers,
// WebGL, SDL... Each one whose code reads browser globals or evaluates script becomes a stub that
// answers "not supported" (-1, or a null pointer), with the same signature. The main module's own
// calls were bound when it was instantiated and do not change.
//
// Belt and braces: ctypes is gone (inittab.ts), no new Wasm can be compiled to call these
// (lockdown.ts), and the globals they read are `undefined` in the locked realm.
import type { PyodideAPI } from 'pyodide';

/** What such a function's source mentions when it touches the page, the network or script. */
const TOUCHES_GLOBALS =
  /\b(document|window|navigator|screen|location|eval|Worker|XMLHttpRequest|fetch|indexedDB|IDBFS|WebSocket|importScripts|localStorage|JSEvents|specialHTMLTargets|findEventTarget|findCanvasEventTarget|Browser|SDL|GL|GLFW|EGL|AL)\b/;

type LibFunction = ((...args: unknown[]) => unknown) & { sig?: string };

/** The value a stub returns for Emscripten signature `sig` (first letter: the return type). */
function notSupported(sig: string | undefined): unknown {
  switch (sig?.[0]) {
    case 'i':
      return -1; // EMSCRIPTEN_RESULT_NOT_SUPPORTED
    case 'j':
      return -1n;
    case 'p':
    case 'f':
    case 'd':
      return 0;
    default:
      return undefined;
  }
}

/** Replaces those library functions in the main module's export table; returns their names. */
export function stubEmscriptenLibrary(py: PyodideAPI): string[] {
  const mod = (py as unknown as { _module?: { LDSO?: { loadedLibsByName?: Record<string, { exports?: Record<string, unknown> }> } } })._module;
  const exports = mod?.LDSO?.loadedLibsByName?.__main__?.exports;
  if (!exports) return [];
  const source = Function.prototype.toString;
  const stubbed: string[] = [];
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function' || /^_?Py/.test(name)) continue; // CPython's own helpers stay
    const text = source.call(value);
    if (text.includes('[native code]') || !TOUCHES_GLOBALS.test(text)) continue; // Wasm exports, plain helpers
    const sig = (value as LibFunction).sig;
    const stub: LibFunction = () => notSupported(sig);
    if (sig) stub.sig = sig;
    exports[name] = stub;
    stubbed.push(name);
  }
  return stubbed;
}
