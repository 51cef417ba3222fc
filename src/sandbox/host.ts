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
  type RunCellOptions,
  type Sandbox,
  type SandboxInfo,
  type SandboxOptions,
  type Tool,
} from '../protocols';
import type { ChannelStats } from '../channel/channel';
import { answeredResult, clearCellTimers, interruptedBeforeStart, killedResult, newCell, stopCell, type Forced, type RunningCell, type StopReason } from './cell-run';
import { TOOL_CHANNEL_BYTES, TOOL_CHANNEL_HEADER_BYTES, type WorkerInit } from './messages';
import { ToolChannel, type WorkerToolCalls } from './tool-channel';
import { pausableTimer, ToolGateway, type PausableTimer, type ToolGatewayLimits } from './tool-gateway';
import { WorkerLifecycle, type SandboxPlatform } from './worker-lifecycle';

export { RESTART_MESSAGE } from './cell-run';
export type { SandboxPlatform } from './worker-lifecycle';

export const DEFAULT_OUTPUT_LIMIT = 10_000;
export const DEFAULT_CELL_TIMEOUT_MS = 30_000;

export interface PyodideSandboxOptions extends SandboxOptions {
  toolLimits?: ToolGatewayLimits;
  /** Browser: which synchronous tool bridge to prefer (default 'jspi' where supported, else 'atomics'). */
  preferToolBridge?: 'jspi' | 'atomics';
  /** How long a stopped cell gets to honour KeyboardInterrupt before a restart (default INTERRUPT_GRACE_MS, protocols.ts). */
  interruptGraceMs?: number;
  /**
   * Browser: creates the sandbox worker (default: this package's pyodide.worker). A replacement must
   * serve WorkerApi (messages.ts); whatever it sends is checked like the real worker's messages.
   */
  createWorker?: () => Worker;
}

export class PyodideSandbox implements Sandbox {
  info: SandboxInfo;
  private readonly workers: WorkerLifecycle;
  private readonly toolChannel: ToolChannel;
  private readonly gateway: ToolGateway;
  /** The tool calls of the current worker. */
  private workerTools?: WorkerToolCalls;
  private notepad: NotepadState;
  private cellSeq = 0;
  private running?: RunningCell;
  /** The agent run (question) of the last cell: the per-run tool-call cap counts within it. */
  private currentRun?: string;
  private runningDone?: Promise<unknown>;
  private disposed = false;
  private readonly interruptBuffer?: SharedArrayBuffer;

  private constructor(
    private readonly platform: SandboxPlatform,
    private readonly options: PyodideSandboxOptions,
  ) {
    this.notepad = structuredClone(options.notepad ?? EMPTY_NOTEPAD);
    const tools = new Map<string, Tool>((options.tools ?? []).map((t) => [t.name, t]));
    this.gateway = new ToolGateway(tools, options.toolLimits);
    let toolChannel: SharedArrayBuffer | undefined;
    if (platform.sharedMemory) {
      this.interruptBuffer = new SharedArrayBuffer(4);
      toolChannel = new SharedArrayBuffer(TOOL_CHANNEL_HEADER_BYTES + TOOL_CHANNEL_BYTES);
    }
    this.toolChannel = new ToolChannel(toolChannel, () => this.running);
    const initMessage = (): WorkerInit => ({
      indexURL: platform.indexURL,
      packageBaseUrl: options.packageBaseUrl,
      tools: [...tools.values()].map((t) => ({ name: t.name, params: t.params, doc: `${t.signature}\n\n${t.description}\n\nExample: ${t.example}` })),
      notepad: this.notepad,
      interruptBuffer: this.interruptBuffer,
      toolChannel,
      preferJspi: platform.preferJspi,
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
        };
      },
      onExit: (reason) => this.onWorkerExit(reason),
    });
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

  private onWorkerExit(reason: string): void {
    if (this.disposed) return;
    const cell = this.running;
    if (cell) cell.force(undefined, 'crash', reason);
    else this.workers.restart();
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
    const { cell, forced } = newCell({ id: ++this.cellSeq, gateway: this.gateway.forCell(), timeoutMs, limit, onStream: options.onStream });
    this.running = cell;
    const started = performance.now();
    let timer: PausableTimer | undefined;
    try {
      return await this.withWorker(async (api) => {
        // Interrupted while waiting for the interpreter to (re)start: nothing ran.
        if (cell.stopReason) return interruptedBeforeStart(cell.stopReason, this.notepad, performance.now() - started);
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
          this.workers.restart();
          return killedResult(cell, outcome.why ?? 'crash', outcome.detail, durationMs, this.notepad);
        }
        this.notepad = outcome.raw.notepad;
        const { result, recycle } = answeredResult(cell, outcome.raw, durationMs);
        if (recycle) this.workers.restart();
        return result;
      });
    } finally {
      timer?.clear();
      clearCellTimers(cell);
      cell.gateway.cancel();
      if (this.running === cell) this.running = undefined;
    }
  }

  private stop(cell: RunningCell, why: StopReason): void {
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
    else this.workers.restart();
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

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const cell = this.running;
    if (cell) cell.force(undefined, 'interrupted');
    this.workers.dispose();
  }
}
