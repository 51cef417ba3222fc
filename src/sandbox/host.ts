// The host side of the Pyodide sandbox (page main thread or Node parent): owns the worker, enforces
// timeouts (interrupt buffer, then restart), runs tools for Python, keeps the last known notepad so a
// restarted interpreter gets it back. Transport-agnostic: browser-host.ts / node-host.ts spawn workers.
import * as Comlink from 'comlink';
import {
  EMPTY_NOTEPAD,
  L0Error,
  toErrorData,
  type CellResult,
  type LoadProgress,
  type NotepadState,
  type RunCellOptions,
  type Sandbox,
  type SandboxInfo,
  type SandboxOptions,
  type StreamChunk,
  type Tool,
} from '../protocols';
import {
  TOOL_CHANNEL_BYTES,
  TOOL_CHANNEL_HEADER_BYTES,
  type HostPort,
  type RawCellResult,
  type WorkerApi,
  type WorkerInfo,
} from './messages';
import { CellToolGateway, INTERRUPTED_REPLY, type ToolGatewayLimits } from './tool-gateway';

export const DEFAULT_OUTPUT_LIMIT = 10_000;
export const DEFAULT_CELL_TIMEOUT_MS = 30_000;
/** How long a cell gets to honour KeyboardInterrupt before its worker is terminated. */
export const INTERRUPT_GRACE_MS = 900;
/** Without an interrupt buffer only an awaiting cell can stop by itself: give it a short chance. */
export const NO_BUFFER_GRACE_MS = 300;
export const RESTART_MESSAGE = 'the interpreter was restarted; variables were lost (the notepad was kept)';

export interface SpawnedWorker {
  api: Comlink.Remote<WorkerApi>;
  /** Called once if the worker dies on its own (crash, out of memory). */
  onExit(cb: (reason: string) => void): void;
  terminate(): void;
}

export interface SandboxPlatform {
  spawn(): SpawnedWorker;
  /** Turns the host callbacks into something init() can carry to the worker (default: Comlink.proxy). */
  exposeHost?(host: HostPort): HostPort;
  /** Node: keeps the process alive while the host waits on the worker (its handles are unref'd). */
  keepAlive?(): () => void;
  /** SharedArrayBuffer usable (Node workers; browsers when crossOriginIsolated). */
  sharedMemory: boolean;
  preferJspi: boolean;
  indexURL?: string;
}

export interface PyodideSandboxOptions extends SandboxOptions {
  toolLimits?: ToolGatewayLimits;
  /** Browser: which synchronous tool bridge to prefer (default 'jspi' where supported, else 'atomics'). */
  preferToolBridge?: 'jspi' | 'atomics';
  /** How long a stopped cell gets to honour KeyboardInterrupt before a restart (default 900 ms). */
  interruptGraceMs?: number;
}

interface RunningCell {
  id: number;
  gateway: CellToolGateway;
  stdout: string;
  stderr: string;
  onStream?: (c: StreamChunk) => void;
  /** Why the host stopped the cell, if it did. */
  stopReason?: 'timeout' | 'interrupted';
  timeoutMs: number;
  /** Output limit of this cell (characters). */
  limit: number;
  /** True once the worker was asked to run the cell. */
  started: boolean;
  /** Tool calls the host is running for this cell right now. */
  toolsPending: number;
  /** Resolves the cell early when its worker had to be terminated. */
  force(r: RawCellResult | undefined, why: 'timeout' | 'interrupted' | 'crash', detail?: string): void;
  graceTimer?: ReturnType<typeof setTimeout>;
  resendTimer?: ReturnType<typeof setInterval>;
}

function isMemoryProblem(text: string): boolean {
  return /memory|OOM|allocation failed/i.test(text);
}

export class PyodideSandbox implements Sandbox {
  info: SandboxInfo;
  private worker!: SpawnedWorker;
  private ready!: Promise<void>;
  private notepad: NotepadState;
  private cellSeq = 0;
  private running?: RunningCell;
  private runningDone?: Promise<unknown>;
  private disposed = false;
  private readonly tools: Map<string, Tool>;
  private readonly interruptBuffer?: SharedArrayBuffer;
  private readonly toolChannel?: SharedArrayBuffer;
  private readonly encoder = new TextEncoder();

  private constructor(
    private readonly platform: SandboxPlatform,
    private readonly options: PyodideSandboxOptions,
  ) {
    this.notepad = structuredClone(options.notepad ?? EMPTY_NOTEPAD);
    this.tools = new Map((options.tools ?? []).map((t) => [t.name, t]));
    if (platform.sharedMemory) {
      this.interruptBuffer = new SharedArrayBuffer(4);
      this.toolChannel = new SharedArrayBuffer(TOOL_CHANNEL_HEADER_BYTES + TOOL_CHANNEL_BYTES);
    }
    this.info = {
      interrupt: platform.sharedMemory ? 'interrupt-buffer' : 'restart',
      toolBridge: 'none',
      pyodideVersion: '',
      pythonVersion: '',
    };
  }

  static async start(platform: SandboxPlatform, options: PyodideSandboxOptions = {}): Promise<PyodideSandbox> {
    const sb = new PyodideSandbox(platform, options);
    // A worker that died while starting (not an error Python or our code reported) gets one more
    // try with a fresh worker; the first reason stays in the console.
    sb.ready = sb.boot(options.onProgress).catch((e: unknown) => {
      if (!(e instanceof L0Error && e.detail?.workerFailed === true)) throw e;
      console.warn(`l0 sandbox: ${e.message}; starting a fresh worker`);
      return sb.boot(options.onProgress);
    });
    await sb.ready;
    return sb;
  }

  // ------------------------------------------------------------------------------------------
  // Worker lifecycle
  // ------------------------------------------------------------------------------------------

  private async boot(onProgress?: (p: LoadProgress) => void): Promise<void> {
    // A SIGINT left over from the cell that got the previous worker terminated must not hit this one.
    if (this.interruptBuffer) Atomics.store(new Int32Array(this.interruptBuffer), 0, 0);
    const worker = this.platform.spawn();
    this.worker = worker;
    // A worker that fails while starting fails this start (with its reason): restarting it here
    // would leave init() below waiting forever for a reply from the terminated worker.
    let booting = true;
    let workerFailed = false;
    let failBoot!: (reason: string) => void;
    const failed = new Promise<never>((_, reject) => (failBoot = (reason) => reject(new Error(reason))));
    worker.onExit((reason) => {
      if (!booting) return this.onWorkerExit(worker, reason);
      workerFailed = true;
      failBoot(reason);
    });
    const host: HostPort = {
      stream: (cellId, name, text) => this.onStream(cellId, name, text),
      progress: (p) => onProgress?.(p),
      sync: async () => undefined,
      toolCall: (cellId, name, argsJson, viaAtomics) => this.onToolCall(cellId, name, argsJson, viaAtomics),
    };
    let info: WorkerInfo;
    const release = this.platform.keepAlive?.();
    try {
      const init = worker.api.init(
        {
          indexURL: this.platform.indexURL,
          packageBaseUrl: this.options.packageBaseUrl,
          tools: [...this.tools.values()].map((t) => ({
            name: t.name,
            params: t.params,
            doc: `${t.signature}\n\n${t.description}\n\nExample: ${t.example}`,
          })),
          notepad: this.notepad,
          interruptBuffer: this.interruptBuffer,
          toolChannel: this.toolChannel,
          preferJspi: this.platform.preferJspi,
        },
        this.platform.exposeHost ? this.platform.exposeHost(host) : Comlink.proxy(host),
      );
      init.catch(() => undefined); // when the worker failed first, its late answer is not wanted
      info = await Promise.race([init, failed]);
    } catch (e) {
      worker.terminate();
      const data = toErrorData(e, 'sandbox');
      throw new L0Error({ kind: 'sandbox', message: `The Python sandbox failed to start: ${data.message}`, detail: { cause: data.message, workerFailed } });
    } finally {
      booting = false;
      release?.();
    }
    this.info = { ...this.info, toolBridge: info.toolBridge, pyodideVersion: info.pyodideVersion, pythonVersion: info.pythonVersion };
    onProgress?.({ phase: 'ready', fraction: 1, message: `Python ${info.pythonVersion} ready` });
  }

  /** Terminates the current worker and starts a fresh one in the background (notepad restored). */
  private restart(): void {
    const old = this.worker;
    old.terminate();
    if (this.disposed) return;
    this.ready = this.boot();
    // A failed restart surfaces on the next call that awaits `ready`.
    this.ready.catch(() => undefined);
  }

  private onWorkerExit(worker: SpawnedWorker, reason: string): void {
    if (worker !== this.worker || this.disposed) return;
    const cell = this.running;
    if (cell) cell.force(undefined, 'crash', reason);
    else this.restart();
  }

  // ------------------------------------------------------------------------------------------
  // Host callbacks
  // ------------------------------------------------------------------------------------------

  private onStream(cellId: number, name: 'stdout' | 'stderr', text: string): void {
    const cell = this.running;
    if (!cell || cell.id !== cellId) return;
    cell[name] += text;
    cell.onStream?.({ name, text });
  }

  private async onToolCall(cellId: number, name: string, argsJson: string, viaAtomics: boolean): Promise<string> {
    const cell = this.running;
    let reply: string;
    if (!cell || cell.id !== cellId || cell.stopReason) reply = INTERRUPTED_REPLY;
    else {
      cell.toolsPending++;
      try {
        reply = await cell.gateway.call(name, argsJson);
      } finally {
        cell.toolsPending--;
      }
    }
    // The cell may have been stopped while the tool ran: its reply was already written.
    const stale = !this.running || this.running.id !== cellId || this.running.stopReason;
    if (stale) reply = INTERRUPTED_REPLY;
    if (viaAtomics && !stale) this.writeToolReply(reply);
    return reply;
  }

  private writeToolReply(reply: string): void {
    const channel = this.toolChannel;
    if (!channel) return;
    const ctl = new Int32Array(channel, 0, 2);
    const data = new Uint8Array(channel, TOOL_CHANNEL_HEADER_BYTES);
    let bytes = this.encoder.encode(reply);
    if (bytes.length > data.length) bytes = this.encoder.encode(JSON.stringify({ ok: false, error: 'result too large for the tool channel' }));
    data.set(bytes);
    Atomics.store(ctl, 1, bytes.length);
    Atomics.store(ctl, 0, 1);
    Atomics.notify(ctl, 0);
  }

  // ------------------------------------------------------------------------------------------
  // Cells
  // ------------------------------------------------------------------------------------------

  runCell(code: string, options: RunCellOptions = {}): Promise<CellResult> {
    if (this.disposed) return Promise.reject(new L0Error({ kind: 'sandbox', message: 'The sandbox was disposed.' }));
    if (this.running) return Promise.reject(new L0Error({ kind: 'sandbox', message: 'Another cell is still running.' }));
    const p = this.runCellInner(code, options);
    this.runningDone = p.catch(() => undefined);
    return p;
  }

  private async runCellInner(code: string, options: RunCellOptions): Promise<CellResult> {
    const id = ++this.cellSeq;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
    const limit = this.options.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
    let forced!: (v: { raw?: RawCellResult; why: 'timeout' | 'interrupted' | 'crash'; detail?: string }) => void;
    const forcedP = new Promise<{ raw?: RawCellResult; why: 'timeout' | 'interrupted' | 'crash'; detail?: string }>((r) => (forced = r));
    const cell: RunningCell = {
      id,
      gateway: new CellToolGateway(this.tools, this.options.toolLimits),
      stdout: '',
      stderr: '',
      onStream: options.onStream,
      timeoutMs,
      limit,
      started: false,
      toolsPending: 0,
      force: (raw, why, detail) => forced({ raw, why, detail }),
    };
    this.running = cell;
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const release = this.platform.keepAlive?.();
    try {
      await this.ready;
      if (cell.stopReason) {
        // Interrupted while waiting for the interpreter to (re)start: nothing ran.
        const message = 'the cell was interrupted before it started';
        return {
          status: cell.stopReason, stdout: '', stderr: '', durationMs: performance.now() - started, truncated: false, restarted: false,
          error: { ename: 'KeyboardInterrupt', evalue: message, traceback: [`KeyboardInterrupt: ${message}`] },
          notepad: structuredClone(this.notepad), toolCalls: [],
        };
      }
      if (this.interruptBuffer) Atomics.store(new Int32Array(this.interruptBuffer), 0, 0);
      cell.started = true;
      timer = setTimeout(() => this.stop(cell, 'timeout'), timeoutMs);
      const normal = this.worker.api.runCell(id, code, limit).then(
        (raw) => ({ raw, why: undefined as undefined, detail: undefined as string | undefined }),
        (e: unknown) => ({ raw: undefined, why: 'crash' as const, detail: toErrorData(e).message }),
      );
      const outcome = await Promise.race([normal, forcedP]);
      return this.finish(cell, outcome.raw, outcome.why, outcome.detail, started);
    } finally {
      clearTimeout(timer);
      clearTimeout(cell.graceTimer);
      clearInterval(cell.resendTimer);
      release?.();
      cell.gateway.cancel();
      if (this.running === cell) this.running = undefined;
    }
  }

  /** Stops a running cell: KeyboardInterrupt through the interrupt buffer, else (or after a grace period) a restart. */
  private stop(cell: RunningCell, why: 'timeout' | 'interrupted'): void {
    if (cell.stopReason || this.running !== cell) return;
    cell.stopReason = why;
    if (!cell.started) return; // runCellInner returns as soon as the interpreter is ready
    cell.gateway.cancel();
    // A tool call the worker is blocked on gets an "interrupted" reply right away.
    this.writeToolReply(INTERRUPTED_REPLY);
    // A cell parked on an await does not run Python, so SIGINT alone would not reach it.
    // (A cell waiting on a tool gets the "interrupted" reply instead.)
    if (cell.toolsPending === 0) this.worker.api.cancelCell(cell.id).catch(() => undefined);
    if (this.interruptBuffer) {
      // Python blocked in a tool call gets KeyboardInterrupt from the "interrupted" reply; a SIGINT
      // on top would land in Pyodide's promise plumbing (JSPI) instead of the cell.
      const buf = new Int32Array(this.interruptBuffer);
      if (cell.toolsPending === 0) Atomics.store(buf, 0, 2); // SIGINT
      // Pyodide clears the buffer when it takes the signal; now and then the KeyboardInterrupt is
      // raised somewhere that swallows it (seen ~1 in 20 under load). Re-arm until the cell ends.
      cell.resendTimer = setInterval(() => {
        if (this.running === cell && cell.toolsPending === 0 && Atomics.load(buf, 0) === 0) Atomics.store(buf, 0, 2);
      }, 150);
      cell.graceTimer = setTimeout(() => cell.force(undefined, why), this.options.interruptGraceMs ?? INTERRUPT_GRACE_MS);
    } else {
      // No interrupt buffer: only a cell parked on an await (or a tool call) can still stop by itself.
      cell.graceTimer = setTimeout(() => cell.force(undefined, why), NO_BUFFER_GRACE_MS);
    }
  }

  private finish(
    cell: RunningCell,
    raw: RawCellResult | undefined,
    forcedWhy: 'timeout' | 'interrupted' | 'crash' | undefined,
    detail: string | undefined,
    started: number,
  ): CellResult {
    const toolCalls = cell.gateway.records;
    const durationMs = performance.now() - started;
    if (!raw) {
      // The worker was terminated (or died): what streamed is all the output we have.
      this.restart();
      const why = forcedWhy ?? 'crash';
      const limitText =
        why === 'timeout'
          ? `the cell ran longer than ${cell.timeoutMs} ms and did not respond to an interrupt`
          : why === 'interrupted'
            ? 'the cell was interrupted'
            : `the Python worker crashed (${detail ?? 'unknown reason'})`;
      const ename = why === 'timeout' ? 'TimeoutError' : why === 'interrupted' ? 'KeyboardInterrupt' : isMemoryProblem(detail ?? '') ? 'MemoryError' : 'SandboxCrash';
      const message = `${limitText}; ${RESTART_MESSAGE}`;
      // Python streams at most `limit` characters; reaching it means the rest was cut there.
      const truncated = cell.stdout.length + cell.stderr.length >= cell.limit;
      const stdout = truncated
        ? `${cell.stdout}\n[... output truncated at ${cell.limit.toLocaleString('en-US')} characters per cell ...]\n`
        : cell.stdout;
      return {
        status: why === 'crash' ? 'error' : why,
        stdout,
        stderr: cell.stderr + (cell.stderr && !cell.stderr.endsWith('\n') ? '\n' : '') + `[${message}]\n`,
        error: { ename, evalue: message, traceback: [`${ename}: ${message}`] },
        durationMs,
        truncated,
        restarted: true,
        notepad: structuredClone(this.notepad),
        toolCalls,
      };
    }
    this.notepad = raw.notepad;
    const result: CellResult = {
      status: raw.error ? 'error' : 'ok',
      stdout: raw.stdout,
      stderr: raw.stderr,
      durationMs,
      truncated: raw.truncated,
      restarted: false,
      notepad: raw.notepad,
      toolCalls,
    };
    if (raw.result !== undefined) result.result = raw.result;
    if (raw.finalAnswer !== undefined) result.finalAnswer = raw.finalAnswer;
    if (raw.error) {
      result.error = raw.error;
      if (cell.stopReason && (raw.error.ename === 'KeyboardInterrupt' || raw.error.ename === 'CancelledError')) {
        result.status = cell.stopReason;
        if (cell.stopReason === 'timeout') {
          result.error = {
            ename: 'TimeoutError',
            evalue: `the cell ran longer than ${cell.timeoutMs} ms and was interrupted (variables are kept)`,
            traceback: [...raw.error.traceback.slice(0, -1), `TimeoutError: the cell ran longer than ${cell.timeoutMs} ms and was interrupted`],
          };
        }
      } else if (raw.error.ename === 'MemoryError') {
        // Wasm memory never shrinks: recycle the worker after a memory blow-up.
        this.restart();
        result.restarted = true;
        result.stderr += `${result.stderr && !result.stderr.endsWith('\n') ? '\n' : ''}[out of memory: ${RESTART_MESSAGE}]\n`;
      }
    }
    return result;
  }

  async interrupt(): Promise<void> {
    const cell = this.running;
    if (cell) this.stop(cell, 'interrupted');
  }

  async reset(options: { clearNotepad?: boolean } = {}): Promise<void> {
    if (options.clearNotepad) this.notepad = structuredClone(EMPTY_NOTEPAD);
    const cell = this.running;
    if (cell) {
      // The worker is busy: a fresh worker is the fresh namespace.
      cell.stopReason = 'interrupted';
      cell.force(undefined, 'interrupted');
      await this.runningDone;
    }
    const release = this.platform.keepAlive?.();
    try {
      await this.ready;
      await this.worker.api.reset(Boolean(options.clearNotepad));
    } finally {
      release?.();
    }
  }

  async getNotepad(): Promise<NotepadState> {
    if (!this.running) {
      const release = this.platform.keepAlive?.();
      try {
        await this.ready;
        this.notepad = await this.worker.api.getNotepad();
      } catch {
        /* keep the host copy */
      } finally {
        release?.();
      }
    }
    return structuredClone(this.notepad);
  }

  async setNotepad(state: NotepadState): Promise<void> {
    this.notepad = structuredClone(state);
    const release = this.platform.keepAlive?.();
    try {
      await this.ready;
      await this.worker.api.setNotepad(this.notepad);
    } finally {
      release?.();
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const cell = this.running;
    if (cell) cell.force(undefined, 'interrupted');
    this.worker?.terminate();
  }
}
