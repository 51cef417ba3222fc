// The saved sessions as the app shows them: the list, loading one and showing it (cells, notepad,
// answer, whether it was interrupted), the session a reloaded tab was running, and dropping a new
// run that saved nothing worth keeping.
import { EMPTY_NOTEPAD, type SessionStore, type Trajectory } from '../protocols';
import { sessionStatus } from './labels';
import type { Observable } from './state';
import type { AppServices, AppState, NotebookChange } from './types';
import type { AppWorkspace } from './workspace';

export interface SessionBrowser {
  /** Reads the list again (when the app keeps one). */
  refresh(): Promise<void>;
  /** A saved session; undefined (and the error shown) when it cannot be read. */
  load(id: string): Promise<Trajectory | undefined>;
  /** The session shown, as saved. */
  shown(): Promise<Trajectory | undefined>;
  /** Shows a saved session: its cells, notepad, answer and status. */
  show(t: Trajectory): void;
  /** Deletes a session that saved nothing worth keeping (no error is shown). */
  discard(id: string): Promise<void>;
  /** Opens the session this tab was running when it was reloaded, if it is interrupted. */
  reopenAfterReload(): Promise<void>;
}

export interface SessionBrowserDeps {
  state: Observable<AppState>;
  notebook(change: NotebookChange): void;
  /** The session's files (the Files panel) follow the session shown. */
  workspace: Pick<AppWorkspace, 'show'>;
  store(): Promise<SessionStore>;
  /** Keep the list in the state (the page's sidebar). */
  listSessions: boolean;
  tabRun?: AppServices['tabRun'];
  /** True while a run goes on (nothing opens by itself then). */
  busy(): boolean;
}

export function createSessionBrowser(d: SessionBrowserDeps): SessionBrowser {
  const { state } = d;
  const browser: SessionBrowser = {
    async refresh() {
      if (!d.listSessions) return;
      const sessions = await d.store().then((s) => s.listSessions()).catch(() => undefined);
      if (sessions) state.set({ sessions });
    },
    async load(id) {
      const t = await d.store().then((s) => s.loadSession(id)).catch(() => undefined);
      if (!t) state.set({ error: { kind: 'storage', message: 'That session could not be loaded.' } });
      return t;
    },
    async shown() {
      const id = state.get().sessionId;
      return id ? browser.load(id) : undefined;
    },
    show(t) {
      d.notebook({ type: 'load', trajectory: t });
      void d.workspace.show(t);
      const last = t.steps.at(-1);
      state.set({
        sessionId: t.sessionId, task: t.task, answer: t.finalAnswer, notepad: last?.notepad ?? EMPTY_NOTEPAD, notepadStep: last?.index,
        step: undefined, startedAt: undefined, status: sessionStatus(t), error: t.error, interrupted: t.status === 'interrupted' ? t : undefined, trajectory: t,
        maxSteps: t.settings.maxSteps || state.get().settings.maxSteps,
      });
    },
    async discard(id) {
      await d.store().then((s) => s.deleteSession(id)).catch(() => undefined);
      if (state.get().sessionId === id) state.set({ sessionId: undefined });
    },
    async reopenAfterReload() {
      const id = d.tabRun?.get();
      if (!id) return;
      d.tabRun!.set(undefined);
      // The reloaded page's lock on the session may take a moment to go: until then it reads 'running'.
      for (let tries = 0; tries < 20; tries++) {
        const t = await d.store().then((s) => s.loadSession(id)).catch(() => undefined);
        if (t?.status !== 'running') {
          if (t?.status === 'interrupted' && !d.busy() && !state.get().sessionId) browser.show(t);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  return browser;
}
