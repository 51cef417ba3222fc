// JS-level probes, run inside the hardened worker with full JS power: the worst case where model
// code has reached arbitrary JS in the worker realm. Each probe returns a finding when a
// capability is still there.

export const CAPABILITIES = [
  'fetch', 'XMLHttpRequest', 'WebSocket', 'WebSocketStream', 'WebTransport', 'EventSource', 'indexedDB', 'caches',
  'importScripts', 'Worker', 'SharedWorker', 'BroadcastChannel', 'FontFace', 'fonts', 'navigator', 'Notification',
  'IDBFactory', 'CacheStorage', 'StorageManager', 'FileSystemHandle', 'FileSystemDirectoryHandle', 'LockManager',
  'MessageChannel', 'OffscreenCanvas', 'GPU', 'Request', 'Response', 'webkitRequestFileSystem', 'cookieStore',
  'createImageBitmap', 'Blob', 'FileReader', 'close', 'onmessage', 'location',
];

export type Originals = Record<string, unknown>;

/** Captures capability objects before hardening, to search for leftover references afterwards. */
export function captureOriginals(): Originals {
  const g = globalThis as unknown as Record<string, unknown>;
  const out: Originals = {};
  for (const k of CAPABILITIES) {
    try {
      if (g[k] !== undefined && g[k] !== null) out[k] = g[k];
    } catch { /* getter threw */ }
  }
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav) for (const k of ['storage', 'locks', 'gpu', 'serviceWorker', 'sendBeacon']) if (nav[k]) out[`navigator.${k}`] = nav[k];
  return out;
}

/** Breadth-first over data properties (getters are not invoked) and prototypes. */
function reachable(roots: Record<string, unknown>, targets: Map<unknown, string>, maxDepth = 6, maxNodes = 200_000): string[] {
  const seen = new Set<unknown>();
  const found: string[] = [];
  let frontier: [unknown, string][] = Object.entries(roots).map(([k, v]) => [v, k]);
  for (let depth = 0; depth <= maxDepth && frontier.length && seen.size < maxNodes; depth++) {
    const next: [unknown, string][] = [];
    for (const [obj, path] of frontier) {
      if ((typeof obj !== 'object' && typeof obj !== 'function') || obj === null || seen.has(obj)) continue;
      seen.add(obj);
      if (targets.has(obj)) found.push(`${path} === original ${targets.get(obj)}`);
      if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) continue;
      let keys: (string | symbol)[] = [];
      try { keys = Reflect.ownKeys(obj); } catch { continue; }
      for (const k of keys) {
        let d: PropertyDescriptor | undefined;
        try { d = Reflect.getOwnPropertyDescriptor(obj, k); } catch { continue; }
        if (d && 'value' in d) next.push([d.value, `${path}.${String(k)}`]);
      }
      try { next.push([Reflect.getPrototypeOf(obj), `${path}.__proto__`]); } catch { /* proxy */ }
    }
    frontier = next;
  }
  return found;
}

export async function runJsProbes(canaryUrl: string, originals: Originals, roots: Record<string, unknown>): Promise<string[]> {
  const findings: string[] = [];
  const g = globalThis as unknown as Record<string, unknown>;
  for (const k of CAPABILITIES) {
    let present = false;
    try { present = k in g && g[k] !== undefined; } catch { present = true; }
    if (present) findings.push(`global ${k} still present`);
  }
  // Own properties along the whole prototype chain, including getters (descriptor tricks). The
  // lockdown's own, fixed `undefined` bindings (what a free-variable read finds) hold nothing.
  const fixedUndefined = (d: PropertyDescriptor | undefined) => !!d && 'value' in d && d.value === undefined && !d.writable && !d.configurable;
  for (let o: object | null = globalThis; o; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (CAPABILITIES.includes(k) && o !== Object.prototype && !fixedUndefined(Object.getOwnPropertyDescriptor(o, k))) findings.push(`prototype chain: ${k}`);
    }
  }
  const evalTries: [string, () => unknown][] = [
    ['new Function', () => new Function('return 7')()],
    ['Function.prototype.constructor', () => (function () {}).constructor('return 7')()],
    ['AsyncFunction', () => (async () => {}).constructor('return 7')],
    ['GeneratorFunction', () => (function* () {}).constructor('yield 7')],
    ['eval', () => (0, (globalThis as unknown as { eval: (s: string) => unknown }).eval)('7')],
    ['setTimeout(string)', () => (setTimeout as unknown as (s: string) => unknown)('void 7')],
  ];
  for (const [name, f] of evalTries) {
    try {
      const r = f();
      if (r === 7 || typeof r === 'function') findings.push(`${name} evaluated code`);
    } catch { /* blocked */ }
  }
  if (typeof (URL as unknown as { createObjectURL?: unknown }).createObjectURL === 'function') findings.push('URL.createObjectURL present');
  findings.push(...lockdownProbes(originals), ...emscriptenProbes(roots.module));
  // Dynamic import is syntax, not a global: only the CSP stops it.
  try {
    await import(/* @vite-ignore */ canaryUrl + '/dynamic-import.js');
    findings.push('dynamic import() of a cross-origin module succeeded');
  } catch { /* CSP */ }
  const targets = new Map<unknown, string>(Object.entries(originals).map(([k, v]) => [v, k]));
  findings.push(...reachable(roots, targets));
  return findings;
}

/**
 * The lockdown (issue 16): shared prototypes and namespaces take no new property and keep their
 * methods, the global takes no new or redefined name, and no new WebAssembly module compiles.
 */
function lockdownProbes(originals: Originals): string[] {
  const findings: string[] = [];
  const proto = (x: unknown) => (x ? (Object.getPrototypeOf(x) as object) : undefined);
  const MC = originals.MessageChannel as (new () => { port1: object }) | undefined;
  const wasm = WebAssembly as unknown as Record<string, { prototype?: object }>;
  const targets: [string, object | undefined, string][] = [
    ['Object.prototype', Object.prototype, 'toString'],
    ['Function.prototype', Function.prototype, 'call'],
    ['Array.prototype', Array.prototype, 'push'],
    ['Promise.prototype', Promise.prototype, 'then'],
    ['FinalizationRegistry.prototype', FinalizationRegistry.prototype, 'register'],
    ['WeakMap.prototype', WeakMap.prototype, 'set'],
    ['Map.prototype', Map.prototype, 'get'],
    ['Error.prototype', Error.prototype, 'toString'],
    ['Iterator.prototype', proto(proto([][Symbol.iterator]())), 'map'],
    ['MessagePort.prototype', MC ? proto(new MC().port1) : undefined, 'postMessage'],
    ['EventTarget.prototype', proto(proto(proto(globalThis))) ?? undefined, 'addEventListener'],
    ['worker global prototype', proto(globalThis), 'toString'],
    ['WebAssembly.Table.prototype', wasm.Table?.prototype, 'get'],
    ['WebAssembly.Memory.prototype', wasm.Memory?.prototype, 'grow'],
    ['WebAssembly', WebAssembly, 'instantiate'],
    ['Reflect', Reflect, 'apply'],
    ['JSON', JSON, 'parse'],
    ['Error', Error, 'captureStackTrace'],
  ];
  const stand = () => 'l0-probe';
  for (const [name, obj, method] of targets) {
    if (!obj) continue;
    if (Reflect.defineProperty(obj, '__l0Probe', { value: 1, configurable: true })) {
      findings.push(`planted a property on ${name}`);
      Reflect.deleteProperty(obj, '__l0Probe');
    }
    const had = Object.getOwnPropertyDescriptor(obj, method);
    try {
      // A locked-down prototype's tamed setter throws when the target is the prototype itself.
      if (Reflect.set(obj, method, stand) && (obj as Record<string, unknown>)[method] === stand) {
        findings.push(`replaced ${name}.${method}`);
        if (had) Object.defineProperty(obj, method, had);
        else Reflect.deleteProperty(obj, method);
      }
    } catch { /* refused */ }
  }
  if (Reflect.defineProperty(globalThis, '__l0NewGlobal', { value: 1, configurable: true })) {
    findings.push('added a global');
    Reflect.deleteProperty(globalThis, '__l0NewGlobal');
  }
  if (Reflect.defineProperty(globalThis, 'navigator', { get: () => 'l0', configurable: true })) findings.push('redefined the global navigator');
  try {
    new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    findings.push('compiled a WebAssembly module');
  } catch { /* refused */ }
  return findings;
}

/** What ctypes / dlsym / a side module would reach of Emscripten's JS library (the main module's export table). */
function emscriptenProbes(module: unknown): string[] {
  const findings: string[] = [];
  const m = module as { LDSO?: { loadedLibsByName?: Record<string, { exports?: Record<string, unknown> }> }; stringToNewUTF8?(s: string): number } | undefined;
  const exports = m?.LDSO?.loadedLibsByName?.__main__?.exports;
  if (!exports) return findings;
  for (const name of ['emscripten_vibrate', 'emscripten_exit_pointerlock', 'emscripten_get_element_css_size']) {
    const f = exports[name];
    if (typeof f === 'function' && /\b(navigator|document|JSEvents|findEventTarget)\b/.test(Function.prototype.toString.call(f))) findings.push(`dlsym reaches ${name}, which reads browser globals`);
  }
  try {
    const run = exports.emscripten_run_script_int as ((p: number) => number) | undefined;
    if (run && m?.stringToNewUTF8 && run(m.stringToNewUTF8('6 * 7')) === 42) findings.push("dlsym reaches emscripten_run_script_int, which evaluated code");
  } catch { /* refused */ }
  return findings;
}
