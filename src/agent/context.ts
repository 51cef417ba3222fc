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
 * Marker decision: generation stops at `</code>` or at the end-of-code marker, and engines drop the
 * stop string they matched. The assistant message is the turn up to the end of its first code
 * block with what the stop strings took restored: `</code>` when the block was still open at a stop,
 * then the marker. Text a model wrote after `</code>` (an engine that ignored the stop string) is
 * left out, as it was not run. The model then always sees its past turns in the exact format it is
 * asked to write, whatever the engine does with stop strings. `raw` in the trajectory stays exactly
 * what the engine returned.
 */
import { EMPTY_NOTEPAD, type CellResult, type ChatMessage, type FinishReason, type NotepadState, type Trajectory, type TrajectoryStep } from '../protocols';
import { capTokens, type TokenCounter } from './memory';
import { renderNotepad } from './notepad-render';
import { CODE_CLOSE, EOC_MARKER, layoutTurn, type ParsedStep } from './parse';

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

/**
 * The assistant message for a turn: the turn up to the end of its code block, with the `</code>`
 * and the marker the stop strings took restored (see the header). A turn without code is kept as is.
 */
export function assistantContent(raw: string, finishReason: FinishReason = 'stop', eocMarker: string = EOC_MARKER): string {
  const { head, code, cutBy } = layoutTurn(raw, eocMarker);
  if (!code) return head;
  if (code.ending === 'closed') return head.slice(0, code.end) + eocMarker;
  // Still open: a stop means the engine matched `</code>`; at the length limit the block was cut off.
  const close = code.kind === 'tag' && code.ending === 'open' && finishReason !== 'length' ? CODE_CLOSE : '';
  return (cutBy === 'output' ? head.replace(/\s+$/, '') : head) + close + eocMarker;
}

/** The marker a trajectory was run with (older trajectories: the default). */
export function eocMarkerOf(traj: Pick<Trajectory, 'settings'>): string {
  return typeof traj.settings.eocMarker === 'string' && traj.settings.eocMarker ? traj.settings.eocMarker : EOC_MARKER;
}

/** The two messages a finished step adds to the context. */
export function stepMessages(step: Pick<TrajectoryStep, 'raw' | 'observation' | 'finishReason'>, eocMarker: string = EOC_MARKER): ChatMessage[] {
  return [
    { role: 'assistant', content: assistantContent(step.raw, step.finishReason, eocMarker) },
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
  const eocMarker = eocMarkerOf(traj);
  let notepad = initialNotepadOf(traj);
  let messages = firstMessages(traj.systemPrompt, traj.task, notepad);
  for (const step of traj.steps) {
    if (step.collapsedBefore) messages = collapsedMessages(traj.systemPrompt, traj.task, notepad, step.index - 1);
    messages.push(...resumeNoteMessages(traj, step.index));
    if (step.index === stepIndex) return messages;
    messages.push(...stepMessages(step, eocMarker));
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
  eocMarker?: string;
}

/**
 * Why a turn's code was not run, or undefined when it should run. A turn cut by the token limit
 * still runs when its first code block was complete (it ran on after `</code>`).
 */
export function reasonNotRun(parsed: ParsedStep, finishReason: FinishReason, eocMarker: string = EOC_MARKER): string | undefined {
  if (finishReason === 'length' && !parsed.complete) return `your reply reached the length limit of one step before ${CODE_CLOSE}${eocMarker}. Write a shorter step.`;
  if (!parsed.code.trim()) return `${parsed.formatErrors.join('; ')}.`;
  return undefined;
}

export async function buildObservation(input: ObservationInput): Promise<string> {
  const { parsed, finishReason, cell, notepad } = input;
  const eocMarker = input.eocMarker ?? EOC_MARKER;
  const format = `Reply with <think>...</think> then <code>...</code>${eocMarker}.`;
  let output: string;
  if (!cell) {
    output = `[No code ran: ${reasonNotRun(parsed, finishReason, eocMarker) ?? 'nothing to run.'} ${format}]`;
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
