// What the notebook view needs from the rest of the system. The page (main.ts) and the embed
// build provide it from the real parts (services.ts); the view never imports engines directly.
import type { AgentEvent, LLM, LoadProgress, NotepadState, Sandbox, SessionMeta, SessionStore, Tool, Trajectory } from '../protocols';
import type { WeightsCheck } from '../llm/weights-check';

export interface UiSettings {
  maxSteps: number;
  /** Prompt budget in tokens; 0 fits the model's own context window (the agent's default). */
  memoryTokens: number;
  temperature: number;
  /** Names of enabled tools. */
  tools: string[];
}

export const DEFAULT_SETTINGS: UiSettings = { maxSteps: 12, memoryTokens: 0, temperature: 0.6, tools: [] };

/** Which model drives the agent. */
export type EngineChoice =
  | { kind: 'demo' }
  | { kind: 'replay'; scriptUrl: string }
  | { kind: 'openai'; baseUrl: string; model: string; apiKey?: string }
  | { kind: 'webllm'; modelId: string };

export interface ModelCard {
  id: string;
  label: string;
  downloadBytes?: number;
  vramBytes?: number;
  note?: string;
  /** The folder its weights are fetched from. */
  weightsUrl?: string;
  /** Set for records the user points at their own weights (L0): the panel offers a Weights URL field. */
  customWeights?: { savedUrl?: string; defaultUrl: string };
}

export interface GpuStatus {
  available: boolean;
  /** Short human text: adapter name, or why WebGPU is unavailable. */
  message: string;
  shaderF16?: boolean;
  /** Per model: can it run on this adapter ('no' disables it in the picker), and why not. */
  fits?: Record<string, { status: 'ok' | 'warn' | 'no'; reasons: string[] }>;
}

export interface CachedModel {
  id: string;
  bytes?: number;
}

export interface StorageInfo {
  usage?: number;
  quota?: number;
  persisted?: boolean;
}

/** The Python warm-start snapshot the sandbox keeps in its own IndexedDB database. */
export interface PythonSnapshotInfo {
  /** Bytes it takes in storage. */
  storedBytes: number;
  /** Bytes of Python memory it restores. */
  heapBytes: number;
  /** When it was saved (ms since the epoch). */
  savedAt: number;
}

export interface AgentRun extends AsyncIterable<AgentEvent> {
  trajectory: Promise<Trajectory>;
}

export interface RunRequest {
  task: string;
  llm: LLM;
  sandbox: Sandbox;
  settings: UiSettings;
  tools: Tool[];
  sessionId: string;
  signal: AbortSignal;
  resumeFrom?: Trajectory;
  /** With resumeFrom: re-run the saved cells first to restore the notebook's variables. */
  restoreCells?: boolean;
}

export interface UiServices {
  store: SessionStore;
  /** Warnings from the store (e.g. IndexedDB unavailable, fell back to memory). */
  storeWarnings?(): string[];
  /** All tools the page offers (the settings choose among them). */
  availableTools(): Tool[];
  /** Adds uploaded files to the local corpus; returns the number of documents now in it. */
  addCorpusFiles?(files: File[]): Promise<number>;
  createSandbox(tools: Tool[], notepad: NotepadState | undefined, onProgress: (p: LoadProgress) => void): Promise<Sandbox>;
  runAgent(req: RunRequest): AgentRun;
  /** Loads a model engine; WebLLM's code is imported only inside this call. */
  createEngine(choice: EngineChoice, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<LLM>;
  /** The engine chosen by the page URL (?engine=...), if any. */
  engineFromUrl?(): EngineChoice | undefined;
  models(): ModelCard[];
  detectGpu(): Promise<GpuStatus>;
  /**
   * Saves the weights URL of a record that has `customWeights` ('' restores the default) and checks
   * the folder it names, before any download.
   */
  checkWeights?(modelId: string, url: string): Promise<WeightsCheck>;
  listCachedModels?(): Promise<CachedModel[]>;
  deleteCachedModel?(id: string): Promise<void>;
  storageInfo?(): Promise<StorageInfo>;
  requestPersistence?(): Promise<boolean>;
  /** The saved Python warm-start snapshot, or undefined when none is saved yet. */
  pythonSnapshot?(): Promise<PythonSnapshotInfo | undefined>;
  /** Deletes the saved snapshot: the next Python start boots normally and saves a new one. */
  clearPythonSnapshot?(): Promise<void>;
  /** Claims a session for this tab; returns a release function, or undefined when another tab holds it. */
  acquireSession?(id: string): Promise<(() => void) | undefined>;
  /** Builds an export file for a session. */
  exportSession(id: string, format: 'ipynb' | 'md' | 'json'): Promise<{ filename: string; mime: string; text: string }>;
  importSession(text: string, filename: string): Promise<string>;
}

export type { SessionMeta };
