// The worker side of the sandbox, shared by the browser module worker and the Node worker thread:
// given a loaded Pyodide, installs the Python runtime and answers WorkerApi calls.
// No DOM, no Node modules, no Vite-only imports.
import type { PyodideAPI } from 'pyodide';
import { EMPTY_NOTEPAD, type LoadProgress, type NotepadState } from '../protocols';
import { createPackageInstaller } from './package-install';
import { installRuntimeModule, type PyPackages } from './python/runtime-module';
import { workspaceFS, type EmFS } from './workspace-fs';
import {
  MAX_TOOL_ARGS_CHARS,
  MAX_TOOL_NAME_CHARS,
  TOOL_CALL_ID,
  TOOL_CHANNEL_HEADER_BYTES,
  TOOL_LENGTH,
  TOOL_STATE,
  type PostEvent,
  type RawCellResult,
  type ToolBridge,
  type WorkerApi,
  type WorkerInfo,
  type WorkerInit,
} from './messages';

const refused = (why: string) => JSON.stringify({ ok: false, error: why });

/** Why the host would drop this call (checked here so Python gets an error instead of no answer). */
function tooBig(name: string, argsJson: string): string | undefined {
  if (typeof name !== 'string' || typeof argsJson !== 'string') return 'tool name and arguments must be strings';
  if (name.length > MAX_TOOL_NAME_CHARS) return `tool name longer than ${MAX_TOOL_NAME_CHARS} characters`;
  if (argsJson.length > MAX_TOOL_ARGS_CHARS) return `arguments too large (${argsJson.length.toLocaleString('en-US')} characters of JSON; limit ${MAX_TOOL_ARGS_CHARS.toLocaleString('en-US')})`;
  return undefined;
}

/**
 * Tool calls from Python to the host. Each call gets the next id; a reply is taken only for the call
 * that is waiting for it (a reply for another id, forged or late, is refused), so a call can never
 * receive another call's result.
 */
function toolCaller(init: WorkerInit, post: PostEvent, cellId: () => number) {
  let lastCallId = 0;
  const waiting = new Map<number, (reply: string) => void>();
  const channel = init.toolChannel;
  const ctl = channel ? new Int32Array(channel, 0, TOOL_CHANNEL_HEADER_BYTES / 4) : undefined;
  const data = channel ? new Uint8Array(channel, TOOL_CHANNEL_HEADER_BYTES) : undefined;
  const decoder = new TextDecoder();
  return {
    /** JSPI bridge: resolves when the host answers this call with toolReply(). */
    callAsync(name: string, argsJson: string): Promise<string> {
      const problem = tooBig(name, argsJson);
      if (problem) return Promise.resolve(refused(problem));
      const callId = ++lastCallId;
      return new Promise<string>((resolve) => {
        waiting.set(callId, resolve);
        post('tool-call', { cellId: cellId(), callId, name, argsJson, viaAtomics: false });
      });
    },
    /** Atomics bridge: blocks the worker thread until the host writes this call's reply into the channel. */
    callBlocking: ctl && data
      ? (name: string, argsJson: string): string => {
          const problem = tooBig(name, argsJson);
          if (problem) return refused(problem);
          const callId = ++lastCallId;
          Atomics.store(ctl, TOOL_STATE, 0);
          post('tool-call', { cellId: cellId(), callId, name, argsJson, viaAtomics: true });
          while (Atomics.load(ctl, TOOL_STATE) === 0) Atomics.wait(ctl, TOOL_STATE, 0);
          const answered = Atomics.load(ctl, TOOL_CALL_ID);
          const len = Atomics.load(ctl, TOOL_LENGTH);
          if (answered !== callId) return refused(`the host answered tool call ${answered} instead of ${callId}; the reply was refused`);
          if (len < 0 || len > data.length) return refused('the tool reply had an invalid length');
          // TextDecoder refuses views of a SharedArrayBuffer: copy first.
          return decoder.decode(data.slice(0, len));
        }
      : undefined,
    reply(callId: number, reply: string): void {
      const resolve = waiting.get(callId);
      if (!resolve || typeof reply !== 'string') return;
      waiting.delete(callId);
      resolve(reply);
    },
  };
}

function jspiSupported(): boolean {
  return typeof (WebAssembly as unknown as { Suspending?: unknown }).Suspending === 'function';
}

/** What the hardening needs from the runtime: which new WebAssembly may compile (packages only). */
export interface RuntimeHardening {
  compileAllowed?: (bytes: Uint8Array) => boolean;
}

export async function installRuntime(
  py: PyodideAPI,
  init: WorkerInit,
  post: PostEvent,
  progress: (p: LoadProgress) => void,
): Promise<{ api: Omit<WorkerApi, 'init'>; info: WorkerInfo; hardening: RuntimeHardening }> {
  let cellId = 0;
  const toolBridge: ToolBridge =
    init.preferJspi && jspiSupported() ? 'jspi' : init.toolChannel ? 'atomics' : 'none';
  const tools = toolCaller(init, post, () => cellId);

  py.registerJsModule('_l0_host', {
    tool_bridge: toolBridge,
    can_load_packages: Boolean(init.packages),
    stream: (name: 'stdout' | 'stderr', text: string) => post('stream', { cellId, name, text }),
    call_tool: (name: string, argsJson: string) => {
      if (!tools.callBlocking) throw new Error('no tool bridge');
      return tools.callBlocking(name, argsJson);
    },
    call_tool_async: (name: string, argsJson: string) => tools.callAsync(name, argsJson),
  });
  if (init.interruptBuffer) py.setInterruptBuffer(new Int32Array(init.interruptBuffer));
  // A cell reading stdin gets an error, not a hang (input() itself is replaced in the runtime).
  py.setStdin({ error: true });

  progress({ phase: 'runtime', fraction: 0.9, message: 'Starting the notebook runtime' });
  const rt = installRuntimeModule(py);
  rt.set_tools(JSON.stringify(init.tools));
  rt.set_notepad_json(JSON.stringify(init.notepad));
  rt.reset_namespace();
  // Python works in /workspace: a fresh worker starts there, with the files the host kept.
  const workspace = workspaceFS(py.FS as unknown as EmFS);
  workspace.enter();
  if (init.files?.length) workspace.write(init.files, Infinity);
  const pyPackages = py.pyimport('_l0_packages') as unknown as PyPackages;
  const packages = createPackageInstaller(py, pyPackages, post);

  const info: WorkerInfo = {
    pyodideVersion: py.version,
    pythonVersion: rt.python_version(),
    toolBridge,
  };

  const api: Omit<WorkerApi, 'init'> = {
    async runCell(id: number, code: string, outputLimit: number): Promise<RawCellResult> {
      cellId = id;
      packages.sealLock(); // model code runs from now on: no lock is taken after this
      // Stream events were posted on the same port before this reply, so they reach the host first.
      const raw = JSON.parse(await rt.run_cell(code, outputLimit)) as RawCellResult;
      try {
        raw.files = workspace.list();
      } catch {
        // the listing is a convenience: a broken file system must not lose the cell's result
      }
      return raw;
    },
    async cancelCell(id: number): Promise<void> {
      if (id !== cellId) return;
      // Taken while the cell is parked on an await, or suspended in a blocking call (time.sleep
      // through JSPI). A pending SIGINT would be handled inside cancel_current(), where the runtime
      // ignores it: cleared, so the host's next one (it re-sends every 150 ms) finds the cell.
      if (init.interruptBuffer) Atomics.store(new Int32Array(init.interruptBuffer), 0, 0);
      rt.cancel_current();
    },
    async toolReply(callId: number, reply: string): Promise<void> {
      tools.reply(callId, reply);
    },
    async setPackageLock(lock, unavailable) {
      packages.setLock(lock, unavailable);
    },
    async missingImports(code: string): Promise<string[]> {
      return JSON.parse(pyPackages.missing_imports(String(code))) as string[];
    },
    async installPackages(id, wheels, failures) {
      cellId = id;
      return packages.install(id, Array.isArray(wheels) ? wheels : [], Array.isArray(failures) ? failures : []);
    },
    async getNotepad(): Promise<NotepadState> {
      return JSON.parse(rt.get_notepad_json()) as NotepadState;
    },
    async setNotepad(state: NotepadState): Promise<void> {
      rt.set_notepad_json(JSON.stringify(state));
    },
    async reset(clearNotepad: boolean): Promise<void> {
      rt.reset_namespace();
      workspace.enter(); // a fresh namespace starts in /workspace again; its files stay
      if (clearNotepad) rt.set_notepad_json(JSON.stringify(EMPTY_NOTEPAD));
    },
    writeFiles: async (files, maxBytes) => workspace.write(files, maxBytes),
    listFiles: async () => workspace.list(),
    readFile: async (name, maxBytes) => workspace.read(name, maxBytes),
    clearFiles: async () => workspace.clear(),
  };
  return { api, info, hardening: init.packages ? { compileAllowed: (bytes) => packages.compileAllowed(bytes) } : {} };
}
