// A scriptable Sandbox for tests of code that only needs the interface (agent loop, UI).
import { EMPTY_NOTEPAD, type CellResult, type NotepadState, type RunCellOptions, type Sandbox, type SandboxInfo } from '../protocols';
import { MemoryFilesSandbox } from './memory-workspace';

/** A scripted answer to one cell: a fixed partial result, or a function of the code and notepad. */
export type FakeCellScript =
  | Partial<CellResult>
  | ((code: string, notepad: NotepadState) => Partial<CellResult> | Promise<Partial<CellResult>>);

export interface FakeSandboxOptions {
  /** Answers for successive cells; when exhausted, `fallback` (default: an empty 'ok' cell) answers. */
  script?: FakeCellScript[];
  fallback?: FakeCellScript;
  notepad?: NotepadState;
  info?: Partial<SandboxInfo>;
  /** Largest file written or read (default 50 MB, as the real sandbox). */
  maxFileBytes?: number;
}

export class FakeSandbox extends MemoryFilesSandbox implements Sandbox {
  readonly info: SandboxInfo;
  /** Every cell's code, in order. */
  readonly cells: string[] = [];
  resets = 0;
  /** How often restart() was called ("Restart Python"). */
  restarts = 0;
  interrupts = 0;
  disposed = false;
  private notepad: NotepadState;
  private readonly script: FakeCellScript[];

  constructor(private readonly options: FakeSandboxOptions = {}) {
    super(options.maxFileBytes);
    this.script = [...(options.script ?? [])];
    this.notepad = structuredClone(options.notepad ?? EMPTY_NOTEPAD);
    this.info = { interrupt: 'interrupt-buffer', toolBridge: 'none', pyodideVersion: 'fake', pythonVersion: 'fake', ...options.info };
  }

  async runCell(code: string, options: RunCellOptions = {}): Promise<CellResult> {
    if (this.disposed) throw new Error('FakeSandbox was disposed');
    this.cells.push(code);
    const step = this.script.shift() ?? this.options.fallback ?? {};
    const partial = typeof step === 'function' ? await step(code, structuredClone(this.notepad)) : step;
    if (partial.notepad) this.notepad = structuredClone(partial.notepad);
    const result: CellResult = {
      status: partial.error ? 'error' : 'ok',
      stdout: '',
      stderr: '',
      durationMs: 0,
      truncated: false,
      restarted: false,
      toolCalls: [],
      files: this.workspace.listing(),
      ...partial,
      notepad: structuredClone(this.notepad),
    };
    if (result.stdout) options.onStream?.({ name: 'stdout', text: result.stdout });
    if (result.stderr) options.onStream?.({ name: 'stderr', text: result.stderr });
    return result;
  }

  async interrupt(): Promise<void> {
    this.interrupts++;
  }

  async reset(options: { clearNotepad?: boolean } = {}): Promise<void> {
    this.resets++;
    if (options.clearNotepad) this.notepad = structuredClone(EMPTY_NOTEPAD);
  }

  /** Counts the call; the notepad is kept, as in the real sandbox. */
  async restart(): Promise<void> {
    if (this.disposed) throw new Error('FakeSandbox was disposed');
    this.restarts++;
  }

  async getNotepad(): Promise<NotepadState> {
    return structuredClone(this.notepad);
  }

  async setNotepad(state: NotepadState): Promise<void> {
    this.notepad = structuredClone(state);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}
