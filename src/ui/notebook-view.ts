// The notebook as the page and the widget show it: one cell per step (cell-view.ts), the notes a
// continued or collapsed run adds, and the final answer, driven by the controller's notebook
// changes (src/app/). Shared by the page (app.ts) and the widget (embed/view.ts).
import type { NotebookChange } from '../app/index';
import { applyCellEvent, createCellView, renderSavedSteps, type CellActions, type CellView } from './cell-view';
import { copyButton } from './copy-button';
import { h, uid } from './dom';
import { safely } from './long-content';
import { renderMarkdown } from './markdown';
import { resumedNote } from './resume-notice';

export interface NotebookViewOptions {
  /** Class of the answer section ('final-answer' on the page, 'answer' in the widget). */
  answerClass: string;
  /** Attributes of the cells container (the widget makes it a labelled log). */
  cellsAttrs?: Record<string, string>;
  /** What a finished step offers: run its cell again, re-run the session from it. */
  actions?: Omit<CellActions, 'busy'>;
}

export interface NotebookView {
  readonly cells: HTMLElement;
  readonly answer: HTMLElement;
  /** Number of cells shown. */
  readonly size: number;
  apply(change: NotebookChange): void;
  /** Shows the final answer (Markdown), or hides it. */
  setAnswer(text: string | undefined): void;
  /** While a run goes on, the step actions wait. */
  setBusy(busy: boolean): void;
}

export function createNotebookView(options: NotebookViewOptions): NotebookView {
  const cells = h('div', { class: 'cells', ...options.cellsAttrs });
  const headingId = uid('answer-heading');
  const answerBody = h('div', { class: 'markdown answer-body' });
  const answer = h(
    'section',
    { class: options.answerClass, hidden: true, 'aria-labelledby': headingId },
    h('div', { class: 'answer-head' }, h('h2', { id: headingId }, 'Answer'), copyButton('Copy answer', () => shownAnswer ?? '')),
    answerBody,
  );
  const views = new Map<number, CellView>();
  let busy = false;
  const actions: CellActions | undefined = options.actions && { ...options.actions, busy: () => busy };
  let maxSteps: number | undefined;
  let shownAnswer: string | undefined;
  /** The step an interrupted session was in when the page went away (nothing of it was saved). */
  let inFlight: HTMLElement | undefined;

  const cellFor = (step: number): CellView => {
    let view = views.get(step);
    if (!view) {
      view = createCellView(step, maxSteps, actions);
      views.set(step, view);
      cells.append(view.el);
    }
    return view;
  };

  function clear(): void {
    inFlight = undefined;
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
    apply(change) {
      switch (change.type) {
        case 'clear':
          clear();
          break;
        case 'load': {
          clear();
          const t = change.trajectory;
          // In batches, so a session of any length opens without freezing the page.
          renderSavedSteps(cells, t.steps, t.settings.maxSteps || undefined, (step, view) => views.set(step.index, view), actions);
          if (t.status === 'interrupted') cells.append((inFlight = interruptedStep((t.steps.at(-1)?.index ?? 0) + 1, t.settings.maxSteps || undefined)));
          break;
        }
        case 'event': {
          inFlight?.remove(); // the run goes on: the step is run again, for real
          inFlight = undefined;
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
        case 'rerun':
          safely(() => views.get(change.step)?.showRerun(change.chunk, change.result), () => undefined);
          break;
      }
    },
    setBusy(next) {
      if (next === busy) return;
      busy = next;
      for (const v of views.values()) v.setBusy(busy);
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

/** The step a closed or reloaded page was in: shown as interrupted (what it streamed was not saved). */
function interruptedStep(step: number, maxSteps: number | undefined): HTMLElement {
  return h(
    'article',
    { class: 'cell interrupted-step', 'aria-label': `Step ${step}` },
    h('div', { class: 'cell-header' }, h('span', { class: 'cell-step' }, `Step ${step}${maxSteps ? ` / ${maxSteps}` : ''}`), h('span', { class: 'cell-status' }, 'interrupted')),
    h('p', { class: 'render-note' }, 'The page was closed or reloaded while this step ran: what it had written or printed was not saved. Continue runs it again.'),
  );
}
