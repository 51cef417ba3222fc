// The notepad side panel: todos with done marks, facts, and the draft rendered as Markdown.
import type { NotepadState } from '../protocols';
import { h, setChildren } from './dom';
import { renderMarkdown } from './markdown';

export interface NotepadPanel {
  readonly el: HTMLElement;
  update(state: NotepadState, step?: number): void;
}

export function createNotepadPanel(): NotepadPanel {
  const stepNote = h('span', { class: 'muted small notepad-step' });
  const todos = h('ul', { class: 'todos' });
  const facts = h('ul', { class: 'facts' });
  const draft = h('div', { class: 'draft markdown' });
  const empty = h('p', { class: 'muted' }, 'The agent keeps its plan, facts and draft here. It survives reloads.');
  const el = h(
    'section',
    { class: 'panel notepad', 'aria-labelledby': 'notepad-heading', 'aria-live': 'polite', 'aria-atomic': 'false' },
    h('h2', { id: 'notepad-heading' }, 'Notepad ', stepNote),
    empty,
    h('h3', {}, 'Todo'),
    todos,
    h('h3', {}, 'Facts'),
    facts,
    h('h3', {}, 'Draft'),
    draft,
  );

  return {
    el,
    update(state, step) {
      stepNote.textContent = step ? `after step ${step}` : '';
      const isEmpty = !state.todos.length && !state.facts.length && !state.draft.trim();
      empty.hidden = !isEmpty;
      setChildren(
        todos,
        state.todos.length
          ? state.todos.map((t) =>
              h('li', { class: t.done ? 'done' : '' }, h('span', { class: 'check', 'aria-hidden': 'true' }, t.done ? '☑' : '☐'), h('span', { class: 'visually-hidden' }, t.done ? 'Done: ' : 'To do: '), t.text),
            )
          : [h('li', { class: 'muted' }, 'none yet')],
      );
      setChildren(facts, state.facts.length ? state.facts.map((f) => h('li', {}, f)) : [h('li', { class: 'muted empty-item' }, 'none yet')]);
      if (state.draft.trim()) renderMarkdown(draft, state.draft);
      else setChildren(draft, h('p', { class: 'muted' }, 'empty'));
    },
  };
}
