// Host side of the tool bridge: runs a Tool for a Python call with a timeout, a result-size cap and
// a per-cell call cap, and records the call. Replies are JSON the Python runtime understands.
import { toErrorData, type ErrorData, type Tool, type ToolCallRecord } from '../protocols';

export const DEFAULT_TOOL_TIMEOUT_MS = 20_000;
export const DEFAULT_TOOL_RESULT_CHARS = 20_000;
export const DEFAULT_TOOL_CALLS_PER_CELL = 30;

export interface ToolGatewayLimits {
  timeoutMs?: number;
  maxResultChars?: number;
  maxCallsPerCell?: number;
}

export const INTERRUPTED_REPLY = JSON.stringify({ interrupted: true });

/** Per-cell gateway: counts calls and records them. */
export class CellToolGateway {
  readonly records: ToolCallRecord[] = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly tools: Map<string, Tool>,
    private readonly limits: ToolGatewayLimits = {},
  ) {}

  /** Aborts pending tool runs (the cell was interrupted or timed out). */
  cancel(): void {
    this.abort.abort();
  }

  async call(name: string, argsJson: string): Promise<string> {
    const started = performance.now();
    let args: Record<string, unknown> = {};
    const fail = (error: ErrorData): string => {
      this.records.push({ name, args, ok: false, error, durationMs: performance.now() - started });
      return JSON.stringify({ ok: false, error: error.message });
    };
    try {
      args = JSON.parse(argsJson) as Record<string, unknown>;
    } catch {
      return fail({ kind: 'tool', message: 'arguments were not valid JSON' });
    }
    const tool = this.tools.get(name);
    if (!tool) return fail({ kind: 'tool', message: `unknown tool ${name}` });
    const maxCalls = this.limits.maxCallsPerCell ?? DEFAULT_TOOL_CALLS_PER_CELL;
    if (this.records.length >= maxCalls) {
      return fail({ kind: 'tool', message: `too many tool calls in one cell (limit ${maxCalls}); split the work over several cells` });
    }
    if (this.abort.signal.aborted) return fail({ kind: 'aborted', message: 'the cell was interrupted' });
    const timeoutMs = tool.timeoutMs ?? this.limits.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    const maxChars = tool.maxResultChars ?? this.limits.maxResultChars ?? DEFAULT_TOOL_RESULT_CHARS;
    const ctl = new AbortController();
    const onCellAbort = () => ctl.abort();
    this.abort.signal.addEventListener('abort', onCellAbort);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ctl.abort();
          reject(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { kind: 'timeout', message: `timed out after ${timeoutMs} ms`, retryable: true }));
        }, timeoutMs);
      });
      const cellStopped = new Promise<never>((_, reject) => {
        const stop = () => reject(Object.assign(new Error('the cell was interrupted'), { kind: 'aborted', message: 'the cell was interrupted' }));
        if (this.abort.signal.aborted) stop();
        else this.abort.signal.addEventListener('abort', stop, { once: true });
      });
      const value = await Promise.race([tool.run(args, { signal: ctl.signal }), timeout, cellStopped]);
      const json = JSON.stringify(value ?? null) ?? 'null';
      if (json.length > maxChars) {
        return fail({
          kind: 'tool',
          message: `result too large (${json.length.toLocaleString('en-US')} characters of JSON; limit ${maxChars.toLocaleString('en-US')}); ask for less`,
          detail: { chars: json.length, limit: maxChars },
        });
      }
      this.records.push({ name, args, ok: true, result: json, durationMs: performance.now() - started });
      return `{"ok":true,"result":${json}}`;
    } catch (e) {
      return fail(toErrorData(e, 'tool'));
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onCellAbort);
    }
  }
}
