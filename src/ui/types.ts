// What the notebook page needs beyond the app controller's services: the model panel's facts,
// storage, the Python snapshot, exports. main.ts builds them from the real parts (services.ts).
import type { AppServices, AppSettings } from '../app/index';
import type { EngineChoice } from '../llm/engine-spec';
import type { Tool } from '../protocols';
import type { WeightsCheck } from '../llm/weights-check';

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

/** The session exports the page offers: Jupyter, Markdown, JSON, and the notebook with its files as a zip. */
export type ExportFormat = 'ipynb' | 'md' | 'json' | 'zip';

/** The package source Python imports packages from, and where that choice comes from. */
export interface PackageSourceChoice {
  /** Absolute folder URL. */
  url: string;
  /** `link`: the page URL's ?packageBaseUrl=; `setting`: saved in Settings; `build`: packages vendored into this build; `default`: the official distribution. */
  origin: 'link' | 'setting' | 'build' | 'default';
  /** Why a link's or setting's URL was not used, if it was not. */
  warning?: string;
}

/** A package file kept in this browser. */
export interface CachedPackage {
  name: string;
  version: string;
  bytes: number;
}

export interface PageServices extends AppServices {
  /** The page's tools are known at once (the corpus tools appear with the first upload); `settings` may add a page reader. */
  tools(settings?: AppSettings): Tool[];
  /** Adds uploaded files to the local corpus; returns the number of documents now in it. */
  addCorpusFiles(files: File[]): Promise<number>;
  /** The engine the page URL names (`?engine=...`), or why the link's engine was ignored. */
  engineFromUrl(): { choice?: EngineChoice; warning?: string };
  models(): ModelCard[];
  detectGpu(): Promise<GpuStatus>;
  /**
   * Saves the weights URL of a record that has `customWeights` ('' restores the default) and checks
   * the folder it names, before any download.
   */
  checkWeights(modelId: string, url: string): Promise<WeightsCheck>;
  listCachedModels(): Promise<CachedModel[]>;
  deleteCachedModel(id: string): Promise<void>;
  storageInfo(): Promise<StorageInfo>;
  requestPersistence(): Promise<boolean>;
  /** The saved Python warm-start snapshot, or undefined when none is saved yet. */
  pythonSnapshot(): Promise<PythonSnapshotInfo | undefined>;
  /** Deletes the saved snapshot: the next Python start boots normally and saves a new one. */
  clearPythonSnapshot(): Promise<void>;
  /** The package source the next Python start uses. */
  packageSource(): PackageSourceChoice;
  /** Saves the package source ('' restores the default); it applies from the next Python start. */
  setPackageSource(url: string): Promise<void>;
  /** Package files kept in this browser (they load offline). */
  listCachedPackages(): Promise<CachedPackage[]>;
  /** Deletes the kept package files. */
  clearPackageCache(): Promise<void>;
  /** Builds an export file for a session ('zip': the notebook with the session's files; `skipped` says which could not be read). */
  exportSession(id: string, format: ExportFormat): Promise<{ filename: string; mime: string; text: string } | { filename: string; mime: string; bytes: Uint8Array; skipped: string[] }>;
}
