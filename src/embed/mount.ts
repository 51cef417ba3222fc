// mount(element, options): the agent in any element of any page, rendered in Shadow DOM. The app
// controller (src/app/) runs it, exactly as on the notebook page; this file turns the widget's
// options into the controller's, shows it with the compact view, and reports to the host page.
import { createAppController, type AppState, type RunOutcome } from '../app/index';
import { L0Error, type ErrorData, type SandboxInfo, type Trajectory } from '../protocols';
import { invalidHostPatterns } from '../tools/fetch-approval';
import { resolveAssets } from './assets';
import { databaseName, DEFAULT_KEEP_SESSIONS, DEFAULT_MAX_STEPS, type EmbedTheme, type MountOptions } from './options';
import { createEmbedServices } from './services';
import { createCompactView } from './view';

export interface EmbeddedAgent {
  /** Runs a task (default: the text in the task box); resolves with the run's trajectory. A run in progress is stopped first. */
  run(task?: string): Promise<Trajectory>;
  /**
   * Asks a follow-up question in the session shown (the last run's): the same Python variables,
   * notepad and conversation; resolves with the whole session's trajectory. A run in progress is
   * stopped first. Rejects when there is no session yet (run a task first) or the question is empty.
   * `restoreCells`: when Python no longer holds the session's variables (it was restarted), re-run
   * the saved cells first.
   */
  ask(question: string, options?: { restoreCells?: boolean }): Promise<Trajectory>;
  /** Stops the current run (generation is aborted, the running cell interrupted). */
  stop(): void;
  /** Deletes every run this widget saved in the host site's IndexedDB (a run in progress is kept) and clears the widget. */
  clearHistory(): Promise<void>;
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

const NO_ENGINE = 'No engine chosen: set engine="webllm" with a model, engine="openai" with base-url and model, or engine="replay" with script-url.';

/** Events dispatched on the host element (bubbling, composed): `l0-step`, `l0-answer`, `l0-error`, `l0-done`. */
function dispatch(element: HTMLElement, type: string, detail: unknown): void {
  element.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

export function mount(element: HTMLElement, options: MountOptions = {}): EmbeddedAgent {
  const shadow = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
  const badHosts = invalidHostPatterns(options.allowedHosts ?? []);
  if (badHosts.length) console.warn(`l0-agent: allowedHosts entries that are not hosts are ignored: ${badHosts.join(', ')}`);
  const dbName = databaseName(options.namespace);
  const app = createAppController({
    services: createEmbedServices(options, resolveAssets(options.assetsBaseUrl), dbName),
    engine: options.engine,
    noEngineMessage: NO_ENGINE,
    settings: {
      maxSteps: options.maxSteps ?? DEFAULT_MAX_STEPS, memoryTokens: 0, temperature: undefined,
      askBeforeFetch: options.askBeforeFetch ?? true, allowedHosts: options.allowedHosts,
    },
    keepSessions: options.keepSessions ?? DEFAULT_KEEP_SESSIONS,
    promptExtra: options.promptExtra,
  });
  let disposed = false;

  const view = createCompactView(shadow, options.title ?? 'Ask the agent', app, {
    onRun: (task) => void agent.run(task).catch(() => undefined), // errors are shown and reported by run()
    onStop: () => agent.stop(),
    onAsk: (question, restoreCells) => agent.ask(question, { restoreCells }), // errors are shown and reported by ask()
  });
  view.setTheme(options.theme ?? 'light');
  if (options.task) view.setTask(options.task);

  // The host hears every error once: a failed run, an agent error event, the store's warning.
  const reportError = (error: ErrorData) => {
    options.onError?.(error);
    dispatch(element, 'l0-error', error);
  };
  let reported: Partial<AppState> = {};
  app.subscribe((s) => {
    if (s.error && s.error !== reported.error) reportError(s.error);
    if (s.warning && s.warning !== reported.warning) reportError(s.warning);
    reported = s;
  });
  app.onNotebook((change) => {
    if (change.type !== 'event' || disposed) return;
    const event = change.event;
    options.onEvent?.(event);
    if (event.type === 'step-end') {
      options.onStep?.(event.record);
      dispatch(element, 'l0-step', event.record);
    } else if (event.type === 'final-answer') {
      options.onAnswer?.(event.answer);
      dispatch(element, 'l0-answer', { answer: event.answer });
    }
  });

  const agent: EmbeddedAgent = {
    shadowRoot: shadow,
    databaseName: dbName,
    setTheme: (theme) => view.setTheme(theme),
    setTask: (task) => view.setTask(task),
    sandboxInfo: () => app.state.python.info,
    async run(taskArg) {
      if (disposed) throw new L0Error({ kind: 'internal', message: 'This agent was disposed.' });
      const task = (taskArg ?? view.getTask()).trim();
      if (!task) throw new L0Error({ kind: 'internal', message: 'The task is empty.' });
      await app.stop(); // a run in progress gives way to the new one
      return finished(await app.run(task));
    },
    async ask(questionArg, askOptions = {}) {
      if (disposed) throw new L0Error({ kind: 'internal', message: 'This agent was disposed.' });
      const question = String(questionArg ?? '').trim();
      if (!question) throw new L0Error({ kind: 'internal', message: 'The follow-up question is empty.' });
      await app.stop(); // a run in progress stops; the question follows up on what it did
      return finished(await app.ask(question, askOptions.restoreCells));
    },
    stop() {
      void app.stop();
    },
    clearHistory: () => app.clearHistory(),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await app.dispose();
      view.dispose();
    },
  };

  /** The trajectory of a run that ran (reported to the host), or the reason it could not run. */
  function finished(outcome: RunOutcome): Trajectory {
    if (!outcome.trajectory) throw new L0Error(outcome.error ?? { kind: 'aborted', message: 'Cancelled.' });
    if (!disposed) {
      options.onDone?.(outcome.trajectory);
      dispatch(element, 'l0-done', outcome.trajectory);
    }
    return outcome.trajectory;
  }

  if (options.autorun && options.task) void agent.run(options.task).catch(() => undefined);
  return agent;
}
