// The notebook as the page and the widget show it: one cell per step (cell-view.ts), the notes a
// continued or collapsed run adds, and the final answer, driven by the controller's notebook
// changes (src/app/). Shared by the page (app.ts) and the widget (embed/view.ts).
import type { NotebookChange } from '../app/index';
import { applyCellEvent, createCellView, renderSavedSteps, type CellView } from './cell-view';
import { h, uid } from './dom';
import { safely } from './long-content';
import { renderMarkdown } from './markdown';
import { resumedNote } from './resume-notice';

export interface NotebookViewOptions {
  /** Class of the answer section ('final-answer' on the page, 'answer' in the widget). */
  answerClass: string;
  /** Attributes of the cells container (the widget makes it a labelled log). */
  cellsAttrs?: Record<string, string>;
}

export interface NotebookView {
  readonly cells: HTMLElement;
  readonly answer: HTMLElement;
  /** Number of cells shown. */
  readonly size: number;
  apply(change: NotebookChange): void;
  /** The element of a step's cell, when it is shown. */
  cellElement(step: number): HTMLElement | undefined;
  /** Shows the final answer (Markdown), or hides it. */
  setAnswer(text: string | undefined): void;
}

export function createNotebookView(options: NotebookViewOptions): NotebookView {
  const cells = h('div', { class: 'cells', ...options.cellsAttrs });
  const headingId = uid('answer-heading');
  const answerBody = h('div', { class: 'markdown answer-body' });
  const answer = h('section', { class: options.answerClass, hidden: true, 'aria-labelledby': headingId }, h('h2', { id: headingId }, 'Answer'), answerBody);
  const views = new Map<number, CellView>();
  let maxSteps: number | undefined;
  let shownAnswer: string | undefined;

  const cellFor = (step: number): CellView => {
    let view = views.get(step);
    if (!view) {
      view = createCellView(step, maxSteps);
      views.set(step, view);
      cells.append(view.el);
    }
    return view;
  };

  function clear(): void {
    for (const v of views.values()) v.markStopped();
    views.clear();
    cells.replaceChildren();
  }

  return {
    cells,
    answer,
    get size() {
      return views.size;
    },
    cellElement: (step) => views.get(step)?.el,
    apply(change) {
      switch (change.type) {
        case 'clear':
          clear();
          break;
        case 'load':
          clear();
          // In batches, so a session of any length opens without freezing the page.
          renderSavedSteps(cells, change.trajectory.steps, change.trajectory.settings.maxSteps || undefined, (step, view) => views.set(step.index, view));
          break;
        case 'event': {
          maxSteps = change.maxSteps;
          const ev = change.event;
          // A render error never ends the view of a run: the event is skipped, the run goes on.
          safely(
            () => {
              if (applyCellEvent(cellFor, ev)) return;
              if (ev.type === 'resumed') cells.append(resumedNote(ev));
              else if (ev.type === 'step-start') {
                const view = cellFor(ev.step);
                if (ev.collapsed) view.el.prepend(h('p', { class: 'collapsed-note' }, 'Memory budget reached: history collapsed to the task and the notepad.'));
              }
            },
            () => undefined,
          );
          break;
        }
        case 'discard':
          views.get(change.step)?.markStopped();
          views.get(change.step)?.el.remove();
          views.delete(change.step);
          break;
        case 'ended':
          for (const v of views.values()) v.markStopped();
          break;
      }
    },
    setAnswer(text) {
      if (text === shownAnswer) return;
      shownAnswer = text;
      answer.hidden = text === undefined;
      if (text === undefined) answerBody.replaceChildren();
      else renderMarkdown(answerBody, text);
    },
  };
}
