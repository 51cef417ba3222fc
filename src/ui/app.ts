// The notebook app: mounts into any root (a Document, a ShadowRoot or an element), full or compact.
// It only wires views to the services it is given; engines, sandbox, store and tools live elsewhere.
import type { AgentEvent, LLM, LoadProgress, NotepadState, Sandbox, SessionMeta, Tool, Trajectory } from '../protocols';
import { EMPTY_NOTEPAD, toErrorData } from '../protocols';
import { applyCellEvent, createCellView, renderSavedStep, type CellView } from './cell-view';
import { h, setChildren, formatMs } from './dom';
import { createFirstRun } from './first-run';
import { renderMarkdown } from './markdown';
import { createModelPanel, describeChoice, shortChoice } from './model-panel';
import { createNotepadPanel } from './notepad-panel';
import { createResumeNotice, resumedNote } from './resume-notice';
import { createSessionsSidebar } from './sessions-sidebar';
import { createSettingsPanel } from './settings-panel';
import { initialTheme, saveTheme, type Theme } from './theme';
import { DEFAULT_SETTINGS, type EngineChoice, type UiServices, type UiSettings } from './types';

export interface MountOptions {
  services: UiServices;
  /** The embed form: no sessions sidebar, notepad folded under the cells, smaller chrome. */
  compact?: boolean;
  /** CSS text to adopt into a ShadowRoot (the page build links the stylesheet instead). */
  styles?: string;
  theme?: Theme | 'auto';
  initialTask?: string;
  /** The bundled replay demo (URL relative to the document). */
  demoUrl?: string;
  /** Engine to use when nothing was saved and the URL does not name one. */
  defaultEngine?: EngineChoice;
  /** Keeps settings and engine choice in the store (the page does; an embed may not). */
  persistSettings?: boolean;
  onEvent?: (e: AgentEvent) => void;
  title?: string;
}

export interface AppHandle {
  readonly element: HTMLElement;
  run(task?: string): Promise<Trajectory | undefined>;
  runDemo(): Promise<Trajectory | undefined>;
  stop(): void;
  /** Resolves once settings are loaded and the Python worker has been started (not necessarily ready). */
  ready: Promise<void>;
  dispose(): Promise<void>;
}

const SETTINGS_KEY = 'ui.settings';
const ENGINE_KEY = 'ui.engine';
/** From this step on a session counts as long: its data is worth asking the browser to keep. */
const LONG_SESSION_STEPS = 5;

interface RunOptions {
  resumeFrom?: Trajectory;
  restoreCells?: boolean;
  sessionId?: string;
  engine?: EngineChoice;
}

export function mountApp(root: Document | ShadowRoot | HTMLElement, opts: MountOptions): AppHandle {
  const { services } = opts;
  const compact = !!opts.compact;
  const demoUrl = new URL(opts.demoUrl ?? 'demo/primes.json', document.baseURI).href;

  let settings: UiSettings = { ...DEFAULT_SETTINGS };
  let engine: EngineChoice = opts.defaultEngine ?? { kind: 'demo' };
  let theme: Theme = opts.theme && opts.theme !== 'auto' ? opts.theme : initialTheme();
  let llm: { key: string; llm: LLM } | undefined;
  let sandbox: { key: string; promise: Promise<Sandbox>; used: boolean } | undefined;
  let running: { controller: AbortController; sessionId: string; cell?: CellView } | undefined;
  let activeSessionId: string | undefined;
  let sessions: SessionMeta[] = [];
  let disposed = false;
  const cells = new Map<number, CellView>();

  // ---- views -------------------------------------------------------------------------------
  const container = h('div', { class: `l0-app${compact ? ' compact' : ''}`, 'data-theme': theme });
  const notepad = createNotepadPanel();
  const modelPanel = createModelPanel({
    choose: (c) => void chooseEngine(c),
    checkWeights: services.checkWeights ? async (id, url) => { const r = await services.checkWeights!(id, url); updateEngineChip(); return r; } : undefined,
    deleteCached: services.deleteCachedModel ? async (id) => { await services.deleteCachedModel!(id); await refreshModelInfo(); } : undefined,
    persist: services.requestPersistence ? async () => { await services.requestPersistence!(); await refreshModelInfo(); } : undefined,
  });
  const snapshotControls =
    services.pythonSnapshot && services.clearPythonSnapshot
      ? { read: () => services.pythonSnapshot!(), clear: async () => { await services.clearPythonSnapshot!(); void refreshModelInfo(); } }
      : undefined;
  const settingsPanel = createSettingsPanel((s) => void saveSettings(s), services.addCorpusFiles ? addCorpus : undefined, snapshotControls);
  const sidebar = createSessionsSidebar({
    open: (id) => void openSession(id),
    continue: (id, restoreCells) => void continueSession(id, restoreCells),
    rename: async (id, title) => { await services.store.renameSession(id, title); await refreshSessions(); },
    remove: async (id) => {
      await services.store.deleteSession(id);
      if (id === activeSessionId) newSession();
      await refreshSessions();
    },
    exportAs: (id, fmt) => exportSession(id, fmt),
    importFile: async (file) => {
      try {
        const id = await services.importSession(await file.text(), file.name);
        await refreshSessions();
        await openSession(id);
      } catch (e) {
        showBanner(`Import failed: ${toErrorData(e, 'storage').message}`);
      }
    },
    newSession: () => newSession(),
  });

  const modelDialog = dialog('Model', modelPanel.el);
  const settingsDialog = dialog('Settings', settingsPanel.el);

  const engineChip = h('button', { type: 'button', class: 'engine-chip', title: 'Choose the model', onclick: () => openDialog(modelDialog) });
  const themeButton = h('button', { type: 'button', class: 'icon-button theme-toggle', onclick: () => toggleTheme() });
  const sessionsToggle = h('button', { type: 'button', class: 'icon-button sessions-toggle', 'aria-expanded': 'false', 'aria-controls': 'l0-sessions', onclick: () => toggleSidebar() }, '☰', h('span', { class: 'visually-hidden' }, 'Sessions'));
  const header = h(
    'header',
    { class: 'topbar' },
    compact ? null : sessionsToggle,
    h('h1', { class: 'app-title' }, opts.title ?? ['L0', h('span', { class: 'title-long' }, ' notebook agent')]),
    engineChip,
    h('button', { type: 'button', class: 'icon-button', onclick: () => openDialog(settingsDialog) }, '⚙', h('span', { class: 'visually-hidden' }, 'Settings')),
    themeButton,
  );

  const taskInput = h('textarea', { id: 'l0-task', name: 'task', rows: 3, placeholder: 'Ask something that needs a little computation or research…', 'aria-describedby': 'l0-task-hint' });
  const runButton = h('button', { type: 'submit', class: 'primary run-button' }, 'Run');
  const stopButton = h('button', { type: 'button', class: 'stop-button', disabled: true, onclick: () => stop() }, 'Stop');
  const taskForm = h(
    'form',
    { class: 'task-form', 'aria-label': 'New task' },
    h('label', { for: 'l0-task', class: 'task-label' }, 'Task'),
    taskInput,
    h('div', { class: 'task-actions' }, h('span', { id: 'l0-task-hint', class: 'hint' }, 'Ctrl+Enter runs · Esc stops'), runButton, stopButton),
  );
  taskForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void run();
  });
  taskInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    }
  });

  const stepCounter = h('span', { class: 'step-counter' });
  const elapsed = h('span', { class: 'elapsed' });
  const pythonStatus = h('span', { class: 'python-status' }, 'Python: starting…');
  const statusText = h('span', { class: 'status-text' });
  const runStatus = h('div', { class: 'run-status', role: 'status', 'aria-live': 'polite' }, statusText, stepCounter, elapsed, pythonStatus);
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const firstRun = createFirstRun({
    runDemo: () => void runDemo(),
    useExample: (t) => {
      taskInput.value = t;
      taskInput.focus();
    },
    openModelPanel: () => openDialog(modelDialog),
  });
  const resumeNotice = createResumeNotice((restoreCells) => {
    if (activeSessionId) void continueSession(activeSessionId, restoreCells);
  });
  const cellsEl = h('div', { class: 'cells' });
  const answerBody = h('div', { class: 'markdown answer-body' });
  const answer = h('section', { class: 'final-answer', hidden: true, 'aria-labelledby': 'l0-answer-heading' }, h('h2', { id: 'l0-answer-heading' }, 'Answer'), answerBody);

  const main = h('main', { class: 'notebook', id: 'l0-main' }, banner, taskForm, runStatus, resumeNotice.el, firstRun, cellsEl, answer);
  const sessionsAside = h('div', { class: 'sidebar', id: 'l0-sessions' }, sidebar.el);
  const side = h('aside', { class: 'side', 'aria-label': 'Notepad' }, notepad.el);
  const layout = h('div', { class: 'layout' }, compact ? null : sessionsAside, main, side);
  container.append(header, layout, modelDialog, settingsDialog);
  notepad.update(EMPTY_NOTEPAD);

  // Escape stops a run from anywhere in the app (dialogs handle their own Escape).
  container.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && container.classList.contains('sidebar-open')) {
      toggleSidebar(); // the phone's sessions drawer closes first
      sessionsToggle.focus();
      return;
    }
    if (e.key === 'Escape' && running && !(e.target as Element).closest?.('dialog')) {
      e.preventDefault();
      stop();
    }
  });

  mountInto(root, container, opts.styles);
  applyTheme();
  if (opts.initialTask) taskInput.value = opts.initialTask;

  // ---- startup: interactive now; settings, Python and model info load in the background --------
  const ready = (async () => {
    if (opts.persistSettings !== false) {
      const saved = await services.store.getSetting<UiSettings>(SETTINGS_KEY).catch(() => undefined);
      if (saved) settings = { ...DEFAULT_SETTINGS, ...saved };
      const savedEngine = await services.store.getSetting<EngineChoice>(ENGINE_KEY).catch(() => undefined);
      if (savedEngine) engine = savedEngine;
    }
    const fromUrl = services.engineFromUrl?.();
    if (fromUrl) engine = fromUrl;
    if (!settings.tools.length) settings.tools = services.availableTools().map((t) => t.name);
    updateEngineChip();
    for (const w of services.storeWarnings?.() ?? []) showBanner(w);
    // Start Python now, in parallel with everything else: the first run should not wait for it.
    void ensureSandbox().catch(() => undefined);
    void refreshSessions();
    void refreshModelInfo();
    void preloadCachedModel();
  })();

  /** A WebLLM model already in the browser's cache loads (from disk, onto the GPU) while the page
   * renders, so the first Run does not wait for it. Nothing is downloaded here: a model that is not
   * cached waits for the user's Run. */
  async function preloadCachedModel(): Promise<void> {
    if (engine.kind !== 'webllm' || !services.listCachedModels) return;
    const wanted = engine.modelId;
    const cached = await services.listCachedModels().catch(() => []);
    if (!cached.some((m) => m.id === wanted)) return;
    await ensureEngine(new AbortController().signal).catch(() => undefined); // errors are shown in the model panel
  }

  // ---- behaviour ---------------------------------------------------------------------------
  function applyTheme(): void {
    container.dataset.theme = theme;
    themeButton.textContent = theme === 'dark' ? '☀' : '☾';
    themeButton.append(h('span', { class: 'visually-hidden' }, theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'));
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

  function dialog(title: string, body: HTMLElement): HTMLDialogElement {
    const d = h('dialog', { class: 'panel-dialog', 'aria-label': title }, h('div', { class: 'dialog-head' }, h('button', { type: 'button', class: 'icon-button close', onclick: () => d.close() }, '✕', h('span', { class: 'visually-hidden' }, `Close ${title}`))), body);
    d.addEventListener('click', (e) => {
      if (e.target === d) d.close(); // click on the backdrop
    });
    return d;
  }
  function openDialog(d: HTMLDialogElement): void {
    if (d === settingsDialog) settingsPanel.show(settings, services.availableTools());
    if (d === modelDialog) void refreshModelInfo();
    if (!d.open) d.showModal();
  }

  function showBanner(text: string | undefined): void {
    banner.hidden = !text;
    banner.textContent = text ?? '';
  }

  function updateEngineChip(): void {
    setChildren(engineChip, h('span', { class: 'chip-prefix' }, 'Model: '), shortChoice(engine));
    engineChip.title = `Model: ${describeChoice(engine)} (change)`;
    modelPanel.setModels(services.models(), engine);
  }

  async function refreshModelInfo(): Promise<void> {
    modelPanel.setModels(services.models(), engine);
    modelPanel.setGpu(await services.detectGpu().catch((e) => ({ available: false, message: toErrorData(e).message })));
    modelPanel.setCache(services.listCachedModels ? await services.listCachedModels().catch(() => undefined) : undefined);
    const storage = services.storageInfo ? await services.storageInfo().catch(() => undefined) : undefined;
    modelPanel.setStorage(storage);
    settingsPanel.setStorage(storage);
  }

  /** Asks the browser to keep this site's data (sessions, model weights) when the user invests in
   * it: a downloaded model or a long session. Browsers may grant it silently or ignore it. */
  let persistenceAsked = false;
  function askPersistence(): void {
    if (persistenceAsked || !services.requestPersistence) return;
    persistenceAsked = true;
    void services.requestPersistence().then(() => refreshModelInfo(), () => undefined);
  }

  async function chooseEngine(c: EngineChoice): Promise<void> {
    engine = c;
    modelPanel.setError(undefined);
    updateEngineChip();
    if (opts.persistSettings !== false) {
      // Never store an API key: it stays in this tab's memory only.
      const stored = c.kind === 'openai' ? { ...c, apiKey: undefined } : c;
      await services.store.setSetting(ENGINE_KEY, stored).catch(() => undefined);
    }
    // WebLLM models are big: start the download as soon as one is picked, with progress shown here.
    if (c.kind === 'webllm') {
      try {
        await ensureEngine(new AbortController().signal);
      } catch {
        // ensureEngine shows the error in the panel.
      }
    } else if (modelDialog.open) {
      modelDialog.close();
    }
  }

  function resolvedChoice(c: EngineChoice): EngineChoice {
    return c.kind === 'demo' ? { kind: 'replay', scriptUrl: demoUrl } : c;
  }

  async function ensureEngine(signal: AbortSignal, choice: EngineChoice = engine): Promise<LLM> {
    const resolved = resolvedChoice(choice);
    const key = JSON.stringify(resolved);
    // Replays are consumed as they play: every run gets a fresh one.
    if (llm && llm.key === key && resolved.kind !== 'replay') return llm.llm;
    if (llm) await llm.llm.dispose?.().catch(() => undefined);
    llm = undefined;
    const onProgress = (p: LoadProgress) => {
      modelPanel.setProgress(p.phase === 'ready' ? undefined : p);
      statusText.textContent = p.message;
    };
    try {
      const created = await services.createEngine(resolved, onProgress, signal);
      llm = { key, llm: created };
      if (resolved.kind === 'webllm') askPersistence(); // gigabytes of weights are now cached
      modelPanel.setProgress(undefined);
      return created;
    } catch (e) {
      const err = toErrorData(e);
      modelPanel.setProgress(undefined);
      modelPanel.setError(`${err.kind}: ${err.message}`);
      throw e;
    }
  }

  function enabledTools(): Tool[] {
    const all = services.availableTools();
    return all.filter((t) => settings.tools.includes(t.name));
  }

  function ensureSandbox(): Promise<Sandbox> {
    const tools = enabledTools();
    const key = tools.map((t) => t.name).join(',');
    if (sandbox && sandbox.key === key) return sandbox.promise;
    const old = sandbox;
    if (old) void old.promise.then((s) => s.dispose()).catch(() => undefined);
    const promise = services.createSandbox(tools, undefined, (p) => {
      pythonStatus.textContent = `Python: ${p.message}${p.fraction !== undefined && p.fraction < 1 ? ` ${Math.round(p.fraction * 100)}%` : ''}`;
    });
    sandbox = { key, promise, used: false };
    promise.then(
      (s) => {
        pythonStatus.textContent = `Python ${s.info.pythonVersion} ready`;
      },
      (e) => {
        pythonStatus.textContent = `Python failed to start: ${toErrorData(e, 'sandbox').message}`;
        if (sandbox?.promise === promise) sandbox = undefined;
      },
    );
    return promise;
  }

  async function saveSettings(s: UiSettings): Promise<void> {
    settings = s;
    if (opts.persistSettings !== false) await services.store.setSetting(SETTINGS_KEY, s).catch(() => undefined);
    settingsDialog.close();
    statusText.textContent = 'Settings saved.';
  }

  async function addCorpus(files: File[]): Promise<void> {
    settingsPanel.setCorpusStatus(`Indexing ${files.length} file(s)…`);
    try {
      const before = new Set(services.availableTools().map((t) => t.name));
      const n = await services.addCorpusFiles!(files);
      // The corpus tools appear with the first documents: enable them for the next run.
      const added = services.availableTools().map((t) => t.name).filter((name) => !before.has(name));
      if (added.length) {
        settings = { ...settings, tools: [...settings.tools, ...added] };
        if (opts.persistSettings !== false) await services.store.setSetting(SETTINGS_KEY, settings).catch(() => undefined);
        settingsPanel.show(settings, services.availableTools());
      }
      settingsPanel.setCorpusStatus(`Corpus: ${n} document(s) indexed.`);
    } catch (e) {
      settingsPanel.setCorpusStatus(`Could not read the files: ${toErrorData(e, 'tool').message}`);
    }
  }

  async function refreshSessions(): Promise<void> {
    if (compact) return;
    sessions = await services.store.listSessions().catch(() => []);
    sidebar.render(sessions, activeSessionId);
    firstRun.hidden = sessions.length > 0 || cells.size > 0 || !!running;
  }

  function clearNotebook(): void {
    cells.clear();
    cellsEl.replaceChildren();
    resumeNotice.hide();
    answer.hidden = true;
    answerBody.replaceChildren();
    notepad.update(EMPTY_NOTEPAD);
    stepCounter.textContent = '';
    elapsed.textContent = '';
    showBanner(undefined);
  }

  function newSession(): void {
    if (running) return;
    activeSessionId = undefined;
    clearNotebook();
    taskInput.value = '';
    statusText.textContent = '';
    firstRun.hidden = false;
    sidebar.render(sessions, undefined);
    taskInput.focus();
  }

  function showAnswer(text: string): void {
    answer.hidden = false;
    renderMarkdown(answerBody, text);
  }

  function renderTrajectory(t: Trajectory): void {
    clearNotebook();
    firstRun.hidden = true;
    taskInput.value = t.task;
    for (const step of t.steps) {
      const view = renderSavedStep(step, t.settings.maxSteps);
      cells.set(step.index, view);
      cellsEl.append(view.el);
    }
    const last = t.steps.at(-1);
    notepad.update(last?.notepad ?? EMPTY_NOTEPAD, last?.index);
    if (t.finalAnswer !== undefined) showAnswer(t.finalAnswer);
    stepCounter.textContent = `${t.steps.length} step${t.steps.length === 1 ? '' : 's'}`;
    statusText.textContent = `Session: ${t.status}`;
    resumeNotice.show(t);
    if (t.error) showBanner(`${t.error.kind}: ${t.error.message}`);
  }

  async function openSession(id: string): Promise<void> {
    if (running) return;
    const t = await services.store.loadSession(id);
    if (!t) {
      showBanner('That session could not be loaded.');
      return;
    }
    activeSessionId = id;
    renderTrajectory(t);
    sidebar.render(sessions, id);
    container.classList.remove('sidebar-open');
  }

  async function continueSession(id: string, restoreCells = false): Promise<void> {
    if (running) return;
    const t = await services.store.loadSession(id);
    if (!t) return;
    activeSessionId = id;
    renderTrajectory(t);
    await run(t.task, { resumeFrom: t, sessionId: id, restoreCells });
  }

  async function exportSession(id: string, format: 'ipynb' | 'md' | 'json'): Promise<void> {
    const file = await services.exportSession(id, format);
    const url = URL.createObjectURL(new Blob([file.text], { type: file.mime }));
    const a = h('a', { href: url, download: file.filename, hidden: true });
    container.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  function setRunning(on: boolean): void {
    runButton.disabled = on;
    stopButton.disabled = !on;
    taskInput.readOnly = on;
    container.classList.toggle('is-running', on);
  }

  async function runDemo(): Promise<Trajectory | undefined> {
    if (running) return undefined;
    try {
      const res = await fetch(demoUrl);
      const script = (await res.json()) as { task?: string };
      taskInput.value = script.task ?? '';
    } catch (e) {
      showBanner(`The demo could not be loaded: ${toErrorData(e, 'network').message}`);
      return undefined;
    }
    return run(taskInput.value, { engine: { kind: 'demo' } });
  }

  function stop(): void {
    if (!running) return;
    statusText.textContent = 'Stopping…';
    running.controller.abort();
    // Abort ends generation; the interrupt ends a cell that is already running.
    void sandbox?.promise.then((s) => s.interrupt()).catch(() => undefined);
    running.cell?.markStopped();
  }

  async function run(taskText?: string, ro: RunOptions = {}): Promise<Trajectory | undefined> {
    if (running || disposed) return undefined;
    const task = (taskText ?? taskInput.value).trim();
    if (!task) {
      taskInput.focus();
      statusText.textContent = 'Write a task first.';
      return undefined;
    }
    taskInput.value = task;
    const choice = ro.engine ?? engine;
    if (choice.kind === 'demo' && !ro.resumeFrom && ro.engine === undefined) {
      // The demo replays a recorded run: it can only answer its own task.
      const demoTask = await fetch(demoUrl).then((r) => r.json()).then((j: { task?: string }) => j.task).catch(() => undefined);
      if (demoTask !== task) {
        showBanner('The demo model replays a recorded run and can only answer its own task. Choose a model to run your own task.');
        openDialog(modelDialog);
        return undefined;
      }
    }
    await ready;
    const controller = new AbortController();
    const sessionId = ro.sessionId ?? crypto.randomUUID();
    running = { controller, sessionId };
    setRunning(true);
    if (!ro.resumeFrom) clearNotebook();
    showBanner(undefined);
    resumeNotice.hide();
    firstRun.hidden = true;
    activeSessionId = sessionId;
    const t0 = performance.now();
    const timer = setInterval(() => (elapsed.textContent = formatMs(performance.now() - t0)), 250);
    let release: (() => void) | undefined;
    let trajectory: Trajectory | undefined;
    try {
      if (services.acquireSession) {
        release = await services.acquireSession(sessionId);
        if (!release) throw new Error('This session is open and running in another tab.');
      }
      statusText.textContent = 'Loading model…';
      const model = await ensureEngine(controller.signal, choice);
      statusText.textContent = 'Starting Python…';
      const box = await ensureSandbox();
      const entry = sandbox!;
      if (entry.used || ro.resumeFrom) await box.reset({ clearNotepad: true });
      entry.used = true;
      const resumeNotepad: NotepadState | undefined = ro.resumeFrom?.steps.at(-1)?.notepad;
      if (resumeNotepad) await box.setNotepad(resumeNotepad);
      if (controller.signal.aborted) throw new DOMException('Stopped', 'AbortError');
      statusText.textContent = ro.resumeFrom && ro.restoreCells ? 'Re-running saved cells…' : 'Running…';
      const agentRun = services.runAgent({ task, llm: model, sandbox: box, settings, tools: enabledTools(), sessionId, signal: controller.signal, resumeFrom: ro.resumeFrom, restoreCells: ro.restoreCells });
      void refreshSessionsSoon();
      for await (const ev of agentRun) {
        handleEvent(ev, settings.maxSteps);
        opts.onEvent?.(ev);
        if (ev.type === 'done') trajectory = ev.trajectory;
      }
      trajectory ??= await agentRun.trajectory;
      statusText.textContent = statusLine(trajectory);
    } catch (e) {
      const err = toErrorData(e);
      statusText.textContent = err.kind === 'aborted' ? 'Stopped.' : 'Run failed.';
      if (err.kind !== 'aborted') showBanner(`${err.kind}: ${err.message}`);
      opts.onEvent?.({ type: 'error', error: err });
    } finally {
      clearInterval(timer);
      running?.cell?.markStopped();
      running = undefined;
      release?.();
      setRunning(false);
      await refreshSessions();
    }
    return trajectory;
  }

  async function refreshSessionsSoon(): Promise<void> {
    // The store writes the run header at the start; show the new session in the sidebar early.
    await new Promise((r) => setTimeout(r, 300));
    await refreshSessions();
  }

  function statusLine(t: Trajectory): string {
    switch (t.status) {
      case 'answered':
        return `Answered in ${t.steps.length} step${t.steps.length === 1 ? '' : 's'}.`;
      case 'max-steps':
        return `Stopped at the step limit (${t.steps.length}) without an answer.`;
      case 'aborted':
        return 'Stopped.';
      default:
        return `Run ended: ${t.status}${t.error ? ` (${t.error.message})` : ''}`;
    }
  }

  function cellFor(step: number): CellView {
    let view = cells.get(step);
    if (!view) {
      view = createCellView(step, settings.maxSteps);
      cells.set(step, view);
      cellsEl.append(view.el);
    }
    if (running) running.cell = view;
    return view;
  }

  function handleEvent(ev: AgentEvent, maxSteps: number): void {
    if (applyCellEvent(cellFor, ev)) {
      if (ev.type === 'step-end') void refreshSessions(); // the sidebar shows the step count as it grows
      keepScrolled();
      return;
    }
    switch (ev.type) {
      case 'resumed':
        cellsEl.append(resumedNote(ev));
        statusText.textContent = 'Running…';
        break;
      case 'step-start':
        stepCounter.textContent = `Step ${ev.step} / ${maxSteps}`;
        if (ev.step === LONG_SESSION_STEPS) askPersistence();
        cellFor(ev.step);
        if (ev.collapsed) cellFor(ev.step).el.prepend(h('p', { class: 'collapsed-note' }, 'Memory budget reached: history collapsed to the task and the notepad.'));
        keepScrolled();
        break;
      case 'notepad':
        notepad.update(ev.notepad, ev.step);
        break;
      case 'final-answer':
        showAnswer(ev.answer);
        keepScrolled();
        break;
      case 'error':
        if (ev.error.kind !== 'aborted') showBanner(`${ev.error.kind}: ${ev.error.message}`);
        break;
      default:
        break;
    }
  }

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
    const s = scroller();
    if (pinned && s.scrollHeight > s.clientHeight) s.scrollTop = s.scrollHeight;
  }

  return {
    element: container,
    run: (task) => run(task),
    runDemo,
    stop,
    ready,
    async dispose() {
      disposed = true;
      stop();
      container.remove();
      const s = sandbox;
      sandbox = undefined;
      if (s) await s.promise.then((b) => b.dispose()).catch(() => undefined);
      if (llm) await llm.llm.dispose?.().catch(() => undefined);
      llm = undefined;
    },
  };
}

function mountInto(root: Document | ShadowRoot | HTMLElement, el: HTMLElement, styles: string | undefined): void {
  if (root instanceof Document) {
    (root.getElementById('app') ?? root.body).replaceChildren(el);
    return;
  }
  if (styles && root instanceof ShadowRoot) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(styles);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }
  root.append(el);
}
