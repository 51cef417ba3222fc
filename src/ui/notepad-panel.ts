// The notepad side panel: todos with done marks, facts, and the draft rendered as Markdown.
// The model writes all three, so each is bounded (long lists show their head and "Show all" in
// batches, long items and drafts are cut) and a failure in one never stops the others or the run.
import type { NotepadState } from '../protocols';
import { h } from './dom';
import { createLongList, itemText, measureRender, safely } from './long-content';
import { renderMarkdown } from './markdown';

type Todo = NotepadState['todos'][number];

export interface NotepadPanel {
  readonly el: HTMLElement;
  update(state: NotepadState, step?: number): void;
}

export function createNotepadPanel(): NotepadPanel {
  const stepNote = h('span', { class: 'muted small notepad-step' });
  const todos = h('div', { class: 'long-list todos-list' });
  const todosMore = h('button', { type: 'button', class: 'link-button show-all', hidden: true });
  const facts = h('div', { class: 'long-list facts-list' });
  const factsMore = h('button', { type: 'button', class: 'link-button show-all', hidden: true });
  const draft = h('div', { class: 'draft markdown' });
  const empty = h('p', { class: 'muted' }, 'The agent keeps its plan, facts and draft here. It survives reloads.');
  const el = h(
    'section',
    { class: 'panel notepad', 'aria-labelledby': 'notepad-heading', 'aria-live': 'polite', 'aria-atomic': 'false' },
    h('h2', { id: 'notepad-heading' }, 'Notepad ', stepNote),
    empty,
    h('h3', {}, 'Todo'),
    todos,
    todosMore,
    h('h3', {}, 'Facts'),
    facts,
    factsMore,
    h('h3', {}, 'Draft'),
    draft,
  );

  const todoList = createLongList<Todo>({
    container: todos,
    listClass: 'todos',
    label: 'Todo',
    button: todosMore,
    noun: 'todos',
    render: (t) =>
      h('li', { class: t.done ? 'done' : '' }, h('span', { class: 'check', 'aria-hidden': 'true' }, t.done ? '☑' : '☐'), h('span', { class: 'visually-hidden' }, t.done ? 'Done: ' : 'To do: '), itemText(String(t.text))),
    empty: () => h('li', { class: 'muted' }, 'none yet'),
    same: (a, b) => a.text === b.text && a.done === b.done,
  });
  const factList = createLongList<string>({
    container: facts,
    listClass: 'facts',
    label: 'Facts',
    button: factsMore,
    noun: 'facts',
    render: (f) => h('li', {}, itemText(String(f))),
    empty: () => h('li', { class: 'muted empty-item' }, 'none yet'),
    same: (a, b) => a === b,
  });
  let shownDraft: string | undefined;

  const failed = (target: HTMLElement, what: string) => () => target.replaceChildren(h('p', { class: 'muted' }, `The ${what} could not be shown.`));

  return {
    el,
    update(state, step) {
      const start = performance.now();
      const todoItems = Array.isArray(state.todos) ? state.todos : [];
      const factItems = Array.isArray(state.facts) ? state.facts : [];
      const draftText = typeof state.draft === 'string' ? state.draft : '';
      stepNote.textContent = step ? `after step ${step}` : '';
      const hasDraft = /\S/.test(draftText);
      empty.hidden = !!todoItems.length || !!factItems.length || hasDraft;
      safely(() => todoList.set(todoItems), failed(todos, 'todos'));
      safely(() => factList.set(factItems), failed(facts, 'facts'));
      // The notepad arrives after every step; a draft that did not change is not parsed again.
      if (draftText !== shownDraft) {
        shownDraft = draftText;
        if (hasDraft) renderMarkdown(draft, draftText);
        else draft.replaceChildren(h('p', { class: 'muted' }, 'empty'));
      }
      measureRender('notepad', start, { todos: todoItems.length, facts: factItems.length, draftChars: draftText.length });
    },
  };
}
