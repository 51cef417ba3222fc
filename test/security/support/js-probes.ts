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
  // Dynamic import is syntax, not a global: only the CSP stops it.
  try {
    await import(/* @vite-ignore */ canaryUrl + '/dynamic-import.js');
    findings.push('dynamic import() of a cross-origin module succeeded');
  } catch { /* CSP */ }
  const targets = new Map<unknown, string>(Object.entries(originals).map(([k, v]) => [v, k]));
  findings.push(...reachable(roots, targets));
  return findings;
}
