// Warm-start snapshots (src/sandbox/snapshot.ts) against the real Pyodide in Node and a real
// IndexedDB implementation (fake-indexeddb): the key changes with the runtime or Pyodide version,
// an invalidated or corrupt snapshot is never restored, and a restored snapshot gives a working
// interpreter on which our runtime installs and runs notepad cells.
import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { loadPyodide, version as pyodideVersion } from 'pyodide';
import { RUNTIME_PY } from '../../src/sandbox/python/runtime-module';
import { installRuntime } from '../../src/sandbox/core';
import type { PostEvent } from '../../src/sandbox/messages';
import {
  decodeSparse,
  encodeSparse,
  indexedDbSnapshotStore,
  loadPyodideWithSnapshot,
  snapshotKey,
  type LoadPyodideFn,
  type SnapshotStore,
} from '../../src/sandbox/snapshot';

const quiet = { stdout: () => undefined, stderr: () => undefined };
const load = loadPyodide as unknown as LoadPyodideFn;

/** A store that records what the loader did with it. */
function spied(store: SnapshotStore) {
  const calls: string[] = [];
  return {
    calls,
    store: {
      has: (k: string) => (calls.push(`has ${k}`), store.has(k)),
      get: (k: string) => (calls.push(`get ${k}`), store.get(k)),
      put: (k: string, b: Uint8Array) => (calls.push(`put ${k}`), store.put(k, b)),
      clear: () => (calls.push('clear'), store.clear()),
    } satisfies SnapshotStore,
  };
}


describe('snapshotKey', () => {
  it('changes when the runtime source or the Pyodide version changes, and only then', async () => {
    const a = await snapshotKey('0.29.0', 'print(1)');
    expect(await snapshotKey('0.29.0', 'print(1)')).toBe(a);
    expect(await snapshotKey('0.29.0', 'print(2)')).not.toBe(a);
    expect(await snapshotKey('0.29.1', 'print(1)')).not.toBe(a);
    expect(a).toMatch(/^pyodide-0\.29\.0-rt-[0-9a-f]{32}$/);
  });
});

describe('sparse encoding', () => {
  it('drops all-zero pages and restores the exact bytes, including a short last page', () => {
    const bytes = new Uint8Array(4096 * 5 + 100);
    bytes[10] = 1; // page 0
    bytes[4096 * 3 + 4095] = 2; // page 3, last byte
    bytes[4096 * 5 + 99] = 3; // the short last page
    const sparse = encodeSparse('k', bytes);
    expect(Array.from(sparse.pages)).toEqual([0, 3, 5]);
    expect(sparse.data.length).toBe(3 * 4096);
    expect(decodeSparse(sparse)).toEqual(bytes);
    const odd = bytes.subarray(1); // unaligned view: byte-wise path
    expect(decodeSparse(encodeSparse('k', odd))).toEqual(odd);
  });
});

describe('indexedDbSnapshotStore', () => {
  it('returns a snapshot only for its own key and keeps a single record', async () => {
    const factory = new IDBFactory();
    const store = indexedDbSnapshotStore('snap-test', factory);
    expect(await store.get('k1')).toBeUndefined();
    expect(await store.has('k1')).toBe(false);
    await store.put('k1', new Uint8Array([1, 2, 3]));
    expect(await store.has('k1')).toBe(true);
    expect(Array.from((await store.get('k1'))!)).toEqual([1, 2, 3]);
    await store.put('k2', new Uint8Array([4]));
    expect(await store.get('k1')).toBeUndefined();
    expect(await store.has('k1')).toBe(false);
    expect(Array.from((await store.get('k2'))!)).toEqual([4]);
    // A second handle on the same database sees the same record.
    expect(Array.from((await indexedDbSnapshotStore('snap-test', factory).get('k2'))!)).toEqual([4]);
    await store.clear();
    expect(await store.get('k2')).toBeUndefined();
  });
});

describe('loadPyodideWithSnapshot (real Pyodide)', () => {
  it('creates, restores, and is invalidated by a runtime change; the restored interpreter runs the notepad runtime', async () => {
    const factory = new IDBFactory();
    const { store, calls } = spied(indexedDbSnapshotStore('snap-flow', factory));
    const opts = { pyodideVersion, runtimeSource: RUNTIME_PY, store };

    const first = await loadPyodideWithSnapshot(load, quiet, opts);
    expect(first.outcome).toBe('created');
    expect(await first.saved).toEqual({ ok: true });
    expect(first.bytes).toBeGreaterThan(1_000_000);
    // The prewarm left no trace in the live interpreter: our host module is not stubbed.
    expect(first.py.runPython('import sys; "_l0_host" in sys.modules')).toBe(false);

    const second = await loadPyodideWithSnapshot(load, quiet, opts);
    expect(second.outcome).toBe('restored');
    expect(second.key).toBe(first.key);
    // The runtime's imports came with the snapshot, and so did the runtime module itself.
    expect(second.py.runPython('import sys; "ast" in sys.modules and "pyodide.code" in sys.modules')).toBe(true);
    const moduleId = second.py.runPython('import sys; id(sys.modules["_l0_runtime"])') as number;
    const streamed: string[] = [];
    const { api, info } = await installRuntime(
      second.py,
      { tools: [], notepad: { todos: [{ text: 'restored', done: false }], facts: [], draft: '' }, preferJspi: false },
      ((event, fields) => {
        if (event === 'stream') streamed.push((fields as { text: string }).text);
      }) as PostEvent,
      () => undefined,
    );
    // installRuntime reused that module (no second compile) and pointed it at the real host module:
    // output streams to the host, not into the stand-in the snapshot was made with.
    expect(second.py.runPython('import sys; id(sys.modules["_l0_runtime"])')).toBe(moduleId);
    expect(second.py.runPython('import sys; type(sys.modules["_l0_runtime"]._l0_host).__name__')).toBe('JsProxy');
    const printed = await api.runCell(9, "print('to the real host')", 10_000);
    expect(printed.error).toBeUndefined();
    expect(streamed.join('')).toContain('to the real host');
    expect(info.pythonVersion).toMatch(/^3\./);
    const cell = await api.runCell(1, "notepad.add_facts(['from a snapshot'])\nnotepad.mark_done(0)\nx = 6 * 7\nx", 10_000);
    expect(cell.result).toBe('42');
    expect(cell.error).toBeUndefined();
    expect(cell.notepad).toEqual({ todos: [{ text: 'restored', done: true }], facts: ['from a snapshot'], draft: '' });
    const err = await api.runCell(2, '1/0', 10_000);
    expect(err.error?.ename).toBe('ZeroDivisionError');
    const fin = await api.runCell(3, "submit_final_answer('done')", 10_000);
    expect(fin.finalAnswer).toBe('done');

    // Our Python runtime changed: the saved snapshot must not be restored; a new one replaces it.
    calls.length = 0;
    const changed = { ...opts, runtimeSource: RUNTIME_PY + '\n# changed\n' };
    const third = await loadPyodideWithSnapshot(load, quiet, changed);
    expect(third.outcome).toBe('created');
    expect(third.key).not.toBe(first.key);
    expect(await third.saved).toEqual({ ok: true });
    expect(calls).toEqual([`has ${third.key}`, `put ${third.key}`]);
    expect(await store.get(first.key)).toBeUndefined();
    expect(await store.get(third.key)).toBeInstanceOf(Uint8Array);
  });

  it('drops a corrupt snapshot and boots normally', async () => {
    const factory = new IDBFactory();
    const { store, calls } = spied(indexedDbSnapshotStore('snap-corrupt', factory));
    const key = await snapshotKey(pyodideVersion, RUNTIME_PY);
    await store.put(key, new Uint8Array(64 * 1024).fill(7)); // right key, not a snapshot
    calls.length = 0;
    const res = await loadPyodideWithSnapshot(load, quiet, { pyodideVersion, runtimeSource: RUNTIME_PY, store });
    expect(res.outcome).toBe('created');
    expect(res.error).toMatch(/could not restore the saved snapshot/);
    expect(calls).toEqual([`has ${key}`, `get ${key}`, 'clear', `put ${key}`]);
    expect(res.py.runPython('2 ** 10')).toBe(1024);
    expect(await res.saved).toEqual({ ok: true });
  });

  it('boots normally when the saved snapshot cannot be read, without an unhandled rejection', async () => {
    // Chromium answers a Blob read with NotReadableError when the bytes behind an IndexedDB Blob
    // are gone. The read fails while Pyodide is still importing its module, before it awaits the
    // bytes: that rejection used to surface as an unhandled one (an error on the page).
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const calls: string[] = [];
      const unreadable: SnapshotStore = {
        has: async () => (calls.push('has'), true),
        get: () => (calls.push('get'), Promise.reject(new DOMException('The requested file could not be read', 'NotReadableError'))),
        put: async () => void calls.push('put'),
        clear: async () => void calls.push('clear'),
      };
      // As in a browser worker: Pyodide imports pyodide.asm.mjs (a network fetch) before it
      // awaits `_loadSnapshot`, so the failed read has no handler for a while.
      const loadAfterImport: LoadPyodideFn = async (options) => {
        await new Promise((r) => setTimeout(r, 30));
        if (options._loadSnapshot) await options._loadSnapshot;
        return load(options);
      };
      const res = await loadPyodideWithSnapshot(loadAfterImport, quiet, { pyodideVersion, runtimeSource: RUNTIME_PY, store: unreadable });
      expect(res.outcome).toBe('created');
      expect(res.error).toMatch(/could not restore the saved snapshot: The requested file could not be read/);
      expect(calls).toEqual(['has', 'get', 'clear', 'put']);
      expect(res.py.runPython('6 * 7')).toBe(42);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('works without crypto.subtle (a plain-http page that is not localhost): the key falls back to another hash', async () => {
    // Chromium has no crypto.subtle outside a secure context (http://192.168.x.y): the key
    // computation used to throw there, and Python never started.
    const crypto = globalThis.crypto as unknown as Record<string, unknown>;
    Object.defineProperty(crypto, 'subtle', { value: undefined, configurable: true });
    try {
      const factory = new IDBFactory();
      const store = indexedDbSnapshotStore('snap-insecure', factory);
      const opts = { pyodideVersion, runtimeSource: RUNTIME_PY, store };
      const first = await loadPyodideWithSnapshot(load, quiet, opts);
      expect(first.outcome).toBe('created');
      expect(first.key).toMatch(/^pyodide-.+-rt-[0-9a-f]{32}$/);
      expect(await first.saved).toEqual({ ok: true });
      expect(first.py.runPython('6 * 7')).toBe(42);
      const second = await loadPyodideWithSnapshot(load, quiet, opts);
      expect(second.outcome).toBe('restored');
      expect(second.key).toBe(first.key);
      expect(await snapshotKey(pyodideVersion, 'print(2)')).not.toBe(await snapshotKey(pyodideVersion, 'print(1)'));
    } finally {
      delete crypto.subtle;
    }
    expect(globalThis.crypto.subtle).toBeDefined();
  });

  it('boots normally, without making a snapshot, when the storage is unusable', async () => {
    const calls: string[] = [];
    const broken: SnapshotStore = {
      has: async () => (calls.push('has'), Promise.reject(new Error('IndexedDB is not available'))),
      get: async () => (calls.push('get'), undefined),
      put: async () => void calls.push('put'),
      clear: async () => void calls.push('clear'),
    };
    const res = await loadPyodideWithSnapshot(load, quiet, { pyodideVersion, runtimeSource: RUNTIME_PY, store: broken });
    expect(res.outcome).toBe('unavailable');
    expect(res.error).toMatch(/storage unavailable: IndexedDB is not available/);
    expect(calls).toEqual(['has']);
    expect(res.py.runPython('6 * 7')).toBe(42);
  });
});
