// Hardening of the sandbox worker realm. Runs once, after Pyodide and the notebook runtime are
// loaded and before any model-written code, in the worker itself. The browser module worker calls
// it directly; the Node worker thread calls it from harden-node.ts (platform 'node'), which first
// removes what Node's built-in modules can do in that thread.
//
// Threat model (docs/security.md): after the first cell, assume the model controls everything in
// this worker realm, including arbitrary JS reached through Pyodide's FFI. So the guarantee does
// not rest on hiding objects from Python; it rests on what the realm can still do:
//   1. Every host capability (storage, network, workers, cross-context channels, GPU, files) is
//      deleted from the worker global and its prototype chain. A deleted interface cannot be
//      recovered inside a realm, and the realm cannot make a new one (Worker is gone too).
//   2. Nothing the realm shares stays writable (lockdown.ts, the last step): intrinsics and host
//      prototypes frozen, deleted names fixed to `undefined` on a frozen global, no new WebAssembly.
//   3. JS code evaluation is neutered: `eval` replaced by a stand-in that evaluates nothing, the
//      Function constructors by throwing stand-ins, string timers refused. The page CSP (no
//      'unsafe-eval'), inherited by the blob-URL worker, blocks the same at the engine level.
//   4. What remains — intrinsics, timers, TextEncoder/Decoder, crypto.getRandomValues, and
//      postMessage to the host — only reaches the host, which treats every message as untrusted data.
// Python level (defence in depth): the `js`/`pyodide_js` modules are facades, `_ctypes` and
// CPython's test modules leave the built-in module table (inittab.ts), Emscripten's DOM/script
// functions are stubs where dlsym looks (emscripten-stubs.ts), and an import guard (python/guard.py)
// explains what is refused. Python can write the Wasm heap, so none of that is the boundary.

import type { PyodideAPI } from 'pyodide';
import { stubEmscriptenLibrary } from './emscripten-stubs';
import { removeBuiltinModules, REMOVED_BUILTINS } from './inittab';
import { captureRealm, lockdownRealm, type LockdownReport } from './lockdown';
import { GUARD_PY } from './python/sources';

export interface HardenOptions {
  /**
   * Deployments that host Pyodide wheels: a restricted `fetch` stays for GET requests whose URL
   * starts with this prefix (no query string), so package loading keeps working. Default: none
   * (offline standard library, no fetch at all).
   */
  packageBaseUrl?: string;
  /** Extra global names to keep (for runtimes that need them). Each one widens the attack surface. */
  keepGlobals?: string[];
  /** Which realm this is: it picks the list of globals the runtime still needs. Default 'browser'. */
  platform?: HardenPlatform;
}

export type HardenPlatform = 'browser' | 'node';

export interface HardenReport {
  /** Names deleted from the worker global and its prototype chain. */
  removed: string[];
  /** Names that could not be deleted (non-configurable) and were overwritten with undefined. */
  overwritten: string[];
  /** Names kept on the global. */
  kept: string[];
  /** True once the Python-level guard is installed. */
  pythonGuard: boolean;
  /** Built-in modules taken out of the interpreter's module table (inittab.ts). */
  builtinsRemoved: string[];
  /** Emscripten JS library functions that dlsym / side modules would reach, now stubs (emscripten-stubs.ts). */
  emscriptenStubbed: string[];
  /** The realm's lockdown (lockdown.ts): frozen objects, global bindings, WebAssembly compilation. */
  lockdown?: LockdownReport;
}

/** ECMAScript intrinsics: no host capability in them (eval and Function are handled apart). */
const INTRINSICS = [
  'Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined',
  'Boolean', 'String', 'Symbol', 'Date', 'Promise', 'RegExp', 'Error', 'AggregateError', 'EvalError',
  'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'SuppressedError',
  'globalThis', 'JSON', 'Math', 'Intl', 'ArrayBuffer', 'SharedArrayBuffer', 'Atomics', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'BigInt', 'Set', 'Map', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Proxy', 'Reflect',
  'Iterator', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape',
  'unescape', 'isFinite', 'isNaN', 'WebAssembly', 'DisposableStack', 'AsyncDisposableStack',
];

/**
 * Host names the runtime needs after load, per platform. Browser: Pyodide (text codecs, randomness,
 * clocks, timers for asyncio), comlink (message events on the global) and the Atomics tool bridge.
 * Node: the same minus the message-event globals (comlink's Node adapter captured its port at
 * import), plus `setImmediate` (Pyodide's Node scheduler looks it up at call time).
 * None of them reaches storage, the network, files, processes or the DOM.
 */
export const RUNTIME_NEEDS: Readonly<Record<HardenPlatform, readonly string[]>> = {
  browser: [
    'console', 'TextEncoder', 'TextDecoder', 'crypto', 'performance', 'setTimeout', 'clearTimeout',
    'setInterval', 'clearInterval', 'queueMicrotask', 'structuredClone', 'postMessage',
    'addEventListener', 'removeEventListener', 'dispatchEvent', 'self', 'origin', 'isSecureContext',
    'crossOriginIsolated', 'URL', 'URLSearchParams', 'atob', 'btoa', 'reportError',
  ],
  node: [
    'console', 'TextEncoder', 'TextDecoder', 'crypto', 'performance', 'setTimeout', 'clearTimeout',
    'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask',
    'structuredClone', 'URL', 'URLSearchParams', 'atob', 'btoa',
  ],
};

type AnyFn = (...args: unknown[]) => unknown;

/**
 * What Python sees as the `js` module from the start (Pyodide's `jsglobals`): only timers, so
 * `pyodide.ffi.wrappers.set_timeout` and friends work. The runtime needs nothing else from it
 * (host calls go through the registered `_l0_host` module; Pyodide's internals use `_api`).
 */
export function minimalJsGlobals(): object {
  const g = globalThis as unknown as Record<string, AnyFn>;
  const bind = (k: string) => g[k].bind(globalThis);
  return Object.freeze({
    setTimeout: bind('setTimeout'),
    clearTimeout: bind('clearTimeout'),
    setInterval: bind('setInterval'),
    clearInterval: bind('clearInterval'),
  });
}

/** What both sandbox workers pass to `loadPyodide` besides their own paths: minimal `js`, no chatter. */
export function sandboxLoadOptions(packageBaseUrl: string | undefined): Record<string, unknown> {
  return {
    packageBaseUrl,
    // Python's `js` module is not the worker's global (which holds fetch, storage, process...).
    jsglobals: minimalJsGlobals(),
    // Start-up chatter must not reach the console or the parent's terminal.
    stdout: () => undefined,
    stderr: () => undefined,
  };
}

function stripObject(target: object, keep: Set<string>, report: HardenReport, where: string): void {
  for (const key of Reflect.ownKeys(target)) {
    if (typeof key === 'symbol') continue; // Symbol.toStringTag and friends: no capabilities
    if (keep.has(key) || key === 'constructor') continue;
    const name = `${where}.${key}`;
    if (Reflect.deleteProperty(target, key)) {
      report.removed.push(name);
      continue;
    }
    const d = Reflect.getOwnPropertyDescriptor(target, key);
    if (d && 'value' in d && typeof d.value !== 'object' && typeof d.value !== 'function') continue; // a constant
    try {
      Object.defineProperty(target, key, { value: undefined, writable: false });
      report.overwritten.push(name);
    } catch {
      report.overwritten.push(`${name} (FAILED)`);
    }
  }
}

/** Deletes every non-allowlisted name from the worker global and its prototypes up to EventTarget. */
function stripGlobalScope(keep: Set<string>, report: HardenReport): void {
  const g = globalThis as object;
  const eventTargetProto = typeof EventTarget === 'function' ? EventTarget.prototype : Object.prototype;
  let obj: object | null = g;
  let where = 'self';
  while (obj && obj !== eventTargetProto && obj !== Object.prototype) {
    const next = Object.getPrototypeOf(obj) as object | null;
    stripObject(obj, keep, report, where);
    where = next?.constructor?.name ? `${next.constructor.name}.prototype` : 'proto';
    obj = next;
  }
  report.kept = Reflect.ownKeys(g).filter((k): k is string => typeof k === 'string');
}

/** Replaces the Function constructors (reachable from any function's `.constructor`). */
function neuterCodeEvaluation(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  // Not deleted: Emscripten's emscripten_run_script (reachable through ctypes) calls the global
  // `eval` from a wasm import, and a throw there is a fatal error that kills the interpreter.
  // A stand-in that evaluates nothing keeps the interpreter alive and runs no code.
  Object.defineProperty(g, 'eval', { value: () => undefined, writable: false, configurable: false });
  const protos = [
    Function.prototype,
    Object.getPrototypeOf(async function () {}) as object,
    Object.getPrototypeOf(function* () {}) as object,
    Object.getPrototypeOf(async function* () {}) as object,
  ];
  for (const proto of protos) {
    const original = (proto as { constructor: { name: string } }).constructor;
    const name = original.name;
    // Same name and prototype, so `instanceof` and `.constructor.name` checks keep working.
    const blocked = function () {
      throw new EvalError(`${name}() is disabled in the l0 sandbox`);
    };
    Object.defineProperty(blocked, 'name', { value: name });
    Object.defineProperty(blocked, 'prototype', { value: proto });
    Object.defineProperty(proto, 'constructor', { value: blocked, writable: false, configurable: false });
    if (g[name] === original) Object.defineProperty(g, name, { value: blocked, writable: false, configurable: false });
  }
}

/**
 * Timers that refuse string handlers (an eval) and call back with `this` undefined (not the global).
 * Ids are returned as numbers: Node's timer objects link to every other pending timer and its
 * callback (`_idleNext`, `_onTimeout`), and Node's clearTimeout accepts the number. Browsers
 * already return numbers. Node's `setImmediate` (no numeric id) gets ids from a private map.
 */
function safeTimers(platform: HardenPlatform): Record<string, AnyFn> {
  const g = globalThis as unknown as Record<string, AnyFn>;
  const wrap = (set: AnyFn) =>
    function (handler: unknown, ms?: unknown, ...args: unknown[]) {
      if (typeof handler !== 'function') throw new TypeError('timers take a function, not a string');
      const id = set.call(globalThis, () => Reflect.apply(handler as AnyFn, undefined, args), ms);
      return typeof id === 'object' && id !== null ? Number(id) : id;
    };
  const clear = (fn: AnyFn) => (id: unknown) => fn.call(globalThis, id);
  const timers: Record<string, AnyFn> = {
    setTimeout: wrap(g.setTimeout),
    setInterval: wrap(g.setInterval),
    clearTimeout: clear(g.clearTimeout),
    clearInterval: clear(g.clearInterval),
  };
  if (platform === 'node' && typeof g.setImmediate === 'function') {
    const setImm = g.setImmediate;
    const clearImm = g.clearImmediate;
    const pending = new Map<number, unknown>();
    let next = 1;
    timers.setImmediate = function (handler: unknown, ...args: unknown[]) {
      if (typeof handler !== 'function') throw new TypeError('setImmediate takes a function');
      const id = next++;
      pending.set(id, setImm.call(globalThis, () => {
        pending.delete(id);
        Reflect.apply(handler as AnyFn, undefined, args);
      }));
      return id;
    };
    timers.clearImmediate = (id: unknown) => {
      const handle = pending.get(id as number);
      pending.delete(id as number);
      if (handle !== undefined) clearImm.call(globalThis, handle);
    };
  }
  return timers;
}

/** A `fetch` that only GETs Pyodide wheels under `prefix` (deployments that host them). */
function packageOnlyFetch(realFetch: typeof fetch, prefix: string): typeof fetch {
  return ((input: unknown) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : String((input as Request)?.url);
    if (!url.startsWith(prefix) || url.includes('?') || url.includes('#') || url.slice(prefix.length).includes('..')) {
      return Promise.reject(new TypeError(`fetch is disabled in the l0 sandbox (only ${prefix} packages load)`));
    }
    return realFetch(url, { method: 'GET', credentials: 'omit', cache: 'force-cache' });
  }) as typeof fetch;
}

let done: HardenReport | undefined;

/**
 * Hardens the worker this runs in. Call once, after Pyodide and the runtime are loaded and before
 * any model code runs. Irreversible for the life of the worker (a reset keeps it; a restarted
 * worker hardens again).
 */
export function hardenWorkerScope(py: PyodideAPI, options: HardenOptions = {}): HardenReport {
  // Once per worker: the realm-level changes are irreversible and non-configurable.
  if (done) return done;
  const report: HardenReport = { removed: [], overwritten: [], kept: [], pythonGuard: false, builtinsRemoved: [], emscriptenStubbed: [] };
  done = report;
  const g = globalThis as unknown as Record<string, unknown>;
  const api = (py as unknown as { _api?: { config?: Record<string, unknown>; scheduleCallback?: unknown } })._api;
  // Only an explicit option: Pyodide's own config defaults packageBaseUrl to its indexURL.
  const packageBaseUrl = options.packageBaseUrl;
  const realFetch = typeof g.fetch === 'function' ? (g.fetch as typeof fetch).bind(globalThis) : undefined;
  const platform = options.platform ?? 'browser';
  // Before anything is deleted: the lockdown freezes the prototypes of deleted interfaces too.
  const realm = captureRealm(platform);
  const timers = safeTimers(platform);

  // Python guard first: it needs the FFI (registerJsModule) that the JS-side pass leaves intact.
  // What Python's `js` and `pyodide_js` become: safe timers and a few intrinsics Pyodide's own
  // Python imports lazily, and the two fields its asyncio loop reads (enableRunUntilComplete,
  // scheduleCallback).
  const jsFacade = Object.freeze({
    setTimeout: timers.setTimeout, setInterval: timers.setInterval, clearTimeout: timers.clearTimeout,
    clearInterval: timers.clearInterval, Array, Object, Date, WeakRef,
  });
  const apiFacade = Object.freeze({
    config: Object.freeze({ enableRunUntilComplete: api?.config?.enableRunUntilComplete ?? true }),
    scheduleCallback: api?.scheduleCallback,
  });
  py.registerJsModule('js', jsFacade);
  py.registerJsModule('pyodide_js', Object.freeze({ version: py.version, _api: apiFacade, loadedPackages: Object.freeze({}) }));
  report.emscriptenStubbed = stubEmscriptenLibrary(py);
  const builtins = removeBuiltinModules(py);
  report.builtinsRemoved = builtins.removed;
  report.overwritten.push(...builtins.failed.map((f) => `${f} (FAILED)`));
  const guardGlobals = py.toPy({ _removed: REMOVED_BUILTINS });
  try {
    py.runPython(GUARD_PY, { globals: guardGlobals });
  } finally {
    guardGlobals.destroy();
  }
  report.pythonGuard = true;

  // JS side: what counts.
  const keep = new Set([...INTRINSICS, ...RUNTIME_NEEDS[platform], ...(options.keepGlobals ?? [])]);
  stripGlobalScope(keep, report);
  neuterCodeEvaluation();
  for (const [name, fn] of Object.entries(timers)) {
    Object.defineProperty(g, name, { value: fn, writable: false, configurable: false });
  }
  // Blob URLs would let code import attacker-written modules (the CSP allows blob: for the worker).
  const urlStatics = URL as unknown as Record<string, unknown>;
  for (const k of ['createObjectURL', 'revokeObjectURL']) if (Reflect.deleteProperty(urlStatics, k)) report.removed.push(`URL.${k}`);
  if (packageBaseUrl && realFetch) {
    Object.defineProperty(g, 'fetch', { value: packageOnlyFetch(realFetch, packageBaseUrl), writable: false, configurable: false });
    report.kept.push('fetch (package base URL only)');
  }
  // Pyodide's own loaders are reached through the API object: make them fail fast and clearly.
  const refuse = () => Promise.reject(new Error('loading code at run time is disabled in the l0 sandbox'));
  const apiObj = py as unknown as Record<string, unknown>;
  if (!packageBaseUrl) {
    for (const k of ['loadPackage', 'loadPackagesFromImports']) {
      try { Object.defineProperty(apiObj, k, { value: refuse, writable: false, configurable: false }); } catch { /* frozen by Pyodide */ }
    }
  }
  if (api) {
    for (const k of ['loadBinaryFile', 'loadDynlib']) {
      try { Object.defineProperty(api, k, { value: refuse, writable: false, configurable: false }); } catch { /* absent */ }
    }
  }
  // Last: nothing the realm shares stays writable (lockdown.ts).
  const deleted = report.removed.filter((n) => !n.startsWith('URL.')).map((n) => n.slice(n.lastIndexOf('.') + 1));
  report.lockdown = lockdownRealm(realm, { deleted, allowWasmCompilation: Boolean(packageBaseUrl) });
  report.overwritten.push(...report.lockdown.failed.map((f) => `lockdown: ${f} (FAILED)`));
  return report;
}
