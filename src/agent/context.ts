/**
 * The context the model sees, laid out so that the KV-cache prefix stays stable:
 *
 *   system (prompt + tool docs)
 *   user   task + notepad
 *   assistant  step 1, raw text as generated (+ the end-of-code marker when the engine dropped it)
 *   user       <output>..</output> of step 1 + the notepad after step 1
 *   ...        (one assistant/user pair per step; earlier messages are never rewritten)
 *
 * So the newest notepad is always the last thing before the model's turn (a resumed run adds one
 * user message after the last observation saying whether the notebook's variables were restored). When the prompt would
 * exceed the memory budget, history collapses to system + task + a one-line note + the notepad
 * (L0's rule); that breaks the prefix once.
 *
 * Marker decision: the assistant message is `raw` plus `EOC_MARKER` when the turn opened a code
 * block and the engine did not return the marker. The model then always sees its past turns in the
 * exact format it is asked to write, whatever the engine does with stop strings. `raw` in the
 * trajectory stays exactly what the engine returned.
 */
import { EMPTY_NOTEPAD, type CellResult, type ChatMessage, type FinishReason, type NotepadState, type Trajectory, type TrajectoryStep } from '../protocols';
import { capTokens, type TokenCounter } from './memory';
import { renderNotepad } from './notepad-render';
import { EOC_MARKER, type ParsedStep } from './parse';

export function taskMessage(task: string, notepad: NotepadState): ChatMessage {
  return { role: 'user', content: `${task.trim()}\n\n${renderNotepad(notepad)}` };
}

export function firstMessages(systemPrompt: string, task: string, notepad: NotepadState): ChatMessage[] {
  return [{ role: 'system', content: systemPrompt }, taskMessage(task, notepad)];
}

export function collapseNote(clearedSteps: number): string {
  return `(Steps 1-${clearedSteps} were cleared from your memory to stay within the token limit; the notepad below is what you kept. Variables in the notebook still exist.)`;
}

/** System + task + a note that older steps were cleared + the notepad. */
export function collapsedMessages(systemPrompt: string, task: string, notepad: NotepadState, clearedSteps: number): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: `${task.trim()}\n\n${collapseNote(clearedSteps)}\n\n${renderNotepad(notepad)}` },
  ];
}

/** The assistant message for a turn: the raw text, with the marker restored if the engine dropped it. */
export function assistantContent(raw: string): string {
  const text = raw.endsWith('<output>') ? raw.slice(0, -'<output>'.length) : raw;
  const openedCode = text.includes('<code>') || text.includes('```');
  return openedCode && !text.includes(EOC_MARKER) ? text + EOC_MARKER : text;
}

/** The two messages a finished step adds to the context. */
export function stepMessages(step: Pick<TrajectoryStep, 'raw' | 'observation'>): ChatMessage[] {
  return [
    { role: 'assistant', content: assistantContent(step.raw) },
    { role: 'user', content: step.observation },
  ];
}

/** A one-line note the model saw just before step `beforeStep`. */
/** Written by resume.ts when a saved run is continued. */
export interface ResumeNote {
  beforeStep: number;
  note: string;
}

export function resumeNotesOf(traj: Pick<Trajectory, 'settings'>): ResumeNote[] {
  return (traj.settings.resumeNotes as ResumeNote[] | undefined) ?? [];
}

/** The note messages to place right before step `stepIndex`'s turn (after any collapse). */
export function resumeNoteMessages(traj: Pick<Trajectory, 'settings'>, stepIndex: number): ChatMessage[] {
  return resumeNotesOf(traj)
    .filter((n) => n.beforeStep === stepIndex)
    .map((n) => ({ role: 'user', content: n.note }));
}

export function initialNotepadOf(traj: Pick<Trajectory, 'settings'>): NotepadState {
  return (traj.settings.initialNotepad as NotepadState | undefined) ?? EMPTY_NOTEPAD;
}

/**
 * The exact messages the model received at step `stepIndex` (1-based), rebuilt from a trajectory
 * alone (RL export, tests). `stepIndex = steps.length + 1` gives the history before the next
 * step, before any collapse the next step may need. Resume notes sit after any collapse.
 */
export function messagesForStep(traj: Pick<Trajectory, 'systemPrompt' | 'task' | 'settings' | 'steps'>, stepIndex: number): ChatMessage[] {
  let notepad = initialNotepadOf(traj);
  let messages = firstMessages(traj.systemPrompt, traj.task, notepad);
  for (const step of traj.steps) {
    if (step.collapsedBefore) messages = collapsedMessages(traj.systemPrompt, traj.task, notepad, step.index - 1);
    messages.push(...resumeNoteMessages(traj, step.index));
    if (step.index === stepIndex) return messages;
    messages.push(...stepMessages(step));
    notepad = step.notepad;
  }
  return [...messages, ...resumeNoteMessages(traj, stepIndex)];
}

// ---------------------------------------------------------------------------------------------
// Observations: what a notebook user would see under the cell, then the notepad.
// ---------------------------------------------------------------------------------------------

export interface ObservationInput {
  parsed: ParsedStep;
  finishReason: FinishReason;
  /** Absent when no code ran. */
  cell?: CellResult;
  notepad: NotepadState;
  maxObservationTokens: number;
  count: TokenCounter;
}

/** Why a turn's code was not run, or undefined when it should run. */
export function reasonNotRun(parsed: ParsedStep, finishReason: FinishReason): string | undefined {
  if (finishReason === 'length') return `your reply reached the length limit of one step before ${EOC_MARKER}. Write a shorter step.`;
  if (!parsed.code.trim()) return `${parsed.formatErrors.join('; ')}.`;
  return undefined;
}

export async function buildObservation(input: ObservationInput): Promise<string> {
  const { parsed, finishReason, cell, notepad } = input;
  const format = `Reply with <think>...</think> then <code>...</code>${EOC_MARKER}.`;
  let output: string;
  if (!cell) {
    output = `[No code ran: ${reasonNotRun(parsed, finishReason) ?? 'nothing to run.'} ${format}]`;
  } else {
    const text = cellText(cell);
    const capped = await capTokens(text, input.maxObservationTokens, input.count);
    const notes = cellNotes(cell, capped.cut, text);
    if (parsed.formatErrors.length) notes.push(`[Format: ${parsed.formatErrors.join('; ')}. ${format}]`);
    output = [capped.text, ...notes].filter(Boolean).join('\n') || '(no output)';
  }
  return `<output>\n${output}\n</output>\n\n${renderNotepad(notepad)}`;
}

/** stdout/stderr, the value of the last line, and the traceback: what the notebook shows. */
function cellText(cell: CellResult): string {
  const parts: string[] = [];
  const streams = cell.stdout + cell.stderr;
  if (streams.trim()) parts.push(streams.replace(/\s+$/, ''));
  if (cell.result !== undefined) parts.push(cell.result);
  if (cell.error) {
    const tb = cell.error.traceback.join('\n').replace(/\s+$/, '');
    parts.push(tb || `${cell.error.ename}: ${cell.error.evalue}`);
  }
  return parts.join('\n');
}

/** Notes on how the cell ended, unless the cell's own output already says it. */
function cellNotes(cell: CellResult, cutHere: boolean, text: string): string[] {
  const notes: string[] = [];
  if (cell.truncated || cutHere) notes.push('[Output truncated.]');
  if (cell.status === 'timeout' && !cell.error) notes.push('[Timed out: the cell ran past the time limit and was stopped.]');
  if (cell.status === 'interrupted' && !cell.error) notes.push('[Interrupted.]');
  if (cell.restarted && !/restarted/i.test(text)) notes.push('[The Python interpreter was restarted: variables and imports are gone; the notepad was kept.]');
  return notes;
}
