// What a finished cell shows, from its result (pure, shared by the page and the widget): the output
// (stdout, stderr, the last expression's repr unless it is shown rich, the sandbox's notes) and the error, each said once.
// The sandbox tells the model about an interruption or a restart in stderr as well as in the error;
// a person reads the error line, so the note that repeats it is not shown twice.
import type { CellResult } from '../protocols';

export interface CellText {
  /** The output box's text. */
  output: string;
  /** The traceback box's text (its last line is the error line), when the cell failed. */
  traceback?: string;
}

const STOPPED: ReadonlySet<string> = new Set(['interrupted', 'timeout']);

/**
 * The text of a finished cell. `streamed` is what the cell printed while it ran: a stopped cell whose
 * result carries less (a run that gave up waiting for the sandbox records no output) keeps it.
 */
export function cellText(result: CellResult, streamed = ''): CellText {
  const error = result.error;
  const errorLine = error ? `${String(error.ename)}: ${String(error.evalue)}` : '';
  let stderr = String(result.stderr ?? '');
  if (error) stderr = withoutLine(stderr, `[${String(error.evalue)}]`);
  let output = String(result.stdout ?? '') + stderr;
  if (STOPPED.has(String(result.status)) && streamed.length > output.length && !output.startsWith(streamed)) output = streamed + (stderr && !streamed.endsWith(stderr) ? ensureNewline(streamed) + stderr : '');
  // A last value with a rich form (a DataFrame's table) is shown as that, like Jupyter does.
  const richResult = Array.isArray(result.outputs) && result.outputs.some((o) => o?.type === 'execute_result');
  if (result.result !== undefined && !richResult) output += ensureNewline(output) + String(result.result);
  if (result.truncated && !/truncated/.test(output)) output += '\n[output truncated by the sandbox]';
  if (result.restarted && !/restarted/.test(output + errorLine)) output += ensureNewline(output) + '[Python was restarted: variables were lost]';
  if (!error) return { output };
  const tb = Array.isArray(error.traceback) ? error.traceback.map(String) : [];
  const last = tb.at(-1)?.trim() ?? '';
  // Python's own traceback ends with the error line already ("NameError: name 'x' is not defined").
  const ends = last === errorLine.trim() || last === String(error.ename) || last.startsWith(`${String(error.ename)}:`);
  return { output, traceback: (ends ? tb : [...tb, errorLine]).join('\n') };
}

function ensureNewline(text: string): string {
  return text && !text.endsWith('\n') ? '\n' : '';
}

/** `text` without the (last) line that is exactly `line`. */
function withoutLine(text: string, line: string): string {
  const lines = text.split('\n');
  const at = lines.lastIndexOf(line);
  if (at < 0) return text;
  lines.splice(at, 1);
  return lines.join('\n');
}
