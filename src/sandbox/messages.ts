// Messages between the sandbox host (page / Node parent) and its worker. Types and shared constants;
// the page's checks of what the worker sends are in channel-schema.ts.
//
// Page -> worker: comlink calls of WorkerApi. Worker -> page: the replies to those calls, and the
// events below, posted on the worker's own port (`{ event: 'stream', ... }`). Both travel on one
// port, in order: a cell's stream events always arrive before its runCell reply.
import type { LoadProgress, NotepadState, WorkspaceFile, WorkspaceUpload } from '../protocols';
import type { PackageLock } from './package-lock';

/** What the worker needs to know about a tool: the work itself stays on the host. */
interface ToolSpec {
  name: string;
  params: string[];
  doc: string;
}

export type ToolBridge = 'jspi' | 'atomics' | 'none';

export interface WorkerInit {
  /** Browser: where pyodide.mjs & co are served. Node ignores it (uses node_modules/pyodide). */
  indexURL?: string;
  /**
   * True when packages load from a package source (the host fetches the wheels; the worker
   * verifies and installs them): Python's messages say so, and the lockdown lets verified .so
   * files compile. The lock follows with setPackageLock() before the first cell.
   */
  packages?: boolean;
  tools: ToolSpec[];
  notepad: NotepadState;
  /** Pyodide's interrupt buffer (Int32Array view; the host writes 2 = SIGINT). */
  interruptBuffer?: SharedArrayBuffer;
  /** Tool replies for the Atomics bridge: see TOOL_CHANNEL_* below. */
  toolChannel?: SharedArrayBuffer;
  /** Prefer JSPI (browser) when the engine supports it. */
  preferJspi: boolean;
  /** Files to put back into /workspace (a restarted worker gets the host's copies). */
  files?: WorkspaceUpload[];
}

/** The events a worker posts to the page (the only messages besides replies to WorkerApi calls). */
export interface WorkerEvents {
  stream: { cellId: number; name: 'stdout' | 'stderr'; text: string };
  progress: LoadProgress;
  /**
   * A tool call from Python. `callId` counts up from 1 in each worker, one per call; the page answers
   * with WorkerApi.toolReply(callId, reply), or, `viaAtomics`, by writing the reply with its id into
   * the tool channel (the worker is blocked in Atomics.wait and reads no messages).
   */
  'tool-call': { cellId: number; callId: number; name: string; argsJson: string; viaAtomics: boolean };
  /** A package the cell imports is being installed, or could not be. */
  package: { cellId: number; name: string; phase: 'install' | 'failed'; message: string };
}

/** A wheel the host fetched for the worker to verify and install. */
export interface WheelBytes {
  name: string;
  bytes: Uint8Array;
}

/** A package the host could not fetch: the worker tells Python why (its ModuleNotFoundError says it). */
export interface PackageFailure {
  name: string;
  reason: string;
}

export interface PackageInstallResult {
  name: string;
  ok: boolean;
  error?: string;
}

/** One rich output as the Python runtime reports it (display.py); the host turns it into a CellOutput. */
export interface RawOutput {
  type: 'display_data' | 'execute_result';
  items: { mime: RichMime; data: string; width?: number; height?: number }[];
}

/** The MIME types the display protocol produces (display.py's MIMES). */
export const RICH_MIMES = ['text/html', 'text/markdown', 'image/svg+xml', 'image/png', 'image/jpeg', 'application/json', 'text/plain'] as const;
type RichMime = (typeof RICH_MIMES)[number];

/** Largest tool call the host accepts: the worker refuses bigger ones itself, with a clear error. */
export const MAX_TOOL_NAME_CHARS = 200;
export const MAX_TOOL_ARGS_CHARS = 1_000_000;

type WorkerEventName = keyof WorkerEvents;

/** How the worker side sends an event (self.postMessage / parentPort.postMessage underneath). */
export type PostEvent = <E extends WorkerEventName>(event: E, fields: WorkerEvents[E]) => void;

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
  /** The /workspace listing after the cell (added by core.ts, not Python). */
  files?: WorkspaceFile[];
  /** display() outputs, figures and a rich last value, in order (display.py). */
  outputs?: RawOutput[];
}

export interface WorkerApi {
  init(init: WorkerInit): Promise<WorkerInfo>;
  runCell(cellId: number, code: string, outputLimit: number): Promise<RawCellResult>;
  /** Cancels the cell's task when it is parked on an await (no-op when it already finished). */
  cancelCell(cellId: number): Promise<void>;
  /** The reply to the JSPI tool call `callId`; ignored unless that call is still waiting. */
  toolReply(callId: number, reply: string): Promise<void>;
  /** The package source's lock, or why it could not be read; taken once, before the first cell. */
  setPackageLock(lock: PackageLock | undefined, unavailable?: string): Promise<void>;
  /** The top-level modules `code` imports that are not importable now. */
  missingImports(code: string): Promise<string[]>;
  /** Verifies (lock sha256) and installs wheels, in order; `failures` are packages the host could not fetch. */
  installPackages(cellId: number, wheels: WheelBytes[], failures: PackageFailure[]): Promise<PackageInstallResult[]>;
  getNotepad(): Promise<NotepadState>;
  setNotepad(state: NotepadState): Promise<void>;
  reset(clearNotepad: boolean): Promise<void>;
  /** Writes files into /workspace (each at most `maxBytes`) and returns the listing after. */
  writeFiles(files: WorkspaceUpload[], maxBytes: number): Promise<WorkspaceFile[]>;
  listFiles(): Promise<WorkspaceFile[]>;
  /** A file of /workspace (refused over `maxBytes`). */
  readFile(name: string, maxBytes: number): Promise<Uint8Array>;
  clearFiles(): Promise<void>;
}

/**
 * Tool channel layout shared by both sides: an Int32 header [state, byteLength, callId, unused]
 * (state 1 = a reply is there), then the reply's UTF-8 bytes.
 */
export const TOOL_CHANNEL_HEADER_BYTES = 16;
export const TOOL_CHANNEL_BYTES = 1 << 20;
export const TOOL_STATE = 0;
export const TOOL_LENGTH = 1;
export const TOOL_CALL_ID = 2;
