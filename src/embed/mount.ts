// mount(element, options): the agent in any element of any page, rendered in Shadow DOM.
// This file only wires the real parts together: engine (llm/), Python sandbox (sandbox/), agent
// loop (agent/), namespaced IndexedDB store (store/), corpus and host tools (tools/), compact view.
import { L0Error, toErrorData, type ErrorData, type LLM, type LoadProgress, type Sandbox, type SandboxInfo, type SessionStore, type Tool, type Trajectory } from '../protocols';
import { resolveAssets } from './assets';
import { createEmbedEngine, isLLM } from './engine';
import { databaseName, DEFAULT_MAX_STEPS, type MountOptions } from './options';
import { createCompactView, type CompactView, type EmbedTheme } from './view';

export interface EmbeddedAgent {
  /** Runs a task (default: the text in the task box); resolves with the run's trajectory. */
  run(task?: string): Promise<Trajectory>;
  /** Stops the current run (generation is aborted, the running cell interrupted). */
  stop(): void;
  /** Stops, terminates the Python and model workers and removes the widget. */
  dispose(): Promise<void>;
  setTheme(theme: EmbedTheme): void;
  /** Puts a task in the task box (without running it). */
  setTask(task: string): void;
  /** The widget's shadow root. */
  readonly shadowRoot: ShadowRoot;
  /** The IndexedDB database of this embedding. */
  readonly databaseName: string;
  /** How the Python sandbox interrupts and calls tools, once it has loaded (first run). */
  sandboxInfo(): SandboxInfo | undefined;
}

/** Events dispatched on the host element (bubbling, composed): `l0-step`, `l0-answer`, `l0-error`, `l0-done`. */
function dispatch(element: HTMLElement, type: string, detail: unknown): void {
  element.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

export function mount(element: HTMLElement, options: MountOptions = {}): EmbeddedAgent {
  const shadow = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const dbName = databaseName(options.namespace);
  const assets = resolveAssets(options.assetsBaseUrl);

  let disposed = false;
  let controller: AbortController | undefined;
  let current: Promise<Trajectory> | undefined;
  let llm: Promise<LLM> | undefined;
  let sandbox: Promise<Sandbox> | undefined;
  let tools: Promise<Tool[]> | undefined;
  let store: SessionStore | undefined;
  let runsInSandbox = 0;
  let info: SandboxInfo | undefined;

  const view: CompactView = createCompactView(shadow, options.title ?? 'Ask the agent', maxSteps, {
    onRun: (task) => void agent.run(task).catch(() => undefined), // errors are shown and reported by run()
    onStop: () => agent.stop(),
  });
  view.setTheme(options.theme ?? 'light');
  if (options.task) view.setTask(options.task);

  const reportError = (error: ErrorData) => {
    view.showError(error);
    options.onError?.(error);
    dispatch(element, 'l0-error', error);
  };
  const progress = (p: LoadProgress) => view.progress(p);

  // The agent, sandbox, store and search code load on the first run (dynamic imports), so mounting
  // is cheap and the host page stays fast.
  const runtime = () => import('./runtime');
  const getTools = () =>
    (tools ??= runtime().then(async ({ corpusTools }) => {
      const corpus = await corpusTools(options.corpus);
      const names = new Set(corpus.map((t) => t.name));
      for (const t of options.tools ?? []) if (names.has(t.name)) throw new L0Error({ kind: 'tool', message: `two tools are named '${t.name}'` });
      return [...corpus, ...(options.tools ?? [])];
    }));
  const getLLM = (signal: AbortSignal) => (llm ??= isLLM(options.engine) ? Promise.resolve(options.engine) : createEmbedEngine(options.engine, progress, signal));
  const getSandbox = (t: Tool[]) =>
    (sandbox ??= runtime().then(({ createPyodideSandbox }) => createPyodideSandbox({ tools: t, indexURL: assets.pyodideIndexURL, onProgress: progress })));
  // IndexedDB while it works; in memory (with a warning shown) where storage is blocked or full.
  const getStore = async () => (store ??= (await runtime()).createResilientStore({ dbName, onWarning: (w) => reportError(w) }));

  async function execute(task: string, signal: AbortSignal): Promise<Trajectory> {
    view.setStatus('Loading…');
    const t = await getTools().catch((e: unknown) => {
      tools = undefined; // e.g. the corpus URL failed: the next run fetches it again
      throw e;
    });
    const model = await getLLM(signal).catch((e: unknown) => {
      llm = undefined; // a failed engine load can be retried by the next run
      throw e;
    });
    const py = await getSandbox(t).catch((e: unknown) => {
      sandbox = undefined;
      throw e;
    });
    info = py.info;
    // Each run is a fresh session: a clean namespace and an empty notepad.
    if (runsInSandbox++ > 0) await py.reset({ clearNotepad: true });
    if (signal.aborted || disposed) throw new L0Error({ kind: 'aborted', message: 'Cancelled.' });

    const { runAgent } = await runtime();
    const run = runAgent({ task, llm: model, sandbox: py, notepadStore: await getStore(), tools: t, maxSteps, signal, promptExtra: options.promptExtra });
    for await (const event of run) {
      if (disposed) break;
      view.apply(event);
      options.onEvent?.(event);
      if (event.type === 'step-end') {
        options.onStep?.(event.record);
        dispatch(element, 'l0-step', event.record);
      } else if (event.type === 'final-answer') {
        options.onAnswer?.(event.answer);
        dispatch(element, 'l0-answer', { answer: event.answer });
      } else if (event.type === 'error') {
        options.onError?.(event.error);
        dispatch(element, 'l0-error', event.error);
      }
    }
    const trajectory = await run.trajectory;
    options.onDone?.(trajectory);
    dispatch(element, 'l0-done', trajectory);
    return trajectory;
  }

  const agent: EmbeddedAgent = {
    shadowRoot: shadow,
    databaseName: dbName,
    setTheme: (theme) => view.setTheme(theme),
    setTask: (task) => view.setTask(task),
    sandboxInfo: () => info,
    async run(taskArg) {
      if (disposed) throw new L0Error({ kind: 'internal', message: 'This agent was disposed.' });
      const task = (taskArg ?? view.getTask()).trim();
      if (!task) throw new L0Error({ kind: 'internal', message: 'The task is empty.' });
      if (current) {
        agent.stop();
        await current.catch(() => undefined);
      }
      controller = new AbortController();
      view.setTask(task);
      view.clearRun();
      view.setRunning(true);
      const mine = execute(task, controller.signal);
      current = mine;
      try {
        return await mine;
      } catch (e) {
        const error = toErrorData(e);
        if (!disposed) {
          if (error.kind === 'aborted') view.setStatus('Stopped.');
          else {
            view.setStatus('The run could not start.');
            reportError(error);
          }
        }
        throw e instanceof L0Error ? e : new L0Error(error);
      } finally {
        if (current === mine) {
          current = undefined;
          if (!disposed) view.setRunning(false);
        }
      }
    },
    stop() {
      // The agent loop aborts generation and interrupts the running cell when its signal aborts
      // (KeyboardInterrupt, or a worker restart without COOP/COEP).
      controller?.abort();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      controller?.abort();
      const running = current;
      await running?.catch(() => undefined);
      const [py, model] = await Promise.all([sandbox?.catch(() => undefined), llm?.catch(() => undefined)]);
      await Promise.allSettled([py?.dispose(), isLLM(options.engine) ? undefined : model?.dispose?.()]);
      view.dispose();
    },
  };

  if (options.autorun && options.task) void agent.run(options.task).catch(() => undefined);
  return agent;
}
