// Creating the notebook runtime module `_l0_runtime`: one place for the warm-start snapshot
// (snapshot.ts) and the worker start (core.ts), both through load_runtime.py.
import type { PyodideAPI } from 'pyodide';
import { LOAD_RUNTIME_PY, RUNTIME_PY } from './sources';

export { RUNTIME_PY };

/** What a warm-start snapshot holds of ours (the runtime and how it was loaded): its key hashes this. */
export const RUNTIME_SNAPSHOT_SOURCE = `${LOAD_RUNTIME_PY}\n${RUNTIME_PY}`;

/** The runtime's functions the worker calls (runtime.py). */
export interface PyRuntime {
  run_cell(code: string, limit: number): Promise<string>;
  get_notepad_json(): string;
  set_notepad_json(text: string): void;
  set_tools(specsJson: string): void;
  reset_namespace(): void;
  python_version(): string;
  cancel_current(): void;
}

function runLoader(py: PyodideAPI, prewarm: boolean): unknown {
  const globals = py.toPy({ _src: RUNTIME_PY, _prewarm: prewarm });
  try {
    return py.runPython(LOAD_RUNTIME_PY, { globals });
  } finally {
    globals.destroy();
  }
}

/**
 * Runs the runtime into `_l0_runtime` against a pure-Python stand-in for `_l0_host`, before a
 * memory snapshot is made: no JS object may be held by Python then (snapshot.ts).
 */
export function prewarmRuntimeModule(py: PyodideAPI): void {
  runLoader(py, true);
}

/**
 * The runtime module, bound to the registered `_l0_host`: the one restored from a snapshot made
 * from this very source, or a fresh one.
 */
export function installRuntimeModule(py: PyodideAPI): PyRuntime {
  return runLoader(py, false) as PyRuntime;
}
