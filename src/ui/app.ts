// The notebook page: a view over the app controller (src/app/). It lays out the page's parts
// (sessions, task box, status line, notebook, notepad and files, model and settings dialogs), renders the
// controller's state and notebook changes, and turns clicks and keys into controller actions.
import { createAppController, DEMO_ENGINE, DEMOS, describeChoice, shortChoice, type AppController, type AppState } from '../app/index';
import { L0Error, toErrorData, type ErrorData } from '../protocols';
import { h, setChildren } from './dom';
import { createApprovalPrompts } from './approval-prompt';
import { acceptFileDrops, createAttachControl } from './file-chips';
import { createFilesPanel } from './files-panel';
import { createFirstRun } from './first-run';
import { createFollowUpBox, followUpOf } from './follow-up-box';
import { createModelPanel } from './model-panel';
import { createNotebookView } from './notebook-view';
import { createNotepadPanel } from './notepad-panel';
import { createResumeNotice } from './resume-notice';
import { stopOnEscape, updateRunButtons } from './run-buttons';
import { createSessionsSidebar } from './sessions-sidebar';
import { createSettingsPanel } from './settings-panel';
import { createStatusLine, showNotice } from './status-line';
import { initialTheme, saveTheme, type Theme } from './theme';
import type { ExportFormat, PageServices } from './types';

export interface PageOptions {
  services: PageServices;
}

export interface AppHandle {
  readonly element: HTMLElement;
  readonly controller: AppController;
  /** Settled once the saved settings are read and Python has been started (not necessarily ready). */
  readonly ready: Promise<void>;
  dispose(): Promise<void>;
}

const throwIfError = (error: ErrorData | undefined): void => {
  if (error) throw new L0Error(error);
};

export function mountApp(doc: Document, { services }: PageOptions): AppHandle {
  const fromUrl = services.engineFromUrl();
  const app = createAppController({
    services,
    engine: DEMO_ENGINE,
    engineOverride: fromUrl.choice,
    fallbackEngine: DEMO_ENGINE,
    persistSettings: true,
    startPython: true,
    listSessions: true,
    demos: DEMOS,
  });
  if (fromUrl.warning) app.showError({ kind: 'internal', message: fromUrl.warning });
  let theme: Theme = initialTheme();

  // ---- parts -------------------------------------------------------------------------------
  const container = h('div', { class: 'l0-app', 'data-theme': theme });
  const notepad = createNotepadPanel();
  const notebook = createNotebookView({
    answerClass: 'final-answer',
    actions: {
      rerunCell: (step) => void app.rerunCell(step),
      // From a step on, with the task as the box has it now (edited or not).
      rerunFrom: (step) =>
        void app.rerunFrom(step, taskInput.value).then((outcome) => {
          if (outcome.error?.detail?.reason === 'choose-engine') openDialog(modelDialog);
        }),
    },
  });
  const approvals = createApprovalPrompts({ cellFor: (step) => (step ? notebook.cellElement(step) : undefined), fallback: notebook.cells, decide: (id, d) => app.resolveApproval(id, d) });
  const status = createStatusLine(() => void app.restartPython());
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const modelPanel = createModelPanel({
    choose: (choice, options) =>
      void app.chooseEngine(choice, options).then((ok) => {
        // A WebLLM model keeps the panel open: its progress shows there.
        if (ok && choice.kind !== 'webllm' && modelDialog.open) modelDialog.close();
      }),
    deleteCached: async (id) => {
      await services.deleteCachedModel(id).catch((e: unknown) => modelPanel.setError(`${toErrorData(e, 'storage').kind}: ${toErrorData(e, 'storage').message}`));
      await refreshModelInfo();
    },
    persist: async () => {
      await services.requestPersistence().catch(() => undefined);
      await refreshModelInfo();
    },
    // A saved Weights URL changes where the record's weights come from: the cards show it, and a
    // copy loaded from the old folder is not reused (choosing the model loads it from the new one).
    checkWeights: async (id, url) => {
      const folder = () => services.models().find((m) => m.id === id)?.weightsUrl;
      const before = folder();
      try {
        return await services.checkWeights(id, url);
      } finally {
        if (folder() !== before) app.weightsMoved(id);
        modelPanel.setModels(services.models(), app.state.engine);
      }
    },
  });
  const settingsPanel = createSettingsPanel(
    (s) => {
      void app.saveSettings(s);
      settingsDialog.close();
    },
    addCorpus,
    { read: () => services.pythonSnapshot(), clear: async () => { await services.clearPythonSnapshot(); void refreshModelInfo(); } },
    {
      source: () => services.packageSource(),
      setSource: async (url) => {
        await services.setPackageSource(url);
        await app.restartPython();
      },
      list: () => services.listCachedPackages(),
      clear: async () => { await services.clearPackageCache(); void refreshModelInfo(); },
    },
  );
  const sidebar = createSessionsSidebar({
    open: (id) => {
      void app.openSession(id);
      container.classList.remove('sidebar-open');
    },
    continue: (id, restoreCells) => void app.continueSession(id, restoreCells),
    // The list shows a failed rename or delete next to the session.
    rename: (id, title) => app.renameSession(id, title).then(throwIfError),
    remove: (id) => app.deleteSession(id).then(throwIfError),
    exportAs: (id, format) => exportSession(id, format),
    importFile: async (file) => {
      const text = await file.text().catch((e: unknown) => void app.showError({ ...toErrorData(e, 'storage'), message: `Import failed: ${toErrorData(e, 'storage').message}` }));
      if (text !== undefined) await app.importSession(text);
    },
    newSession: () => {
      app.newSession();
      showFirstRun = true;
      render(app.state);
      taskInput.focus();
    },
  });
  const modelDialog = dialog('Model', modelPanel.el);
  const settingsDialog = dialog('Settings', settingsPanel.el);

  const engineChip = h('button', { type: 'button', class: 'engine-chip', title: 'Choose the model', onclick: () => openDialog(modelDialog) });
  const themeButton = h('button', { type: 'button', class: 'icon-button theme-toggle', onclick: () => toggleTheme() });
  const sessionsToggle = h('button', { type: 'button', class: 'icon-button sessions-toggle', 'aria-expanded': 'false', 'aria-controls': 'l0-sessions', onclick: () => toggleSidebar() }, '☰', h('span', { class: 'visually-hidden' }, 'Sessions'));
  const header = h(
    'header',
    { class: 'topbar' },
    sessionsToggle,
    h('h1', { class: 'app-title' }, 'L0', h('span', { class: 'title-long' }, ' notebook agent')),
    engineChip,
    h('button', { type: 'button', class: 'icon-button', onclick: () => openDialog(settingsDialog) }, '⚙', h('span', { class: 'visually-hidden' }, 'Settings')),
    themeButton,
  );

  const taskInput = h('textarea', { id: 'l0-task', name: 'task', rows: 3, placeholder: 'Ask something that needs a little computation or research…', 'aria-describedby': 'l0-task-hint' });
  const runButton = h('button', { type: 'submit', class: 'primary run-button' }, 'Run');
  const stopButton = h('button', { type: 'button', class: 'stop-button', disabled: true, onclick: () => void app.stop() }, 'Stop');
  // One "Attach files" control: in the task box, or in the follow-up box while that one shows.
  const attach = createAttachControl({ attach: (files) => void app.attach(files), remove: (name) => app.removeAttachment(name) });
  const files = createFilesPanel({ read: (name) => app.readFile(name), onError: (e) => app.showError(e) });
  const skipButton = h('button', { type: 'button', class: 'skip-button', hidden: true, onclick: () => skipDemo() }, 'Skip to the end');
  const taskForm = h(
    'form',
    { class: 'task-form', 'aria-label': 'New task' },
    h('label', { for: 'l0-task', class: 'task-label' }, 'Task'),
    taskInput,
    attach.el,
    h('div', { class: 'task-actions' }, h('span', { id: 'l0-task-hint', class: 'hint' }, 'Ctrl+Enter runs · Esc stops'), skipButton, runButton, stopButton),
  );
  taskForm.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  taskInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });

  const firstRun = createFirstRun({
    runDemo: () => void app.runDemo(),
    useExample: (t) => {
      taskInput.value = t;
      taskInput.focus();
    },
    openModelPanel: () => openDialog(modelDialog),
  });
  const resumeNotice = createResumeNotice((restoreCells) => {
    const id = app.state.sessionId;
    if (id) void app.continueSession(id, restoreCells);
  });
  const followUpBox = createFollowUpBox({
    buttonClass: 'primary',
    busyHint: 'Esc stops the run',
    // The field empties once the question is part of the session (a refused one stays to edit).
    ask: (question, restoreCells) => ask(question, restoreCells),
  });

  // The ways to go on sit under the latest step, where the view is scrolled to: Continue for an
  // interrupted run, the follow-up box under an answer.
  const main = h('main', { class: 'notebook', id: 'l0-main' }, banner, taskForm, status.el, firstRun, notebook.cells, resumeNotice.el, notebook.answer, followUpBox.el);
  const sessionsAside = h('div', { class: 'sidebar', id: 'l0-sessions' }, sidebar.el);
  const side = h('aside', { class: 'side', 'aria-label': 'Notepad and files' }, notepad.el, files.el);
  const layout = h('div', { class: 'layout' }, sessionsAside, main, side);
  container.append(header, layout, modelDialog, settingsDialog);
  (doc.getElementById('app') ?? doc.body).replaceChildren(container);
  applyTheme();
  // Files dropped anywhere on the page, or pasted, are attached to the next question.
  acceptFileDrops(container, (dropped) => void app.attach(dropped));

  // Esc closes the phone's sessions drawer first; otherwise it stops a run from anywhere on the
  // page, focus or not (dialogs handle their own Esc).
  container.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented && container.classList.contains('sidebar-open')) {
      e.preventDefault();
      toggleSidebar();
      sessionsToggle.focus();
    }
  });
  const offEscape = stopOnEscape(doc, app, () => !!container.querySelector('dialog[open]'));

  // Follow the newest output only while the reader is at the bottom; never yank them back up.
  // On wide screens the notebook column scrolls; on phones the whole column layout does.
  let pinned = true;
  const scroller = (): HTMLElement => (main.scrollHeight > main.clientHeight + 1 ? main : layout);
  for (const el of [main, layout]) {
    el.addEventListener('scroll', () => {
      const s = scroller();
      pinned = s.scrollHeight - s.scrollTop - s.clientHeight < 80;
    });
  }
  function keepScrolled(): void {
    // The welcome card has nothing to follow: it is read from its top (under the sticky task box).
    if (!firstRun.hidden) return;
    const s = scroller();
    if (pinned && s.scrollHeight > s.clientHeight) s.scrollTop = s.scrollHeight;
  }

  // ---- rendering ---------------------------------------------------------------------------
  let showFirstRun = false;
  let last: Partial<AppState> = {};
  function render(s: AppState): void {
    const running = s.phase !== 'idle';
    updateRunButtons(runButton, stopButton, s.phase);
    skipButton.hidden = !s.demoPlaying;
    taskInput.readOnly = running;
    notebook.setBusy(running);
    container.classList.toggle('is-running', running);
    if (s.task !== last.task) taskInput.value = s.task;
    status.update(s);
    showNotice(banner, s.error, s.warning);
    if (s.notepad !== last.notepad || s.notepadStep !== last.notepadStep) notepad.update(s.notepad, s.notepadStep);
    notebook.setAnswer(s.answer);
    if (s.approvals !== last.approvals) approvals.update(s.approvals);
    if (s.interrupted && !running) {
      const appearing = resumeNotice.el.hidden;
      resumeNotice.show(s.interrupted);
      if (appearing) resumeNotice.el.scrollIntoView({ block: 'nearest' }); // Continue in view, however long the session
    } else resumeNotice.hide();
    const followUp = followUpOf(s);
    followUpBox.update(followUp);
    placeAttach(followUp ? followUpBox.el : taskForm);
    attach.update(s.attachments);
    if (s.files !== last.files) files.update(s.files);
    if (s.engine !== last.engine) {
      setChildren(engineChip, h('span', { class: 'chip-prefix' }, 'Model: '), s.engine ? shortChoice(s.engine) : 'none');
      engineChip.title = `Model: ${s.engine ? describeChoice(s.engine) : 'none'} (change)`;
      modelPanel.setModels(services.models(), s.engine);
    }
    if (s.engineStatus !== last.engineStatus) {
      modelPanel.setProgress(s.engineStatus.progress);
      modelPanel.setError(s.engineStatus.error);
      modelPanel.setEndpoint(s.engineStatus);
    }
    if (s.keyRemembered !== last.keyRemembered) modelPanel.setKeyRemembered(s.keyRemembered);
    if (s.sessions !== last.sessions || s.sessionId !== last.sessionId) sidebar.render(s.sessions, s.sessionId);
    if (running || s.sessionId) showFirstRun = false;
    firstRun.hidden = !(showFirstRun || (!s.sessionId && !running && notebook.size === 0 && s.sessions.length === 0));
    // What appears under the cells (the answer, Continue, the follow-up box) stays in view when following.
    if (s.phase !== last.phase || s.interrupted !== last.interrupted || s.answer !== last.answer) keepScrolled();
    last = s;
  }
  app.subscribe(render);
  app.onNotebook((change) => {
    notebook.apply(change);
    if (change.type === 'clear') pinned = true;
    keepScrolled();
  });
  render(app.state);

  /** Moves the attach control into the box where the next question is typed (before its buttons). */
  function placeAttach(box: HTMLElement): void {
    if (attach.el.parentElement === box) return;
    const hadFocus = attach.el.contains(doc.activeElement);
    box.insertBefore(attach.el, box.querySelector(':scope > .task-actions, :scope > .follow-up-actions'));
    if (hadFocus) attach.el.querySelector('input')?.focus();
  }

  // ---- actions -----------------------------------------------------------------------------
  function skipDemo(): void {
    // The button goes away under the keyboard's focus: Stop takes it while the rest plays.
    if (doc.activeElement === skipButton) stopButton.focus();
    app.skipDemo();
  }

  function run(): void {
    if (app.state.phase !== 'idle') return;
    void app.run(taskInput.value).then((outcome) => {
      if (!outcome.error) return;
      if (outcome.error.detail?.reason === 'choose-engine') openDialog(modelDialog);
      else if (outcome.error.message === 'The task is empty.') taskInput.focus();
    });
  }

  /** True once the question is part of the session. */
  async function ask(question: string, restoreCells: boolean): Promise<boolean> {
    const outcome = await app.ask(question, restoreCells);
    if (outcome.error?.detail?.reason === 'choose-engine') openDialog(modelDialog);
    return !!outcome.trajectory;
  }

  async function addCorpus(files: File[]): Promise<void> {
    settingsPanel.setCorpusStatus(`Indexing ${files.length} file(s)…`);
    try {
      const before = new Set(services.tools().map((t) => t.name));
      const n = await services.addCorpusFiles(files);
      // The corpus tools appear with the first documents: enable them for the next run.
      await app.enableTools(services.tools().map((t) => t.name).filter((name) => !before.has(name)));
      settingsPanel.show(app.state.settings, services.tools());
      settingsPanel.setCorpusStatus(`Corpus: ${n} document(s) indexed.`);
    } catch (e) {
      settingsPanel.setCorpusStatus(`Could not read the files: ${toErrorData(e, 'tool').message}`);
    }
  }

  async function exportSession(id: string, format: ExportFormat): Promise<void> {
    try {
      const file = await services.exportSession(id, format);
      const body = 'bytes' in file ? (file.bytes as Uint8Array<ArrayBuffer>) : file.text;
      if ('skipped' in file && file.skipped.length) app.showError({ kind: 'file', message: `The export leaves out files whose saved copy could not be read: ${file.skipped.join(' ')}` });
      const url = URL.createObjectURL(new Blob([body], { type: file.mime }));
      const a = h('a', { href: url, download: file.filename, hidden: true });
      container.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      app.showError({ ...toErrorData(e, 'storage'), message: `Export failed: ${toErrorData(e, 'storage').message}` });
    }
  }

  async function refreshModelInfo(): Promise<void> {
    modelPanel.setModels(services.models(), app.state.engine);
    modelPanel.setGpu(await services.detectGpu().catch((e: unknown) => ({ available: false, message: toErrorData(e).message })));
    modelPanel.setCache(await services.listCachedModels().catch(() => undefined));
    const storage = await services.storageInfo().catch(() => undefined);
    modelPanel.setStorage(storage);
    settingsPanel.setStorage(storage);
  }

  function dialog(title: string, body: HTMLElement): HTMLDialogElement {
    // The head stays put and the body scrolls: nothing in the body can slide under the head.
    const d = h(
      'dialog',
      { class: 'panel-dialog', 'aria-label': title },
      h('div', { class: 'dialog-head' }, h('button', { type: 'button', class: 'icon-button close', onclick: () => d.close() }, '✕', h('span', { class: 'visually-hidden' }, `Close ${title}`))),
      h('div', { class: 'dialog-body' }, body),
    );
    d.addEventListener('click', (e) => {
      if (e.target === d) d.close(); // click on the backdrop
    });
    return d;
  }
  function openDialog(d: HTMLDialogElement): void {
    if (d === settingsDialog) settingsPanel.show(app.state.settings, services.tools());
    void refreshModelInfo();
    if (!d.open) d.showModal();
  }

  function applyTheme(): void {
    container.dataset.theme = theme;
    setChildren(themeButton, theme === 'dark' ? '☀' : '☾', h('span', { class: 'visually-hidden' }, theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'));
    themeButton.setAttribute('aria-pressed', String(theme === 'dark'));
  }
  function toggleTheme(): void {
    theme = theme === 'dark' ? 'light' : 'dark';
    saveTheme(theme);
    applyTheme();
  }
  function toggleSidebar(): void {
    const open = !container.classList.contains('sidebar-open');
    container.classList.toggle('sidebar-open', open);
    sessionsToggle.setAttribute('aria-expanded', String(open));
  }

  return {
    element: container,
    controller: app,
    ready: app.ready,
    async dispose() {
      offEscape();
      status.dispose();
      await app.dispose();
      container.remove();
    },
  };
}
