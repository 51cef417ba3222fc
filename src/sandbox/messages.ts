// Messages between the sandbox host (page / Node parent) and its worker. Types only.
import type { LoadProgress, NotepadState } from '../protocols';

/** What the worker needs to know about a tool: the work itself stays on the host. */
export interface ToolSpec {
  name: string;
  params: string[];
  doc: string;
}

export type ToolBridge = 'jspi' | 'atomics' | 'none';

export interface WorkerInit {
  /** Browser: where pyodide.mjs & co are served. Node ignores it (uses node_modules/pyodide). */
  indexURL?: string;
  packageBaseUrl?: string;
  tools: ToolSpec[];
  notepad: NotepadState;
  /** Pyodide's interrupt buffer (Int32Array view; the host writes 2 = SIGINT). */
  interruptBuffer?: SharedArrayBuffer;
  /** Tool replies for the Atomics bridge: [state, byteLength] Int32 header, then UTF-8 bytes. */
  toolChannel?: SharedArrayBuffer;
  /** Prefer JSPI (browser) when the engine supports it. */
  preferJspi: boolean;
}

/** Host callbacks the worker calls (through comlink proxies). */
export interface HostPort {
  stream(cellId: number, name: 'stdout' | 'stderr', text: string): void;
  progress(p: LoadProgress): void;
  /** Resolves once the host has handled every earlier message on this port (stream ordering). */
  sync(): Promise<void>;
  /**
   * Runs a tool on the host. Resolves with the reply JSON ({ok, result} | {ok:false, error} |
   * {interrupted:true}); with `viaAtomics` the host also writes it into the tool channel.
   */
  toolCall(cellId: number, name: string, argsJson: string, viaAtomics: boolean): Promise<string>;
}

export interface WorkerInfo {
  pyodideVersion: string;
  pythonVersion: string;
  toolBridge: ToolBridge;
}

/** The cell result as the Python runtime reports it (the host adds status, timing, tool calls). */
export interface RawCellResult {
  n: number;
  stdout: string;
  stderr: string;
  result?: string;
  error?: { ename: string; evalue: string; traceback: string[] };
  truncated: boolean;
  notepad: NotepadState;
  finalAnswer?: string;
}

export interface WorkerApi {
  init(init: WorkerInit, host: HostPort): Promise<WorkerInfo>;
  runCell(cellId: number, code: string, outputLimit: number): Promise<RawCellResult>;
  /** Cancels the cell's task when it is parked on an await (no-op when it already finished). */
  cancelCell(cellId: number): Promise<void>;
  getNotepad(): Promise<NotepadState>;
  setNotepad(state: NotepadState): Promise<void>;
  reset(clearNotepad: boolean): Promise<void>;
}

/** Tool channel layout shared by both sides. */
export const TOOL_CHANNEL_HEADER_BYTES = 8;
export const TOOL_CHANNEL_BYTES = 1 << 20;
