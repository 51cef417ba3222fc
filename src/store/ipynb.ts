// A session as a Jupyter notebook (nbformat 4.4: no cell ids, so it also validates against the
// 4.0 schema): each question as a markdown heading cell, then its steps (thinking as markdown,
// code as a code cell with its outputs: stdout/stderr streams, the last expression's repr, the
// error) and its answer.
import { turnsOf, type CellResult, type NotepadState, type Trajectory } from '../protocols';
import { notepadMarkdown, questionHeading, turnOutcome } from './markdown';

export type MultilineString = string[];

export interface NbOutput {
  output_type: 'stream' | 'execute_result' | 'error';
  [k: string]: unknown;
}
export interface NbCell {
  cell_type: 'markdown' | 'code';
  metadata: Record<string, unknown>;
  source: MultilineString;
  outputs?: NbOutput[];
  execution_count?: number | null;
}
export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NbCell[];
}

/** Splits text into Jupyter's list-of-lines form: every line but the last keeps its '\n'. */
export function toLines(text: string): MultilineString {
  if (text === '') return [];
  const lines = text.split('\n').map((l, i, all) => (i < all.length - 1 ? l + '\n' : l));
  return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
}

const markdown = (text: string, metadata: Record<string, unknown> = {}): NbCell => ({ cell_type: 'markdown', metadata, source: toLines(text) });

function cellOutputs(cell: CellResult, count: number): NbOutput[] {
  const out: NbOutput[] = [];
  if (cell.stdout) out.push({ output_type: 'stream', name: 'stdout', text: toLines(cell.stdout) });
  if (cell.stderr) out.push({ output_type: 'stream', name: 'stderr', text: toLines(cell.stderr) });
  if (cell.result !== undefined) {
    out.push({ output_type: 'execute_result', execution_count: count, data: { 'text/plain': toLines(cell.result) }, metadata: {} });
  }
  if (cell.error) {
    out.push({ output_type: 'error', ename: cell.error.ename, evalue: cell.error.evalue, traceback: [...cell.error.traceback] });
  } else if (cell.status === 'timeout' || cell.status === 'interrupted') {
    const ename = cell.status === 'timeout' ? 'TimeoutError' : 'KeyboardInterrupt';
    out.push({ output_type: 'error', ename, evalue: `cell ${cell.status}`, traceback: [`${ename}: cell ${cell.status}`] });
  }
  return out;
}

export function sessionToNotebook(trajectory: Trajectory, notepad?: NotepadState, title?: string): Notebook {
  const turns = turnsOf(trajectory);
  const counts = turns.length > 1 ? ` · questions: ${turns.length}` : '';
  const cells: NbCell[] = [markdown(`# ${title || 'L0 session'}\n\nModel: \`${trajectory.modelId}\` · status: ${trajectory.status}${counts}`)];
  for (const turn of turns) {
    const turnMeta = { l0: { turn: turn.index } };
    cells.push(markdown(`${questionHeading(turn, turns.length)}\n\n${turn.question}`, turnMeta));
    for (const step of turn.steps) {
      const meta = { l0: { step: step.index, turn: turn.index } };
      if (step.think.trim()) cells.push(markdown(`**Step ${step.index}: thinking**\n\n${step.think.trim()}`, meta));
      if (step.code.trim()) {
        cells.push({
          cell_type: 'code',
          metadata: meta,
          source: toLines(step.code),
          outputs: step.cell ? cellOutputs(step.cell, step.index) : [],
          execution_count: step.cell ? step.index : null,
        });
      }
    }
    const heading = turns.length > 1 ? `## Answer ${turn.index}` : '## Answer';
    cells.push(markdown(`${heading}\n\n${turn.finalAnswer ?? `_${turnOutcome(turn)}_`}`, turnMeta));
  }
  if (notepad) cells.push(markdown(`## Notepad\n\n${notepadMarkdown(notepad)}`));
  return {
    nbformat: 4,
    nbformat_minor: 4,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
      language_info: { name: 'python', file_extension: '.py', mimetype: 'text/x-python', codemirror_mode: { name: 'ipython', version: 3 } },
      l0: { sessionId: trajectory.sessionId, modelId: trajectory.modelId, status: trajectory.status },
    },
    cells,
  };
}
