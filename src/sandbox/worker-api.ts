// Builds the WorkerApi object that both worker entries expose: init() loads Pyodide with the
// entry's own loader, then installs the runtime (core.ts).
import type { PyodideAPI } from 'pyodide';
import type { LoadProgress } from '../protocols';
import { installRuntime } from './core';
import type { HostPort, WorkerApi, WorkerInit } from './messages';

export type PyodideLoader = (init: WorkerInit, progress: (p: LoadProgress) => void) => Promise<PyodideAPI>;

export function createWorkerApi(load: PyodideLoader, afterInstall?: (py: PyodideAPI) => void): WorkerApi {
  let inner: Omit<WorkerApi, 'init'> | undefined;
  const need = () => {
    if (!inner) throw new Error('sandbox worker not initialised');
    return inner;
  };
  return {
    async init(init: WorkerInit, host: HostPort) {
      const progress = (p: LoadProgress) => void host.progress(p);
      progress({ phase: 'runtime', fraction: 0, message: 'Loading the Python runtime (Pyodide)' });
      const py = await load(init, progress);
      const { api, info } = await installRuntime(py, init, host, progress);
      // Security hardening of the worker scope runs after everything we need is loaded and before
      // any model code can run.
      afterInstall?.(py);
      inner = api;
      // 'ready' is reported by the host once init() resolves (the progress port is not ordered
      // with the reply).
      return info;
    },
    runCell: (id, code, limit) => need().runCell(id, code, limit),
    cancelCell: (id) => need().cancelCell(id),
    getNotepad: () => need().getNotepad(),
    setNotepad: (s) => need().setNotepad(s),
    reset: (clear) => need().reset(clear),
  };
}
