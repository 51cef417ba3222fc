// The app controller's contract with the rest: what it needs (AppServices), how it is set up
// (AppControllerOptions) and what views read (AppState, NotebookChange). No DOM here.
import type { AgentEvent, ErrorData, LLM, NotepadState, SessionMeta, SessionStore, Tool, Trajectory, WorkspaceFile } from '../protocols';
import type { AgentRun, RunAgentOptions } from '../agent/index';
import type { EngineChoice } from '../llm/engine-spec';
import type { CreateEngine } from './engines';
import type { CreateSandbox, PythonStatus } from './python';
import type { Demo } from './labels';
import type { AppSettings } from './settings';
import type { FetchApprovalRequest, FetchDecision } from '../tools/fetch-approval';

export interface AppServices {
  /** The session store (the widget creates it on its first run). */
  store(): SessionStore | Promise<SessionStore>;
  /** Every tool on offer; the settings choose among them (and may configure them, e.g. a page reader). */
  tools(settings: AppSettings): Tool[] | Promise<Tool[]>;
  createSandbox: CreateSandbox;
  /** Loads a model engine (WebLLM's code is imported only inside this call). */
  createEngine: CreateEngine;
  runAgent(options: RunAgentOptions): AgentRun | Promise<AgentRun>;
  /** True when the choice is a WebLLM model already in the browser's cache (loaded at start, no download). */
  isCached?(choice: EngineChoice): Promise<boolean>;
  /** Claims a session for this tab; a release function, or undefined when another tab holds it. */
  acquireSession?(id: string): Promise<(() => void) | undefined>;
  /** Asks the browser to keep this site's data (called once the user invests: a model, a long session). */
  requestPersistence?(): Promise<unknown>;
  /** Hears the store's warning when it falls back to memory (IndexedDB blocked or full). */
  onStoreWarning?(listener: (warning: ErrorData) => void): void;
  /**
   * The models an OpenAI-compatible server serves (GET /models): the connection test before an
   * endpoint is taken. Rejects with the reason (cors, network, http 401...). Without it, endpoints
   * are taken untested.
   */
  listEndpointModels?(endpoint: { baseUrl: string; apiKey?: string }): Promise<string[]>;
  /**
   * This tab's note of the session it is running (the page: sessionStorage, which a reload keeps
   * and a new tab does not): after a reload mid-run, that session opens again, as interrupted.
   */
  tabRun?: { get(): string | undefined; set(id: string | undefined): void };
}

export interface AppControllerOptions {
  services: AppServices;
  /** The engine when nothing was saved: a choice, or a ready LLM object (the widget's `engine`). */
  engine?: EngineChoice | LLM;
  /** An engine that wins over the saved one (the page URL's `?engine=`). */
  engineOverride?: EngineChoice;
  /** Where a failed engine load falls back to when no engine has worked yet (the page: the demo). */
  fallbackEngine?: EngineChoice;
  /** Said when a run starts without any engine. */
  noEngineMessage?: string;
  settings?: Partial<AppSettings>;
  /** Keep settings and the engine choice in the store (the page does; a widget does not). */
  persistSettings?: boolean;
  /** Start Python at once (the page) rather than on the first run (the widget). */
  startPython?: boolean;
  /** Keep the session list in the state (the page's sidebar). */
  listSessions?: boolean;
  /** Keep only the newest N sessions in the store (the widget; default: all). */
  keepSessions?: number;
  /** Appended to the system prompt. */
  promptExtra?: string;
  /** The bundled recorded runs: the demo model (DEMO_ENGINE) answers their tasks, and only those. */
  demos?: readonly Demo[];
}

export type RunPhase = 'idle' | 'running' | 'stopping';

export interface EngineStatus {
  /** Load progress of the current choice while it loads. */
  progress?: import('../protocols').LoadProgress;
  /** Why the last choice could not be loaded or tested ("kind: message. Back to …"). */
  error?: string;
  /** An endpoint's connection is being tested (GET /models) before it is taken. */
  checking?: boolean;
  /** The models an endpoint serves, offered when none or another one was asked for (not taken yet). */
  endpointModels?: { baseUrl: string; models: string[]; requested?: string };
}

export interface ChooseOptions {
  /** Keep the endpoint's API key in the store (on this device) across reloads. Default false. */
  rememberKey?: boolean;
  /** Take the endpoint without testing it (the user picked a model from its list, or insisted). */
  untested?: boolean;
}

export interface AppState {
  phase: RunPhase;
  /** The session shown (running or opened); undefined for a new, empty one. */
  sessionId?: string;
  /** The task of the session shown, or the one to run. */
  task: string;
  /** One line saying what is happening. Errors are in `error`, not here. */
  status: string;
  /** When the current run started (ms since the epoch). */
  startedAt?: number;
  /** The step running now (or the last one). */
  step?: number;
  maxSteps: number;
  answer?: string;
  notepad: NotepadState;
  /** The step after which `notepad` was taken. */
  notepadStep?: number;
  /** The one error to show: set when something failed, cleared by the next action. */
  error?: ErrorData;
  /** A lasting warning (e.g. the store fell back to memory). */
  warning?: ErrorData;
  /** The session shown was interrupted (page closed mid-run): it can be continued. */
  interrupted?: Trajectory;
  /**
   * The session shown as it was last saved (opened, or its last run ended); a follow-up question
   * continues it (`followUpTarget(state)` says when one can be asked). Undefined for a new session.
   */
  trajectory?: Trajectory;
  /** The engine chosen (undefined when the widget was given an LLM object, or none). */
  engine?: EngineChoice;
  /** The chosen endpoint's API key is stored on this device (the user asked for it). */
  keyRemembered: boolean;
  /** A demo plays at a reading pace ("Skip to the end" is offered). */
  demoPlaying: boolean;
  engineStatus: EngineStatus;
  python: PythonStatus;
  settings: AppSettings;
  /** Saved sessions, newest first (when `listSessions`). */
  sessions: SessionMeta[];
  /** Tool calls waiting for the person to allow a host ("ask before fetching"), oldest first. */
  approvals: readonly PendingApproval[];
  /** Files attached for the next question (written into Python's /workspace when it is asked). */
  attachments: PendingAttachment[];
  /** The files of the session shown: /workspace after its latest cell, with what was saved. */
  files: FileEntry[];
}

/** A file a person attaches: a browser `File` (a Blob with a name). */
export type AttachableFile = Blob & { readonly name: string };

/** A file waiting for the next question. */
export interface PendingAttachment {
  /** Its name in /workspace (sanitised: flat, no path). */
  name: string;
  size: number;
  type?: string;
  file: Blob;
}

/** One row of the Files panel. */
export interface FileEntry extends WorkspaceFile {
  origin?: 'attached' | 'agent';
  /** A copy is saved with the session (it comes back after a reload). */
  saved: boolean;
  /** It can be downloaded (in Python now, or saved). */
  available: boolean;
  /** Why it was not saved, when it was not. */
  note?: string;
}

/** A question of the fetch gate: may `tool` reach `host` (for `url`)? Answered with resolveApproval. */
export interface PendingApproval extends FetchApprovalRequest {
  id: number;
  /** The step whose cell made the call. */
  step?: number;
}

/** What the notebook (the cells and the answer) must show: streamed, in order. */
export type NotebookChange =
  | { type: 'clear' }
  /** A saved session: render its steps as finished cells. */
  | { type: 'load'; trajectory: Trajectory }
  /** A live agent event. */
  | { type: 'event'; event: AgentEvent; maxSteps: number }
  /** A step that never showed anything (its generation failed or was stopped at once): remove its cell. */
  | { type: 'discard'; step: number }
  /** The run ended: live cells stop their clocks. */
  | { type: 'ended' }
  /** A step's cell runs again in the live Python (not part of the run): started, streaming, or done. */
  | { type: 'rerun'; step: number; chunk?: import('../protocols').StreamChunk; result?: import('../protocols').CellResult };

export interface RunOptions {
  /** Use this engine for this run only (the demo). */
  engine?: EngineChoice;
  /** Continue this saved run (its session id is kept). */
  resumeFrom?: Trajectory;
  /** With resumeFrom: ask this new question in the session (else its latest question goes on). */
  followUp?: string;
  /**
   * With resumeFrom: re-run the saved cells first to restore the variables, when Python no
   * longer holds them (after a reload, a restart, or another session ran).
   */
  restoreCells?: boolean;
}

/** How a run ended: its trajectory, or why it could not run. Never a rejected promise. */
export interface RunOutcome {
  trajectory?: Trajectory;
  error?: ErrorData;
}


/** The app core's actions and state (see controller.ts). Actions never reject: errors are in the state and the outcome. */
export interface AppController {
  readonly state: AppState;
  subscribe(listener: (state: AppState) => void): () => void;
  onNotebook(listener: (change: NotebookChange) => void): () => void;
  /** Settled once saved settings are read and the start-up work (Python, preload) has begun. Never rejects. */
  readonly ready: Promise<void>;
  /** Runs a task; a run in progress must be stopped first. */
  run(task: string, options?: RunOptions): Promise<RunOutcome>;
  /** Runs the first bundled demo with its own task. */
  runDemo(): Promise<RunOutcome>;
  /** Lets a paced demo play the rest at once ("Skip to the end"). */
  skipDemo(): void;
  /** Stops the run (generation aborted, the running cell interrupted); resolves once it ended. */
  stop(): Promise<void>;
  /**
   * Continues a saved session's latest question where it stopped (reload, Stop, error, step
   * limit). `restoreCells`: when Python no longer holds the session's variables, re-run its saved
   * cells first. An answered session is returned unchanged: ask a follow-up instead.
   */
  continueSession(id: string, restoreCells?: boolean): Promise<RunOutcome>;
  /**
   * Asks a follow-up question in the session shown: same notebook, notepad and conversation.
   * Python keeps its variables when it last ran this session (no reset, restart or other session
   * since); otherwise the model is told they are gone, or `restoreCells` re-runs the saved cells.
   */
  ask(question: string, restoreCells?: boolean): Promise<RunOutcome>;
  openSession(id: string): Promise<void>;
  newSession(): void;
  /**
   * Selects an engine and loads it; on failure the last working engine comes back. An endpoint's
   * connection is tested first (its models listed): one that fails, or that does not list the model
   * asked for, is not taken (`engineStatus` says why, or offers its models). True when it loaded.
   */
  chooseEngine(choice: EngineChoice, options?: ChooseOptions): Promise<boolean>;
  /**
   * A model's weights folder changed (the model panel saved a Weights URL): a copy of that model
   * loaded from the old folder is not used again; the next choice or run loads it from the new one.
   */
  weightsMoved(modelId: string): void;
  saveSettings(settings: AppSettings): Promise<void>;
  /** Enables tools that just became available (e.g. the corpus tools after an upload). */
  enableTools(names: string[]): Promise<void>;
  /** Disposes Python and starts a new one (after it failed to start or died). */
  restartPython(): Promise<void>;
  refreshSessions(): Promise<void>;
  /** Renames a saved session; the error, if it failed (for the view to show where the user acted). */
  renameSession(id: string, title: string): Promise<ErrorData | undefined>;
  /** Deletes a saved session (the one shown gives way to a new one); the error, if it failed. */
  deleteSession(id: string): Promise<ErrorData | undefined>;
  /** Imports an exported session and opens it; undefined (and the error shown) when it failed. */
  importSession(text: string): Promise<string | undefined>;
  /** Deletes every saved session but a running one, and clears the notebook. */
  clearHistory(): Promise<void>;
  /**
   * Runs the code of step `step` of the session shown again, in the live Python, and shows the new
   * output under the cell. The session is not changed and the model never sees it. Stop ends it.
   */
  rerunCell(step: number): Promise<RunOutcome>;
  /**
   * Starts a new session from the one shown: its steps before `step` are kept (their cells run
   * again to restore the variables) and the model goes on from `step` with `task` (edited or not).
   */
  rerunFrom(step: number, task: string): Promise<RunOutcome>;
  /** Shows an error that happened outside the controller (e.g. a download in the view). */
  showError(error: ErrorData | undefined): void;
  /**
   * Attaches files to the next question (the first of a new session or a follow-up): they are
   * written into Python's /workspace when it is asked, listed for the model and saved with the
   * session. Names are made flat and safe; a file over the limit (50 MB) is refused. The refusals,
   * if any (also shown as the error); the other files are attached.
   */
  attach(files: readonly AttachableFile[]): ErrorData | undefined;
  /** Takes a file off the next question. */
  removeAttachment(name: string): void;
  /** A file of the session shown (for Download and previews): from Python, or its saved copy. */
  readFile(name: string): Promise<Blob>;
  /** Answers a question of `state.approvals`: allow once, allow the host for this run, or deny. */
  resolveApproval(id: number, decision: FetchDecision): void;
  dispose(): Promise<void>;
}

