/** How the notepad looks to the model: the last thing in its context before each turn. */
import type { NotepadState } from '../protocols';

/**
 * Renders the notepad. Todo items carry the 0-based index that `notepad.mark_done(i)` takes;
 * empty sections say so, so the model sees the structure from step 1.
 */
export function renderNotepad(notepad: NotepadState): string {
  const todos = notepad.todos.length
    ? notepad.todos.map((t, i) => `${i}. [${t.done ? 'x' : ' '}] ${t.text}`).join('\n')
    : '(empty: make a plan with notepad.add_todo([...]))';
  const facts = notepad.facts.length ? notepad.facts.map((f) => `- ${f}`).join('\n') : '(none yet)';
  const draft = notepad.draft.trim() ? notepad.draft : '(empty)';
  return `<notepad>\n## Todo\n${todos}\n## Facts\n${facts}\n## Draft\n${draft}\n</notepad>`;
}

export function isEmptyNotepad(notepad: NotepadState): boolean {
  return notepad.todos.length === 0 && notepad.facts.length === 0 && !notepad.draft.trim();
}
