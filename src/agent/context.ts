/**
 * The context the model sees, laid out so that the KV-cache prefix stays stable:
 *
 *   system (prompt + tool docs)
 *   user   task (+ the files attached to it) + notepad
 *   assistant  step 1, raw text as generated (+ the end-of-code marker when the engine dropped it)
 *   user       <output>..</output> of step 1 + the notepad after step 1
 *   ...        (one assistant/user pair per step; earlier messages are never rewritten)
 *   assistant  the step that answered (submit_final_answer)
 *   user       its <output>..</output> + "Follow-up question: ..." + the notepad   (a follow-up)
 *   assistant  the follow-up's first step ...
 *
 * A question with attached files lists them after its text (name, size, type, a text file's first
 * line): the files are in the working directory, and the list is rebuilt from the question's
 * `attachments`, so the message stays byte-identical. A cell that leaves files the model has not
 * been told of, and whose output does not name them, gets a one-line note in its observation.
 *
 * So the newest notepad is always the last thing before the model's turn. A follow-up adds one
 * user message after the answer step: that step's output (never shown to the model before), a note
 * when the notebook is a fresh one (`TrajectoryTurn.note`), the question and the notepad. A resumed
 * run adds one user message after the last observation saying whether the notebook's variables
 * were restored. When the prompt would exceed the memory budget, history collapses to system +
 * every question so far (in order, each capped) + a one-line note + the notepad (L0's rule, with
 * follow-ups); that breaks the prefix once.
 *
 * Marker decision: generation stops at `</code>` or at the end-of-code marker, and engines drop the
 * stop string they matched. The assistant message is the turn up to the end of its first code
 * block with what the stop strings took restored: `</code>` when the block was still open at a stop,
 * then the marker. Text a model wrote after `</code>` (an engine that ignored the stop string) is
 * left out, as it was not run. The model then always sees its past turns in the exact format it is
 * asked to write, whatever the engine does with stop strings. `raw` in the trajectory stays exactly
 * what the engine returned.
 */
import {
  EMPTY_NOTEPAD,
  formatFileSize,
  shownMime,
  turnsOf,
  type CellOutput,
  type CellResult,
  type ChatMessage,
  type FinishReason,
  type NotepadState,
  type Trajectory,
  type TrajectoryStep,
  type TurnAttachment,
  type TurnView,
  type WorkspaceFile,
} from '../protocols';
import { capTokens, CHARS_PER_TOKEN, type TokenCounter } from './memory';
import { renderNotepad } from './notepad-render';
import { CODE_CLOSE, EOC_MARKER, layoutTurn, type ParsedStep } from './parse';

/** What the context is rebuilt from. */
export type ContextSource = Pick<Trajectory, 'systemPrompt' | 'task' | 'settings' | 'steps'> & Partial<Pick<Trajectory, 'turns'>>;

/** How a follow-up question appears to the model (the system prompt describes this form). */
function followUpText(question: string, attachments?: readonly TurnAttachment[]): string {
  return `Follow-up question: ${withFiles(question, attachments)}`;
}

/** Longest first line of an attached text file the model is shown. */
const FIRST_LINE_CHARS = 200;
/** At most this many attached files are listed one per line; the rest are counted. */
const LISTED_ATTACHMENTS = 50;

/**
 * The list of files attached to a question, as the model reads it under the question, e.g.
 *   Attached files (in the working directory; open them by name):
 *   - data.csv (35 B, text/csv); first line: "city,population"
 */
function attachmentsText(attachments: readonly TurnAttachment[]): string {
  const lines = attachments.slice(0, LISTED_ATTACHMENTS).map((a) => {
    const facts = [formatFileSize(Number(a.size)), ...(typeof a.type === 'string' && a.type ? [a.type] : [])].join(', ');
    const first = typeof a.firstLine === 'string' ? `; first line: ${JSON.stringify(a.firstLine.slice(0, FIRST_LINE_CHARS))}` : '';
    return `- ${String(a.name)} (${facts})${first}`;
  });
  if (attachments.length > LISTED_ATTACHMENTS) lines.push(`- … and ${attachments.length - LISTED_ATTACHMENTS} more`);
  return `Attached files (in the working directory; open them by name):\n${lines.join('\n')}`;
}

/** A question with the list of its attached files after it (the question alone when it has none). */
function withFiles(question: string, attachments?: readonly TurnAttachment[]): string {
  const q = question.trim();
  return Array.isArray(attachments) && attachments.length ? `${q}\n\n${attachmentsText(attachments)}` : q;
}

/** The workspace files a model was told of by the end of a trajectory: attached ones and those cells listed. */
export function knownFileNames(traj: Pick<Trajectory, 'steps'> & Partial<Pick<Trajectory, 'turns' | 'task'>>): Set<string> {
  const names = new Set<string>();
  for (const t of traj.turns ?? []) for (const a of Array.isArray(t.attachments) ? t.attachments : []) names.add(String(a.name));
  for (const s of traj.steps) for (const f of s.cell?.files ?? []) names.add(f.name);
  return names;
}

function collapseNote(clearedSteps: number): string {
  return `(Steps 1-${clearedSteps} were cleared from your memory to stay within the token limit; the notepad below is what you kept. Variables in the notebook still exist.)`;
}

/**
 * System + the questions (the first as written, follow-ups labelled) + a note that older steps
 * were cleared + any notebook notes for this point + the notepad. One question gives L0's
 * system + task + note + notepad.
 */
function collapsedMessages(systemPrompt: string, questions: string | readonly string[], notepad: NotepadState, clearedSteps: number, notes: readonly string[] = []): ChatMessage[] {
  const [first = '', ...followUps] = typeof questions === 'string' ? [questions] : questions;
  const parts = [first.trim(), ...followUps.map((q) => followUpText(q)), collapseNote(clearedSteps), ...notes, renderNotepad(notepad)];
  return [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: parts.join('\n\n') },
  ];
}

/** Each question keeps at most this many characters in a collapsed context: together a quarter of the memory budget, at least 400 each. */
function questionCapChars(memoryTokens: number, questions: number): number {
  if (!(memoryTokens > 0)) return Infinity;
  return Math.max(400, Math.floor((memoryTokens * CHARS_PER_TOKEN) / 4 / Math.max(1, questions)));
}

/** A question cut to `maxChars` (head kept, the cut said). */
function capQuestion(question: string, maxChars: number): string {
  const q = question.trim();
  if (q.length <= maxChars) return q;
  return `${q.slice(0, maxChars)} [... ${q.length - maxChars} characters of this question cut to fit the memory budget]`;
}

/**
 * The collapsed context before step `index`: every question asked by then, capped, and the notes
 * of the follow-ups that open at this point.
 */
export function collapsedContext(traj: ContextSource, index: number, notepad: NotepadState): ChatMessage[] {
  const turns = turnsOf(traj);
  const asked = turns.filter((t) => t.firstStep <= index);
  const cap = questionCapChars(Number(traj.settings.memoryTokens), asked.length);
  const previous = Math.max(0, ...traj.steps.map((s) => s.index).filter((i) => i < index));
  const notes = openingAt(turns, previous, index).flatMap((t) => (t.note ? [t.note] : []));
  return collapsedMessages(traj.systemPrompt, asked.map((t) => capQuestion(withFiles(t.question, t.attachments), cap)), notepad, index - 1, notes);
}

/** The turns that open after step `previous` and by step `index`: their question is in the message before step `index`. */
function openingAt(turns: TurnView[], previous: number, index: number): TurnView[] {
  return turns.filter((t) => t.firstStep > previous && t.firstStep <= index);
}

/** The `<output>..</output>` part of an observation (without the notepad that ends it). */
function outputPart(step: Pick<TrajectoryStep, 'observation' | 'notepad'>): string {
  const tail = `\n\n${renderNotepad(step.notepad)}`;
  if (step.observation.endsWith(tail)) return step.observation.slice(0, -tail.length);
  const cut = step.observation.lastIndexOf('\n\n<notepad>');
  return cut >= 0 && step.observation.endsWith('</notepad>') ? step.observation.slice(0, cut) : step.observation;
}

/**
 * The user message that opens questions: after step `after` (its output, shown here instead of
 * its own observation message), or first in the conversation. Several questions open at one point
 * when a question produced no step before the next was asked.
 */
function openingMessage(after: Pick<TrajectoryStep, 'observation' | 'notepad'> | undefined, turns: ReadonlyArray<Pick<TurnView, 'index' | 'question' | 'note' | 'attachments'>>, notepad: NotepadState): ChatMessage {
  const parts: string[] = after ? [outputPart(after)] : [];
  for (const t of turns) {
    if (t.index === 1) parts.push(withFiles(t.question, t.attachments));
    else parts.push(...(t.note ? [t.note] : []), followUpText(t.question, t.attachments));
  }
  parts.push(renderNotepad(notepad));
  return { role: 'user', content: parts.join('\n\n') };
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

/** The two messages a finished step adds to the context (within one question). */
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
 * The exact messages the model received at step `stepIndex` (1-based, counted across the whole
 * session), rebuilt from a trajectory alone (RL export, tests). `stepIndex = steps.length + 1`
 * gives the history before the next step, before any collapse the next step may need. Resume
 * notes sit after any collapse.
 */
export function messagesForStep(traj: ContextSource, stepIndex: number): ChatMessage[] {
  const eocMarker = eocMarkerOf(traj);
  const turns = turnsOf(traj);
  let notepad = initialNotepadOf(traj);
  let messages: ChatMessage[] = [{ role: 'system', content: traj.systemPrompt }];
  let last: TrajectoryStep | undefined;
  const placeBefore = (index: number, collapsed: boolean) => {
    const opening = openingAt(turns, last?.index ?? 0, index);
    if (collapsed) messages = collapsedContext(traj, index, notepad);
    else if (opening.length || !last) messages.push(openingMessage(last, opening, notepad));
    else messages.push({ role: 'user', content: last.observation });
    messages.push(...resumeNoteMessages(traj, index));
  };
  for (const step of [...traj.steps].sort((a, b) => a.index - b.index)) {
    placeBefore(step.index, step.collapsedBefore);
    if (step.index === stepIndex) return messages;
    messages.push({ role: 'assistant', content: assistantContent(step.raw, step.finishReason, eocMarker) });
    notepad = step.notepad;
    last = step;
  }
  placeBefore(stepIndex, false);
  return messages;
}

// ---------------------------------------------------------------------------------------------
// Observations: what a notebook user would see under the cell, then the notepad.
// ---------------------------------------------------------------------------------------------

export interface ObservationInput {
  parsed: ParsedStep;
  finishReason: FinishReason;
  /** Absent when no code ran. */
  cell?: CellResult;
  /** Files the cell left in the working directory that the model was not told of before. */
  newFiles?: readonly WorkspaceFile[];
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
    const files = newFilesNote(input.newFiles ?? [], text);
    if (files) notes.push(files);
    if (parsed.formatErrors.length) notes.push(`[Format: ${parsed.formatErrors.join('; ')}. ${format}]`);
    output = [capped.text, ...notes].filter(Boolean).join('\n') || '(no output)';
  }
  return `<output>\n${output}\n</output>\n\n${renderNotepad(notepad)}`;
}

/**
 * What the model is told of a rich output the user was shown: a marker such as
 * "[image/png 640×480 shown to the user]" (empty for a text-only output). The model reads text only.
 */
function shownMarker(output: Pick<CellOutput, 'data' | 'metadata'>): string {
  const mime = shownMime(output);
  if (!mime) return '';
  const size = output.metadata?.[mime];
  const dims = size?.width && size?.height ? ` ${size.width}×${size.height}` : '';
  return `[${mime}${dims} shown to the user]`;
}

/** An output's text for the model: its text/plain and the marker. */
function outputText(output: CellOutput, plain = output.data?.['text/plain'] ?? ''): string {
  return [plain.replace(/\s+$/, ''), shownMarker(output)].filter(Boolean).join('\n');
}

/**
 * stdout/stderr, what display() showed (as text), the value of the last line, and the traceback:
 * what the notebook shows, in words.
 */
function cellText(cell: CellResult): string {
  const parts: string[] = [];
  const streams = cell.stdout + cell.stderr;
  if (streams.trim()) parts.push(streams.replace(/\s+$/, ''));
  const outputs = Array.isArray(cell.outputs) ? cell.outputs : [];
  for (const o of outputs) if (o?.type === 'display_data') parts.push(outputText(o));
  const rich = outputs.find((o) => o?.type === 'execute_result');
  if (cell.result !== undefined) parts.push(rich ? outputText(rich, cell.result) : cell.result);
  if (cell.error) {
    const tb = cell.error.traceback.join('\n').replace(/\s+$/, '');
    parts.push(tb || `${cell.error.ename}: ${cell.error.evalue}`);
  }
  return parts.join('\n');
}

/** Most new files named in one note; the rest are counted. */
const NOTED_FILES = 5;

/**
 * "[New in the working directory: result.csv (1.2 KB)]" for new files the cell's output does not
 * name itself (a cell that printed "saved result.csv" needs no note); undefined when there are none.
 */
function newFilesNote(files: readonly WorkspaceFile[], output: string): string | undefined {
  const unnamed = files.filter((f) => !output.includes(f.name.split('/').pop() ?? f.name));
  if (!unnamed.length) return undefined;
  const named = unnamed.slice(0, NOTED_FILES).map((f) => `${f.name} (${formatFileSize(f.size)})`);
  const more = unnamed.length > NOTED_FILES ? ` and ${unnamed.length - NOTED_FILES} more` : '';
  return `[New in the working directory: ${named.join(', ')}${more}]`;
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
