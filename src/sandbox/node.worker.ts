// Node entry of the sandbox worker (worker_threads): same runtime as the browser worker, Pyodide
// from node_modules. Started by node-host.ts (bundled, under Node's permission model); never part
// of the browser bundle. Hardened after start-up like the browser worker (harden-node.ts). Replies
// and events share the thread's parent port, which the host reads through a checking channel.
// Warm start: the host hands over the process's snapshot (snapshot-handoff.ts).
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { loadPyodide, version } from 'pyodide';
import { createWorkerApi, eventPoster } from './worker-api';
import { sandboxLoadOptions } from './harden';
import { hardenNodeWorker, prepareNodeWorkerForPyodide } from './harden-node';
import { loadPyodideWarm } from './snapshot';
import { handedSnapshotStore, type SnapshotHandoff } from './snapshot-handoff';

if (!parentPort) throw new Error('node.worker.ts must run in a worker thread');
const port = parentPort;
/** node-host.ts hands every worker this (the process's snapshot, if any, and the way back). */
const handoff = (workerData as { snapshotHandoff: SnapshotHandoff }).snapshotHandoff;

const api = createWorkerApi(
  async (_init, progress) => {
    prepareNodeWorkerForPyodide();
    let py;
    try {
      // Restored from the snapshot the host process handed over, or booted and one sent back.
      py = await loadPyodideWarm({ loadPyodide, version }, progress, sandboxLoadOptions(), handedSnapshotStore(handoff));
    } finally {
      // The way back to the host is open only while nothing but our loader runs here, and the
      // handed bytes (a 30 MB copy) are not kept for the worker's lifetime.
      handoff.port.close();
      delete handoff.snapshot;
    }
    progress({ phase: 'stdlib', fraction: 0.8, message: 'Python runtime loaded' });
    return py;
  },
  eventPoster({ postMessage: (m) => port.postMessage(m) }),
  (py, hardening) => void hardenNodeWorker(py, hardening),
);

Comlink.expose(api, nodeEndpoint(port as unknown as Parameters<typeof nodeEndpoint>[0]));
