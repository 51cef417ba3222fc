/**
 * The contracts between the parts of l0-browser. Types only (plus one tiny error-data helper).
 *
 * Direction of imports: `llm/`, `sandbox/`, `store/`, `tools/` and `agent/` import only this file
 * (and their own files). Only `ui/`, `embed/` and `eval/` wire real implementations together.
 */

// ---------------------------------------------------------------------------------------------
// Errors as data. Anything that crosses a boundary carries a kind and a message, never a bare
// string the caller has to parse.
// ---------------------------------------------------------------------------------------------

export type ErrorKind =
  // model engines
  | 'network' // could not reach the server / download failed
  | 'cors' // the browser blocked a cross-origin response: the server must send CORS headers
  | 'http' // the server answered with an error status
  | 'bad-response' // malformed SSE / JSON from a server
  | 'quota' // storage quota exceeded
  | 'gpu-oom' // out of GPU memory
  | 'device-lost' // WebGPU device lost
  | 'unsupported' // no WebGPU / missing feature / no adapter
  | 'aborted' // cancelled by the user
  // sandbox and tools
  | 'sandbox' // the Python worker failed (crashed, could not load)
  | 'file' // a workspace file was refused or is missing (bad name, too big, not found, unreadable copy)
  | 'tool' // a tool failed
  | 'timeout'
  // agent and storage
  | 'format' // model output could not be parsed
  | 'storage' // IndexedDB unavailable / corrupt record
  | 'internal';

export interface ErrorData {
  kind: ErrorKind;
  message: string;
  /** HTTP status, error name, etc. Must be JSON-serialisable. */
  detail?: Record<string, unknown>;
  /** True when retrying the same call may succeed (429, 5xx, transient network). */
  retryable?: boolean;
}

/** An Error that carries ErrorData, so it can be thrown inside a part and turned into data at its boundary. */
export class L0Error extends Error implements ErrorData {
  readonly kind: ErrorKind;
  readonly detail?: Record<string, unknown>;
  readonly retryable?: boolean;
  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'L0Error';
    this.kind = data.kind;
    this.detail = data.detail;
    this.retryable = data.retryable;
  }
  toJSON(): ErrorData {
    return { kind: this.kind, message: this.message, detail: this.detail, retryable: this.retryable };
  }
}

/** Turns anything thrown into ErrorData (L0Error keeps its kind; AbortError becomes 'aborted'). */
export function toErrorData(e: unknown, fallback: ErrorKind = 'internal'): ErrorData {
  if (e instanceof L0Error) return e.toJSON();
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e && typeof (e as ErrorData).message === 'string') {
    const d = e as ErrorData;
    return { kind: d.kind, message: d.message, detail: d.detail, retryable: d.retryable };
  }
  if (e instanceof Error) {
    if (e.name === 'AbortError') return { kind: 'aborted', message: 'Cancelled.' };
    return { kind: fallback, message: e.message || e.name };
  }
  return { kind: fallback, message: String(e) };
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

export type ChatRole = 'system' | 'user' | 'assistant';
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface GenerateOptions {
  /** Stop strings. The engine stops before emitting one; it may or may not include it in `text`. */
  stop?: string[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  signal?: AbortSignal;
  /** Called with each new piece of text as it is generated. */
  onToken?: (delta: string) => void;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens that actually had to be prefilled (the rest came from a reused KV cache). */
  prefillTokens?: number;
}

export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
}

export interface LLM {
  /** Model id, recorded in trajectories. */
  readonly id: string;
  /** The engine's context window in tokens, when known. */
  readonly contextWindow?: number;
  /**
   * The end-of-code marker this model was trained with, when it is not the agent's default
   * (`createEngine` sets it from the engine choice or the model record). A run's own
   * `eocMarker` option wins over it.
   */
  readonly eocMarker?: string;
  /**
   * Generates one assistant turn. Aborting `signal` ends the stream cleanly: the promise resolves
   * with `finishReason: 'abort'` and the text so far. Failures reject with an L0Error.
   */
  generate(messages: ChatMessage[], options?: GenerateOptions): Promise<GenerateResult>;
  /** Token count from the engine's own tokenizer, when it has one. */
  countTokens?(text: string): number | Promise<number>;
  dispose?(): Promise<void>;
}

/** Progress of loading a model (download, compile) or the Python runtime. */
export interface LoadProgress {
  phase: string; // e.g. 'detect' | 'download' | 'compile' | 'ready' | 'runtime' | 'stdlib'
  /** 0..1 when known. */
  fraction?: number;
  loadedBytes?: number;
  totalBytes?: number;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// The notepad: the agent's durable memory (a Python object `notepad` in the sandbox)
// ---------------------------------------------------------------------------------------------

export interface TodoItem {
  text: string;
  done: boolean;
}

export interface NotepadState {
  todos: TodoItem[];
  facts: string[];
  draft: string;
}

export const EMPTY_NOTEPAD: NotepadState = Object.freeze({ todos: [], facts: [], draft: '' }) as NotepadState;

// ---------------------------------------------------------------------------------------------
// Tools: host-side functions callable from Python as plain synchronous functions
// ---------------------------------------------------------------------------------------------

export interface ToolContext {
  signal: AbortSignal;
  /**
   * Waits for `work` with this call's timeout and its cell's timeout stopped: for a tool that waits
   * for a person (an approval prompt). Set by the sandbox's tool gateway.
   */
  waitForUser?<T>(work: Promise<T>): Promise<T>;
}

export interface Tool {
  /** Python name, e.g. 'web_search'. */
  name: string;
  /** Python signature shown to the model, e.g. 'web_search(query: str, k: int = 5) -> list[dict]'. */
  signature: string;
  /** Parameter names in positional order; Python positional args are mapped onto them. */
  params: string[];
  /** One paragraph for the system prompt. */
  description: string;
  /** One short example line of Python. */
  example: string;
  /** Runs on the host (never inside Python). Returns JSON-serialisable data; throws to raise ToolError. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown>;
  /** Per-call timeout (default set by the gateway). */
  timeoutMs?: number;
  /** Cap on the JSON size of the result (default set by the gateway). */
  maxResultChars?: number;
  /**
   * A tool that reaches the network: the URLs a call with these arguments will reach, directly or
   * through a proxy, known before it runs (src/tools/fetch-approval.ts asks about their hosts).
   * Throws what `run` would throw for bad arguments. Tools without it are never asked about.
   */
  destinations?(args: Record<string, unknown>): string[];
  /** Base URLs of the services this tool was set up with (a search API, a reader proxy): their hosts are reached without asking. */
  serviceUrls?: readonly string[];
}

export interface ToolCallRecord {
  name: string;
  args: Record<string, unknown>;
  ok: boolean;
  /** JSON of the result, capped. */
  result?: string;
  error?: ErrorData;
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------
// Sandbox: a Python REPL with notebook semantics
// ---------------------------------------------------------------------------------------------

export type CellStatus = 'ok' | 'error' | 'timeout' | 'interrupted';

/** Jupyter-style error data. */
export interface CellError {
  ename: string;
  evalue: string;
  /** Formatted traceback lines (cell frames only, no runtime internals). */
  traceback: string[];
}

export interface StreamChunk {
  name: 'stdout' | 'stderr';
  text: string;
}

/**
 * One rich output of a cell, as Jupyter's display_data / execute_result: what `display(obj)`, a
 * matplotlib figure or a rich last value (a DataFrame) showed. The user sees the richest form; the
 * model sees only `text/plain` (and a marker that an image or table was shown).
 */
export interface CellOutput {
  /** 'display_data' (display(), a figure) or 'execute_result' (the cell's last value; `result` holds its text). */
  type: 'display_data' | 'execute_result';
  /**
   * MIME type -> content: text/plain (always), text/html, text/markdown, image/svg+xml as text,
   * image/png and image/jpeg as base64, application/json as JSON text.
   */
  data: Record<string, string>;
  /** Per MIME type: an image's size in pixels. */
  metadata?: Record<string, { width?: number; height?: number }>;
}

/** Rich MIME types from the richest down: a view shows the first one an output has (Jupyter's order). */
export const RICH_MIME_ORDER = ['text/html', 'text/markdown', 'image/svg+xml', 'image/png', 'image/jpeg', 'application/json'] as const;

/** The form of `output` the user is shown (its richest MIME type), or undefined when it is text only. */
export function shownMime(output: Pick<CellOutput, 'data'>): (typeof RICH_MIME_ORDER)[number] | undefined {
  return RICH_MIME_ORDER.find((m) => typeof output.data?.[m] === 'string');
}

export interface CellResult {
  status: CellStatus;
  stdout: string;
  stderr: string;
  /** repr of the last expression, as Jupyter shows it (absent for None or a trailing `;`). */
  result?: string;
  error?: CellError;
  durationMs: number;
  /** True when output was cut to the cap. */
  truncated: boolean;
  /** True when the worker was terminated and a fresh interpreter started (variables lost). */
  restarted: boolean;
  /** The notepad after the cell ran. */
  notepad?: NotepadState;
  /** Set when the cell called submit_final_answer(answer). */
  finalAnswer?: string;
  /** Tool calls made by the cell, in order. */
  toolCalls?: ToolCallRecord[];
  /** The files in the sandbox's working directory after the cell (absent when the worker was replaced). */
  files?: WorkspaceFile[];
  /** Rich outputs (display(), figures, a rich last value), in order. */
  outputs?: CellOutput[];
}

/**
 * A file in the sandbox's working directory, `/workspace` (Python's cwd). `name` is its path
 * relative to that folder, '/'-separated: files the user attaches sit at the top ("data.csv");
 * code may write subfolders ("out/plot.png").
 */
export interface WorkspaceFile {
  name: string;
  /** Bytes. */
  size: number;
  /** Last change, epoch ms. */
  mtime: number;
}

/** A file to write into the working directory. */
export interface WorkspaceUpload {
  /** Path relative to `/workspace` (see `workspacePathProblem` in sandbox/workspace-names.ts). */
  name: string;
  data: Uint8Array;
  /** Keep this change time (a file restored from a saved session); default: now. */
  mtime?: number;
}

/** A package a cell imports, on its way from the package source (shown in the cell meanwhile). */
export interface PackageProgress {
  /** The package's name in the lock file. */
  name: string;
  /** download (bytes so far), install (in the interpreter), ready, or failed (`message` says why). */
  phase: 'download' | 'install' | 'ready' | 'failed';
  loadedBytes?: number;
  totalBytes?: number;
  /** One line, e.g. "loading numpy 2.4.6 1.2 MB of 3.1 MB…". */
  message: string;
}

export interface RunCellOptions {
  timeoutMs?: number;
  onStream?: (chunk: StreamChunk) => void;
  /** Packages the cell imports are loaded before it runs (not counted in its timeout). */
  onPackage?: (progress: PackageProgress) => void;
  /**
   * Which agent run (one question of a session) the cell belongs to. The per-run tool-call cap
   * starts again when it changes, so a follow-up question in the same sandbox gets its own budget.
   * Without it the count runs from the sandbox's creation, `reset()` or `restart()`.
   */
  run?: string;
}

/** What can be imported beyond the standard library (the system prompt says it). */
export interface PackageSourceInfo {
  /** Where packages come from (a folder with a pyodide-lock.json and the wheels it names). */
  baseUrl: string;
  /** Why no package can be loaded now (the lock file could not be read, no secure context...). */
  unavailable?: string;
  /** The packages of the lock file; `cached`: a copy is in this browser (loads offline). */
  packages: { name: string; version: string; imports: string[]; cached: boolean }[];
}

export interface SandboxOptions {
  /** Cap on stdout+stderr+result characters kept per cell (default 10,000). */
  outputLimit?: number;
  /** Default per-cell timeout (default 30,000 ms). */
  timeoutMs?: number;
  /** Tools exposed to Python as synchronous functions. */
  tools?: Tool[];
  /** Where Pyodide's runtime files are served (browser). Default: `pyodide/` next to the page. */
  indexURL?: string;
  /**
   * The package source: a folder (URL ending in `/`) with a Pyodide `pyodide-lock.json` and the
   * wheels it names, e.g. the official distribution of the bundled Pyodide version. Packages a cell
   * imports are then fetched (by the host, only files the lock names, verified by its sha256),
   * cached, and installed before the cell runs. Default: none (the standard library only).
   */
  packageBaseUrl?: string;
  /** Restores a saved notepad into the fresh interpreter. */
  notepad?: NotepadState;
  onProgress?: (p: LoadProgress) => void;
  /** Largest file written into or read out of the working directory (default 50 MB). */
  maxFileBytes?: number;
}

export interface SandboxInfo {
  /** How a runaway cell is stopped: Pyodide's interrupt buffer (namespace kept) or a worker restart. */
  interrupt: 'interrupt-buffer' | 'restart';
  /** How tools are called synchronously from Python. */
  toolBridge: 'jspi' | 'atomics' | 'none';
  pyodideVersion: string;
  pythonVersion: string;
}

/**
 * How long a stopped cell gets to honour KeyboardInterrupt before the sandbox terminates its worker
 * (variables lost, `restarted: true`); also how long the agent waits for an interrupted cell before
 * it stops waiting (so Stop answers within a second even when a sandbox hangs).
 */
export const INTERRUPT_GRACE_MS = 800;

export interface Sandbox {
  readonly info: SandboxInfo;
  runCell(code: string, options?: RunCellOptions): Promise<CellResult>;
  /** Interrupts the running cell (KeyboardInterrupt, or restart when that is impossible). */
  interrupt(): Promise<void>;
  /** A fresh namespace (notepad kept unless `clearNotepad`). Also starts a new run for the tool-call caps. */
  reset(options?: { clearNotepad?: boolean }): Promise<void>;
  /**
   * A fresh interpreter ("Restart Python"): stops a running cell, replaces the worker and resolves
   * when the new one is ready (rejects with a clear error if it cannot start). Variables are lost,
   * the notepad is kept, the tool-call caps start a new run. Use it when cells keep failing because
   * Python could not be restarted on its own.
   */
  restart(): Promise<void>;
  getNotepad(): Promise<NotepadState>;
  setNotepad(state: NotepadState): Promise<void>;
  /**
   * Writes files into the working directory `/workspace` (replacing files of the same name) and
   * resolves with its listing after. Rejects with an L0Error of kind 'file' (nothing written) when
   * a name is not a plain relative path (no `..`, absolute paths, backslashes, NUL, overlong
   * names) or a file is over the size limit. Files survive `reset()` and `restart()`.
   */
  writeFiles(files: WorkspaceUpload[]): Promise<WorkspaceFile[]>;
  /** The files in the working directory (subfolders included, by relative path; capped at 1,000). */
  listFiles(): Promise<WorkspaceFile[]>;
  /** A file's bytes; rejects with an L0Error of kind 'file' when it is missing, not a file or over the size limit. */
  readFile(name: string): Promise<Uint8Array>;
  /** Empties the working directory (a new session in the same interpreter). */
  clearFiles(): Promise<void>;
  dispose(): Promise<void>;
  /** The package source and what it offers (undefined without one). */
  packages?(): Promise<PackageSourceInfo | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Trajectories and agent events
// ---------------------------------------------------------------------------------------------

export type RunStatus = 'running' | 'answered' | 'max-steps' | 'aborted' | 'error' | 'interrupted';

export interface StepTimings {
  startedAt: number; // epoch ms
  generateMs: number;
  cellMs: number;
}

export interface TrajectoryStep {
  index: number; // 1-based
  /** Raw model text exactly as generated (the assistant message content). */
  raw: string;
  think: string;
  code: string;
  formatErrors: string[];
  finishReason: FinishReason;
  /** The cell result (absent when no code ran). */
  cell?: CellResult;
  /** The user message that followed this step (`<output>..</output>` + notepad), exactly as the model saw it. */
  observation: string;
  notepad: NotepadState;
  /** True when history was collapsed (memory limit) before this step's prompt. */
  collapsedBefore: boolean;
  timings: StepTimings;
  usage: Usage;
}

export interface RunSettings {
  maxSteps: number;
  memoryTokens: number;
  maxTokensPerStep: number;
  temperature?: number;
  topP?: number;
  tools: string[];
  [k: string]: unknown;
}

/** A file the user attached to a question: written into `/workspace` before the question's first step. */
export interface TurnAttachment {
  /** Its name in the working directory (after sanitising). */
  name: string;
  size: number;
  /** MIME type, when known. */
  type?: string;
  /** The first line of a text file (capped), shown to the model with the name. */
  firstLine?: string;
  [k: string]: unknown;
}

/**
 * One question of a session and its outcome. Steps are numbered across the whole session; a turn's
 * steps are those from its `firstStep` up to the next turn's (`turnsOf` pairs them). A turn that
 * produced no step has the same `firstStep` as the turn after it.
 */
export interface TrajectoryTurn {
  /** The user's question (turn 1: the session's task). */
  question: string;
  /** Index of this turn's first step (1-based, session-wide). */
  firstStep: number;
  status: RunStatus;
  finalAnswer?: string;
  error?: ErrorData;
  startedAt: number;
  endedAt?: number;
  /**
   * What the model was told about the notebook when this follow-up began in a fresh sandbox
   * (variables gone or re-created); part of the question's message. Absent when the namespace was kept.
   */
  note?: string;
  /** Files attached to this question. */
  attachments?: TurnAttachment[];
}

/**
 * A session: the first question (`task`), its follow-ups (`turns`) and every step. The top-level
 * `status`, `finalAnswer`, `error` and `endedAt` are those of the latest question (the session's
 * state now); `turnsOf(trajectory)` gives every question with its own.
 */
export interface Trajectory {
  version: 1;
  sessionId: string;
  /** The first question (session titles come from it). */
  task: string;
  systemPrompt: string;
  modelId: string;
  settings: RunSettings;
  /** Every step of every question, numbered 1.. across the session. */
  steps: TrajectoryStep[];
  /** The latest question's answer. */
  finalAnswer?: string;
  /** The latest question's status. */
  status: RunStatus;
  error?: ErrorData;
  formatErrorCount: number;
  startedAt: number;
  endedAt?: number;
  /**
   * The questions in order (the first is `task`). Absent in trajectories saved before follow-ups
   * existed: those are one question; read turns through `turnsOf`, which handles both.
   */
  turns?: TrajectoryTurn[];
}

export const RUN_STATUSES: readonly RunStatus[] = Object.freeze(['running', 'answered', 'max-steps', 'aborted', 'error', 'interrupted']);

/** A question with its steps (what `turnsOf` returns). */
export interface TurnView extends TrajectoryTurn {
  /** 1-based position of the question in the session. */
  index: number;
  steps: TrajectoryStep[];
}

/** What `turnsOf` reads: older and partial trajectories lack the optional parts. */
export type TurnSource = Pick<Trajectory, 'task' | 'steps'> & Partial<Pick<Trajectory, 'turns' | 'status' | 'finalAnswer' | 'error' | 'startedAt' | 'endedAt'>>;

function readableTurns(turns: unknown): TrajectoryTurn[] | undefined {
  if (!Array.isArray(turns) || turns.length === 0) return undefined;
  let previous = 1;
  for (const t of turns as Partial<TrajectoryTurn>[]) {
    const ok =
      typeof t === 'object' && t !== null && typeof t.question === 'string' && Number.isInteger(t.firstStep) && (t.firstStep as number) >= previous && RUN_STATUSES.includes(t.status as RunStatus);
    if (!ok) return undefined;
    previous = t.firstStep as number;
  }
  return (turns as TrajectoryTurn[])[0].firstStep === 1 ? (turns as TrajectoryTurn[]) : undefined;
}

/**
 * The session's questions, each with its steps, in order. A trajectory without `turns` (saved
 * before follow-ups existed), or whose `turns` is unreadable, is one question: its task. The
 * top-level status, answer, error and end time belong to the last question (a store may show a
 * saved 'running' session as 'interrupted'), so they are copied onto it.
 */
export function turnsOf(t: TurnSource): TurnView[] {
  const steps = [...t.steps].sort((a, b) => a.index - b.index);
  const turns = readableTurns(t.turns) ?? [{ question: t.task, firstStep: 1, status: t.status ?? 'interrupted', startedAt: t.startedAt ?? 0 }];
  return turns.map((turn, i) => {
    const end = turns[i + 1]?.firstStep ?? Infinity;
    const view: TurnView = { ...turn, index: i + 1, steps: steps.filter((s) => s.index >= turn.firstStep && s.index < end) };
    if (i < turns.length - 1 || t.status === undefined) return view;
    const latest: TurnView = { ...view, status: t.status };
    for (const key of ['finalAnswer', 'error', 'endedAt'] as const) {
      if (t[key] !== undefined) (latest as unknown as Record<string, unknown>)[key] = t[key];
      else delete latest[key];
    }
    return latest;
  });
}

export type AgentEvent =
  /**
   * A run began. `turn` is the 1-based question it works on and `question` its text; `followUp` is
   * true when this run asked a new question in an existing session (render it above its steps).
   * `attachments`: the files the question was asked with (show them on it).
   */
  | { type: 'start'; sessionId: string; task: string; turn: number; question: string; followUp: boolean; attachments?: TurnAttachment[] }
  | { type: 'step-start'; step: number; collapsed: boolean }
  | { type: 'think'; step: number; delta: string }
  | { type: 'code-delta'; step: number; delta: string }
  | { type: 'code'; step: number; code: string; formatErrors: string[] }
  | { type: 'cell-output'; step: number; chunk?: StreamChunk; result?: CellResult; package?: PackageProgress }
  | { type: 'tool-call'; step: number; call: ToolCallRecord }
  | { type: 'notepad'; step: number; notepad: NotepadState }
  | { type: 'step-end'; step: number; record: TrajectoryStep }
  | { type: 'final-answer'; step: number; answer: string }
  | { type: 'error'; step?: number; error: ErrorData }
  /** A saved run was continued: before `step`, `restoredCells` saved cells were re-run (0 unless asked); `note` is what the model was told. */
  | { type: 'resumed'; step: number; restoredCells: number; failedSteps: number[]; variablesRestored: boolean; note: string }
  | { type: 'done'; trajectory: Trajectory };

// ---------------------------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------------------------

/** What the agent loop needs from storage: it saves after every step. */
export interface NotepadStore {
  loadNotepad(sessionId: string): Promise<NotepadState | undefined>;
  saveNotepad(sessionId: string, state: NotepadState): Promise<void>;
  appendStep(sessionId: string, step: TrajectoryStep): Promise<void>;
  /** Saves the run's header (everything in Trajectory but `steps`). */
  saveRun(sessionId: string, run: Omit<Trajectory, 'steps'>): Promise<void>;
}

export interface SessionMeta {
  id: string;
  title: string;
  task: string;
  status: RunStatus;
  modelId: string;
  stepCount: number;
  /** Questions asked in the session (the first and its follow-ups); absent in sessions saved before follow-ups (one). */
  questionCount?: number;
  createdAt: number;
  updatedAt: number;
  finalAnswer?: string;
}

export interface SessionStore extends NotepadStore {
  listSessions(): Promise<SessionMeta[]>;
  loadSession(id: string): Promise<Trajectory | undefined>;
  renameSession(id: string, title: string): Promise<void>;
  deleteSession(id: string): Promise<void>;
  exportSession(id: string): Promise<string>;
  importSession(json: string): Promise<string>;
  getSetting<T = unknown>(key: string): Promise<T | undefined>;
  setSetting(key: string, value: unknown): Promise<void>;
}

/** A workspace file saved with a session (its bytes are a Blob under their own key, never in the trajectory). */
export interface SavedFileInfo extends WorkspaceFile {
  /** MIME type, when known (attached files). */
  type?: string;
  /** Who put it in the workspace: the user (attached) or the agent's code. */
  origin: 'attached' | 'agent';
  savedAt: number;
  /** Set in a listing when the record's bytes are damaged (its Blob is missing): why. Loading it fails. */
  damaged?: string;
}

/** Where a session's workspace files are kept (the store's own keys, one record per file). */
export interface SessionFileStore {
  /** The session's saved files, by name; unreadable records are reported by the store and left out. */
  listSessionFiles(sessionId: string): Promise<SavedFileInfo[]>;
  /** A saved file's bytes; rejects with an L0Error ('file': not saved, or its saved copy cannot be read). */
  loadSessionFile(sessionId: string, name: string): Promise<Blob>;
  /** Saves (or replaces) one file of the session. */
  saveSessionFile(sessionId: string, info: SavedFileInfo, data: Blob): Promise<void>;
  /** Deletes these files of the session (all of them when `names` is omitted). */
  deleteSessionFiles(sessionId: string, names?: readonly string[]): Promise<void>;
}

/** True when a store keeps workspace files too (the app's stores do; a bare NotepadStore does not). */
export function isSessionFileStore(s: unknown): s is SessionFileStore {
  return typeof (s as Partial<SessionFileStore> | undefined)?.listSessionFiles === 'function';
}

/** A random session id. `crypto.randomUUID` exists only in secure contexts (https, localhost), so fall back to getRandomValues. */
export function newSessionId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** '1.2 KB'-style sizes for messages (the same text for the page, the widget and the model). */
export function formatFileSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
