// The compact notebook view inside the embed's shadow root. It is a thin layer over the notebook
// UI's own components (cells, notepad panel, Markdown): the same rendering as the full page, laid
// out for a sidebar-sized box.
import type { AgentEvent, ErrorData, LoadProgress, NotepadState } from '../protocols';
import { applyCellEvent, createCellView, type CellView } from '../ui/cell-view';
import { h, setChildren, uid } from '../ui/dom';
import { renderMarkdown } from '../ui/markdown';
import { createNotepadPanel } from '../ui/notepad-panel';
import { EMBED_CSS } from './styles';

export type EmbedTheme = 'light' | 'dark' | 'auto';

export interface CompactView {
  readonly root: HTMLElement;
  setTask(task: string): void;
  getTask(): string;
  setRunning(running: boolean): void;
  setStatus(text: string): void;
  setTheme(theme: EmbedTheme): void;
  progress(p: LoadProgress): void;
  clearRun(): void;
  apply(event: AgentEvent): void;
  showError(error: ErrorData): void;
  showNotepad(state: NotepadState): void;
  dispose(): void;
}

export interface CompactViewHandlers {
  onRun(task: string): void;
  onStop(): void;
}

export function createCompactView(shadow: ShadowRoot, title: string, maxSteps: number, handlers: CompactViewHandlers): CompactView {
  const style = document.createElement('style');
  style.textContent = EMBED_CSS;

  const taskId = uid('embed-task');
  const task = h('textarea', { id: taskId, class: 'task', rows: 2, placeholder: 'Ask a question…', 'aria-label': 'Task for the agent' });
  const runBtn = h('button', { type: 'submit', class: 'run' }, 'Run');
  const stopBtn = h('button', { type: 'button', class: 'stop', disabled: true }, 'Stop');
  const form = h('form', { class: 'ask' }, task, h('div', { class: 'buttons' }, runBtn, stopBtn));
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Ready.');
  const cells = h('div', { class: 'cells', 'aria-label': 'Steps', role: 'log' });
  const answer = h('section', { class: 'answer', hidden: true, 'aria-label': 'Final answer' });
  const error = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const notepad = createNotepadPanel();
  const notepadBox = h('details', { class: 'notepad-box' }, h('summary', {}, 'Notepad'), notepad.el);
  const body = h('div', { class: 'body' }, cells, error, answer, notepadBox);
  const root = h('div', { class: 'l0-embed', part: 'container', 'data-theme': 'light' }, h('header', {}, h('span', { class: 'title' }, title), status), form, body);
  shadow.replaceChildren(style, root);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = task.value.trim();
    if (text) handlers.onRun(text);
  });
  task.addEventListener('keydown', (e) => {
    // Enter runs, Shift+Enter adds a line (the task box is small).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  stopBtn.addEventListener('click', () => handlers.onStop());

  const views = new Map<number, CellView>();
  const cellOf = (step: number): CellView => {
    let v = views.get(step);
    if (!v) {
      v = createCellView(step, maxSteps);
      views.set(step, v);
      cells.append(v.el);
    }
    return v;
  };
  const scrollToEnd = () => {
    body.scrollTop = body.scrollHeight;
  };
  const showError = (e: ErrorData) => {
    error.hidden = false;
    error.textContent = `${e.kind === 'aborted' ? 'Stopped' : 'Error'}: ${e.message}`;
  };
  let media: MediaQueryList | undefined;
  const followSystem = () => root.setAttribute('data-theme', media?.matches ? 'dark' : 'light');

  return {
    root,
    setTask(t) {
      task.value = t;
    },
    getTask: () => task.value.trim(),
    setRunning(running) {
      runBtn.disabled = running;
      stopBtn.disabled = !running;
      task.readOnly = running;
      root.classList.toggle('running', running);
      if (!running) for (const v of views.values()) v.markStopped();
    },
    setStatus(text) {
      status.textContent = text;
    },
    setTheme(theme) {
      media?.removeEventListener('change', followSystem);
      media = undefined;
      if (theme === 'auto') {
        media = matchMedia('(prefers-color-scheme: dark)');
        media.addEventListener('change', followSystem);
        followSystem();
      } else root.setAttribute('data-theme', theme);
    },
    progress(p) {
      const pct = p.fraction !== undefined ? ` ${Math.round(p.fraction * 100)}%` : '';
      status.textContent = `${p.message}${pct}`;
    },
    clearRun() {
      views.clear();
      cells.replaceChildren();
      answer.hidden = true;
      answer.replaceChildren();
      error.hidden = true;
      notepad.update({ todos: [], facts: [], draft: '' });
    },
    apply(event) {
      if (applyCellEvent(cellOf, event)) {
        scrollToEnd();
        return;
      }
      switch (event.type) {
        case 'start':
          status.textContent = 'Running…';
          break;
        case 'step-start':
          cellOf(event.step);
          status.textContent = `Step ${event.step} of at most ${maxSteps}${event.collapsed ? ' (memory cleared, notepad kept)' : ''}`;
          break;
        case 'notepad':
          notepad.update(event.notepad, event.step);
          break;
        case 'final-answer':
          answer.hidden = false;
          setChildren(answer, h('h2', {}, 'Answer'));
          renderMarkdown(answer.appendChild(h('div', { class: 'markdown' })), event.answer);
          break;
        case 'error':
          showError(event.error);
          break;
        case 'done': {
          const t = event.trajectory;
          status.textContent =
            t.status === 'answered' ? `Answered in ${t.steps.length} step${t.steps.length === 1 ? '' : 's'}.` : t.status === 'max-steps' ? `Stopped: the step limit (${maxSteps}) was reached.` : t.status === 'aborted' ? 'Stopped.' : `Run ended: ${t.status}.`;
          break;
        }
      }
      scrollToEnd();
    },
    showError,
    showNotepad(state) {
      notepad.update(state);
    },
    dispose() {
      media?.removeEventListener('change', followSystem);
      for (const v of views.values()) v.markStopped();
      shadow.replaceChildren();
    },
  };
}
