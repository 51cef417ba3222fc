/**
 * The pieces of one agent run that loop.ts strings together: the run's state, memory fitting,
 * one generation, one cell, recording and saving a step.
 */
import {
  INTERRUPT_GRACE_MS,
  toErrorData,
  type AgentEvent,
  type CellResult,
  type ChatMessage,
  type FinishReason,
  type LLM,
  type NotepadState,
  type NotepadStore,
  newSessionId,
  type Sandbox,
  type Tool,
  type Trajectory,
  type TrajectoryStep,
  type Usage,
} from '../protocols';
import { buildObservation, collapsedContext, eocMarkerOf, initialNotepadOf, messagesForStep, resumeNoteMessages, stepMessages } from './context';
import {
  countMessages,
  DEFAULT_MAX_TOKENS_PER_STEP,
  defaultMemoryTokens,
  defaultObservationTokens,
  makeTokenCounter,
  type TokenCounter,
} from './memory';
import { isEmptyNotepad } from './notepad-render';
import { createStreamParser, EOC_MARKER, stopStrings, type ParsedStep } from './parse';
import { buildSystemPrompt } from './prompt';
import { continueSession, newSession, syncLatestTurn, type SessionTrajectory } from './session';

export interface RunAgentOptions {
  /** The question of a new session. Ignored with `resumeFrom` (the session's questions are kept). */
  task?: string;
  llm: LLM;
  /** Created by the caller with the same `tools` (the sandbox builds the Python gateway). */
  sandbox: Sandbox;
  notepadStore?: NotepadStore;
  /** Documented in the system prompt only. */
  tools?: Tool[];
  /** Step limit of one question (each follow-up gets its own). */
  maxSteps?: number;
  /** Prompt budget in tokens; default: the model's context window (or 4,096) minus `maxTokensPerStep`. */
  memoryTokens?: number;
  /** Generation budget of one step; default 1,024 tokens. */
  maxTokensPerStep?: number;
  /** Cap on one cell's output in the observation; default a quarter of `memoryTokens` (at least 200). */
  maxObservationTokens?: number;
  temperature?: number;
  topP?: number;
  signal?: AbortSignal;
  sessionId?: string;
  /**
   * Continue a saved session: its steps are kept, its context rebuilt and its notepad restored.
   * Without `followUp` the latest question is continued where it stopped (one stopped at the step
   * limit gets `maxSteps` more steps); an answered one is returned as is (nothing generated: ask a
   * follow-up instead).
   */
  resumeFrom?: Trajectory;
  /**
   * A new question in the session `resumeFrom` (whatever its status): the model sees the earlier
   * questions, steps and answers, then this one after the output of the last step. Without
   * `resumeFrom` it is the first question of a new session.
   */
  followUp?: string;
  /**
   * With `resumeFrom`: `sandbox` is the notebook the session last ran in, untouched since (not
   * reset, no other session's cells), so its variables are still there: nothing is re-run and the
   * model is told nothing. Default false: a fresh notebook, and the model is told its variables
   * are gone (or `restoreCells` brings them back).
   */
  sameSandbox?: boolean;
  /**
   * With `resumeFrom` in a fresh sandbox: re-run the saved cells that ran without error (in order,
   * not as new steps) before the next step, to restore the notebook's variables. Default false:
   * the model is told its variables are gone. Tool calls in those cells run again.
   */
  restoreCells?: boolean;
  /** Appended to the system prompt (e.g. the expected form of the answer). */
  promptExtra?: string;
  /**
   * The end-of-code marker the model was trained with (L0's `{{eoc_token}}`, whose value is not
   * public). Default: the LLM's own `eocMarker`, else `<end_code>`. It goes into the prompt, the
   * stop strings and the context.
   */
  eocMarker?: string;
  /** Libraries the prompt says can be imported (the caller knows what the sandbox has). Default: the standard library. */
  libraries?: string[];
  /** The folder the prompt tells the model to put files in. Default `/workspace`. */
  workdir?: string;
}

export interface Run {
  traj: SessionTrajectory;
  /** True when continuing a saved session (resumed or followed up). */
  resumed: boolean;
  /** True when this run asked a new question. */
  followUp: boolean;
  /** The sandbox still holds the session's namespace (see RunAgentOptions.sameSandbox). */
  sameSandbox: boolean;
  llm: LLM;
  sandbox: Sandbox;
  store?: NotepadStore;
  signal?: AbortSignal;
  maxSteps: number;
  /** Steps of the session before this question's step budget began. */
  stepsBefore: number;
  memoryTokens: number;
  maxTokensPerStep: number;
  maxObservationTokens: number;
  eocMarker: string;
  /** The context as the model will see it next. */
  messages: ChatMessage[];
  /** The newest notepad. */
  notepad: NotepadState;
  count: TokenCounter;
  emit: (event: AgentEvent) => void;
}

export interface Turn {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  ms: number;
}

export function createRun(o: RunAgentOptions, emit: (event: AgentEvent) => void): Run {
  const maxTokensPerStep = o.maxTokensPerStep ?? DEFAULT_MAX_TOKENS_PER_STEP;
  const memoryTokens = o.memoryTokens ?? defaultMemoryTokens(o.llm, maxTokensPerStep);
  const maxSteps = o.maxSteps ?? 20;
  const maxObservationTokens = o.maxObservationTokens ?? defaultObservationTokens(memoryTokens);
  const tools = o.tools ?? [];
  // A resumed run keeps the marker it started with: its earlier turns are in that format.
  const eocMarker = (o.resumeFrom && eocMarkerOf(o.resumeFrom)) || o.eocMarker || o.llm.eocMarker || EOC_MARKER;
  const settings = {
    maxSteps,
    memoryTokens,
    maxTokensPerStep,
    maxObservationTokens,
    tools: tools.map((t) => t.name),
    eocMarker,
    ...(o.temperature !== undefined && { temperature: o.temperature }),
    ...(o.topP !== undefined && { topP: o.topP }),
  };
  const saved = o.resumeFrom;
  const followUp = !!saved && o.followUp !== undefined;
  const { traj, stepsBefore } = saved
    ? continueSession(saved, settings, o.followUp, Date.now())
    : {
        stepsBefore: 0,
        traj: newSession({
          sessionId: o.sessionId ?? newSessionId(),
          question: (o.task ?? o.followUp ?? '').trim(),
          systemPrompt: buildSystemPrompt(tools, { maxSteps, extra: o.promptExtra, eocMarker, libraries: o.libraries, workdir: o.workdir }),
          modelId: o.llm.id,
          settings,
          now: Date.now(),
        }),
      };
  const last = traj.steps.at(-1);
  return {
    traj,
    resumed: !!saved,
    followUp,
    sameSandbox: !!saved && !!o.sameSandbox,
    llm: o.llm,
    sandbox: o.sandbox,
    store: o.notepadStore,
    signal: o.signal,
    maxSteps,
    stepsBefore,
    memoryTokens,
    maxTokensPerStep,
    maxObservationTokens,
    eocMarker,
    messages: messagesForStep(traj, traj.steps.length + 1),
    notepad: last?.notepad ?? initialNotepadOf(traj),
    count: makeTokenCounter(o.llm),
    emit,
  };
}

/** Steps this question has used of its budget. */
export function stepsUsed(run: Run): number {
  return run.traj.steps.length - run.stepsBefore;
}

/**
 * Gives a fresh sandbox the session's notepad: the last step's on resume, else the one saved
 * under this session id (which then becomes part of the first message).
 */
export async function restoreNotepad(run: Run): Promise<void> {
  const { traj, store } = run;
  if (traj.steps.length === 0 && store) {
    const saved = await store.loadNotepad(traj.sessionId);
    if (saved && !isEmptyNotepad(saved)) {
      run.notepad = saved;
      traj.settings.initialNotepad = saved;
      run.messages = messagesForStep(traj, 1);
    }
  }
  if (!isEmptyNotepad(run.notepad)) await run.sandbox.setNotepad(run.notepad);
  await saveHeader(run);
}

/** Collapses history to system + the questions + notepad when the next prompt would exceed the budget. */
export async function fitMemory(run: Run): Promise<boolean> {
  if (run.messages.length <= 2) return false;
  if ((await countMessages(run.messages, run.count)) <= run.memoryTokens) return false;
  const { traj } = run;
  const next = traj.steps.length + 1;
  run.messages = [...collapsedContext(traj, next, run.notepad), ...resumeNoteMessages(traj, next)];
  return true;
}

/** One model turn, streamed as think / code-delta events. */
export async function generateTurn(run: Run, step: number): Promise<Turn> {
  const parser = createStreamParser(run.eocMarker);
  const started = performance.now();
  const result = await run.llm.generate([...run.messages], {
    stop: stopStrings(run.eocMarker),
    maxTokens: run.maxTokensPerStep,
    signal: run.signal,
    ...(run.traj.settings.temperature !== undefined && { temperature: run.traj.settings.temperature }),
    ...(run.traj.settings.topP !== undefined && { topP: run.traj.settings.topP }),
    onToken: (delta) => {
      const { think, code } = parser.push(delta);
      if (think) run.emit({ type: 'think', step, delta: think });
      if (code) run.emit({ type: 'code-delta', step, delta: code });
    },
  });
  return { ...result, ms: performance.now() - started };
}


/** Runs one cell, streaming its output; an abort interrupts it and returns within the grace time. */
export async function executeCell(run: Run, step: number, code: string): Promise<CellResult> {
  const started = performance.now();
  const onAbort = () => void run.sandbox.interrupt().catch(() => undefined);
  run.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // One question is one run for the sandbox's per-run tool-call cap (a follow-up gets its own).
    const question = `${run.traj.sessionId}#${run.traj.turns?.length ?? 1}`;
    const cell = run.sandbox.runCell(code, { run: question, onStream: (chunk) => run.emit({ type: 'cell-output', step, chunk }) });
    const result = await Promise.race([cell, abandonAfterAbort(run.signal, started)]);
    run.emit({ type: 'cell-output', step, result });
    for (const call of result.toolCalls ?? []) run.emit({ type: 'tool-call', step, call });
    return result;
  } finally {
    run.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Resolves with an 'interrupted' result when the sandbox has not answered INTERRUPT_GRACE_MS after an
 * abort. The sandbox ends a cell that ignores the interrupt after the same grace period, and its
 * timer starts first (the abort listener that interrupts it was added before this one), so a
 * sandbox that keeps its promise always answers first: the run never reports variables kept when
 * the sandbox had to drop them.
 */
function abandonAfterAbort(signal: AbortSignal | undefined, started: number): Promise<CellResult> {
  return new Promise((resolve) => {
    if (!signal) return;
    const giveUp = () =>
      setTimeout(() => {
        const error = { ename: 'KeyboardInterrupt', evalue: 'the run was cancelled', traceback: [] };
        resolve({ status: 'interrupted', stdout: '', stderr: '', error, durationMs: performance.now() - started, truncated: false, restarted: false });
      }, INTERRUPT_GRACE_MS);
    if (signal.aborted) giveUp();
    else signal.addEventListener('abort', giveUp, { once: true });
  });
}

export interface StepInput {
  index: number;
  turn: Turn;
  parsed: ParsedStep;
  cell?: CellResult;
  collapsed: boolean;
  startedAt: number;
}

/** Builds the observation, extends the context, records and saves the step. */
export async function recordStep(run: Run, s: StepInput): Promise<TrajectoryStep> {
  const notepad = await notepadAfter(run, s.cell);
  const observation = await buildObservation({
    parsed: s.parsed,
    finishReason: s.turn.finishReason,
    cell: s.cell,
    notepad,
    maxObservationTokens: run.maxObservationTokens,
    count: run.count,
    eocMarker: run.eocMarker,
  });
  const record: TrajectoryStep = {
    index: s.index,
    raw: s.turn.text,
    think: s.parsed.think,
    code: s.parsed.code,
    formatErrors: s.parsed.formatErrors,
    finishReason: s.turn.finishReason,
    ...(s.cell && { cell: s.cell }),
    observation,
    notepad,
    collapsedBefore: s.collapsed,
    timings: { startedAt: s.startedAt, generateMs: s.turn.ms, cellMs: s.cell?.durationMs ?? 0 },
    usage: s.turn.usage,
  };
  run.notepad = notepad;
  run.messages.push(...stepMessages(record, run.eocMarker));
  run.traj.steps.push(record);
  run.traj.formatErrorCount += record.formatErrors.length;
  run.emit({ type: 'notepad', step: s.index, notepad });
  await saveStep(run, record);
  run.emit({ type: 'step-end', step: s.index, record });
  return record;
}

/** The notepad after a cell; after a restart that lost it, the previous one is put back. */
async function notepadAfter(run: Run, cell: CellResult | undefined): Promise<NotepadState> {
  if (!cell) return run.notepad;
  if (cell.restarted && (!cell.notepad || isEmptyNotepad(cell.notepad)) && !isEmptyNotepad(run.notepad)) {
    await run.sandbox.setNotepad(run.notepad);
    return run.notepad;
  }
  return cell.notepad ?? run.notepad;
}

/** The run's header without its steps. */
function header(traj: SessionTrajectory): Omit<Trajectory, 'steps'> {
  syncLatestTurn(traj);
  const { steps: _steps, ...rest } = traj;
  return { ...rest, turns: rest.turns.map((t) => ({ ...t })) };
}

async function saveStep(run: Run, record: TrajectoryStep): Promise<void> {
  const { store, traj } = run;
  if (!store) return;
  await guardStorage(run, record.index, async () => {
    await store.saveNotepad(traj.sessionId, record.notepad);
    await store.appendStep(traj.sessionId, record);
    await store.saveRun(traj.sessionId, header(traj));
  });
}

/** Saves the run's header; the latest question is brought up to date first, with or without a store. */
export async function saveHeader(run: Run): Promise<void> {
  const { store, traj } = run;
  syncLatestTurn(traj);
  if (store) await guardStorage(run, undefined, () => store.saveRun(traj.sessionId, header(traj)));
}

/** A failed save is reported as an 'error' event with kind 'storage' and does not stop the run. */
async function guardStorage(run: Run, step: number | undefined, save: () => Promise<void>): Promise<void> {
  try {
    await save();
  } catch (e) {
    run.emit({ type: 'error', ...(step !== undefined && { step }), error: toErrorData(e, 'storage') });
  }
}
