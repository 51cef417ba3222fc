// Warm start for the sandbox worker: a Pyodide memory snapshot, taken once the interpreter has
// started and our runtime's Python code has run (so every module it imports is loaded), saved in
// the browser's storage and restored on later visits instead of booting Python again.
//
// Constraints of Pyodide 314's (private, `_`-prefixed) snapshot API, which shape this file:
//  - `loadPyodide({ _makeSnapshot: true })` must be used for the instance that makes the snapshot,
//    and the snapshot must be made before Python holds any JS object that is not reachable by a
//    path from `jsglobals` (hiwire entries): registering our `_l0_host` JS module, or any PyProxy
//    handed to Python, would make `makeMemorySnapshot()` throw. So the snapshot is made in the
//    loader, before `installRuntime` registers `_l0_host`: the runtime source runs into its module
//    `_l0_runtime` against a pure-Python stand-in for `_l0_host`, and the stand-in is dropped
//    again (python/load_runtime.py, the one place that creates that module, in both modes). On
//    restore, `installRuntime` finds that module (tagged with the source it ran) and
//    only rebinds its `_l0_host` global to the real host module: compiling and running the 16 KB
//    runtime again would cost 40–100 ms on a freshly restored (not yet JIT-warm) interpreter.
//  - The snapshot is the whole Wasm heap (about 30 MB) plus a build id; Pyodide refuses one made by
//    another build. We key it on a hash of the Pyodide version, our runtime source and this
//    file's format, so a new release of either invalidates it before Pyodide has to.
//  - The Emscripten file system lives in JS, not in the heap: the stdlib zip is mounted again on
//    restore (Pyodide does that), and files written before the snapshot would be lost (we write none).
//
// Storage: IndexedDB, in its own database, one snapshot at a time (a small meta record with the
// key, and the heap without its all-zero pages, about half of it): saving a new snapshot replaces
// the old one, so invalidation never leaves 30 MB of garbage behind. The kept pages are stored as
// a Blob: Chromium reads a 15 MB Blob back in about a third of the time it takes to deserialise
// the same bytes stored as a Uint8Array.
// Only same-origin page code can write it; the hardened worker deletes `indexedDB` from its realm
// after start-up, so model-written code cannot plant a snapshot for the next visit.
import type { PyodideAPI } from 'pyodide';
import type { LoadProgress } from '../protocols';
import { prewarmRuntimeModule, RUNTIME_SNAPSHOT_SOURCE } from './python/runtime-module';

/** Bump when what goes into a snapshot, or how it is stored, changes in a way the key would not see. */
const SNAPSHOT_FORMAT = 4;
const SNAPSHOT_DB_NAME = 'l0-pyodide-snapshot';
const STORE_NAME = 'snapshot';
const META_KEY = 'meta';
const PAGES_KEY = 'pages';
/** About half of a fresh Pyodide heap is zero pages: storing only the others halves what is read back. */
const PAGE_BYTES = 4096;

export interface SnapshotStore {
  /** True when a snapshot is saved under `key` (cheap: reads no snapshot bytes). */
  has(key: string): Promise<boolean>;
  /** The saved snapshot for `key`, or undefined (none, or one saved under another key). */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Saves `bytes` under `key`, replacing any snapshot saved before. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  clear(): Promise<void>;
}

interface SnapshotMeta {
  key: string;
  /** Bytes of the heap the snapshot restores. */
  size: number;
  /** Bytes stored (the heap without its zero pages). */
  storedBytes?: number;
  savedAt: number;
}

/** The heap without its all-zero pages: `pages` lists the pages kept, `data` holds them in order. */
interface SparseSnapshot {
  key: string;
  size: number;
  pageBytes: number;
  pages: Uint32Array;
  data: Uint8Array;
}

/** As stored: the kept pages as a Blob. */
interface StoredSnapshot extends Omit<SparseSnapshot, 'data'> {
  data: Blob;
}

export function encodeSparse(key: string, bytes: Uint8Array, pageBytes = PAGE_BYTES): SparseSnapshot {
  const pageCount = Math.ceil(bytes.length / pageBytes);
  const kept: number[] = [];
  // Word-wise scan when aligned (Pyodide's snapshot is a fresh buffer of a multiple of 16 bytes).
  const words = bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) : undefined;
  for (let p = 0; p < pageCount; p++) {
    const start = p * pageBytes;
    const end = Math.min(start + pageBytes, bytes.length);
    let nonZero = false;
    if (words && end - start === pageBytes) {
      for (let w = start / 4, we = end / 4; w < we; w++) if (words[w] !== 0) { nonZero = true; break; }
    } else {
      for (let i = start; i < end; i++) if (bytes[i] !== 0) { nonZero = true; break; }
    }
    if (nonZero) kept.push(p);
  }
  const data = new Uint8Array(kept.length * pageBytes);
  kept.forEach((p, i) => {
    const page = bytes.subarray(p * pageBytes, Math.min((p + 1) * pageBytes, bytes.length));
    data.set(page, i * pageBytes);
  });
  return { key, size: bytes.length, pageBytes, pages: Uint32Array.from(kept), data };
}

export function decodeSparse(s: SparseSnapshot): Uint8Array {
  const out = new Uint8Array(s.size);
  for (let i = 0; i < s.pages.length; i++) {
    const start = s.pages[i] * s.pageBytes;
    const len = Math.min(s.pageBytes, s.size - start);
    out.set(s.data.subarray(i * s.pageBytes, i * s.pageBytes + len), start);
  }
  return out;
}

async function sha256Hex(subtle: SubtleCrypto, text: string): Promise<string> {
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * 128 bits of four FNV-1a hashes (different offsets) over the UTF-16 code units, as hex. For pages
 * without `crypto.subtle` (plain http on an address that is not localhost is not a secure
 * context): the key only has to change when its inputs do, nobody forges it (only page code
 * writes the store).
 */
function fallbackHashHex(text: string): string {
  const h = [0x811c9dc5, 0x050c5d1f, 0x2b1ab6a5, 0x6c62272e];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    for (let k = 0; k < 4; k++) h[k] = Math.imul(h[k]! ^ c, 0x01000193) >>> 0;
  }
  return h.map((x) => x.toString(16).padStart(8, '0')).join('');
}

/** The cache key: changes whenever Pyodide, our Python runtime or the snapshot format changes. */
export async function snapshotKey(pyodideVersion: string, runtimeSource: string): Promise<string> {
  const input = `${SNAPSHOT_FORMAT}\n${pyodideVersion}\n${runtimeSource}`;
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  const hash = subtle ? await sha256Hex(subtle, input).catch(() => fallbackHashHex(input)) : fallbackHashHex(input);
  return `pyodide-${pyodideVersion}-rt-${hash.slice(0, 32)}`;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * A snapshot store in its own IndexedDB database: a small `meta` record (key, size) and the
 * sparse heap, written in one transaction. `factory` defaults to the global `indexedDB`, captured
 * now: the hardened worker deletes the global later, and a save may still be running then.
 */
export function indexedDbSnapshotStore(
  dbName: string = SNAPSHOT_DB_NAME,
  factory: IDBFactory | undefined = (globalThis as { indexedDB?: IDBFactory }).indexedDB,
): SnapshotStore & { info(): Promise<SnapshotInfo | undefined>; close(): Promise<void> } {
  let db: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> => {
    if (!factory) return Promise.reject(new Error('IndexedDB is not available'));
    db ??= new Promise((resolve, reject) => {
      const req = factory.open(dbName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE_NAME);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('snapshot database is blocked by another tab'));
    });
    return db;
  };
  const tx = async (mode: IDBTransactionMode) => (await open()).transaction(STORE_NAME, mode).objectStore(STORE_NAME);
  const done = (store: IDBObjectStore) =>
    new Promise<void>((resolve, reject) => {
      store.transaction.oncomplete = () => resolve();
      store.transaction.onerror = () => reject(store.transaction.error);
      store.transaction.onabort = () => reject(store.transaction.error ?? new Error('snapshot save aborted'));
    });
  const info = async (): Promise<SnapshotInfo | undefined> => {
    const meta = (await request((await tx('readonly')).get(META_KEY))) as SnapshotMeta | undefined;
    if (!meta || typeof meta.key !== 'string' || typeof meta.size !== 'number') return undefined;
    return { key: meta.key, heapBytes: meta.size, storedBytes: meta.storedBytes ?? meta.size, savedAt: meta.savedAt };
  };
  return {
    has: async (key) => (await info())?.key === key,
    info,
    async close() {
      const open = db;
      db = undefined;
      if (open) (await open.catch(() => undefined))?.close();
    },
    async get(key) {
      const rec = (await request((await tx('readonly')).get(PAGES_KEY))) as StoredSnapshot | undefined;
      if (!rec || rec.key !== key || !(rec.pages instanceof Uint32Array) || !(rec.data instanceof Blob)) return undefined;
      return decodeSparse({ ...rec, data: new Uint8Array(await rec.data.arrayBuffer()) });
    },
    async put(key, bytes) {
      const sparse = encodeSparse(key, bytes);
      const stored: StoredSnapshot = { ...sparse, data: new Blob([sparse.data as Uint8Array<ArrayBuffer>]) };
      const store = await tx('readwrite');
      const meta: SnapshotMeta = { key, size: bytes.length, storedBytes: sparse.data.byteLength, savedAt: Date.now() };
      store.put(stored, PAGES_KEY);
      store.put(meta, META_KEY);
      await done(store);
    },
    async clear() {
      const store = await tx('readwrite');
      store.clear();
      await done(store);
    },
  };
}

/** What the Settings panel shows of the saved warm-start snapshot. */
export interface SnapshotInfo {
  key: string;
  /** Bytes of Python heap it restores. */
  heapBytes: number;
  /** Bytes it takes in storage. */
  storedBytes: number;
  /** When it was saved (ms since the epoch). */
  savedAt: number;
}

/** The saved warm-start snapshot of this origin, if any (reads only its small meta record). */
export async function readSnapshotInfo(dbName: string = SNAPSHOT_DB_NAME): Promise<SnapshotInfo | undefined> {
  const store = indexedDbSnapshotStore(dbName);
  try {
    return await store.info();
  } finally {
    await store.close();
  }
}

/** Deletes the saved warm-start snapshot: the next sandbox start boots normally and saves a new one. */
export async function clearSnapshot(dbName: string = SNAPSHOT_DB_NAME): Promise<void> {
  const store = indexedDbSnapshotStore(dbName);
  try {
    await store.clear();
  } finally {
    await store.close();
  }
}

type SnapshotOutcome =
  /** Python was restored from a saved snapshot. */
  | 'restored'
  /** Booted normally and made a snapshot (`saved` settles when it is stored). */
  | 'created'
  /** Booted normally; no snapshot could be made or stored (reason in `error`). */
  | 'unavailable';

export interface SnapshotLoadResult {
  py: PyodideAPI;
  outcome: SnapshotOutcome;
  key: string;
  /** Set when a saved snapshot was found but could not be restored (it was deleted), or none could be made. */
  error?: string;
  /** Size of the snapshot restored or made, bytes. */
  bytes?: number;
  /** Settles once a new snapshot is stored (or failed to be). Never rejects. */
  saved: Promise<{ ok: boolean; error?: string }>;
  /** Milliseconds: the whole restoring load (restore), or making the snapshot (create). */
  snapshotMs: number;
}

export type LoadPyodideFn = (options: Record<string, unknown>) => Promise<PyodideAPI>;

export interface SnapshotLoadOptions {
  pyodideVersion: string;
  /** What the snapshot holds of ours (the runtime and its loader, runtime-module.ts): hashed into its key. */
  runtimeSource: string;
  store: SnapshotStore;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * `loadPyodide(options)`, restored from a saved snapshot when there is one for this Pyodide and
 * runtime; otherwise a normal boot that makes and saves a snapshot for next time. Any snapshot
 * failure falls back to the normal boot: a snapshot can only make start-up faster, never break it.
 */
export async function loadPyodideWithSnapshot(
  loadPyodide: LoadPyodideFn,
  options: Record<string, unknown>,
  snap: SnapshotLoadOptions,
): Promise<SnapshotLoadResult> {
  let key: string;
  try {
    key = await snapshotKey(snap.pyodideVersion, snap.runtimeSource);
  } catch (e) {
    // The snapshot is optional: whatever breaks the key, Python still starts.
    const py = await loadPyodide(options);
    const error = `no snapshot key: ${message(e)}`;
    return { py, outcome: 'unavailable', key: '', error, saved: Promise.resolve({ ok: false, error }), snapshotMs: 0 };
  }
  let restoreError: string | undefined;
  const t0 = performance.now();
  let storage: string | undefined;
  const found = await snap.store.has(key).catch((e: unknown) => ((storage = message(e)), false));
  if (storage !== undefined) {
    // No usable storage (no IndexedDB, an opaque origin, a blocked database): making a snapshot
    // that cannot be saved would only slow this start down.
    const py = await loadPyodide(options);
    const error = `snapshot storage unavailable: ${storage}`;
    return { py, outcome: 'unavailable', key, error, saved: Promise.resolve({ ok: false, error }), snapshotMs: 0 };
  }
  if (found) {
    // Pyodide awaits `_loadSnapshot` only after importing pyodide.asm.mjs: reading the bytes runs
    // alongside that import.
    let size = 0;
    const bytes = snap.store.get(key).then((b) => {
      if (!b) throw new Error('the saved snapshot disappeared');
      size = b.byteLength;
      return b;
    });
    // Pyodide awaits the bytes only after importing pyodide.asm.mjs: a read that fails before
    // then (NotReadableError when the stored Blob's data is gone) must not also surface as an
    // unhandled rejection. The failure itself is handled below, by loadPyodide rejecting.
    bytes.catch(() => undefined);
    try {
      const py = await loadPyodide({ ...options, _loadSnapshot: bytes });
      if (py.runPython('1 + 1') !== 2) throw new Error('restored interpreter does not compute');
      return { py, outcome: 'restored', key, bytes: size, saved: Promise.resolve({ ok: true }), snapshotMs: performance.now() - t0 };
    } catch (e) {
      // A snapshot from an incompatible build or a corrupt record: drop it, boot normally.
      restoreError = `could not restore the saved snapshot: ${message(e)}`;
      await snap.store.clear().catch(() => undefined);
    }
  }

  const py = await loadPyodide({ ...options, _makeSnapshot: true });
  const t1 = performance.now();
  let bytes: Uint8Array;
  try {
    prewarmRuntimeModule(py);
    bytes = py.makeMemorySnapshot();
  } catch (e) {
    const error = [restoreError, `could not make a snapshot: ${message(e)}`].filter(Boolean).join('; ');
    return { py, outcome: 'unavailable', key, error, saved: Promise.resolve({ ok: false, error }), snapshotMs: performance.now() - t1 };
  }
  const snapshotMs = performance.now() - t1;
  const store = snap.store.put(key, bytes).then(
    () => ({ ok: true }),
    (e: unknown) => ({ ok: false, error: `could not save the snapshot: ${message(e)}` }),
  );
  return { py, outcome: 'created', key, error: restoreError, bytes: bytes.byteLength, saved: store, snapshotMs };
}

/** What the browser worker has after `import(indexURL + 'pyodide.mjs')`. */
export interface PyodideModuleLike {
  loadPyodide: LoadPyodideFn | ((options: Record<string, unknown>) => Promise<unknown>);
  version?: string;
}

/**
 * The workers' loader: `mod.loadPyodide(options)` with the warm-start snapshot in `store` (the
 * browser: this origin's IndexedDB; Node: the one the host process hands over, snapshot-handoff.ts).
 * Reports the outcome as a progress event before the sandbox is ready (phase
 * `snapshot-restored`, `snapshot-created` or `snapshot-unavailable`), so pages and benchmarks can
 * tell a warm start from a cold one. Saving a new snapshot finishes in the background, after the
 * sandbox is ready: it announces nothing (a late progress event would overwrite a page's "ready"
 * status); it is visible as the `meta` record of the snapshot database, and a failure is logged.
 * Without a known Pyodide version it just loads.
 */
export async function loadPyodideWarm(
  mod: PyodideModuleLike,
  progress: (p: LoadProgress) => void,
  options: Record<string, unknown>,
  store: SnapshotStore = indexedDbSnapshotStore(),
): Promise<PyodideAPI> {
  const load = mod.loadPyodide as LoadPyodideFn;
  if (!mod.version) return load(options);
  const res = await loadPyodideWithSnapshot(load, options, {
    pyodideVersion: mod.version,
    runtimeSource: RUNTIME_SNAPSHOT_SOURCE,
    store,
  });
  const mb = res.bytes ? `${(res.bytes / 2 ** 20).toFixed(1)} MB` : '';
  if (res.outcome === 'restored') {
    progress({ phase: 'snapshot-restored', fraction: 0.8, loadedBytes: res.bytes, message: `Python restored from a saved snapshot (${mb})` });
  } else if (res.outcome === 'created') {
    progress({ phase: 'snapshot-created', fraction: 0.8, message: `Saving a Python snapshot (${mb}) for faster starts` });
    void res.saved.then((s) => {
      if (!s.ok) console.warn(`l0 sandbox: ${s.error}`);
    });
  } else {
    progress({ phase: 'snapshot-unavailable', message: res.error ?? 'no snapshot' });
  }
  return res.py;
}
