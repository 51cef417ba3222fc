// The widget's compact view inside its shadow root: a thin view over the app controller, built
// from the page's own components (notebook view, cells, notepad panel, status line, Markdown) and
// the page's design tokens, laid out for a sidebar-sized box.
import type { AppController, AppState } from '../app/index';
import APPROVAL_CSS from '../ui/approval-prompt.css?inline';
import { createApprovalPrompts } from '../ui/approval-prompt';
import { h, uid } from '../ui/dom';
import { acceptFileDrops, createAttachControl } from '../ui/file-chips';
import { createFilesPanel } from '../ui/files-panel';
import { createFollowUpBox, followUpOf } from '../ui/follow-up-box';
import { createNotebookView } from '../ui/notebook-view';
import { createNotepadPanel } from '../ui/notepad-panel';
import { stopOnEscape, updateRunButtons } from '../ui/run-buttons';
import { compactStatus, showNotice } from '../ui/status-line';
import TOKENS_CSS from '../ui/tokens.css?inline';
import type { EmbedTheme } from './options';
import { EMBED_CSS } from './styles';

export interface CompactView {
  readonly root: HTMLElement;
  setTask(task: string): void;
  getTask(): string;
  setTheme(theme: EmbedTheme): void;
  dispose(): void;
}

export interface CompactViewHandlers {
  onRun(task: string): void;
  onStop(): void;
  /** A follow-up question from the box; resolves once asked, rejects when refused (the text comes back to edit). */
  onAsk(question: string, restoreCells: boolean): Promise<unknown>;
}

export function createCompactView(shadow: ShadowRoot, title: string, app: AppController, handlers: CompactViewHandlers): CompactView {
  const styles = widgetStyles(shadow, TOKENS_CSS + EMBED_CSS + APPROVAL_CSS);

  const taskId = uid('embed-task');
  const task = h('textarea', { id: taskId, class: 'task', rows: 2, placeholder: 'Ask a question…', 'aria-label': 'Task for the agent' });
  const runBtn = h('button', { type: 'submit', class: 'run' }, 'Run');
  const stopBtn = h('button', { type: 'button', class: 'stop', disabled: true }, 'Stop');
  // One "Attach files" control: under the task box, or in the follow-up box while that one shows.
  const attach = createAttachControl({ attach: (files) => void app.attach(files), remove: (name) => app.removeAttachment(name) });
  const form = h('form', { class: 'ask' }, task, h('div', { class: 'buttons' }, runBtn, stopBtn), attach.el);
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Ready.');
  const notebook = createNotebookView({ answerClass: 'answer', cellsAttrs: { 'aria-label': 'Steps', role: 'log' }, actions: { rerunCell: (step) => void app.rerunCell(step) } });
  const error = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const notepad = createNotepadPanel();
  const notepadBox = h('details', { class: 'notepad-box' }, h('summary', {}, 'Notepad'), notepad.el);
  const files = createFilesPanel({ read: (name) => app.readFile(name), onError: (e) => app.showError(e) });
  const filesSummary = h('summary', {}, 'Files');
  const filesBox = h('details', { class: 'files-box' }, filesSummary, files.el);
  const followUp = createFollowUpBox({
    enterSubmits: true,
    ask: (question, restoreCells) => handlers.onAsk(question, restoreCells).then(() => true, () => false),
  });
  const body = h('div', { class: 'body' }, notebook.cells, error, notebook.answer, followUp.el, notepadBox, filesBox);
  const root = h('div', { class: 'l0-embed', part: 'container', 'data-theme': 'light' }, h('header', {}, h('span', { class: 'title' }, title), status), form, body);
  shadow.replaceChildren(...styles, root);
  // Files dropped on the widget, or pasted into it, are attached to the next question.
  const stopDrops = acceptFileDrops(root, (dropped) => void app.attach(dropped));
  const approvals = createApprovalPrompts({ cellFor: (step) => (step ? notebook.cellElement(step) : undefined), fallback: notebook.cells, decide: (id, d) => app.resolveApproval(id, d) });

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

  let last: Partial<AppState> = {};
  const render = (s: AppState) => {
    const running = s.phase !== 'idle';
    updateRunButtons(runBtn, stopBtn, s.phase);
    task.readOnly = running;
    notebook.setBusy(running);
    root.classList.toggle('running', running);
    if (s.task !== last.task && s.task) task.value = s.task;
    status.textContent = compactStatus(s) || 'Ready.';
    showNotice(error, s.error, s.warning);
    if (s.notepad !== last.notepad || s.notepadStep !== last.notepadStep) notepad.update(s.notepad, s.notepadStep);
    const target = followUpOf(s);
    followUp.update(target);
    const box = target ? followUp.el : form;
    if (attach.el.parentElement !== box) box.insertBefore(attach.el, box.querySelector(':scope > .follow-up-actions'));
    attach.update(s.attachments);
    if (s.files !== last.files) {
      files.update(s.files);
      filesSummary.textContent = s.files.length ? `Files (${s.files.length})` : 'Files';
    }
    notebook.setAnswer(s.answer);
    if (s.approvals !== last.approvals) approvals.update(s.approvals);
    last = s;
  };
  const unsubscribe = [
    // Esc inside the widget stops its run; the host page's own Esc stays the host's.
    stopOnEscape(root, app, () => false),
    app.subscribe(render),
    app.onNotebook((change) => {
      notebook.apply(change);
      body.scrollTop = body.scrollHeight;
    }),
  ];
  render(app.state);

  let media: MediaQueryList | undefined;
  const followSystem = () => root.setAttribute('data-theme', media?.matches ? 'dark' : 'light');

  return {
    root,
    setTask(t) {
      task.value = t;
    },
    getTask: () => task.value.trim(),
    setTheme(theme) {
      media?.removeEventListener('change', followSystem);
      media = undefined;
      if (theme === 'auto') {
        media = matchMedia('(prefers-color-scheme: dark)');
        media.addEventListener('change', followSystem);
        followSystem();
      } else root.setAttribute('data-theme', theme);
    },
    dispose() {
      stopDrops();
      media?.removeEventListener('change', followSystem);
      for (const off of unsubscribe) off();
      notebook.apply({ type: 'ended' });
      shadow.replaceChildren();
    },
  };
}

/**
 * The widget's stylesheet, adopted as a constructed sheet: a host page whose CSP refuses inline
 * styles (no 'unsafe-inline' in style-src) would leave a `<style>` element unapplied, and the
 * widget unstyled. Browsers without constructable sheets get the `<style>` element instead.
 */
function widgetStyles(shadow: ShadowRoot, css: string): HTMLStyleElement[] {
  if ('adoptedStyleSheets' in shadow && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = [sheet];
    return [];
  }
  const style = document.createElement('style');
  style.textContent = css;
  return [style];
}
