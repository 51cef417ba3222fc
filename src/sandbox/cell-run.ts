// One cell on the host side: its state while it runs, how it is stopped (KeyboardInterrupt through
// the interrupt buffer, then a kill after a grace period) and how the worker's raw result (or the
// lack of one) becomes a CellResult.
import { INTERRUPT_GRACE_MS, type CellOutput, type CellResult, type NotepadState, type PackageProgress, type StreamChunk } from '../protocols';
import type { RawCellResult, RawOutput } from './messages';
import type { CellForTools } from './tool-channel';
import type { CellToolGateway } from './tool-gateway';

/** Without an interrupt buffer only an awaiting cell can stop by itself: give it a short chance. */
const NO_BUFFER_GRACE_MS = 300;
export const RESTART_MESSAGE = 'the interpreter was restarted; variables were lost (the notepad was kept)';

export type StopReason = 'timeout' | 'interrupted';
export type ForcedWhy = StopReason | 'crash';
export interface Forced {
  raw?: RawCellResult;
  why: ForcedWhy;
  detail?: string;
}

export interface RunningCell extends CellForTools {
  gateway: CellToolGateway;
  stdout: string;
  stderr: string;
  onStream?: (c: StreamChunk) => void;
  onPackage?: (p: PackageProgress) => void;
  /** Why the host stopped the cell, if it did. */
  stopReason?: StopReason;
  timeoutMs: number;
  /** Output limit of this cell (characters). */
  limit: number;
  /** True once the worker was asked to run the cell. */
  started: boolean;
  /** Resolves the cell early when its worker had to be terminated. */
  force(raw: RawCellResult | undefined, why: ForcedWhy, detail?: string): void;
  graceTimer?: ReturnType<typeof setTimeout>;
  resendTimer?: ReturnType<typeof setInterval>;
}

export function newCell(args: { id: number; gateway: CellToolGateway; timeoutMs: number; limit: number; onStream?: (c: StreamChunk) => void; onPackage?: (p: PackageProgress) => void }): {
  cell: RunningCell;
  forced: Promise<Forced>;
} {
  let resolve!: (f: Forced) => void;
  const forced = new Promise<Forced>((r) => (resolve = r));
  const cell: RunningCell = {
    ...args,
    stdout: '',
    stderr: '',
    started: false,
    toolsPending: 0,
    force: (raw, why, detail) => resolve({ raw, why, detail }),
  };
  return { cell, forced };
}

export function clearCellTimers(cell: RunningCell): void {
  clearTimeout(cell.graceTimer);
  clearInterval(cell.resendTimer);
}

export interface StopTarget {
  interruptBuffer?: SharedArrayBuffer;
  /** Answers the tool call the worker is blocked on with "interrupted". */
  interruptBlockedToolCall(): void;
  /** Asks the worker to cancel the cell's task (for a cell parked on an await). */
  cancelCell(id: number): void;
  isRunning(cell: RunningCell): boolean;
  graceMs?: number;
}

/** Stops a running cell: KeyboardInterrupt through the interrupt buffer, else (or after a grace period) a restart. */
export function stopCell(cell: RunningCell, why: StopReason, t: StopTarget): void {
  if (cell.stopReason || !t.isRunning(cell)) return;
  cell.stopReason = why;
  if (!cell.started) return; // the cell returns as soon as the interpreter is ready
  cell.gateway.cancel();
  t.interruptBlockedToolCall();
  // A cell parked on an await does not run Python, so SIGINT alone would not reach it.
  // (A cell waiting on a tool gets the "interrupted" reply instead.)
  if (cell.toolsPending === 0) t.cancelCell(cell.id);
  if (t.interruptBuffer) {
    // Python blocked in a tool call gets KeyboardInterrupt from the "interrupted" reply; a SIGINT
    // on top would land in Pyodide's promise plumbing (JSPI) instead of the cell.
    const buf = new Int32Array(t.interruptBuffer);
    if (cell.toolsPending === 0) Atomics.store(buf, 0, 2); // SIGINT
    // Pyodide clears the buffer when it takes the signal; now and then the KeyboardInterrupt is
    // raised somewhere that swallows it (seen ~1 in 20 under load). Re-arm until the cell ends.
    cell.resendTimer = setInterval(() => {
      if (t.isRunning(cell) && cell.toolsPending === 0 && Atomics.load(buf, 0) === 0) Atomics.store(buf, 0, 2);
    }, 150);
    cell.graceTimer = setTimeout(() => cell.force(undefined, why), t.graceMs ?? INTERRUPT_GRACE_MS);
  } else {
    // No interrupt buffer: only a cell parked on an await (or a tool call) can still stop by itself.
    cell.graceTimer = setTimeout(() => cell.force(undefined, why), NO_BUFFER_GRACE_MS);
  }
}

export function interruptedBeforeStart(why: StopReason, notepad: NotepadState, durationMs: number): CellResult {
  const message = 'the cell was interrupted before it started';
  return {
    status: why, stdout: '', stderr: '', durationMs, truncated: false, restarted: false,
    error: { ename: 'KeyboardInterrupt', evalue: message, traceback: [`KeyboardInterrupt: ${message}`] },
    notepad: structuredClone(notepad), toolCalls: [],
  };
}

function isMemoryProblem(text: string): boolean {
  return /memory|OOM|allocation failed/i.test(text);
}

/** The result of a cell whose worker was terminated (or died): what streamed is all the output we have. */
export function killedResult(cell: RunningCell, why: ForcedWhy, detail: string | undefined, durationMs: number, notepad: NotepadState): CellResult {
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
  const stdout = truncated ? `${cell.stdout}\n[... output truncated at ${cell.limit.toLocaleString('en-US')} characters per cell ...]\n` : cell.stdout;
  return {
    status: why === 'crash' ? 'error' : why,
    stdout,
    stderr: cell.stderr + (cell.stderr && !cell.stderr.endsWith('\n') ? '\n' : '') + `[${message}]\n`,
    error: { ename, evalue: message, traceback: [`${ename}: ${message}`] },
    durationMs,
    truncated,
    restarted: true,
    notepad: structuredClone(notepad),
    toolCalls: cell.gateway.records,
  };
}

/** The result of a cell the worker answered; `recycle` when the worker must be replaced (MemoryError). */
export function answeredResult(cell: RunningCell, raw: RawCellResult, durationMs: number): { result: CellResult; recycle: boolean } {
  const result: CellResult = {
    status: raw.error ? 'error' : 'ok',
    stdout: raw.stdout,
    stderr: raw.stderr,
    durationMs,
    truncated: raw.truncated,
    restarted: false,
    notepad: raw.notepad,
    toolCalls: cell.gateway.records,
  };
  if (raw.result !== undefined) result.result = raw.result;
  if (raw.finalAnswer !== undefined) result.finalAnswer = raw.finalAnswer;
  if (raw.outputs?.length) result.outputs = raw.outputs.map(cellOutput);
  if (!raw.error) return { result, recycle: false };
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
    return { result, recycle: false };
  }
  if (raw.error.ename !== 'MemoryError') return { result, recycle: false };
  // Wasm memory never shrinks: recycle the worker after a memory blow-up.
  result.restarted = true;
  result.stderr += `${result.stderr && !result.stderr.endsWith('\n') ? '\n' : ''}[out of memory: ${RESTART_MESSAGE}]\n`;
  return { result, recycle: true };
}

/** A checked raw output as a CellOutput (its MIME types are the channel schema's closed list). */
function cellOutput(raw: RawOutput): CellOutput {
  const data: Record<string, string> = {};
  const metadata: Record<string, { width?: number; height?: number }> = {};
  for (const item of raw.items) {
    data[item.mime] = item.data;
    if (item.width !== undefined && item.height !== undefined) metadata[item.mime] = { width: item.width, height: item.height };
  }
  data['text/plain'] ??= '';
  return Object.keys(metadata).length ? { type: raw.type, data, metadata } : { type: raw.type, data };
}
