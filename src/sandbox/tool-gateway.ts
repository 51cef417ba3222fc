// Host side of the tool bridge: runs a Tool for a Python call with a timeout and a result-size cap,
// and records the call. Calls are counted when they are ISSUED, before anything runs: a per-cell
// cap, a per-run cap (since the sandbox was created, reset() or restart()), and a cap on calls in
// flight (the rest wait their turn), so no number of concurrent calls gets more requests out than
// the caps allow. Replies are JSON the Python runtime understands. A tool that waits for a person
// (an approval prompt) does so through `ctx.waitForUser`, which stops the call's clock and the
// cell's (a person reading a prompt is not a runaway tool); Stop still ends the call at once.
import { toErrorData, type ErrorData, type Tool, type ToolCallRecord } from '../protocols';

const DEFAULT_TOOL_TIMEOUT_MS = 20_000;
const DEFAULT_TOOL_RESULT_CHARS = 20_000;
const DEFAULT_TOOL_CALLS_PER_CELL = 30;
const DEFAULT_TOOL_CALLS_PER_RUN = 200;
const DEFAULT_TOOL_CONCURRENCY = 4;

export interface ToolGatewayLimits {
  timeoutMs?: number;
  maxResultChars?: number;
  maxCallsPerCell?: number;
  /** Calls since the sandbox was created, reset() or restart() (default 200). */
  maxCallsPerRun?: number;
  /** Calls running at once; later ones wait for a free slot (default 4). */
  maxConcurrent?: number;
}

export const INTERRUPTED_REPLY = JSON.stringify({ interrupted: true });

const errorReply = (message: string) => JSON.stringify({ ok: false, error: message });

/** A timeout that can be paused: the time spent paused does not count. */
export interface PausableTimer {
  pause(): void;
  resume(): void;
  clear(): void;
}

export function pausableTimer(ms: number, fire: () => void): PausableTimer {
  let remaining = ms;
  let since = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cleared = false;
  const arm = () => {
    since = performance.now();
    timer = setTimeout(() => {
      timer = undefined;
      cleared = true;
      fire();
    }, Math.max(0, remaining));
  };
  arm();
  return {
    pause() {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      remaining -= performance.now() - since;
    },
    resume() {
      if (timer !== undefined || cleared) return;
      arm();
    },
    clear() {
      cleared = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Sandbox-wide part: the tools, the per-run count and the slots for calls in flight. */
export class ToolGateway {
  private runCalls = 0;
  private inFlight = 0;
  /** Calls waiting for a slot, oldest first, with the signal of their cell. */
  private waiting: { signal: AbortSignal; wake: () => void }[] = [];
  /** Signals with our one abort listener (not one per waiting call: a cell may queue dozens). */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(
    readonly tools: ReadonlyMap<string, Tool>,
    readonly limits: ToolGatewayLimits = {},
  ) {}

  /** Starts the per-run count again (the sandbox calls this on reset() and restart()). */
  newRun(): void {
    this.runCalls = 0;
  }

  forCell(): CellToolGateway {
    return new CellToolGateway(this);
  }

  /** Counts an issued call against the run; the refusal message when the run's cap is reached. */
  admitToRun(): string | undefined {
    const max = this.limits.maxCallsPerRun ?? DEFAULT_TOOL_CALLS_PER_RUN;
    if (this.runCalls >= max) return `too many tool calls in this run (limit ${max}); answer with what you have`;
    this.runCalls++;
    return undefined;
  }

  /** Waits for a free slot; resolves with its release, or undefined when `signal` aborts first. */
  async slot(signal: AbortSignal): Promise<(() => void) | undefined> {
    const max = this.limits.maxConcurrent ?? DEFAULT_TOOL_CONCURRENCY;
    while (this.inFlight >= max) {
      if (signal.aborted) return undefined;
      this.leaveQueueOnAbort(signal);
      await new Promise<void>((wake) => this.waiting.push({ signal, wake }));
    }
    if (signal.aborted) return undefined;
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.waiting.shift()?.wake();
    };
  }

  /**
   * The calls of a stopped cell leave the queue at once: left in it, they would take the wake-ups
   * of later releases, and the next cell's calls would wait for slots that are free.
   */
  private leaveQueueOnAbort(signal: AbortSignal): void {
    if (this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        const leaving = this.waiting.filter((w) => w.signal === signal);
        this.waiting = this.waiting.filter((w) => w.signal !== signal);
        for (const w of leaving) w.wake();
      },
      { once: true },
    );
  }
}

/** Per-cell gateway: counts the cell's calls and records them. */
export class CellToolGateway {
  readonly records: ToolCallRecord[] = [];
  /** Told when the first of this cell's calls starts waiting for a person (true) and when the last stops (false). */
  onUserWait?: (waiting: boolean) => void;
  private issued = 0;
  private refusedOverCap = 0;
  private usersAwaited = 0;
  private readonly abort = new AbortController();

  constructor(private readonly shared: ToolGateway) {}

  private userWait(delta: 1 | -1): void {
    const before = this.usersAwaited;
    this.usersAwaited += delta;
    if (before === 0 && this.usersAwaited === 1) this.onUserWait?.(true);
    else if (before === 1 && this.usersAwaited === 0) this.onUserWait?.(false);
  }

  /** Aborts pending and queued tool runs (the cell was interrupted or timed out). */
  cancel(): void {
    this.abort.abort();
  }

  /** Refusal message when this call may not run; counts it otherwise. Synchronous: nothing awaits before it. */
  private admit(): string | undefined {
    const max = this.shared.limits.maxCallsPerCell ?? DEFAULT_TOOL_CALLS_PER_CELL;
    if (this.issued >= max) return `too many tool calls in one cell (limit ${max}); split the work over several cells`;
    const runRefusal = this.shared.admitToRun();
    if (runRefusal) return runRefusal;
    this.issued++;
    return undefined;
  }

  async call(name: string, argsJson: string): Promise<string> {
    const started = performance.now();
    let args: Record<string, unknown> = {};
    const fail = (error: ErrorData): string => {
      this.records.push({ name, args, ok: false, error, durationMs: performance.now() - started });
      return errorReply(error.message);
    };
    const refusal = this.admit();
    if (refusal) {
      // Only the first refusal is recorded: a flood of refused calls must not grow the cell's record.
      return this.refusedOverCap++ === 0 ? fail({ kind: 'tool', message: refusal }) : errorReply(refusal);
    }
    try {
      const parsed = JSON.parse(argsJson) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail({ kind: 'tool', message: 'arguments must be a JSON object' });
      args = parsed as Record<string, unknown>;
    } catch {
      return fail({ kind: 'tool', message: 'arguments were not valid JSON' });
    }
    const tool = this.shared.tools.get(name);
    if (!tool) return fail({ kind: 'tool', message: `unknown tool ${name}` });
    const release = await this.shared.slot(this.abort.signal);
    if (!release) return fail({ kind: 'aborted', message: 'the cell was interrupted' });
    try {
      return await this.run(tool, args, started, fail);
    } finally {
      release();
    }
  }

  private async run(tool: Tool, args: Record<string, unknown>, started: number, fail: (e: ErrorData) => string): Promise<string> {
    const limits = this.shared.limits;
    const timeoutMs = tool.timeoutMs ?? limits.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    const maxChars = tool.maxResultChars ?? limits.maxResultChars ?? DEFAULT_TOOL_RESULT_CHARS;
    const ctl = new AbortController();
    const onCellAbort = () => ctl.abort();
    this.abort.signal.addEventListener('abort', onCellAbort);
    let timer: PausableTimer | undefined;
    let stopCall: (() => void) | undefined;
    try {
      // The slot is released when the tool stops or is told to stop (timeout, cell abort): its
      // signal aborts its requests.
      const timeout = new Promise<never>((_, reject) => {
        timer = pausableTimer(timeoutMs, () => {
          ctl.abort();
          reject(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { kind: 'timeout', message: `timed out after ${timeoutMs} ms`, retryable: true }));
        });
      });
      let waits = 0;
      const waitForUser = async <T>(work: Promise<T>): Promise<T> => {
        if (waits++ === 0) timer?.pause();
        this.userWait(1);
        try {
          return await work;
        } finally {
          this.userWait(-1);
          if (--waits === 0) timer?.resume();
        }
      };
      const cellStopped = new Promise<never>((_, reject) => {
        stopCall = () => reject(Object.assign(new Error('the cell was interrupted'), { kind: 'aborted', message: 'the cell was interrupted' }));
        if (this.abort.signal.aborted) stopCall();
        else this.abort.signal.addEventListener('abort', stopCall, { once: true });
      });
      const value = await Promise.race([tool.run(args, { signal: ctl.signal, waitForUser }), timeout, cellStopped]);
      const json = JSON.stringify(value ?? null) ?? 'null';
      if (json.length > maxChars) {
        return fail({
          kind: 'tool',
          message: `result too large (${json.length.toLocaleString('en-US')} characters of JSON; limit ${maxChars.toLocaleString('en-US')}); ask for less`,
          detail: { chars: json.length, limit: maxChars },
        });
      }
      this.records.push({ name: tool.name, args, ok: true, result: json, durationMs: performance.now() - started });
      return `{"ok":true,"result":${json}}`;
    } catch (e) {
      return fail(toErrorData(e, 'tool'));
    } finally {
      timer?.clear();
      // Both listeners go with the call: a cell's signal would otherwise keep one per call made.
      this.abort.signal.removeEventListener('abort', onCellAbort);
      if (stopCall) this.abort.signal.removeEventListener('abort', stopCall);
    }
  }
}
