// The app's core, shared by the notebook page (ui/) and the embed widget (embed/): session state,
// the engine and Python held as cached promises, run / stop / continue / new / open session,
// agent events turned into view state, the status line, errors as data. No DOM: the views
// subscribe to the state and to the notebook's changes, and call these actions.
import { EMPTY_NOTEPAD, newSessionId, toErrorData, type ErrorData, type LLM, type SessionStore, type Tool } from '../protocols';
import { nextAction } from '../agent/index';
import type { EngineChoice } from '../llm/engine-spec';
import { pruneSessions } from '../store/retention';
import { createApprovals } from './approvals';
import { testEndpoint } from './endpoint';
import { createEngineSlot, engineKey } from './engines';
import { DEMO_ENGINE, explainEngineError, isDemo, sessionStatus, shortChoice } from './labels';
import { createPace, pacedLLM } from './pace';
import { createPythonSlot } from './python';
import { forkAt, runCellAgain } from './rerun';
import { abortable, emptyRunState, executeRun } from './run';
import { DEFAULT_SETTINGS, ENGINE_KEY, SETTINGS_KEY, engineFromSaved, engineToSave, keyRemembered, settingsFromSaved, type AppSettings } from './settings';
import { createSessionBrowser } from './sessions';
import { emitter, observable } from './state';
import type { AppController, AppControllerOptions, AppState, NotebookChange, RunOptions, RunOutcome } from './types';

export type { AppController } from './types';
import { createAppWorkspace } from './workspace';

const LONG_SESSION_STEPS = 5;
const DEMO_ONLY = 'The demo model replays recorded runs and can only answer their tasks (the examples). Choose a model to run your own task.';
const isLLM = (e: unknown): e is LLM => typeof e === 'object' && e !== null && typeof (e as LLM).generate === 'function';
const refuse = (message: string, kind: ErrorData['kind'] = 'internal'): RunOutcome => ({ error: { kind, message } });

export function createAppController(options: AppControllerOptions): AppController {
  const { services } = options;
  const fixedLLM = isLLM(options.engine) ? options.engine : undefined;
  const settings: AppSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const state = observable<AppState>({
    phase: 'idle',
    task: '',
    status: '',
    maxSteps: settings.maxSteps,
    notepad: EMPTY_NOTEPAD,
    engine: fixedLLM ? undefined : (options.engine as EngineChoice | undefined),
    engineStatus: {},
    keyRemembered: false,
    demoPlaying: false,
    python: { state: 'off', message: '' },
    settings,
    sessions: [],
    attachments: [],
    files: [],
    approvals: [],
  });
  const approvals = createApprovals(state);
  const notebook = emitter<NotebookChange>();
  let active: { abort: AbortController; done: Promise<void> } | undefined;
  let disposed = false;
  let lastWorking: EngineChoice | undefined;
  let waiting: 'engine' | 'python' | undefined;
  let persistenceAsked = false;
  let pace: ReturnType<typeof createPace> | undefined;

  const engines = createEngineSlot(services.createEngine, (p) => {
    state.set({ engineStatus: { progress: p.phase === 'ready' ? undefined : p } });
    if (waiting === 'engine') state.set({ status: `${p.message}${p.fraction !== undefined && p.fraction < 1 ? ` ${Math.round(p.fraction * 100)}%` : ''}` });
    // A model picked in the model panel (or preloaded) says when it is ready, outside a run too.
    else if (p.phase === 'ready' && !active) state.set({ status: p.message });
  });
  const python = createPythonSlot(services.createSandbox, (s) => {
    state.set({ python: s });
    if (waiting === 'python' && s.state === 'starting') state.set({ status: s.message });
  });

  const workspace = createAppWorkspace(state, () => store());

  /** Why the store now keeps everything in memory (full or blocked browser storage), once it does. */
  let storeInMemory: ErrorData | undefined;
  services.onStoreWarning?.((w) => {
    storeInMemory = w;
    state.set({ warning: w }); // its message says what is kept where and what to do
  });

  let storeP: Promise<SessionStore> | undefined;
  const store = (): Promise<SessionStore> =>
    (storeP ??= Promise.resolve().then(() => services.store()).catch((e: unknown) => {
      storeP = undefined;
      throw e;
    }));
  let toolsP: Promise<Tool[]> | undefined;
  const allTools = (): Promise<Tool[]> =>
    (toolsP ??= Promise.resolve().then(() => services.tools(state.get().settings)).then(
      (tools) => {
        toolsP = undefined; // the page's tools change (corpus uploads): ask again next time
        return tools;
      },
      (e: unknown) => {
        toolsP = undefined; // e.g. the corpus URL failed: the next run fetches it again
        throw e;
      },
    ));
  const enabledTools = async (): Promise<Tool[]> => {
    const on = state.get().settings.tools;
    const all = await allTools();
    return approvals.wrap(on ? all.filter((t) => on.includes(t.name)) : all);
  };

  function askPersistence(): void {
    if (persistenceAsked || !services.requestPersistence) return;
    persistenceAsked = true;
    services.requestPersistence().catch(() => undefined);
  }

  /** Saves a setting when the page keeps them; resolves to why it was not saved, if it was not
   * (the store refused it, or keeps everything in memory only since storage filled up). */
  async function persist(key: string, value: unknown): Promise<ErrorData | undefined> {
    if (!options.persistSettings) return undefined;
    const refused = await store().then((s) => s.setSetting(key, value)).then(() => undefined, (e: unknown) => toErrorData(e, 'storage'));
    if (refused || !storeInMemory) return refused;
    return { kind: storeInMemory.kind, message: storeInMemory.kind === 'quota' ? 'browser storage is full.' : 'browser storage is unavailable.' };
  }

  /** Loads an engine; a failure of the selected one brings back the last working engine and says why. */
  async function loadEngine(choice: EngineChoice, forRun: boolean): Promise<LLM> {
    try {
      const llm = await (forRun ? engines.forRun(choice) : engines.load(choice));
      if (state.get().engine && engineKey(state.get().engine!) === engineKey(choice)) lastWorking = choice;
      if (choice.kind === 'webllm') askPersistence(); // gigabytes of weights are now cached
      state.set({ engineStatus: {} });
      return llm;
    } catch (e) {
      const err = explainEngineError(toErrorData(e), choice);
      const selected = state.get().engine;
      if (err.kind === 'aborted' || !selected || engineKey(selected) !== engineKey(choice)) {
        state.set({ engineStatus: err.kind === 'aborted' ? {} : { error: `${err.kind}: ${err.message}` } });
        throw e;
      }
      const back = [lastWorking, options.fallbackEngine].find((c) => c && engineKey(c) !== engineKey(choice));
      state.set({ engine: back ?? selected, engineStatus: { error: `${err.kind}: ${err.message}${back ? ` Back to ${shortChoice(back)}.` : ''}` } });
      if (back) void persist(ENGINE_KEY, engineToSave(back));
      throw e;
    }
  }

  async function preloadCachedModel(): Promise<void> {
    const choice = state.get().engine;
    if (choice?.kind !== 'webllm' || !services.isCached || !(await services.isCached(choice).catch(() => false))) return;
    await loadEngine(choice, false).catch(() => undefined); // the model panel shows why
  }

  const sessions = createSessionBrowser({ state, notebook: (c) => notebook.emit(c), workspace, store, listSessions: !!options.listSessions, tabRun: services.tabRun, busy: () => !!active });
  const refreshSessions = () => sessions.refresh();

  const ready = (async () => {
    try {
      if (options.persistSettings) {
        const s = await store();
        const saved = await s.getSetting(SETTINGS_KEY).catch(() => undefined);
        if (saved) state.set({ settings: settingsFromSaved(saved, settings) });
        const savedEngine = await s.getSetting(ENGINE_KEY).catch(() => undefined);
        const engine = engineFromSaved(savedEngine);
        if (engine) state.set({ engine, keyRemembered: keyRemembered(savedEngine) });
      }
      if (options.engineOverride) state.set({ engine: options.engineOverride, keyRemembered: false });
      state.set({ maxSteps: state.get().settings.maxSteps });
      // Python starts now, in parallel with everything else: the first run should not wait for it.
      if (options.startPython) void enabledTools().then((t) => python.get(t)).catch(() => undefined);
      if (options.listSessions) void sessions.refresh().then(() => sessions.reopenAfterReload());
      void preloadCachedModel();
    } catch (e) {
      state.set({ error: toErrorData(e, 'storage') });
    }
  })();

  async function afterRun(sessionId: string): Promise<void> {
    const limit = options.keepSessions;
    if (limit !== undefined) await store().then((s) => pruneSessions(s, limit, { keep: limit > 0 ? [sessionId] : [] })).catch(() => undefined);
    await refreshSessions();
  }

  async function run(taskText: string, ro: RunOptions = {}): Promise<RunOutcome> {
    if (disposed) return refuse('This agent was disposed.');
    if (active) return refuse('A run is in progress: stop it first.');
    const task = taskText.trim();
    if (!task) {
      state.set({ status: 'Write a task first.' });
      return refuse('The task is empty.');
    }
    // Claimed before the first await: a second Run (a double click) is refused, not started twice.
    const abort = new AbortController();
    let ended!: () => void;
    active = { abort, done: new Promise<void>((r) => (ended = r)) };
    let outcome: RunOutcome;
    let sessionId: string | undefined;
    try {
      await ready;
      const choice = ro.engine ?? state.get().engine;
      if (!choice && !fixedLLM) return fail({ kind: 'internal', message: options.noEngineMessage ?? 'No engine chosen.' });
      // The demo model answers the tasks it has recordings of, at a reading pace; never a follow-up.
      const demo = isDemo(choice) && !ro.resumeFrom ? options.demos?.find((d) => d.task === task) : undefined;
      if (isDemo(choice) && (ro.followUp !== undefined || (!ro.resumeFrom && !demo))) return fail({ kind: 'internal', message: DEMO_ONLY, detail: { reason: 'choose-engine' } });
      const paced = demo && createPace();
      pace = paced;
      approvals.newRun();
      sessionId = ro.resumeFrom?.sessionId ?? newSessionId();
      services.tabRun?.set(sessionId);
      if (!ro.resumeFrom) notebook.emit({ type: 'clear' });
      state.set({
        ...(ro.resumeFrom ? { error: undefined, interrupted: undefined } : { ...emptyRunState(), files: [] }),
        phase: 'running', sessionId, task, startedAt: Date.now(), maxSteps: state.get().settings.maxSteps, demoPlaying: !!paced,
      });
      outcome = await executeRun(
        {
          state, services, python, workspace, promptExtra: options.promptExtra,
          notebook: (c) => notebook.emit(c),
          engine: () =>
            fixedLLM
              ? Promise.resolve(fixedLLM)
              : demo && paced
                ? loadEngine({ kind: 'replay', scriptUrl: demo.script, tokenDelayMs: 0 }, true).then((llm) => pacedLLM(llm, paced))
                : loadEngine(choice!, true),
          tools: enabledTools,
          store,
          waitingFor: (part) => (waiting = part),
          onEvent: (ev) => {
            if (ev.type === 'step-end' || (ev.type === 'step-start' && ev.step === 1)) void refreshSessions(); // the list shows the run as it grows
            if (ev.type === 'step-start' && ev.step === LONG_SESSION_STEPS) askPersistence();
          },
        },
        { task, sessionId, signal: abort.signal, resumeFrom: ro.resumeFrom, followUp: ro.followUp, restoreCells: ro.restoreCells },
      );
      const shown = state.get().error;
      const explained = shown && explainEngineError(shown, choice);
      if (explained && explained !== shown) state.set({ error: explained });
      // Set before the run counts as ended, so a follow-up asked right after stop() continues it.
      if (outcome.trajectory) state.set({ trajectory: outcome.trajectory });
    } finally {
      if (sessionId) services.tabRun?.set(undefined);
      approvals.cancelAll();
      active = undefined;
      pace = undefined;
      if (state.get().phase !== 'idle' || state.get().demoPlaying) state.set({ phase: 'idle', demoPlaying: false });
      ended();
    }
    // A new run that failed or was stopped before its first step finished saved nothing worth
    // keeping: it leaves no "error · 0 steps" session behind (its error is on screen).
    const t = outcome.trajectory;
    if (!ro.resumeFrom && (!t || (t.steps.length === 0 && (t.status === 'error' || t.status === 'aborted')))) await sessions.discard(sessionId);
    await afterRun(sessionId);
    return outcome;
  }

  function fail(error: ErrorData): RunOutcome {
    state.set({ error, status: '' });
    return { error };
  }

  const controller: AppController = {
    get state() {
      return state.get();
    },
    subscribe: (l) => state.subscribe(l),
    onNotebook: (l) => notebook.on(l),
    ready,
    run,
    async runDemo() {
      const demo = options.demos?.[0];
      if (!demo) return refuse('There is no demo.');
      return run(demo.task, { engine: DEMO_ENGINE });
    },
    skipDemo() {
      pace?.skip();
      state.set({ demoPlaying: false });
    },
    stop() {
      const current = active;
      if (!current) return Promise.resolve();
      if (!current.abort.signal.aborted) {
        state.set({ phase: 'stopping', status: 'Stopping…' });
        current.abort.abort();
        // Abort ends generation; the interrupt ends a cell that is already running (and a question
        // its tool call asks); a model still loading for this run is cancelled.
        python.interrupt();
        approvals.cancelAll();
        if (waiting === 'engine') engines.cancel();
      }
      return current.done;
    },
    async continueSession(id, restoreCells = false) {
      if (active) return refuse('A run is in progress: stop it first.');
      const t = await sessions.load(id);
      if (!t) return { error: state.get().error };
      sessions.show(t);
      // An answered question has nothing to continue (the agent would return it as is): nothing
      // runs, and Python keeps whatever session it holds. The view offers the follow-up box.
      if (nextAction(t) === 'ask') {
        state.set({ status: `${sessionStatus(t)} · ask a follow-up question to go on` });
        return { trajectory: t };
      }
      return run(t.task, { resumeFrom: t, restoreCells });
    },
    async ask(questionText, restoreCells = false) {
      if (disposed) return refuse('This agent was disposed.');
      if (active) return refuse('A run is in progress: stop it first.');
      const question = questionText.trim();
      if (!question) {
        state.set({ status: 'Write a question first.' });
        return refuse('The follow-up question is empty.');
      }
      const { sessionId, trajectory } = state.get();
      const t = trajectory?.sessionId === sessionId ? trajectory : sessionId ? await sessions.load(sessionId) : undefined;
      if (!t) return sessionId ? { error: state.get().error } : refuse('There is no session to follow up: run a task first.');
      return run(t.task, { resumeFrom: t, followUp: question, restoreCells });
    },
    async openSession(id) {
      if (active) return;
      const t = await sessions.load(id);
      if (t) sessions.show(t);
    },
    newSession() {
      if (active) return;
      notebook.emit({ type: 'clear' });
      state.set({ ...emptyRunState(), sessionId: undefined, task: '', status: '', startedAt: undefined });
      void workspace.show(undefined);
    },
    async chooseEngine(asked, co = {}) {
      let choice = asked;
      if (!co.untested && choice.kind === 'openai' && services.listEndpointModels) {
        state.set({ engineStatus: { checking: true } });
        const tested = await testEndpoint(choice, services.listEndpointModels);
        if ('status' in tested) {
          state.set({ engineStatus: tested.status });
          return false;
        }
        choice = tested.take;
      }
      const remember = choice.kind === 'openai' && !!co.rememberKey && !!choice.apiKey;
      state.set({ engine: choice, engineStatus: {}, keyRemembered: remember });
      void persist(ENGINE_KEY, engineToSave(choice, remember));
      if (active) return true; // the run keeps its engine; the new one loads for the next run
      // WebLLM models are big: the download starts as soon as one is picked, with progress shown.
      return loadEngine(choice, false).then(
        () => true,
        () => false,
      );
    },
    weightsMoved(modelId) {
      engines.forget((c) => c.kind === 'webllm' && c.model === modelId);
    },
    async saveSettings(s) {
      // They apply at once; "saved" only once the write is done, so a reload right after keeps them.
      state.set({ settings: s, status: 'Saving settings…' });
      const err = await persist(SETTINGS_KEY, s);
      state.set({ status: err ? `Settings apply in this tab but were not saved: ${err.message}` : 'Settings saved.' });
    },
    async enableTools(names) {
      const on = state.get().settings.tools;
      if (!on) return; // every tool is on already
      const settings = { ...state.get().settings, tools: [...on, ...names.filter((n) => !on.includes(n))] };
      state.set({ settings });
      await persist(SETTINGS_KEY, settings);
    },
    async restartPython() {
      if (active) return;
      await python.restart(await enabledTools().catch(() => [])).catch(() => undefined); // the status line says why
    },
    refreshSessions,
    async renameSession(id, title) {
      const error = await store().then((s) => s.renameSession(id, title)).then(() => undefined, (e: unknown) => toErrorData(e, 'storage'));
      await refreshSessions();
      return error;
    },
    async deleteSession(id) {
      const error = await store().then((s) => s.deleteSession(id)).then(() => undefined, (e: unknown) => toErrorData(e, 'storage'));
      if (!error && id === state.get().sessionId) controller.newSession();
      await refreshSessions();
      return error;
    },
    async importSession(text) {
      try {
        const id = await (await store()).importSession(text);
        await refreshSessions();
        await controller.openSession(id);
        return id;
      } catch (e) {
        state.set({ error: { ...toErrorData(e, 'storage'), message: `Import failed: ${toErrorData(e, 'storage').message}` } });
        return undefined;
      }
    },
    async clearHistory() {
      const running = active ? state.get().sessionId : undefined;
      await store()
        .then((s) => pruneSessions(s, 0, { keep: running ? [running] : [] }))
        .catch((e: unknown) => state.set({ error: toErrorData(e, 'storage') }));
      controller.newSession();
      await refreshSessions();
    },
    async rerunCell(step) {
      const t = active ? undefined : await sessions.shown();
      const code = t?.steps.find((s) => s.index === step)?.code;
      if (active) return refuse('A run is in progress: stop it first.');
      if (!code?.trim()) return refuse('That step has no code to run.');
      const abort = new AbortController();
      let ended!: () => void;
      active = { abort, done: new Promise<void>((r) => (ended = r)) };
      state.set({ phase: 'running', status: `Running the cell of step ${step} again…`, error: undefined, step: undefined, startedAt: Date.now() });
      try {
        const sandbox = await abortable(enabledTools().then((tools) => python.live(tools, state.get().sessionId)), abort.signal);
        const { result, error } = await runCellAgain(sandbox, step, code, abort.signal, (c) => notebook.emit(c));
        if (error) python.failed(error);
        const how = result ? (result.status === 'ok' ? 'done' : String(result.status)) : 'failed';
        state.set({ status: `The cell of step ${step} ran again: ${how}. The model does not see this run.`, ...(error && { error }) });
        return { error };
      } catch (e) {
        const error = toErrorData(e, 'sandbox');
        state.set(error.kind === 'aborted' ? { status: 'Stopped.' } : { status: '', error });
        return { error };
      } finally {
        active = undefined;
        state.set({ phase: 'idle' });
        ended();
      }
    },
    async rerunFrom(step, taskText) {
      if (active) return refuse('A run is in progress: stop it first.');
      if (isDemo(state.get().engine)) return fail({ kind: 'internal', message: 'The demo model replays whole recorded runs: choose a model to re-run from a step.', detail: { reason: 'choose-engine' } });
      const t = await sessions.shown();
      if (!t) return { error: state.get().error };
      const task = taskText.trim() || t.task;
      if (!t.steps.some((s) => s.index < step)) return run(task);
      let id: string;
      try {
        id = await (await store()).importSession(JSON.stringify(forkAt(t, step, task)));
      } catch (e) {
        return fail({ ...toErrorData(e, 'storage'), message: `The new session could not be saved: ${toErrorData(e, 'storage').message}` });
      }
      await refreshSessions();
      return controller.continueSession(id, true);
    },
    showError(error) {
      state.set({ error });
    },
    attach: (files) => workspace.attach(files),
    removeAttachment: (name) => workspace.remove(name),
    readFile: (name) => workspace.read(name),
    resolveApproval: (id, decision) => approvals.resolve(id, decision),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await controller.stop();
      await Promise.all([fixedLLM ? undefined : engines.dispose(), python.dispose()]);
    },
  };
  return controller;
}

