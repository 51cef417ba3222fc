// Shared helpers for the agent tests (not a test file).
import type { AgentEvent, CellResult, NotepadState, NotepadStore, RunCellOptions, Sandbox, Tool, Trajectory, TrajectoryStep } from '../../src/protocols';
import { MemoryFilesSandbox } from '../../src/sandbox/memory-workspace';
import { EMPTY_NOTEPAD } from '../../src/protocols';

/** A NotepadStore in memory that records every save, in order. */
export class RecordingStore implements NotepadStore {
  notepads = new Map<string, NotepadState>();
  steps = new Map<string, TrajectoryStep[]>();
  runs = new Map<string, Omit<Trajectory, 'steps'>>();
  log: string[] = [];
  failSaves = false;
  async loadNotepad(id: string) {
    return this.notepads.get(id);
  }
  async saveNotepad(id: string, state: NotepadState) {
    if (this.failSaves) throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
    this.log.push(`notepad:${id}`);
    this.notepads.set(id, structuredClone(state));
  }
  async appendStep(id: string, step: TrajectoryStep) {
    this.log.push(`step:${id}:${step.index}`);
    this.steps.set(id, [...(this.steps.get(id) ?? []), structuredClone(step)]);
  }
  async saveRun(id: string, run: Omit<Trajectory, 'steps'>) {
    this.log.push(`run:${id}:${run.status}`);
    this.runs.set(id, structuredClone(run));
  }
}

/**
 * A sandbox whose cells are answered by a function: for testing how the loop copes with sandbox
 * behaviour a real interpreter cannot be made to show on demand (a hung interrupt, a restart).
 */
export class FunctionSandbox extends MemoryFilesSandbox implements Sandbox {
  readonly info = { interrupt: 'restart', toolBridge: 'none', pyodideVersion: 'fake', pythonVersion: 'fake' } as const;
  notepad: NotepadState = EMPTY_NOTEPAD;
  interrupts = 0;
  cells: string[] = [];
  private pendingInterrupt?: () => void;
  constructor(private readonly answer: (code: string, self: FunctionSandbox, options?: RunCellOptions) => Partial<CellResult> | Promise<Partial<CellResult>>) {
    super();
  }
  async runCell(code: string, options?: RunCellOptions): Promise<CellResult> {
    this.cells.push(code);
    const r = await this.answer(code, this, options);
    return { status: 'ok', stdout: '', stderr: '', durationMs: 1, truncated: false, restarted: false, notepad: this.notepad, ...r };
  }
  /** Resolves when interrupt() is called (for cells that "run" until interrupted). */
  untilInterrupted(): Promise<void> {
    return new Promise((resolve) => (this.pendingInterrupt = resolve));
  }
  async interrupt() {
    this.interrupts++;
    this.pendingInterrupt?.();
  }
  async reset() {}
  async restart() {}
  async getNotepad() {
    return this.notepad;
  }
  async setNotepad(state: NotepadState) {
    this.notepad = structuredClone(state);
  }
  async dispose() {}
}

export async function collect(run: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const e of run) events.push(e);
  return events;
}

/** Event types with consecutive streaming deltas folded into one, e.g. 'think*'. */
export function eventSequence(events: AgentEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    let name: string = e.type;
    if (e.type === 'cell-output') name = e.chunk ? 'cell-chunk' : 'cell-result';
    if (e.type === 'error') name = `error:${e.error.kind}`;
    if (['think', 'code-delta', 'cell-chunk'].includes(name)) name += '*';
    if (out.at(-1) !== name || !name.endsWith('*')) out.push(name);
  }
  return out;
}

function tool(name: string, signature: string, description: string, example: string): Tool {
  return { name, signature, params: ['query'], description, example, run: async () => [] };
}

/** Four tools of the size the product ships (search, reader, wiki, corpus). */
export const FOUR_TOOLS: Tool[] = [
  tool(
    'web_search',
    'web_search(query: str, k: int = 5) -> list[dict]',
    'Searches the web and returns up to k results as dicts with title, url and snippet (each cut to about 1,000 characters). Use short keyword queries; read promising pages with get_webpage_in_markdown.',
    "results = web_search('population of Lyon 2020')",
  ),
  tool(
    'get_webpage_in_markdown',
    'get_webpage_in_markdown(url: str) -> str',
    'Downloads a web page and returns its main text as Markdown, cut to a token budget. Search inside the returned string instead of printing all of it.',
    "page = get_webpage_in_markdown(results[0]['url'])",
  ),
  tool(
    'wikipedia_search',
    'wikipedia_search(query: str, k: int = 3) -> list[dict]',
    'Searches Wikipedia and returns the best k articles with title, url and the lead section. Good for facts about people, places and events.',
    "wikipedia_search('Eiffel Tower height')",
  ),
  tool(
    'corpus_search',
    'corpus_search(query: str, k: int = 5) -> list[dict]',
    'Searches the local document collection loaded in the page (offline) and returns passages with their document id and score.',
    "hits = corpus_search('boiling point of water at altitude')",
  ),
];
