// Builds the WorkerApi object that both worker entries expose: init() loads Pyodide with the
// entry's own loader, then installs the runtime (core.ts). Events (stream output, load progress,
// tool calls) go out through `post`, on the same port as the replies.
import type { PyodideAPI } from 'pyodide';
import type { LoadProgress } from '../protocols';
import { installRuntime, type RuntimeHardening } from './core';
import type { PostEvent, WorkerApi, WorkerInit } from './messages';

export type PyodideLoader = (init: WorkerInit, progress: (p: LoadProgress) => void) => Promise<PyodideAPI>;

/** Event posting over a port: `{ event, ...fields }` (the shape the host's channel checks). */
export function eventPoster(port: { postMessage(message: unknown): void }): PostEvent {
  return (event, fields) => port.postMessage({ ...fields, event });
}

export function createWorkerApi(load: PyodideLoader, post: PostEvent, afterInstall?: (py: PyodideAPI, hardening: RuntimeHardening) => void): WorkerApi {
  let inner: Omit<WorkerApi, 'init'> | undefined;
  const need = () => {
    if (!inner) throw new Error('sandbox worker not initialised');
    return inner;
  };
  return {
    async init(init: WorkerInit) {
      const progress = (p: LoadProgress) => post('progress', p);
      progress({ phase: 'runtime', fraction: 0, message: 'Loading the Python runtime (Pyodide)' });
      const py = await load(init, progress);
      const { api, info, hardening } = await installRuntime(py, init, post, progress);
      // Security hardening of the worker scope runs after everything we need is loaded and before
      // any model code can run.
      afterInstall?.(py, hardening);
      inner = api;
      return info;
    },
    runCell: (id, code, limit) => need().runCell(id, code, limit),
    cancelCell: (id) => need().cancelCell(id),
    toolReply: (callId, reply) => need().toolReply(callId, reply),
    setPackageLock: (lock, unavailable) => need().setPackageLock(lock, unavailable),
    missingImports: (code) => need().missingImports(code),
    installPackages: (id, wheels, failures) => need().installPackages(id, wheels, failures),
    getNotepad: () => need().getNotepad(),
    setNotepad: (s) => need().setNotepad(s),
    reset: (clear) => need().reset(clear),
    writeFiles: (files, max) => need().writeFiles(files, max),
    listFiles: () => need().listFiles(),
    readFile: (name, max) => need().readFile(name, max),
    clearFiles: () => need().clearFiles(),
  };
}
