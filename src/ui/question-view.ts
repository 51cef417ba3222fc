// The questions of a session in the notebook, shared by the page and the widget: a heading above
// each question's steps ("Question 2" and its text) and, after the steps of every question but
// the latest, its answer (Markdown) or how it ended. The latest answer is the notebook's own
// answer section. Questions are user text and answers model text: both are rendered bounded and
// inert (text nodes; the sanitised Markdown of markdown.ts).
import type { TurnView } from '../protocols';
import { h, uid } from './dom';
import { itemText } from './long-content';
import { renderMarkdown } from './markdown';

/** The heading of question `index` above its steps. */
export function questionHeading(index: number, question: string): HTMLElement {
  const id = uid('question');
  return h('div', { class: 'question', role: 'group', 'aria-labelledby': id, 'data-question': index }, h('h2', { id, class: 'question-label' }, `Question ${index}`), h('div', { class: 'question-text' }, itemText(question)));
}

const OUTCOME: Record<string, string> = {
  'max-steps': 'stopped at the step limit',
  aborted: 'stopped',
  error: 'failed',
  interrupted: 'interrupted',
  running: 'interrupted',
};

/** After an earlier question's steps: its answer, or one line saying how it ended without one. */
export function questionEnding(turn: Pick<TurnView, 'index' | 'status' | 'finalAnswer' | 'error'>): HTMLElement {
  if (turn.finalAnswer !== undefined) {
    const id = uid('question-answer');
    const body = h('div', { class: 'markdown answer-body' });
    renderMarkdown(body, turn.finalAnswer);
    return h('section', { class: 'question-answer', 'aria-labelledby': id, 'data-question': turn.index }, h('h3', { id }, `Answer ${turn.index}`), body);
  }
  const why = OUTCOME[turn.status] ?? String(turn.status);
  const error = turn.error ? itemText(` (${turn.error.kind}: ${turn.error.message})`) : '';
  return h('p', { class: 'question-outcome', 'data-question': turn.index }, `Question ${turn.index} ended without an answer: ${why}`, error, '.');
}
