// The worker side of the sandbox, shared by the browser module worker and the Node worker thread:
// given a loaded Pyodide, installs the Python runtime and answers WorkerApi calls.
// No DOM, no Node modules, no Vite-only imports.
import type { PyodideAPI } from 'pyodide';
import type { LoadProgress, NotepadState } from '../protocols';
import { installRuntimeModule } from './python/runtime-module';
import {
  TOOL_CHANNEL_HEADER_BYTES,
  type HostPort,
  type RawCellResult,
  type ToolBridge,
  type WorkerApi,
  type WorkerInfo,
  type WorkerInit,
} from './messages';

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
  const rt = installRuntimeModule(py);
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
      if (clearNotepad) rt.set_notepad_json(JSON.stringify({ todos: [], facts: [], draft: '' }));
    },
  };
  return { api, info };
}
