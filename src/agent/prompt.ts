/**
 * The system prompt: L0's NB-Agent rules in our own words, with tool docs generated from the
 * registered tools. Kept short (about 1,000 tokens with four tools) because browser models often
 * run with a 4,096-token window.
 */
import type { Tool } from '../protocols';
import { EOC_MARKER } from './parse';

export interface SystemPromptOptions {
  /** Step limit told to the model. */
  maxSteps?: number;
  /** Extra instructions appended at the end (e.g. the answer's expected form). */
  extra?: string;
  /** The end-of-code marker (default `<end_code>`). */
  eocMarker?: string;
  /** Libraries that can be imported in the notebook (filled by the caller); default: the standard library. */
  libraries?: readonly string[];
  /** Where the model should put the files it creates or downloads. */
  workdir?: string;
}

export const DEFAULT_WORKDIR = '/workspace';

/** The notepad and answer API, always present in the sandbox. */
export const NOTEPAD_DOC = `notepad.add_todo(items: list[str]) -> None
  Append plan steps to the todo list.
notepad.mark_done(index_or_text: int | str) -> None
  Tick a todo item, by its index in the notepad (0-based) or its text.
notepad.add_facts(items: list[str]) -> None
  Keep facts you verified (with their source), so they survive memory clearing.
notepad.write_draft(text: str) -> None
  Replace the draft of your answer.
submit_final_answer(answer: str) -> None
  Submit the final answer to the user. This ends the task.`;

export function renderToolDoc(tool: Tool): string {
  const description = tool.description.replace(/\s+/g, ' ').trim();
  return `${tool.signature}\n  ${description}\n  Example: ${tool.example.trim()}`;
}

export function buildSystemPrompt(tools: Tool[], opts: SystemPromptOptions = {}): string {
  const eoc = opts.eocMarker ?? EOC_MARKER;
  const toolDocs = [...tools.map(renderToolDoc), NOTEPAD_DOC].join('\n');
  const limit = opts.maxSteps ? `at most ${opts.maxSteps} steps` : 'a limited number of steps';
  const libraries = opts.libraries?.length ? `You can import: ${opts.libraries.join(', ')}.` : "You can import Python's standard library.";
  const prompt = `You are an expert assistant who solves the user's task by working in a Python notebook. Check facts with the tools instead of trusting your memory.

# How each step looks
Every reply is one step, in exactly this form:
<think>your reasoning for this step</think>
<code>
python code for one notebook cell
</code>${eoc}
- Write one <think> and one <code>, then stop at ${eoc}: the cell runs and you will get its text output as <output>...</output> in the next message. Never write <output> yourself.
- Only text comes back (printed values, the value of the last line, errors). Images cannot be seen.
- Variables, imports and functions stay defined between cells.

# Notepad: your lasting memory
A \`notepad\` object exists in the notebook; it is shown, up to date, at the end of every message you receive.
- Step 1: break the task into a plan and store it with notepad.add_todo([...]).
- Every step: mark finished todos, add the facts you learned, revise the plan when needed.
- Your memory is limited: when it fills up, all earlier steps are erased except the task and the notepad. Keep everything you will need in the notepad.

# Answering
Call submit_final_answer(answer) with a complete, self-contained answer in the user's language; when the task asks for a report, make it a readable Markdown report. You have ${limit}; a task without a submitted answer fails.
The user may then ask a follow-up: it arrives after your answer's output as "Follow-up question: ...". Keep working in the same notebook and notepad, and submit a new answer; the step limit starts again.

# Writing good cells
- Cells are expensive: combine related work into one cell.
- Print only what you need to read; do not print text you already know.
- Write clean code with minimal comments. Put files you create or download in ${opts.workdir ?? DEFAULT_WORKDIR}.
- ${libraries}
- Never assign to a tool's name (e.g. do not create a variable called submit_final_answer).
- If something fails, read the error, change the approach, and do not repeat the same attempt.
- Do the work yourself; do not stop at describing how it could be done.

# Functions ready to call (no import needed)
${toolDocs}`;
  return opts.extra ? `${prompt}\n\n${opts.extra.trim()}` : prompt;
}
