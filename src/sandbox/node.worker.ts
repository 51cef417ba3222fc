// Node entry of the sandbox worker (worker_threads): same runtime as the browser worker, Pyodide
// from node_modules. Started by node-host.ts (bundled, under Node's permission model); never part
// of the browser bundle. Hardened after start-up like the browser worker (harden-node.ts).
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { loadPyodide } from 'pyodide';
import { createWorkerApi } from './worker-api';
import { sandboxLoadOptions } from './harden';
import { hardenNodeWorker, prepareNodeWorkerForPyodide } from './harden-node';
import type { HostPort, WorkerApi } from './messages';

const api = createWorkerApi(
  async (init, progress) => {
    prepareNodeWorkerForPyodide();
    const py = await loadPyodide(sandboxLoadOptions(init.packageBaseUrl));
    progress({ phase: 'stdlib', fraction: 0.8, message: 'Python runtime loaded' });
    return py;
  },
  (py) => void hardenNodeWorker(py),
);

type Ep = Parameters<typeof nodeEndpoint>[0];
if (!parentPort) throw new Error('node.worker.ts must run in a worker thread');
// The host sends its callbacks as a raw MessagePort (see node-host.ts exposeHost).
const nodeApi: WorkerApi = {
  ...api,
  init: (init, hostPort) => api.init(init, Comlink.wrap<HostPort>(nodeEndpoint(hostPort as unknown as Ep)) as unknown as HostPort),
};
Comlink.expose(nodeApi, nodeEndpoint(parentPort as unknown as Ep));
