// Warm start for the Node sandbox (Vitest, the eval CLI): the host process keeps the Pyodide memory
// snapshot in memory and hands it to each new worker thread, the browser's IndexedDB store
// (snapshot.ts) in the role of the parent process. The first worker of a process boots normally and
// sends the snapshot it made back; later ones (restarts after a runaway cell, new sandboxes) restore
// it: ~0.9 CPU s a start instead of ~3.9 (docs/performance.md, "Warm start", "In Node").
//
// The worker is untrusted once model code runs in it, so the channel back is open only while it
// starts: the worker gets its own MessagePort and closes it as soon as its loader is done, before
// any cell can run, so what comes back is what our loader made; the parent checks each message's
// shape and keeps nothing else. A snapshot that does not restore (bytes from another build, or
// planted by a worker that is not ours) only costs a normal boot: snapshot.ts falls back and
// replaces it.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { SnapshotStore } from './snapshot';

/** What a worker is handed: the snapshot the process has (if any) and the port to send one back on. */
export interface SnapshotHandoff {
  snapshot?: { key: string; bytes: Uint8Array };
  port: MessagePort;
}

/** What a worker may send back. */
type SnapshotMessage = { put: { key: string; bytes: Uint8Array } } | { clear: true };

/** A snapshot bigger than this is not one of ours (Pyodide's fresh heap is about 30 MB). */
const MAX_SNAPSHOT_BYTES = 256 * 2 ** 20;
const KEY_PATTERN = /^pyodide-[\w.+-]{1,40}-rt-[0-9a-f]{32}$/;

/** Worker side: the store `loadPyodideWithSnapshot` reads the handed snapshot from and sends a new one to. */
export function handedSnapshotStore(handoff: SnapshotHandoff): SnapshotStore {
  // Copied, not transferred: the bytes may be a view of memory the interpreter still uses.
  const send = (m: SnapshotMessage) => handoff.port.postMessage(m);
  return {
    has: async (key) => handoff.snapshot?.key === key,
    get: async (key) => (handoff.snapshot?.key === key ? handoff.snapshot.bytes : undefined),
    put: async (key, bytes) => send({ put: { key, bytes } }),
    clear: async () => send({ clear: true }),
  };
}

/**
 * Parent side: keeps the snapshot of this process. `handoff()` gives a new worker what to start
 * from and the far end of a fresh port; each well-formed message on that port replaces (or
 * clears) the kept snapshot (a failed restore sends a clear, then the snapshot of the boot that
 * followed), anything else is ignored. The port closes when the worker closes its end or exits.
 */
export function processSnapshotKeeper() {
  let kept: { key: string; bytes: Uint8Array } | undefined;
  const accept = (m: unknown) => {
    const msg = m as Partial<{ put: { key?: unknown; bytes?: unknown }; clear: unknown }> | null;
    if (msg?.clear === true) kept = undefined;
    const put = msg?.put;
    if (put && typeof put.key === 'string' && KEY_PATTERN.test(put.key) && put.bytes instanceof Uint8Array && put.bytes.byteLength > 0 && put.bytes.byteLength <= MAX_SNAPSHOT_BYTES) {
      kept = { key: put.key, bytes: put.bytes };
    }
  };
  return {
    handoff(): { handoff: SnapshotHandoff; transfer: MessagePort[] } {
      const { port1, port2 } = new MessageChannel();
      port1.on('message', accept);
      port1.unref();
      return { handoff: { snapshot: kept, port: port2 }, transfer: [port2] };
    },
    /** The key of the kept snapshot, if any. */
    get snapshotKey(): string | undefined {
      return kept?.key;
    },
  };
}
