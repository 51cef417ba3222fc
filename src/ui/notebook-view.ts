// The notebook as the page and the widget show it: one cell per step (cell-view.ts), the notes a
// continued or collapsed run adds, each question above its steps once a session has several
// (question-view.ts), and the final answer, driven by the controller's notebook changes
// (src/app/). Shared by the page (app.ts) and the widget (embed/view.ts).
import type { NotebookChange } from '../app/index';
import { turnsOf, type Trajectory, type TurnAttachment, type TurnView } from '../protocols';
import { applyCellEvent, createCellView, renderSavedSteps, type CellActions, type CellView } from './cell-view';
import { copyButton } from './copy-button';
import { h, uid } from './dom';
import { safely } from './long-content';
import { renderMarkdown } from './markdown';
import { questionEnding, questionFiles, questionHeading } from './question-view';
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
  /** The element of a step's cell, when it is shown. */
  cellElement(step: number): HTMLElement | undefined;
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
  /** The session's latest question as it ended (a follow-up shows its answer above the new question). */
  let lastQuestion: TurnView | undefined;
  /** The files of the session's first question (its heading shows them once there are several). */
  let firstFiles: TurnAttachment[] | undefined;

  /** A one-question session's files above its steps. */
  function showFirstFiles(files: TurnAttachment[] | undefined): void {
    firstFiles = files?.length ? files : undefined;
    if (firstFiles) cells.prepend(questionFiles(firstFiles));
  }

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
    lastQuestion = undefined;
    firstFiles = undefined;
  }

  /** A saved session: its steps, and with several questions each one above its steps and its answer after them. */
  function load(t: Trajectory): void {
    const turns = turnsOf(t);
    const limit = t.settings.maxSteps || undefined;
    const onCell: Parameters<typeof renderSavedSteps>[3] = (step, view) => views.set(step.index, view);
    lastQuestion = turns.at(-1);
    firstFiles = turns[0]?.attachments;
    // In batches, so a session of any length opens without freezing the page.
    if (turns.length === 1) {
      showFirstFiles(turns[0]?.attachments);
      renderSavedSteps(cells, t.steps, limit, onCell, actions);
    } else {
      for (const turn of turns) {
        cells.append(questionHeading(turn.index, turn.question, turn.attachments));
        renderSavedSteps(cells, turn.steps, limit && turn.firstStep - 1 + limit, onCell, actions);
        if (turn !== lastQuestion) cells.append(questionEnding(turn));
      }
    }
    if (t.status === 'interrupted') {
      const first = turns.length > 1 ? (lastQuestion?.firstStep ?? 1) : 1;
      cells.append((inFlight = interruptedStep((t.steps.at(-1)?.index ?? 0) + 1, limit && first - 1 + limit)));
    }
  }

  /** A follow-up starts: the first question gets its heading, the previous one its answer, the new one its heading. */
  function followUp(first: string, index: number, question: string, files?: TurnAttachment[]): void {
    if (!cells.querySelector(':scope > .question')) {
      cells.querySelector(':scope > .question-files')?.remove(); // heading 1 shows them now
      cells.prepend(questionHeading(1, first, firstFiles));
    }
    if (lastQuestion) cells.append(questionEnding(lastQuestion));
    cells.append(questionHeading(index, question, files));
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
        case 'load': {
          clear();
          load(change.trajectory);
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
              else if (ev.type === 'start' && ev.followUp) followUp(ev.task, ev.turn, ev.question, ev.attachments);
              else if (ev.type === 'start' && ev.turn === 1 && !cells.children.length) showFirstFiles(ev.attachments);
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
