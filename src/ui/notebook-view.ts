// The notebook as the page and the widget show it: one cell per step (cell-view.ts), the notes a
// continued or collapsed run adds, each question above its steps once a session has several
// (question-view.ts), and the final answer, driven by the controller's notebook changes
// (src/app/). Shared by the page (app.ts) and the widget (embed/view.ts).
import type { NotebookChange } from '../app/index';
import { turnsOf, type Trajectory, type TurnView } from '../protocols';
import { applyCellEvent, createCellView, renderSavedSteps, type CellView } from './cell-view';
import { h, uid } from './dom';
import { safely } from './long-content';
import { renderMarkdown } from './markdown';
import { questionEnding, questionHeading } from './question-view';
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
  /** The session's latest question as it ended (a follow-up shows its answer above the new question). */
  let lastQuestion: TurnView | undefined;

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
    lastQuestion = undefined;
  }

  /** A saved session: its steps, and with several questions each one above its steps and its answer after them. */
  function load(t: Trajectory): void {
    const turns = turnsOf(t);
    const limit = t.settings.maxSteps || undefined;
    const onCell: Parameters<typeof renderSavedSteps>[3] = (step, view) => views.set(step.index, view);
    lastQuestion = turns.at(-1);
    // In batches, so a session of any length opens without freezing the page.
    if (turns.length === 1) return renderSavedSteps(cells, t.steps, limit, onCell);
    for (const turn of turns) {
      cells.append(questionHeading(turn.index, turn.question));
      renderSavedSteps(cells, turn.steps, limit && turn.firstStep - 1 + limit, onCell);
      if (turn !== lastQuestion) cells.append(questionEnding(turn));
    }
  }

  /** A follow-up starts: the first question gets its heading, the previous one its answer, the new one its heading. */
  function followUp(first: string, index: number, question: string): void {
    if (!cells.querySelector(':scope > .question')) cells.prepend(questionHeading(1, first));
    if (lastQuestion) cells.append(questionEnding(lastQuestion));
    cells.append(questionHeading(index, question));
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
          load(change.trajectory);
          break;
        case 'event': {
          maxSteps = change.maxSteps;
          const ev = change.event;
          // A render error never ends the view of a run: the event is skipped, the run goes on.
          safely(
            () => {
              if (applyCellEvent(cellFor, ev)) return;
              if (ev.type === 'resumed') cells.append(resumedNote(ev));
              else if (ev.type === 'start' && ev.followUp) followUp(ev.task, ev.turn, ev.question);
              else if (ev.type === 'done') lastQuestion = turnsOf(ev.trajectory).at(-1);
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
