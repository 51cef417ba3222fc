// Node entry of the sandbox worker (worker_threads): same runtime as the browser worker, Pyodide
// from node_modules. Started by node-host.ts (bundled, under Node's permission model); never part
// of the browser bundle. Hardened after start-up like the browser worker (harden-node.ts). Replies
// and events share the thread's parent port, which the host reads through a checking channel.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { loadPyodide } from 'pyodide';
import { createWorkerApi, eventPoster } from './worker-api';
import { sandboxLoadOptions } from './harden';
import { hardenNodeWorker, prepareNodeWorkerForPyodide } from './harden-node';

if (!parentPort) throw new Error('node.worker.ts must run in a worker thread');
const port = parentPort;

const api = createWorkerApi(
  async (_init, progress) => {
    prepareNodeWorkerForPyodide();
    const py = await loadPyodide(sandboxLoadOptions());
    progress({ phase: 'stdlib', fraction: 0.8, message: 'Python runtime loaded' });
    return py;
  },
  eventPoster({ postMessage: (m) => port.postMessage(m) }),
  (py, hardening) => void hardenNodeWorker(py, hardening),
);

Comlink.expose(api, nodeEndpoint(port as unknown as Parameters<typeof nodeEndpoint>[0]));
