/**
 * Continuing a saved run in a fresh sandbox (after a reload, a crash, or a later visit).
 *
 * The notepad always comes back (restoreNotepad). Python variables do not: they lived in the old
 * interpreter. On request (`restoreCells`) the code of the saved cells that ran without error is
 * run again, in order, before the next step; those re-runs are not new steps. Either way the model
 * is told in one line what happened, as a user message placed after the last observation, so no
 * earlier message is rewritten (KV-prefix rule). The line is recorded in
 * `settings.resumeNotes` so `messagesForStep` rebuilds the exact context later. A follow-up
 * question asked in a fresh sandbox gets the same line inside its own message (`TrajectoryTurn.note`).
 */
import { turnsOf, type AgentEvent, type ErrorData, type Trajectory, type TrajectoryStep } from '../protocols';
import { initialNotepadOf, messagesForStep, resumeNotesOf } from './context';
import type { Run } from './run-state';

/** Steps whose code ran OK and did not submit the answer: what re-running restores. Same rule as the store's replayCells. */
export function replayableSteps(steps: TrajectoryStep[]): TrajectoryStep[] {
  return [...steps]
    .sort((a, b) => a.index - b.index)
    .filter((s) => s.cell?.status === 'ok' && s.code.trim() !== '' && s.cell.finalAnswer === undefined);
}

/**
 * A resumed run that already has its answer, and no follow-up question, is returned as is:
 * continuing it would make the model generate after `submit_final_answer`. Nothing runs, nothing
 * is saved; 'start' and 'done' are emitted. (A UI offers the follow-up question there instead.)
 */
export function isAnswered(t: Trajectory | undefined): t is Trajectory {
  return t?.status === 'answered' && t.finalAnswer !== undefined;
}

/** What continuing a saved session means: 'ask' when its latest question is answered (only a follow-up makes sense), else 'continue'. */
export function nextAction(t: Trajectory): 'ask' | 'continue' {
  return isAnswered(t) ? 'ask' : 'continue';
}

/** Returns `t` unchanged (with an 'error' event first when the request was refused). */
export function returnAsIs(t: Trajectory, emit: (e: AgentEvent) => void, refused?: ErrorData): Trajectory {
  const turns = turnsOf(t);
  emit({ type: 'start', sessionId: t.sessionId, task: t.task, turn: turns.length, question: turns.at(-1)!.question, followUp: false });
  if (refused) emit({ type: 'error', error: refused });
  emit({ type: 'done', trajectory: t });
  return t;
}

/**
 * Before the first new step of a continued session in a fresh sandbox: optionally re-runs the
 * saved cells, tells the model what became of its variables, rebuilds the context and emits a
 * 'resumed' event. The note joins a follow-up's message while that question has no step yet (one
 * user message); otherwise it is its own message after the last observation, recorded in
 * `settings.resumeNotes`. A no-op for a new session, a session with no steps (no variables existed
 * yet) or the same sandbox (`sameSandbox`: the variables are still there).
 */
export async function prepareResume(run: Run, restoreCells: boolean): Promise<void> {
  const { traj, sandbox, signal } = run;
  if (!run.resumed || traj.steps.length === 0 || run.sameSandbox) return;
  const cells = restoreCells ? replayableSteps(traj.steps) : [];
  const failedSteps: number[] = [];
  const onAbort = () => void sandbox.interrupt().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Earlier cells may read the notepad: start them from the run's first notepad.
    if (cells.length) await sandbox.setNotepad(initialNotepadOf(traj));
    for (const step of cells) {
      if (signal?.aborted) throw new DOMException('The run was cancelled', 'AbortError');
      // Notepad calls in these cells run too; the saved notepad is put back right after.
      const result = await sandbox.runCell(step.code);
      if (result.status !== 'ok') failedSteps.push(step.index);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (restoreCells) await sandbox.setNotepad(run.notepad);

  const nextStep = traj.steps.length + 1;
  const turn = traj.turns[traj.turns.length - 1];
  const opensHere = traj.turns.length > 1 && turn.firstStep === nextStep;
  const note = resumeNote(restoreCells, traj.steps.length, cells.length, failedSteps, opensHere ? FOLLOW_UP_HEAD : RESUME_HEAD);
  // Notes for steps that never got recorded (a resume stopped before its first step) are dropped.
  const kept = resumeNotesOf(traj).filter((n) => n.beforeStep < nextStep);
  if (opensHere) traj.turns[traj.turns.length - 1] = { ...turn, note };
  traj.settings.resumeNotes = opensHere ? kept : [...kept, { beforeStep: nextStep, note }];
  run.messages = messagesForStep(traj, nextStep);
  run.emit({ type: 'resumed', step: nextStep, restoredCells: cells.length - failedSteps.length, failedSteps, variablesRestored: restoreCells && failedSteps.length === 0, note });
}

const RESUME_HEAD = '(The session was interrupted and resumed in a fresh Python notebook; the notepad was kept.';
const FOLLOW_UP_HEAD = '(This question runs in a fresh Python notebook; the notepad was kept.';

export function resumeNote(restoreCells: boolean, steps: number, replayed: number, failedSteps: number[], head = RESUME_HEAD): string {
  const earlier = steps === 1 ? 'step 1' : `steps 1-${steps}`;
  if (!restoreCells) return `${head} Variables, imports and functions from ${earlier} are gone: re-create what you still need.)`;
  if (replayed === 0) return `${head} No earlier cell had run without errors, so no variables were restored.)`;
  const cells = replayed === 1 ? 'the 1 earlier cell' : `the ${replayed} earlier cells`;
  if (failedSteps.length === 0) return `${head} The code of ${cells} that ran without errors was run again, so their variables are back.)`;
  return `${head} The code of ${cells} that ran without errors was run again, but the cell(s) of step(s) ${failedSteps.join(', ')} failed this time: their variables may be missing.)`;
}
