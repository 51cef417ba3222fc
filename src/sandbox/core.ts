// The worker side of the sandbox, shared by the browser module worker and the Node worker thread:
// given a loaded Pyodide, installs the Python runtime and answers WorkerApi calls.
// No DOM, no Node modules, no Vite-only imports.
import type { PyodideAPI } from 'pyodide';
import { EMPTY_NOTEPAD, type LoadProgress, type NotepadState } from '../protocols';
import { RUNTIME_PY } from './python/runtime.py';
import {
  TOOL_CHANNEL_HEADER_BYTES,
  type HostPort,
  type RawCellResult,
  type ToolBridge,
  type WorkerApi,
  type WorkerInfo,
  type WorkerInit,
} from './messages';

interface PyRuntime {
  run_cell(code: string, limit: number): Promise<string>;
  get_notepad_json(): string;
  set_notepad_json(text: string): void;
  set_tools(specsJson: string): void;
  reset_namespace(): void;
  python_version(): string;
  cancel_current(): void;
}

/** Blocks the worker thread until the host writes the tool's reply into the shared channel. */
function atomicsToolCaller(channel: SharedArrayBuffer, host: HostPort, cellId: () => number) {
  const ctl = new Int32Array(channel, 0, 2);
  const data = new Uint8Array(channel, TOOL_CHANNEL_HEADER_BYTES);
  const decoder = new TextDecoder();
  return (name: string, argsJson: string): string => {
    Atomics.store(ctl, 0, 0);
    void host.toolCall(cellId(), name, argsJson, true);
    while (Atomics.load(ctl, 0) === 0) Atomics.wait(ctl, 0, 0);
    const len = Atomics.load(ctl, 1);
    // TextDecoder refuses views of a SharedArrayBuffer: copy first.
    return decoder.decode(data.slice(0, len));
  };
}

export function jspiSupported(): boolean {
  return typeof (WebAssembly as unknown as { Suspending?: unknown }).Suspending === 'function';
}

/**
 * Runs the runtime source into the module `_l0_runtime`, unless a warm-start snapshot already holds
 * that module made from this very source (snapshot.ts): then only its `_l0_host` global, bound to
 * a pure-Python stand-in when the snapshot was made, is pointed at the real host module.
 */
const INSTALL_RUNTIME_PY = `
import sys, types
_m = sys.modules.get("_l0_runtime")
if _m is not None and getattr(_m, "__l0_source__", None) == _src:
    import _l0_host
    _m._l0_host = _l0_host
else:
    _m = types.ModuleType("_l0_runtime")
    _m.__file__ = "<l0-runtime>"
    sys.modules["_l0_runtime"] = _m
    exec(compile(_src, "<l0-runtime>", "exec"), _m.__dict__)
_m
`;

export async function installRuntime(
  py: PyodideAPI,
  init: WorkerInit,
  host: HostPort,
  progress: (p: LoadProgress) => void,
): Promise<{ api: Omit<WorkerApi, 'init'>; info: WorkerInfo }> {
  let cellId = 0;
  let streamed = false;
  const toolBridge: ToolBridge =
    init.preferJspi && jspiSupported() ? 'jspi' : init.toolChannel ? 'atomics' : 'none';
  const callTool = init.toolChannel ? atomicsToolCaller(init.toolChannel, host, () => cellId) : undefined;

  py.registerJsModule('_l0_host', {
    tool_bridge: toolBridge,
    can_load_packages: Boolean(init.packageBaseUrl),
    stream: (name: 'stdout' | 'stderr', text: string) => {
      streamed = true;
      host.stream(cellId, name, text);
    },
    call_tool: (name: string, argsJson: string) => {
      if (!callTool) throw new Error('no tool bridge');
      return callTool(name, argsJson);
    },
    call_tool_async: (name: string, argsJson: string) => host.toolCall(cellId, name, argsJson, false),
  });
  if (init.interruptBuffer) py.setInterruptBuffer(new Int32Array(init.interruptBuffer));
  // A cell reading stdin gets an error, not a hang (input() itself is replaced in the runtime).
  py.setStdin({ error: true });

  progress({ phase: 'runtime', fraction: 0.9, message: 'Starting the notebook runtime' });
  const globals = py.toPy({ _src: RUNTIME_PY });
  const rt = py.runPython(INSTALL_RUNTIME_PY, { globals }) as PyRuntime;
  globals.destroy();
  rt.set_tools(JSON.stringify(init.tools));
  rt.set_notepad_json(JSON.stringify(init.notepad));
  rt.reset_namespace();

  const info: WorkerInfo = {
    pyodideVersion: py.version,
    pythonVersion: rt.python_version(),
    toolBridge,
  };

  const api: Omit<WorkerApi, 'init'> = {
    async runCell(id: number, code: string, outputLimit: number): Promise<RawCellResult> {
      cellId = id;
      streamed = false;
      if (init.packageBaseUrl) {
        // Deployments that host wheels: fetch what the cell imports (errors surface at import).
        await py.loadPackagesFromImports(code).catch(() => undefined);
      }
      const json = await rt.run_cell(code, outputLimit);
      // Stream chunks travel on the host port, the reply on another channel: let the chunks land
      // first so onStream never sees output after runCell resolved.
      if (streamed) await host.sync();
      return JSON.parse(json) as RawCellResult;
    },
    async cancelCell(id: number): Promise<void> {
      if (id !== cellId) return;
      // This message is only handled while Python is idle (parked on an await), so the host's SIGINT
      // is not needed and would otherwise fire inside cancel_current() itself.
      if (init.interruptBuffer) Atomics.store(new Int32Array(init.interruptBuffer), 0, 0);
      rt.cancel_current();
    },
    async getNotepad(): Promise<NotepadState> {
      return JSON.parse(rt.get_notepad_json()) as NotepadState;
    },
    async setNotepad(state: NotepadState): Promise<void> {
      rt.set_notepad_json(JSON.stringify(state));
    },
    async reset(clearNotepad: boolean): Promise<void> {
      rt.reset_namespace();
      if (clearNotepad) rt.set_notepad_json(JSON.stringify(EMPTY_NOTEPAD));
    },
  };
  return { api, info };
}
