// One run of the agent inside the app: claim the session, get the engine and Python, run the
// agent loop, and turn its events into view state and notebook changes. Errors end as data in the
// outcome and in the state (shown once); nothing here rejects.
import { EMPTY_NOTEPAD, L0Error, toErrorData, type AgentEvent, type LLM, type SessionStore, type Tool, type Trajectory } from '../protocols';
import { importableLibraries } from '../agent/index';
import { stepLimit } from './follow-up';
import { endedStatus } from './labels';
import type { PythonSlot } from './python';
import type { Observable } from './state';
import type { AppServices, AppState, NotebookChange, RunOutcome } from './types';
import type { AppWorkspace } from './workspace';

export interface RunRequest {
  task: string;
  sessionId: string;
  signal: AbortSignal;
  resumeFrom?: Trajectory;
  /** With resumeFrom: a new question in that session (else its latest question goes on). */
  followUp?: string;
  /** With resumeFrom, when Python no longer holds the session's namespace: re-run its saved cells first. */
  restoreCells?: boolean;
}

export interface RunDeps {
  state: Observable<AppState>;
  notebook(change: NotebookChange): void;
  services: AppServices;
  python: PythonSlot;
  /** The session's files: attachments written before the question, the listing saved after every cell. */
  workspace: AppWorkspace;
  /** The engine for this run (loads it, or waits for the load in flight). */
  engine(): Promise<LLM>;
  /** The enabled tools. */
  tools(): Promise<Tool[]>;
  store(): Promise<SessionStore>;
  /** What the run waits for now: progress of that part shows in the status line. */
  waitingFor(part: 'engine' | 'python' | undefined): void;
  promptExtra?: string;
  /** Called with each agent event after the state was updated (session list refresh, persistence). */
  onEvent?(event: AgentEvent): void;
}

/** Rejects with an AbortError as soon as `signal` aborts; the work itself goes on (it may be shared). */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new DOMException('Stopped', 'AbortError'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DOMException('Stopped', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The view state an agent event changes (pure). */
function stateAfterEvent(ev: AgentEvent): Partial<AppState> {
  switch (ev.type) {
    case 'start':
      // A follow-up's question is on: the answer shown was the previous question's (the notebook keeps it).
      return ev.followUp ? { status: 'Running…', answer: undefined } : { status: 'Running…' };
    case 'resumed':
      return { status: 'Running…' };
    case 'step-start':
      return { step: ev.step };
    case 'notepad':
      return { notepad: ev.notepad, notepadStep: ev.step };
    case 'final-answer':
      return { answer: ev.answer };
    case 'error':
      return ev.error.kind === 'aborted' ? {} : { error: ev.error };
    default:
      return {};
  }
}

export async function executeRun(deps: RunDeps, req: RunRequest): Promise<RunOutcome> {
  const { state, services, signal } = { ...deps, signal: req.signal };
  const steps = { started: 0, shown: new Set<number>(), ended: new Set<number>() };
  let release: (() => void) | undefined;
  let trajectory: Trajectory | undefined;
  let error: ReturnType<typeof toErrorData> | undefined;
  try {
    if (services.acquireSession) {
      release = await services.acquireSession(req.sessionId);
      if (!release) throw new L0Error({ kind: 'storage', message: 'This session is open and running in another tab.' });
    }
    state.set({ status: 'Loading model…' });
    deps.waitingFor('engine');
    const llm = await abortable(deps.engine(), signal);
    state.set({ status: 'Starting Python…' });
    deps.waitingFor('python');
    const tools = await abortable(deps.tools(), signal);
    // A continued session keeps its namespace when Python still holds it (it ran it last, no reset since).
    const forRun = deps.python.forRun(tools, { id: req.resumeFrom ? req.sessionId : undefined, notepad: req.resumeFrom?.steps.at(-1)?.notepad });
    const { sandbox, sameSandbox } = await abortable(forRun, signal);
    // The session's files into /workspace (restored into a fresh sandbox), and the question's attachments.
    const asksQuestion = !req.resumeFrom || req.followUp !== undefined;
    const attachments = await abortable(deps.workspace.prepare(sandbox, req.sessionId, { question: asksQuestion }), signal);
    deps.waitingFor(undefined);
    const notepadStore = await deps.store();
    if (signal.aborted) throw new DOMException('Stopped', 'AbortError');
    const restoreCells = !!req.resumeFrom && !sameSandbox && !!req.restoreCells;
    state.set({ status: restoreCells ? 'Re-running saved cells…' : 'Running…' });
    const settings = state.get().settings;
    // What can be imported right now (the lock and this browser's cache), for a new session's prompt.
    const packages = await sandbox.packages?.().catch(() => undefined);
    const libraries = importableLibraries(packages, (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false);
    const limit = stepLimit(req.resumeFrom, req.followUp !== undefined, settings.maxSteps);
    state.set({ maxSteps: limit });
    const agentRun = await services.runAgent({
      task: req.task,
      llm,
      sandbox,
      notepadStore,
      tools,
      maxSteps: settings.maxSteps,
      memoryTokens: settings.memoryTokens > 0 ? settings.memoryTokens : undefined,
      temperature: settings.temperature,
      signal,
      sessionId: req.sessionId,
      resumeFrom: req.resumeFrom,
      followUp: req.followUp,
      sameSandbox,
      restoreCells,
      promptExtra: deps.promptExtra,
      ...(attachments.length && { attachments }),
      libraries,
    });
    for await (const ev of agentRun) {
      track(steps, ev);
      // Python holds this session's namespace once the model was told what became of it (or there was nothing to tell).
      if (ev.type === 'resumed' || ev.type === 'step-start') deps.python.holds(req.sessionId);
      if (ev.type === 'cell-output' && ev.result) deps.workspace.afterCell(sandbox, req.sessionId, ev.result);
      state.set(stateAfterEvent(ev));
      deps.notebook({ type: 'event', event: ev, maxSteps: limit });
      deps.onEvent?.(ev);
    }
    trajectory = await agentRun.trajectory;
    await deps.workspace.settled(); // the files of the last cell are saved before the run counts as ended
    if (trajectory.status === 'error' && trajectory.error?.kind === 'sandbox') deps.python.failed(trajectory.error);
    state.set({ status: endedStatus(trajectory) }); // its error, if any, came as an 'error' event
  } catch (e) {
    error = toErrorData(e);
    if (error.kind === 'aborted') state.set({ status: 'Stopped.' });
    else {
      if (error.kind === 'sandbox') deps.python.failed(error);
      state.set({ status: 'Run failed.', error });
    }
  } finally {
    deps.waitingFor(undefined);
    release?.();
    // A cell that never showed anything (the model failed or was stopped before its first token) goes.
    const last = steps.started;
    if (last && !steps.ended.has(last) && !steps.shown.has(last)) deps.notebook({ type: 'discard', step: last });
    deps.notebook({ type: 'ended' });
  }
  return { trajectory, error };
}

function track(steps: { started: number; shown: Set<number>; ended: Set<number> }, ev: AgentEvent): void {
  if (ev.type === 'step-start') steps.started = ev.step;
  else if (ev.type === 'think' || ev.type === 'code-delta' || ev.type === 'code') steps.shown.add(ev.step);
  else if (ev.type === 'step-end') steps.ended.add(ev.step);
}

export const emptyRunState = (): Partial<AppState> => ({ answer: undefined, notepad: EMPTY_NOTEPAD, notepadStep: undefined, step: undefined, error: undefined, interrupted: undefined, trajectory: undefined });
