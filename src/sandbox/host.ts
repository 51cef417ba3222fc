// The host side of the Pyodide sandbox (page main thread or Node parent): the Sandbox API over one
// worker. It enforces timeouts (interrupt buffer, then restart), runs tools for Python, and keeps the
// last known notepad so a restarted interpreter gets it back. The parts: worker-lifecycle.ts (spawn,
// the checking channel, restarts), cell-run.ts (one cell: stop, result), tool-channel.ts (tool calls
// by id) and tool-gateway.ts (caps). Transport-agnostic: browser-host.ts / node-host.ts spawn workers.
import {
  EMPTY_NOTEPAD,
  L0Error,
  toErrorData,
  type CellResult,
  type NotepadState,
  type PackageProgress,
  type PackageSourceInfo,
  type RunCellOptions,
  type Sandbox,
  type SandboxInfo,
  type SandboxOptions,
  type Tool,
  type WorkspaceFile,
  type WorkspaceUpload,
} from '../protocols';
import type { ChannelStats } from '../channel/channel';
import { answeredResult, clearCellTimers, interruptedBeforeStart, killedResult, newCell, stopCell, type Forced, type RunningCell, type StopReason } from './cell-run';
import { TOOL_CHANNEL_BYTES, TOOL_CHANNEL_HEADER_BYTES, type WorkerInit } from './messages';
import { PackageLoader } from './package-host';
import { createPackageSource, PackageUnavailable, type PackageCache } from './package-source';
import { ToolChannel, type WorkerToolCalls } from './tool-channel';
import { pausableTimer, ToolGateway, type PausableTimer, type ToolGatewayLimits } from './tool-gateway';
import { WorkerLifecycle, type SandboxPlatform } from './worker-lifecycle';
import { keptFilesAfter, type KeptFiles } from './kept-files';
import { DEFAULT_MAX_FILE_BYTES, uploadsProblem, workspacePathProblem, WORKSPACE_DIR } from './workspace-names';

export { RESTART_MESSAGE } from './cell-run';
export type { SandboxPlatform } from './worker-lifecycle';

const DEFAULT_OUTPUT_LIMIT = 10_000;
const DEFAULT_CELL_TIMEOUT_MS = 30_000;
/** How many bytes of /workspace the host keeps copies of, to put back into a restarted worker. */
const DEFAULT_KEPT_FILE_BYTES = 200 * 2 ** 20;

export interface PyodideSandboxOptions extends SandboxOptions {
  toolLimits?: ToolGatewayLimits;
  /** Browser: which synchronous tool bridge to prefer (default 'jspi' where supported, else 'atomics'). */
  preferToolBridge?: 'jspi' | 'atomics';
  /** How long a stopped cell gets to honour KeyboardInterrupt before a restart (default INTERRUPT_GRACE_MS, protocols.ts). */
  interruptGraceMs?: number;
  /**
   * Bytes of /workspace the host keeps copies of (default 200 MB), so a worker restarted after a
   * runaway cell or by `restart()` gets the files back; files past it are lost on a restart.
   */
  maxKeptFileBytes?: number;
  /**
   * Browser: creates the sandbox worker (default: this package's pyodide.worker). A replacement must
   * serve WorkerApi (messages.ts); whatever it sends is checked like the real worker's messages.
   */
  createWorker?: () => Worker;
  /** Where package files are kept (default: Cache Storage where there is one; `null`: nowhere). */
  packageCache?: PackageCache | null;
}

export class PyodideSandbox implements Sandbox {
  info: SandboxInfo;
  private readonly workers: WorkerLifecycle;
  private readonly toolChannel: ToolChannel;
  private readonly gateway: ToolGateway;
  /** The tool calls of the current worker. */
  private workerTools?: WorkerToolCalls;
  private notepad: NotepadState;
  /** Copies of the files in /workspace (as of the last cell or write), put back into a new worker. */
  private kept: KeptFiles = new Map();
  private readonly maxFileBytes: number;
  private cellSeq = 0;
  private running?: RunningCell;
  /** The agent run (question) of the last cell: the per-run tool-call cap counts within it. */
  private currentRun?: string;
  private runningDone?: Promise<unknown>;
  private disposed = false;
  private readonly interruptBuffer?: SharedArrayBuffer;
  /** Packages from the package source (absent without one). */
  private readonly packageLoader?: PackageLoader;
  /** Stops the package loading of the running cell. */
  private packageAbort?: AbortController;

  private constructor(
    private readonly platform: SandboxPlatform,
    private readonly options: PyodideSandboxOptions,
  ) {
    this.notepad = structuredClone(options.notepad ?? EMPTY_NOTEPAD);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const tools = new Map<string, Tool>((options.tools ?? []).map((t) => [t.name, t]));
    this.gateway = new ToolGateway(tools, options.toolLimits);
    let toolChannel: SharedArrayBuffer | undefined;
    if (platform.sharedMemory) {
      this.interruptBuffer = new SharedArrayBuffer(4);
      toolChannel = new SharedArrayBuffer(TOOL_CHANNEL_HEADER_BYTES + TOOL_CHANNEL_BYTES);
    }
    this.toolChannel = new ToolChannel(toolChannel, () => this.running);
    if (options.packageBaseUrl) this.packageLoader = new PackageLoader(packageSourceOf(options));
    const initMessage = (): WorkerInit => ({
      indexURL: platform.indexURL,
      packages: Boolean(this.packageLoader),
      tools: [...tools.values()].map((t) => ({ name: t.name, params: t.params, doc: `${t.signature}\n\n${t.description}\n\nExample: ${t.example}` })),
      notepad: this.notepad,
      interruptBuffer: this.interruptBuffer,
      toolChannel,
      preferJspi: platform.preferJspi,
      files: [...this.kept.entries()].map(([name, f]) => ({ name, data: f.data, mtime: f.mtime })),
    });
    this.workers = new WorkerLifecycle(platform, options.outputLimit ?? DEFAULT_OUTPUT_LIMIT, {
      initMessage,
      // A SIGINT left over from the cell that got the previous worker terminated must not hit the next.
      beforeSpawn: () => this.interruptBuffer && Atomics.store(new Int32Array(this.interruptBuffer), 0, 0),
      handlers: (api, progress) => {
        const calls = this.toolChannel.forWorker(api);
        this.workerTools = calls;
        return {
          stream: (e) => this.onStream(e.cellId, e.name, e.text),
          progress: (p) => progress?.(p),
          'tool-call': (e) => calls.onCall(e),
          package: (e) => {
            const cell = this.running;
            if (cell && cell.id === e.cellId) cell.onPackage?.({ name: e.name, phase: e.phase, message: e.message });
          },
        };
      },
      onExit: (reason) => this.onWorkerExit(reason),
    }, this.maxFileBytes);
    this.info = { interrupt: platform.sharedMemory ? 'interrupt-buffer' : 'restart', toolBridge: 'none', pyodideVersion: '', pythonVersion: '' };
  }

  static async start(platform: SandboxPlatform, options: PyodideSandboxOptions = {}): Promise<PyodideSandbox> {
    const sb = new PyodideSandbox(platform, options);
    const info = await sb.workers.start(options.onProgress);
    sb.info = { ...sb.info, toolBridge: info.toolBridge, pyodideVersion: info.pyodideVersion, pythonVersion: info.pythonVersion };
    return sb;
  }

  /** What the channels to this sandbox's workers received and dropped (and tool calls refused by id). */
  channelStats(): ChannelStats & { refusedToolCalls: number } {
    return { ...this.workers.stats(), refusedToolCalls: this.toolChannel.rejectedCalls };
  }

  /** Starts a fresh worker now; if that fails, the next cell's ready() reports it (and retries). */
  private restartWorkerInBackground(): void {
    this.workers.restart().catch(() => undefined);
  }

  private onWorkerExit(reason: string): void {
    if (this.disposed) return;
    const cell = this.running;
    if (cell) cell.force(undefined, 'crash', reason);
    else this.restartWorkerInBackground();
  }

  private onStream(cellId: number, name: 'stdout' | 'stderr', text: string): void {
    const cell = this.running;
    if (!cell || cell.id !== cellId) return;
    cell[name] += text;
    cell.onStream?.({ name, text });
  }

  /** Runs `fn` with the process kept alive (Node) and the worker ready. */
  private async withWorker<T>(fn: (api: Awaited<ReturnType<WorkerLifecycle['ready']>>) => Promise<T>): Promise<T> {
    const release = this.platform.keepAlive?.();
    try {
      return await fn(await this.workers.ready());
    } finally {
      release?.();
    }
  }

  runCell(code: string, options: RunCellOptions = {}): Promise<CellResult> {
    if (this.disposed) return Promise.reject(new L0Error({ kind: 'sandbox', message: 'The sandbox was disposed.' }));
    if (this.running) return Promise.reject(new L0Error({ kind: 'sandbox', message: 'Another cell is still running.' }));
    if (options.run !== undefined && options.run !== this.currentRun) {
      this.currentRun = options.run;
      this.gateway.newRun();
    }
    const p = this.runCellInner(code, options);
    this.runningDone = p.catch(() => undefined);
    return p;
  }

  private async runCellInner(code: string, options: RunCellOptions): Promise<CellResult> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
    const limit = this.options.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
    const { cell, forced } = newCell({ id: ++this.cellSeq, gateway: this.gateway.forCell(), timeoutMs, limit, onStream: options.onStream, onPackage: options.onPackage });
    this.running = cell;
    const started = performance.now();
    let timer: PausableTimer | undefined;
    try {
      return await this.withWorker(async (api) => {
        // Interrupted while waiting for the interpreter to (re)start: nothing ran.
        if (cell.stopReason) return interruptedBeforeStart(cell.stopReason, this.notepad, performance.now() - started);
        if (this.packageLoader) {
          // What the cell imports comes first, outside the cell's time limit (a download may be long).
          const loading = this.loadPackages(api, cell, code).then((): Partial<Forced> => ({}));
          const early = await Promise.race([loading, forced]);
          if (early.why) {
            this.restartWorkerInBackground();
            return killedResult(cell, early.why, early.detail, performance.now() - started, this.notepad);
          }
          if (cell.stopReason) return interruptedBeforeStart(cell.stopReason, this.notepad, performance.now() - started);
        }
        if (this.interruptBuffer) Atomics.store(new Int32Array(this.interruptBuffer), 0, 0);
        cell.started = true;
        timer = pausableTimer(timeoutMs, () => this.stop(cell, 'timeout'));
        // A person reading an approval prompt is not a runaway cell: the clock stops meanwhile.
        cell.gateway.onUserWait = (waiting) => (waiting ? timer?.pause() : timer?.resume());
        const normal = api.runCell(cell.id, code, limit).then(
          (raw): Partial<Forced> => ({ raw }),
          (e: unknown): Forced => ({ why: 'crash', detail: toErrorData(e).message }),
        );
        const outcome = await Promise.race([normal, forced]);
        const durationMs = performance.now() - started;
        if (!outcome.raw) {
          this.restartWorkerInBackground();
          return killedResult(cell, outcome.why ?? 'crash', outcome.detail, durationMs, this.notepad);
        }
        this.notepad = outcome.raw.notepad;
        const { result, recycle } = answeredResult(cell, outcome.raw, durationMs);
        if (outcome.raw.files) {
          result.files = outcome.raw.files;
          // Before a recycle: the new worker gets the files this cell left.
          await this.keepFiles(api, outcome.raw.files);
        }
        if (recycle) this.restartWorkerInBackground();
        return result;
      });
    } finally {
      timer?.clear();
      clearCellTimers(cell);
      cell.gateway.cancel();
      if (this.running === cell) this.running = undefined;
    }
  }

  /** Loads the packages `code` imports; a failure is the cell's business (Python is told why), never thrown. */
  private async loadPackages(api: Awaited<ReturnType<WorkerLifecycle['ready']>>, cell: RunningCell, code: string): Promise<void> {
    const abort = new AbortController();
    this.packageAbort = abort;
    const report = (p: PackageProgress) => {
      if (this.running === cell) cell.onPackage?.(p);
    };
    // Python runs in the worker during these calls (model code may have changed it): a Stop
    // interrupts them like a cell, and one that outlives the cell's time limit ends with the
    // worker (a fresh interpreter: model code could have broken the helper for every later cell).
    // Downloads in between are stopped by the abort signal alone (a Stop then keeps the interpreter).
    const inWorker = async <T>(call: () => Promise<T>): Promise<T> => {
      cell.started = true;
      const timer = setTimeout(() => cell.force(undefined, 'timeout'), cell.timeoutMs);
      try {
        return await call();
      } finally {
        clearTimeout(timer);
        cell.started = false;
      }
    };
    try {
      await this.packageLoader!.loadFor(api, cell.id, code, report, abort.signal, inWorker);
    } catch (e) {
      if (!abort.signal.aborted) report({ name: '', phase: 'failed', message: `packages could not be loaded: ${toErrorData(e).message}` });
    } finally {
      if (this.packageAbort === abort) this.packageAbort = undefined;
    }
  }

  /** The package source and what it offers (undefined without one). */
  async packages(): Promise<PackageSourceInfo | undefined> {
    return this.packageLoader?.info();
  }

  private stop(cell: RunningCell, why: StopReason): void {
    this.packageAbort?.abort();
    stopCell(cell, why, {
      interruptBuffer: this.interruptBuffer,
      interruptBlockedToolCall: () => this.workerTools?.interruptBlocked(),
      cancelCell: (id) => void this.workers.ready().then((api) => api.cancelCell(id)).catch(() => undefined),
      isRunning: (c) => this.running === c,
      graceMs: this.options.interruptGraceMs,
    });
  }

  async interrupt(): Promise<void> {
    const cell = this.running;
    if (cell) this.stop(cell, 'interrupted');
  }

  /** Ends a running cell by replacing its worker (a fresh worker is a fresh namespace). */
  private async abandonRunningCell(): Promise<void> {
    const cell = this.running;
    if (!cell) return;
    cell.stopReason = 'interrupted';
    cell.force(undefined, 'interrupted');
    await this.runningDone;
  }

  async reset(options: { clearNotepad?: boolean } = {}): Promise<void> {
    if (options.clearNotepad) this.notepad = structuredClone(EMPTY_NOTEPAD);
    this.gateway.newRun();
    await this.abandonRunningCell();
    await this.withWorker((api) => api.reset(Boolean(options.clearNotepad)));
  }

  async restart(): Promise<void> {
    if (this.disposed) throw new L0Error({ kind: 'sandbox', message: 'The sandbox was disposed.' });
    this.gateway.newRun();
    // A running cell ends with `restarted: true` and already starts a fresh worker.
    if (this.running) await this.abandonRunningCell();
    else this.restartWorkerInBackground();
    await this.withWorker(async () => undefined);
  }

  async getNotepad(): Promise<NotepadState> {
    if (!this.running) {
      try {
        this.notepad = await this.withWorker((api) => api.getNotepad());
      } catch {
        /* keep the host copy */
      }
    }
    return structuredClone(this.notepad);
  }

  async setNotepad(state: NotepadState): Promise<void> {
    this.notepad = structuredClone(state);
    await this.withWorker((api) => api.setNotepad(this.notepad));
  }

  /** Brings the host's copies up to date with a listing (files that changed are read once). */
  private async keepFiles(api: Awaited<ReturnType<WorkerLifecycle['ready']>>, listing: WorkspaceFile[], written?: Map<string, Uint8Array>): Promise<void> {
    const limits = { maxFileBytes: this.maxFileBytes, maxKeptBytes: this.options.maxKeptFileBytes ?? DEFAULT_KEPT_FILE_BYTES };
    this.kept = await keptFilesAfter(this.kept, listing, limits, (name) => api.readFile(name, this.maxFileBytes), written);
  }

  /** Files change between cells only: a running cell's listing would race with the write. */
  private refuseWhileRunning(what: string): void {
    if (this.disposed) throw new L0Error({ kind: 'sandbox', message: 'The sandbox was disposed.' });
    if (this.running) throw new L0Error({ kind: 'sandbox', message: `A cell is running: ${what} between cells.` });
  }

  async writeFiles(files: WorkspaceUpload[]): Promise<WorkspaceFile[]> {
    this.refuseWhileRunning('write files');
    const problem = uploadsProblem(files, this.maxFileBytes);
    if (problem) throw new L0Error({ kind: 'file', message: `Not written: ${problem}.` });
    return this.withWorker(async (api) => {
      let listing: WorkspaceFile[];
      try {
        listing = await api.writeFiles(files, this.maxFileBytes);
      } catch (e) {
        throw new L0Error({ kind: 'file', message: `The files could not be written into ${WORKSPACE_DIR}: ${toErrorData(e).message}` });
      }
      // The host keeps what it wrote (it has the bytes) under the worker's change times.
      const written = new Map(files.map((f) => [f.name, f.data]));
      await this.keepFiles(api, listing, written);
      return listing;
    });
  }

  async listFiles(): Promise<WorkspaceFile[]> {
    return this.withWorker((api) => api.listFiles());
  }

  async readFile(name: string): Promise<Uint8Array> {
    const problem = workspacePathProblem(name);
    if (problem) throw new L0Error({ kind: 'file', message: problem });
    // The copy is current unless a cell is running (it may be changing the file now).
    const copy = this.kept.get(name);
    if (copy && !this.running) return copy.data.slice();
    try {
      return await this.withWorker((api) => api.readFile(name, this.maxFileBytes));
    } catch (e) {
      throw new L0Error({ kind: 'file', message: toErrorData(e).message });
    }
  }

  async clearFiles(): Promise<void> {
    this.refuseWhileRunning('clear the files');
    this.kept = new Map();
    await this.withWorker((api) => api.clearFiles());
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.packageAbort?.abort();
    const cell = this.running;
    if (cell) cell.force(undefined, 'interrupted');
    this.workers.dispose();
  }
}

function packageSourceOf(options: PyodideSandboxOptions): ConstructorParameters<typeof PackageLoader>[0] {
  const raw = options.packageBaseUrl!;
  try {
    return createPackageSource(raw, { cache: options.packageCache });
  } catch (e) {
    return { baseUrl: raw, error: e instanceof PackageUnavailable ? e.message : String(e) };
  }
}
